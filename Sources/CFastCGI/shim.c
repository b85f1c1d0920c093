#include <stdlib.h>
#include "CFastCGI.h"

FCGX_Request *jarvis_fcgx_request_new(int listen_fd) {
    FCGX_Request *request = calloc(1, sizeof(FCGX_Request));
    FCGX_InitRequest(request, listen_fd, 0);
    return request;
}
void jarvis_fcgx_request_free(FCGX_Request *request) { FCGX_Free(request, 1); free(request); }
FCGX_Stream *jarvis_fcgx_in(FCGX_Request *request) { return request->in; }
FCGX_Stream *jarvis_fcgx_out(FCGX_Request *request) { return request->out; }
FCGX_ParamArray jarvis_fcgx_envp(FCGX_Request *request) { return request->envp; }
