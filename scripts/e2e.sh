#!/usr/bin/env bash
# Development: a private engine, registry, two remote engines (network namespaces)
# and a stack from an existing build, then pytest on the e2e files named (all when
# none). Nothing is rebuilt.
#   scripts/e2e.sh Tests/e2e/test_stacks.py -k volume
# Environment: JARVIS_TEST_PORT (18443; the registry takes port-3000),
# JARVIS_BIN (.build/debug; .build/release when you built that).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/harness.sh
port=${JARVIS_TEST_PORT:-18443}
export JARVIS_BIN=${JARVIS_BIN:-.build/debug}
python_env
harness_start "$port"
harness_start_registry "$((port - 3000))"
harness_start_remote
JARVIS_TERMINAL_IDLE_SECONDS=10 JARVIS_UPLOAD_MAX_BYTES=67108864 JARVIS_HOST_CHECK_INTERVAL=2 harness_start_stack "$port"
[ $# -eq 0 ] && set -- Tests/e2e
JARVIS_E2E_URL="https://127.0.0.1:$port" JARVIS_E2E_PASSWORD=$admin_password JARVIS_E2E_DOCKER_HOST=$DOCKER_HOST \
JARVIS_E2E_DATA_DIR=$data_dir JARVIS_E2E_ENGINE_DIR=$engine_dir JARVIS_E2E_TERMINAL_IDLE=10 \
JARVIS_E2E_UPLOAD_MAX=67108864 JARVIS_E2E_REGISTRY=$registry JARVIS_E2E_REGISTRY_USER=$registry_user JARVIS_E2E_REGISTRY_PASSWORD=$registry_password \
  .venv-test/bin/pytest -q -p no:cacheprovider "$@"
