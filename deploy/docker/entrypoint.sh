#!/bin/bash
# The container's supervisor: a TLS certificate on first start, then nginx,
# jarvis-sse and jarvis-fcgi; when one of them ends, the others are stopped and
# the container exits (the restart policy brings it back). SIGTERM stops all three.
set -euo pipefail
data=$JARVIS_DATA_DIR
mkdir -p "$data/tls" /run/jarvis "$JARVIS_STACKS_DIR"
if [ ! -f "$data/tls/tls.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=${JARVIS_TLS_NAME:-localhost}" \
    -addext "subjectAltName=DNS:${JARVIS_TLS_NAME:-localhost},DNS:localhost,IP:127.0.0.1" \
    -keyout "$data/tls/tls.key" -out "$data/tls/tls.crt" 2>/dev/null
  chmod 600 "$data/tls/tls.key"
fi
sed -e "s|@LISTEN@|$JARVIS_HTTPS_PORT|" -e "s|@SERVER_NAME@|_|" \
    -e "s|@TLS_CERT@|$data/tls/tls.crt|" -e "s|@TLS_KEY@|$data/tls/tls.key|" \
    -e "s|@PUBLIC_DIR@|/usr/local/share/jarvis/public|" -e "s|@FCGI_SOCKET@|$JARVIS_FCGI_SOCKET|" \
    -e "s|@SSE_SOCKET@|$JARVIS_SSE_SOCKET|" -e "s|@UPLOAD_MAX@|${JARVIS_NGINX_UPLOAD_MAX:-20g}|" \
    /usr/local/share/jarvis/nginx-site.conf >/etc/nginx/sites-enabled/jarvis
# nginx runs its workers as www-data and Jarvis as root: the sockets (in this container's own /run) are open to both.
export JARVIS_FCGI_SOCKET_MODE=666

pids=()
stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait; exit 0; }
trap stop TERM INT
/usr/local/bin/jarvis-sse & pids+=($!)
/usr/local/bin/jarvis-fcgi & pids+=($!)
nginx -g 'daemon off;' & pids+=($!)
set +e
wait -n
status=$?
echo "jarvis-container: a process ended (status $status); stopping the others" >&2
kill -TERM "${pids[@]}" 2>/dev/null
wait
exit "${status:-1}"
