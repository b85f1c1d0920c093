#ifndef JARVIS_CZLIB_H
#define JARVIS_CZLIB_H
// zlib's gzip file writer, for compressed image archives.
#include <zlib.h>
#endif
