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

typedef size_t (*jarvis_curl_data_callback)(char *_Nonnull data, size_t size, size_t count, void *_Nullable context);
CURLcode jarvis_curl_setopt_write_function(CURL *_Nonnull handle, jarvis_curl_data_callback _Nullable callback);
CURLcode jarvis_curl_setopt_header_function(CURL *_Nonnull handle, jarvis_curl_data_callback _Nullable callback);
CURLcode jarvis_curl_setopt_read_function(CURL *_Nonnull handle, jarvis_curl_data_callback _Nullable callback);

CURLcode jarvis_curl_getinfo_long(CURL *_Nonnull handle, CURLINFO info, long *_Nonnull value);
CURLcode jarvis_curl_getinfo_pointer(CURL *_Nonnull handle, CURLINFO info, void *_Nullable *_Nonnull value);

CURLcode jarvis_curl_getinfo_socket(CURL *_Nonnull handle, curl_socket_t *_Nonnull value);

// CURLMsg holds a union; these read its parts.
CURL *_Nullable jarvis_curl_msg_handle(const CURLMsg *_Nonnull msg);
int jarvis_curl_msg_is_done(const CURLMsg *_Nonnull msg);
CURLcode jarvis_curl_msg_result(const CURLMsg *_Nonnull msg);

// Return value of a write callback that asks curl to pause the transfer.
size_t jarvis_curl_writefunc_pause(void);
#endif
