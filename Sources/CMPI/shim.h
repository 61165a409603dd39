// Open MPI 4.1 (Debian libopenmpi-dev), C API; Package.swift finds it through pkg-config ompi-c.
// The predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros that take the
// address of a library global, and MPI_IN_PLACE / MPI_STATUS_IGNORE are casts of integers:
// Swift imports none of them, so each is returned by a function here (_Nonnull: never NULL,
// except MPI_STATUS_IGNORE, which is).
#include <mpi.h>

static inline MPI_Comm _Nonnull mpi_shim_comm_world(void) { return MPI_COMM_WORLD; }

static inline MPI_Datatype _Nonnull mpi_shim_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype _Nonnull mpi_shim_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype _Nonnull mpi_shim_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype _Nonnull mpi_shim_int64(void) { return MPI_INT64_T; }

static inline MPI_Op _Nonnull mpi_shim_sum(void) { return MPI_SUM; }
static inline MPI_Op _Nonnull mpi_shim_max(void) { return MPI_MAX; }

static inline void *_Nonnull mpi_shim_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *mpi_shim_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request _Nonnull mpi_shim_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Errhandler _Nonnull mpi_shim_errors_return(void) { return MPI_ERRORS_RETURN; }
