#!/usr/bin/env bash
# `make bench`: benchmarks against a private engine, ratios against the raw Engine API.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/harness.sh
port=${JARVIS_BENCH_PORT:-18543}
scripts/install-deps.sh build run test
python_env
harness_start "$port"
harness_start_registry "$((port - 3000))"
release_build
harness_start_stack "$port"
JARVIS_BENCH_URL="https://127.0.0.1:$port" JARVIS_BENCH_PASSWORD=$admin_password JARVIS_BENCH_DATA_DIR=$data_dir \
JARVIS_BENCH_REGISTRY=$registry JARVIS_BENCH_REGISTRY_USER=$registry_user JARVIS_BENCH_REGISTRY_PASSWORD=$registry_password \
  .venv-test/bin/python bench/bench.py "$@"
