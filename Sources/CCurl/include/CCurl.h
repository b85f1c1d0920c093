#ifndef JARVIS_CCURL_H
#define JARVIS_CCURL_H
#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call:
// these typed wrappers give one entry point per argument type.
CURLcode jarvis_curl_setopt_long(CURL *_Nonnull handle, CURLoption option, long value);
CURLcode jarvis_curl_setopt_string(CURL *_Nonnull handle, CURLoption option, const char *_Nullable value);
CURLcode jarvis_curl_setopt_pointer(CURL *_Nonnull handle, CURLoption option, void *_Nullable value);
CURLcode jarvis_curl_setopt_slist(CURL *_Nonnull handle, CURLoption option, struct curl_slist *_Nullable value);
CURLcode jarvis_curl_setopt_off_t(CURL *_Nonnull handle, CURLoption option, curl_off_t value);
CURLMcode jarvis_curl_multi_setopt_long(CURLM *_Nonnull multi, CURLMoption option, long value);
// Blob options (CAINFO_BLOB, SSLCERT_BLOB, SSLKEY_BLOB): curl copies the bytes (CURL_BLOB_COPY),
// so the caller's buffer may go away once this returns.
CURLcode jarvis_curl_setopt_blob(CURL *_Nonnull handle, CURLoption option, const void *_Nonnull data, size_t length);

typedef size_t (*jarvis_curl_data_callback)(char *_Nonnull data, size_t size, size_t count, void *_Nullable context);
CURLcode jarvis_curl_setopt_write_function(CURL *_Nonnull handle, jarvis_curl_data_callback _Nullable callback);
CURLcode jarvis_curl_setopt_header_function(CURL *_Nonnull handle, jarvis_curl_data_callback _Nullable callback);
CURLcode jarvis_curl_setopt_read_function(CURL *_Nonnull handle, jarvis_curl_data_callback _Nullable callback);

CURLcode jarvis_curl_getinfo_long(CURL *_Nonnull handle, CURLINFO info, long *_Nonnull value);
CURLcode jarvis_curl_getinfo_pointer(CURL *_Nonnull handle, CURLINFO info, void *_Nullable *_Nonnull value);

CURLcode jarvis_curl_getinfo_socket(CURL *_Nonnull handle, curl_socket_t *_Nonnull value);

// CURLINFO_CERTINFO (with CURLOPT_CERTINFO set): the number of certificates of the peer's
// chain and, for one of them, the value of a field such as "Cert" (PEM with OpenSSL).
// Returns NULL when absent; the string lives as long as the handle's certinfo.
int jarvis_curl_certinfo_count(CURL *_Nonnull handle);
const char *_Nullable jarvis_curl_certinfo_field(CURL *_Nonnull handle, int index, const char *_Nonnull name);

// fork + exec with PR_SET_PDEATHSIG: the child gets `death_signal` when the thread that spawned it
// ends (so spawn from a thread that lives as long as the process). stdin/stdout/stderr become the
// given descriptors; every other descriptor is closed in the child. Returns the pid or -errno.
int jarvis_spawn(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                 int stdin_fd, int stdout_fd, int stderr_fd, int death_signal);

// CURLMsg holds a union; these read its parts.
CURL *_Nullable jarvis_curl_msg_handle(const CURLMsg *_Nonnull msg);
int jarvis_curl_msg_is_done(const CURLMsg *_Nonnull msg);
CURLcode jarvis_curl_msg_result(const CURLMsg *_Nonnull msg);

// Return value of a write callback that asks curl to pause the transfer.
size_t jarvis_curl_writefunc_pause(void);
// The last informational and error texts of a transfer (CURLINFO_TEXT through CURLOPT_DEBUGFUNCTION).
// The error buffer keeps only curl's first failure; for TLS the reason that matters (the server's
// alert about our certificate) may come after an unrelated one, so TLS transfers keep this too.
typedef struct { char text[2048]; size_t used; } jarvis_curl_trace;
CURLcode jarvis_curl_trace_text(CURL *_Nonnull handle, jarvis_curl_trace *_Nonnull trace);

// pipe2(O_CLOEXEC), which Glibc's Swift overlay hides behind _GNU_SOURCE.
int jarvis_pipe_cloexec(int fds[_Nonnull 2]);
#endif
