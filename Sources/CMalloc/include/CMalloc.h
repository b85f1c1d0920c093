#ifndef JARVIS_CMALLOC_H
#define JARVIS_CMALLOC_H
// glibc's malloc tuning (malloc.h is not in Swift's Glibc module).
void jarvis_malloc_limit_arenas(int count);
void jarvis_malloc_trim(void);
#endif
