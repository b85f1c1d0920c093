#include "CMalloc.h"
#ifdef __GLIBC__
#include <malloc.h>
void jarvis_malloc_limit_arenas(int count) { mallopt(M_ARENA_MAX, count); }
void jarvis_malloc_trim(void) { malloc_trim(0); }
#else
void jarvis_malloc_limit_arenas(int count) { (void)count; }
void jarvis_malloc_trim(void) {}
#endif
