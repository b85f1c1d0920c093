#include "CCurl.h"
#include <string.h>

CURLcode jarvis_curl_setopt_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_string(CURL *handle, CURLoption option, const char *value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) { return curl_easy_setopt(handle, option, value); }
CURLcode jarvis_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) { return curl_easy_setopt(handle, option, value); }
CURLMcode jarvis_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) { return curl_multi_setopt(multi, option, value); }
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
CURLcode jarvis_curl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob = { .data = (void *)data, .len = length, .flags = CURL_BLOB_COPY };
    return curl_easy_setopt(handle, option, &blob);
}

static struct curl_certinfo *jarvis_certinfo(CURL *handle) {
    struct curl_certinfo *info = NULL;
    if (curl_easy_getinfo(handle, CURLINFO_CERTINFO, &info) != CURLE_OK) return NULL;
    return info;
}

int jarvis_curl_certinfo_count(CURL *handle) {
    struct curl_certinfo *info = jarvis_certinfo(handle);
    return info ? info->num_of_certs : 0;
}

const char *jarvis_curl_certinfo_field(CURL *handle, int index, const char *name) {
    struct curl_certinfo *info = jarvis_certinfo(handle);
    if (!info || index < 0 || index >= info->num_of_certs) return NULL;
    size_t length = strlen(name);
    for (struct curl_slist *item = info->certinfo[index]; item; item = item->next) {
        if (strncmp(item->data, name, length) == 0 && item->data[length] == ':') return item->data + length + 1;
    }
    return NULL;
}

static int jarvis_trace_callback(CURL *handle, curl_infotype type, char *data, size_t size, void *context) {
    (void)handle;
    if (type != CURLINFO_TEXT || !context) return 0;
    jarvis_curl_trace *trace = context;
    size_t capacity = sizeof(trace->text) - 1;
    if (size > capacity) { data += size - capacity; size = capacity; }
    if (trace->used + size > capacity) {
        size_t drop = trace->used + size - capacity;
        memmove(trace->text, trace->text + drop, trace->used - drop);
        trace->used -= drop;
    }
    memcpy(trace->text + trace->used, data, size);
    trace->used += size;
    trace->text[trace->used] = 0;
    return 0;
}

CURLcode jarvis_curl_trace_text(CURL *handle, jarvis_curl_trace *trace) {
    trace->used = 0;
    trace->text[0] = 0;
    curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, jarvis_trace_callback);
    curl_easy_setopt(handle, CURLOPT_DEBUGDATA, trace);
    return curl_easy_setopt(handle, CURLOPT_VERBOSE, 1L);
}
