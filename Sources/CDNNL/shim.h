// oneDNN 2.6 (Debian libdnnl-dev), C API. No pkg-config file ships: the module map links dnnl.
#include <oneapi/dnnl/dnnl.h>

// DNNL_MEMORY_ALLOCATE is ((void *)(size_t)-1): a macro Swift cannot import.
static inline void *dnnl_shim_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }

// Debian's oneDNN runs on GNU OpenMP; its thread count is OpenMP's. omp.h lives in GCC's private
// include directory, which clang does not search, so the two calls used are declared here.
void omp_set_num_threads(int count);
int omp_get_max_threads(void);
