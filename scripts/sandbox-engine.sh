#!/usr/bin/env bash
# A private Docker engine for tests and trying Jarvis out: its own socket, data
# root, exec root, pid file and cgroup parent; never the host's /var/run/docker.sock.
#   scripts/sandbox-engine.sh start DIR   -> prints the DOCKER_HOST to use
#   scripts/sandbox-engine.sh stop DIR
# DIR should be short (unix socket paths are limited to 108 bytes).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
sock="$dir/docker.sock"
# Its own bridge, so published ports work on 127.0.0.1 through docker-proxy;
# iptables stay untouched. Name and subnets derive from DIR: two sandboxes never clash.
hash=$(printf %s "$dir" | cksum | cut -d' ' -f1)
bridge="jv$((hash % 100000))"
octet=$((hash % 200 + 20))

ensure_bridge() {
  ip link show "$bridge" >/dev/null 2>&1 && return 0
  ip link add "$bridge" type bridge
  ip addr add "10.$octet.0.1/24" dev "$bridge"
  ip link set "$bridge" up
}

start_daemon() {
  local driver=$1
  ensure_bridge
  dockerd --host "unix://$sock" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
    --storage-driver "$driver" --bridge "$bridge" --default-address-pool "base=10.$octet.128.0/17,size=24" --iptables=false --ip6tables=false --ip-masq=false \
    --cgroup-parent jarvis-sandbox --log-level warn >>"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && return 0
    kill -0 $! 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

import_busybox() {
  local tag=jarvis-test/busybox:latest
  DOCKER_HOST="unix://$sock" docker image inspect "$tag" >/dev/null 2>&1 && return 0
  local rootfs; rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/www"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'jarvis test page' >"$rootfs/www/index.html"
  tar -C "$rootfs" -c . | DOCKER_HOST="unix://$sock" docker import -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
  rm -rf "$rootfs"
}

case "$cmd" in
  start)
    if ! curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
      rm -f "$dir/docker.pid" "$sock"
      start_daemon overlay2 || { echo "overlay2 failed, falling back to vfs" >&2; stop_pid=$(cat "$dir/docker.pid" 2>/dev/null || true); [ -n "$stop_pid" ] && kill "$stop_pid" 2>/dev/null; sleep 1; start_daemon vfs; } || {
        echo "private dockerd did not start; see $dir/dockerd.log" >&2; tail -20 "$dir/dockerd.log" >&2; exit 1; }
    fi
    import_busybox
    echo "unix://$sock"
    ;;
  stop)
    if [ -f "$dir/docker.pid" ]; then
      pid=$(cat "$dir/docker.pid")
      # Containers first, so their shims do not outlive the engine.
      DOCKER_HOST="unix://$sock" docker ps -q | DOCKER_HOST="unix://$sock" xargs -r docker rm -f >/dev/null 2>&1 || true
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ip link del "$bridge" 2>/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
