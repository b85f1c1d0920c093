#!/usr/bin/env bash
# `make test`: everything CI checks, from a clean checkout on Debian 12 as root.
# Installs what is missing, starts a private engine and a stack on
# $JARVIS_TEST_PORT (18443), runs Swift and end-to-end tests, cleans up.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${JARVIS_TEST_PORT:-18443}
password="e2e-admin-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh build run test
if [ ! -x .venv-test/bin/pytest ]; then
  python3 -m venv .venv-test
  .venv-test/bin/pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
fi

engine_dir=$(mktemp -d /tmp/jv-engine.XXXXXX)
data_dir=$(mktemp -d /tmp/jv-data.XXXXXX)
stack_pid=""
cleanup() {
  [ -n "$stack_pid" ] && kill -TERM "$stack_pid" 2>/dev/null && wait "$stack_pid" 2>/dev/null || true
  scripts/sandbox-engine.sh stop "$engine_dir" || true
  rm -rf "$engine_dir" "$data_dir" 2>/dev/null || true
}
trap cleanup EXIT

step "private engine"
export DOCKER_HOST
DOCKER_HOST=$(scripts/sandbox-engine.sh start "$engine_dir")
echo "engine: $DOCKER_HOST"

step "build (release, for the stack)"
swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)'
test -x .build/release/jarvis-fcgi

step "Swift tests (unit + engine integration)"
JARVIS_TEST_DOCKER_HOST=$DOCKER_HOST JARVIS_REQUIRE_ENGINE=1 swift test 2>&1 \
  | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)|^Test Case .* (started|passed)' 

step "stack on https://127.0.0.1:$port"
JARVIS_BIN=.build/release JARVIS_DATA_DIR=$data_dir JARVIS_HTTPS_PORT=$port JARVIS_ADMIN_PASSWORD=$password \
  scripts/stack.sh >"$data_dir/stack.out" 2>&1 &
stack_pid=$!
for _ in $(seq 1 100); do
  curl -skf "https://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
  kill -0 "$stack_pid" 2>/dev/null || { cat "$data_dir/stack.out" "$data_dir"/logs/*.log >&2; exit 1; }
  sleep 0.2
done

step "end-to-end and browser tests"
status=0
JARVIS_E2E_URL="https://127.0.0.1:$port" JARVIS_E2E_PASSWORD=$password JARVIS_E2E_DOCKER_HOST=$DOCKER_HOST \
JARVIS_E2E_DATA_DIR=$data_dir JARVIS_E2E_ENGINE_DIR=$engine_dir \
  .venv-test/bin/pytest -q -p no:cacheprovider Tests/e2e || status=$?
if [ "$status" != 0 ]; then
  echo "--- last server log lines ---" >&2
  tail -n 40 "$data_dir"/logs/*.log >&2 || true
fi
exit "$status"
