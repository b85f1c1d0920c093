#!/usr/bin/env bash
# `make bench`: benchmarks against a private engine, ratios against the raw Engine API;
# then the host benchmarks (bench/hosts.py) against the remote engines.
# `scripts/bench.sh hosts [ARGS]` runs only bench/hosts.py; `scripts/bench.sh updates [ARGS]` only bench/updates.py.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/harness.sh
port=${JARVIS_BENCH_PORT:-18543}
scripts/install-deps.sh build run test
python_env
harness_start "$port"
harness_start_registry "$((port - 3000))"
harness_start_remote
release_build
# Host checks every 5 s instead of 60: bench/hosts.py sees several rounds, each with a pause after it.
export JARVIS_HOST_CHECK_INTERVAL=${JARVIS_HOST_CHECK_INTERVAL:-5}
# The harness's registry speaks plain HTTP: bench/updates.py checks images against it.
JARVIS_INSECURE_REGISTRIES=$registry harness_start_stack "$port"
export JARVIS_BENCH_URL="https://127.0.0.1:$port" JARVIS_BENCH_PASSWORD=$admin_password JARVIS_BENCH_DATA_DIR=$data_dir \
JARVIS_BENCH_REGISTRY=$registry JARVIS_BENCH_REGISTRY_USER=$registry_user JARVIS_BENCH_REGISTRY_PASSWORD=$registry_password
export JARVIS_BENCH_REGISTRY_LOG="$engine_dir/registry/registry.log"
if [ "${1:-}" = hosts ]; then shift; .venv-test/bin/python bench/hosts.py "$@"; exit; fi
if [ "${1:-}" = updates ]; then shift; .venv-test/bin/python bench/updates.py "$@"; exit; fi
.venv-test/bin/python bench/bench.py "$@"
.venv-test/bin/python bench/hosts.py
.venv-test/bin/python bench/updates.py
