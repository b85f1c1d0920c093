#!/usr/bin/env bash
# Installs the Debian packages Jarvis needs that are missing. Groups:
#   build  - compile the package     run - serve it     test - the test suite
set -euo pipefail
declare -A groups=(
  [build]="libfcgi-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev libpcre2-dev pkg-config"
  [run]="nginx-light openssl openssh-client curl docker.io libjs-xterm node-xterm libjs-codemirror libjs-chart.js python3"
  [sandbox]="busybox-static iproute2"
  [test]="busybox-static iproute2 sqlite3 chromium chromium-driver python3-venv docker-registry apache2-utils systemd socat git docker-compose apache2 libapache2-mod-fcgid lighttpd spawn-fcgi debootstrap fonts-wqy-microhei openssh-server openssh-client util-linux"
)
wanted=""
[ $# -eq 0 ] && set -- build run
for group in "$@"; do wanted+=" ${groups[$group]}"; done
missing=""
for package in $wanted; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=" $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then echo "missing Debian packages:$missing (run as root, or install them)" >&2; exit 1; fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx's and docker's postinst try to start services; there may be no init system.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends $missing >/dev/null
