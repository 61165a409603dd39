// oneDNN 2.6 (Debian libdnnl-dev), C API. No pkg-config file ships: the module map links dnnl.
#include <oneapi/dnnl/dnnl.h>

// DNNL_MEMORY_ALLOCATE is ((void *)(size_t)-1): a macro Swift cannot import.
static inline void *dnnl_shim_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
