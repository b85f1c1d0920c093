#!/usr/bin/env bash
# `make test`: everything CI checks, from a clean checkout on Debian 12 as root.
# Installs what is missing, starts a private engine and a stack on
# $JARVIS_TEST_PORT (18443), runs Swift and end-to-end tests, cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/harness.sh
port=${JARVIS_TEST_PORT:-18443}
step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh build run test
python_env

step "private engine"
harness_start "$port"

step "build (release, for the stack)"
release_build

step "Swift tests (unit + engine integration)"
JARVIS_TEST_DOCKER_HOST=$DOCKER_HOST JARVIS_REQUIRE_ENGINE=1 swift test 2>&1 \
  | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)|^Test Case .* (started|passed)|^✔ Test run with 0 tests'

step "stack on https://127.0.0.1:$port"
harness_start_stack "$port"

step "end-to-end and browser tests"
status=0
JARVIS_E2E_URL="https://127.0.0.1:$port" JARVIS_E2E_PASSWORD=$admin_password JARVIS_E2E_DOCKER_HOST=$DOCKER_HOST \
JARVIS_E2E_DATA_DIR=$data_dir JARVIS_E2E_ENGINE_DIR=$engine_dir \
  .venv-test/bin/pytest -q -p no:cacheprovider Tests/e2e || status=$?
if [ "$status" != 0 ]; then
  echo "--- last server log lines ---" >&2
  tail -n 40 "$data_dir"/logs/*.log >&2 || true
fi
exit "$status"
