#!/usr/bin/env bash
# Development: a private engine, registry, two remote engines (network namespaces)
# and a stack from an existing build, then pytest on the e2e files named (all when
# none), in the phases of Tests/e2e/conftest.py as make test runs them. Nothing is rebuilt.
#   scripts/e2e.sh Tests/e2e/test_stacks.py -k volume
# Environment: JARVIS_TEST_PORT (18443; the registry takes port-3000),
# JARVIS_BIN (.build/debug; .build/release when you built that),
# JARVIS_E2E_WORKERS (3; 0 runs the files in one process, in file order).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/harness.sh
port=${JARVIS_TEST_PORT:-18443}
export JARVIS_BIN=${JARVIS_BIN:-.build/debug}
python_env
harness_start "$port"
harness_start_registry "$((port - 3000))"
harness_start_remote
harness_start_test_stack "$port"
[ $# -eq 0 ] && set -- Tests/e2e
harness_pytest "$@"
