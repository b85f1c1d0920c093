#ifndef JARVIS_CFASTCGI_H
#define JARVIS_CFASTCGI_H
#include <fcgiapp.h>

// FCGX_Request is a plain struct; Swift allocates it through these so the
// layout stays libfcgi's business.
FCGX_Request *_Nonnull jarvis_fcgx_request_new(int listen_fd);
void jarvis_fcgx_request_free(FCGX_Request *_Nonnull request);
FCGX_Stream *_Nullable jarvis_fcgx_in(FCGX_Request *_Nonnull request);
FCGX_Stream *_Nullable jarvis_fcgx_out(FCGX_Request *_Nonnull request);
FCGX_ParamArray _Nullable jarvis_fcgx_envp(FCGX_Request *_Nonnull request);
#endif
