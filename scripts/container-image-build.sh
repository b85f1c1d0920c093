#!/usr/bin/env bash
# Builds deploy/docker/Dockerfile as TAG (default jarvis:e2e) on the engine at $DOCKER_HOST,
# offline: the Debian bases first (scripts/container-bases.sh), then `docker build` with its
# containers in a cgroup of the least CPU weight, so the build takes only the CPU that runs
# beside it leave idle (make test starts it when its engine is up; the release build, the
# Swift tests and the end-to-end tests keep their speed). test_container_image.py checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-jarvis:e2e}
cgroup=jarvis-e2e-build
scripts/container-bases.sh
parent=()
if [ -d /sys/fs/cgroup/cpu ]; then  # cgroup v1: the cpu controller's own tree
  mkdir -p "/sys/fs/cgroup/cpu/$cgroup" && echo 2 >"/sys/fs/cgroup/cpu/$cgroup/cpu.shares" && parent=(--cgroup-parent "$cgroup")
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then  # cgroup v2
  mkdir -p "/sys/fs/cgroup/$cgroup" && echo 1 >"/sys/fs/cgroup/$cgroup/cpu.weight" && parent=(--cgroup-parent "$cgroup")
fi 2>/dev/null || echo "no low-priority cgroup here: the image builds at normal priority" >&2
started=$SECONDS
docker build -q "${parent[@]}" -f deploy/docker/Dockerfile -t "$tag" .
echo "built $tag in $((SECONDS - started)) s"
