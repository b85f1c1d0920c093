#include "CCurl.h"

CURLcode jarvis_curl_setopt_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_string(CURL *handle, CURLoption option, const char *value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_write_function(CURL *handle, jarvis_curl_data_callback callback) { return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback); }
CURLcode jarvis_curl_setopt_header_function(CURL *handle, jarvis_curl_data_callback callback) { return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback); }
CURLcode jarvis_curl_setopt_read_function(CURL *handle, jarvis_curl_data_callback callback) { return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback); }
CURLcode jarvis_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) { return curl_easy_getinfo(handle, info, value); }
CURLcode jarvis_curl_getinfo_pointer(CURL *handle, CURLINFO info, void **value) { return curl_easy_getinfo(handle, info, value); }
CURL *jarvis_curl_msg_handle(const CURLMsg *msg) { return msg->easy_handle; }
int jarvis_curl_msg_is_done(const CURLMsg *msg) { return msg->msg == CURLMSG_DONE; }
CURLcode jarvis_curl_msg_result(const CURLMsg *msg) { return msg->data.result; }
size_t jarvis_curl_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }
CURLcode jarvis_curl_getinfo_socket(CURL *handle, curl_socket_t *value) { return curl_easy_getinfo(handle, CURLINFO_ACTIVESOCKET, value); }
