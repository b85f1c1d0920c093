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

step "private registry"
harness_start_registry "$((port - 3000))"

step "remote engines (network namespaces)"
harness_start_remote

step "build (release, for the stack)"
release_build

step "Swift tests (unit + engine integration)"
JARVIS_TEST_DOCKER_HOST=$DOCKER_HOST JARVIS_REQUIRE_ENGINE=1 swift test 2>&1 \
  | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)|^Test Case .* (started|passed)|^✔ Test run with 0 tests'

step "stack on https://127.0.0.1:$port"
# Short terminal idle limit, so the idle-close test takes seconds, not half an hour.
# A 64 MiB upload limit, so the oversize test sends little.
JARVIS_TERMINAL_IDLE_SECONDS=10 JARVIS_UPLOAD_MAX_BYTES=67108864 JARVIS_HOST_CHECK_INTERVAL=2 harness_start_stack "$port"

step "end-to-end and browser tests"
status=0
JARVIS_E2E_URL="https://127.0.0.1:$port" JARVIS_E2E_PASSWORD=$admin_password JARVIS_E2E_DOCKER_HOST=$DOCKER_HOST \
JARVIS_E2E_DATA_DIR=$data_dir JARVIS_E2E_ENGINE_DIR=$engine_dir JARVIS_E2E_TERMINAL_IDLE=10 \
JARVIS_E2E_UPLOAD_MAX=67108864 JARVIS_E2E_REGISTRY=$registry JARVIS_E2E_REGISTRY_USER=$registry_user JARVIS_E2E_REGISTRY_PASSWORD=$registry_password \
  .venv-test/bin/pytest -q -p no:cacheprovider Tests/e2e || status=$?

step "API fuzzing (schemathesis against openapi.yaml, as admin, bounded)"
# Excluded: streams (SSE), calls that would end the fuzzer's own session
# (logout, session revocation, password changes), and pulls and builds, whose
# random names would send the engine to registries on the internet.
token=$(curl -sf --cacert "$data_dir/etc/tls.crt" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" "https://127.0.0.1:$port/api/v1/auth/login" \
  | .venv-test/bin/python -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
fuzz_status=0
.venv-test/bin/schemathesis run openapi.yaml -u "https://127.0.0.1:$port" -H "Authorization: Bearer $token" \
  --tls-verify "$data_dir/etc/tls.crt" -n "${JARVIS_FUZZ_EXAMPLES:-10}" --seed 20261122 --request-timeout 90 \
  -c not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path-regex '(logs/follow$|ws/terminal|events$|auth/logout|revoke-others|/sessions$|auth/login|auth/refresh|password$|images/(pull|build|load)$|/retry$)' \
  >"$data_dir/fuzz.log" 2>&1 || fuzz_status=$?
sed -n '/SUMMARY/,$p' "$data_dir/fuzz.log"
[ "$fuzz_status" = 0 ] || { grep -E '^_+ |- ST|Reproduce|curl ' "$data_dir/fuzz.log" | head -40; status=1; }
generated=$(grep -oE '[0-9]+ generated' "$data_dir/fuzz.log" | grep -oE '[0-9]+' || echo 0)
passed=$(grep -oE '[0-9]+ passed' "$data_dir/fuzz.log" | tail -1 | grep -oE '[0-9]+' || echo 0)
echo "fuzz: $passed passed, $((generated - passed)) failed"

if [ "$status" != 0 ]; then
  echo "--- last server log lines ---" >&2
  tail -n 40 "$data_dir"/logs/*.log >&2 || true
fi
exit "$status"
