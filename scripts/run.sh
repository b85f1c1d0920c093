#!/usr/bin/env bash
# `make run`: check the engine (or start the sandbox one), then run the stack.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
engine=${1:-system}; sandbox_dir=${2:-/tmp/jarvis-sandbox-engine}
if [ "$engine" = sandbox ]; then
  scripts_dir="$root/scripts"
  "$root/scripts/install-deps.sh" sandbox >/dev/null
  export DOCKER_HOST=$("$scripts_dir/sandbox-engine.sh" start "$sandbox_dir")
  trap '"$scripts_dir/sandbox-engine.sh" stop "$sandbox_dir"' EXIT
  echo "sandbox engine at $DOCKER_HOST (image jarvis-test/busybox imported)"
else
  host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  ok=1
  case "$host" in
    unix://*) curl -sf --max-time 3 --unix-socket "${host#unix://}" http://localhost/_ping >/dev/null 2>&1 || ok=0 ;;
    tcp://*) curl -sf --max-time 3 "http://${host#tcp://}/_ping" >/dev/null 2>&1 || ok=0 ;;
  esac
  if [ "$ok" = 0 ]; then
    cat >&2 <<MSG
No Docker engine answers at $host.
Start one (systemctl start docker), point DOCKER_HOST at one, or try Jarvis
with a private throw-away engine:   make run ENGINE=sandbox
MSG
    exit 1
  fi
fi
"$root/scripts/stack.sh"
