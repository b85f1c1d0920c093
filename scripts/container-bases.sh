#!/usr/bin/env bash
# Base images for building Jarvis's container image where no registry can be reached:
# Debian 12 made with debootstrap from Debian's packages, imported into the engine at
# $DOCKER_HOST under the names deploy/docker/Dockerfile uses.
#   debian:bookworm-slim   minbase, plus the runtime packages the Dockerfile would install
#   swift:6.3-bookworm     the same plus build packages and this machine's Swift toolchain
#                          (/opt/swift) and package mirror (/opt/swift-packages)
# Root filesystems are cached in $JARVIS_BASE_CACHE (default /var/cache/jarvis-bases).
set -euo pipefail
cache=${JARVIS_BASE_CACHE:-/var/cache/jarvis-bases}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache/debs"
runtime=$(sed -n 's/^ARG RUNTIME_PACKAGES="\(.*\)"$/\1/p' "$(dirname "$0")/../deploy/docker/Dockerfile")
build=$(sed -n 's/^ARG BUILD_PACKAGES="\(.*\)"$/\1/p' "$(dirname "$0")/../deploy/docker/Dockerfile")
[ -n "$runtime" ] && [ -n "$build" ] || { echo "cannot read the package lists from the Dockerfile" >&2; exit 1; }

rootfs() {  # name, packages
  local dir="$cache/$1"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    debootstrap --variant=minbase --cache-dir="$cache/debs" --include="$(echo "$2" | tr ' ' ,)" bookworm "$dir" "$mirror" >"$cache/$1.log" 2>&1 \
      || { tail -20 "$cache/$1.log" >&2; exit 1; }
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb
    touch "$dir/.done"
  fi
  echo "$dir"
}

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  dir=$(rootfs debian "$runtime")
  tar -C "$dir" --exclude=./.done -c . | docker import - debian:bookworm-slim >/dev/null
fi
if ! docker image inspect swift:6.3-bookworm >/dev/null 2>&1; then
  dir=$(rootfs swift "$runtime $build")
  if [ ! -f "$dir/.toolchain" ]; then
    mkdir -p "$dir/opt"
    cp -a /opt/swift "$dir/opt/"
    cp -a /opt/swift-packages "$dir/opt/"
    # Package URLs resolve to the local mirror, as on this machine.
    git config --file "$dir/etc/gitconfig" --replace-all url./opt/swift-packages/.insteadOf https://github.com/
    touch "$dir/.toolchain"
  fi
  tar -C "$dir" --exclude=./.done --exclude=./.toolchain -c . \
    | docker import --change 'ENV PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - swift:6.3-bookworm >/dev/null
fi
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(debian:bookworm-slim|swift:6.3-bookworm) '
