#!/usr/bin/env bash
# `make install` / `make uninstall`: Jarvis as a native service (systemd + nginx).
#
#   scripts/install.sh install     binaries, UI, nginx site, units, config, user, data folder, keys, TLS
#   scripts/install.sh uninstall   program files only; PURGE=1 also removes config, data and keys
#
# Environment: PREFIX (/usr/local), DESTDIR (staging root, empty for the live system),
# STACKS_DIR (/opt/stacks), JARVIS_LISTEN (443), JARVIS_SERVER_NAME (_), BIN_DIR (.build/release),
# JARVIS_START (1: enable and start the units when systemd runs and DESTDIR is empty).
# Idempotent: a second run changes nothing an operator edited (the new version of an
# edited file is written beside it as *.dist) and keeps data; servers migrate at start.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-install}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
STACKS_DIR=${STACKS_DIR:-/opt/stacks}
BIN_DIR=${BIN_DIR:-.build/release}
LISTEN=${JARVIS_LISTEN:-443}
SERVER_NAME=${JARVIS_SERVER_NAME:-_}
USER_NAME=jarvis
root=$DESTDIR
bindir=$root$PREFIX/bin
sharedir=$root$PREFIX/share/jarvis
docdir=$root$PREFIX/share/doc/jarvis
confdir=$root/etc/jarvis
statedir=$root/var/lib/jarvis
unitdir=$root/etc/systemd/system
sitefile=$root/etc/nginx/sites-available/jarvis
say() { printf 'jarvis: %s\n' "$*"; }

# Writes $2 from the text on stdin unless an operator changed the file we wrote last
# time: then the new text goes to $2.dist and the operator's version stays.
install_text() {
  local mode=$1 path=$2 owner=${3:-root:root} text pristine
  text=$(cat)
  # What we wrote last time, to tell an operator's edit from our old default.
  pristine="$confdir/.installed/$(printf '%s' "${path#"$root"}" | tr / _)"
  mkdir -p "$(dirname "$path")" "$confdir/.installed"
  chmod 0700 "$confdir/.installed"
  if [ -f "$path" ] && [ "$(cat "$path")" != "$text" ]; then
    if [ -f "$pristine" ] && [ "$(cat "$pristine")" = "$(cat "$path")" ]; then
      : # ours, unchanged since: replace it
    else
      printf '%s\n' "$text" >"$path.dist"
      say "kept your $path; the new default is $path.dist"
      return
    fi
  fi
  printf '%s\n' "$text" >"$path.tmp"
  chmod "$mode" "$path.tmp"
  chown "$owner" "$path.tmp"
  mv "$path.tmp" "$path"
  printf '%s\n' "$text" >"$pristine"
}

install_all() {
  for binary in jarvis-fcgi jarvis-sse jarvisctl; do
    [ -x "$BIN_DIR/$binary" ] || { echo "missing $BIN_DIR/$binary: run make build first" >&2; exit 1; }
  done
  [ -f public/lib/generated/xterm.js ] || scripts/bundle-xterm.py public/lib/generated/xterm.js

  # The service account: in group docker for the engine socket; nginx's user joins group jarvis for our sockets.
  if ! getent passwd "$USER_NAME" >/dev/null; then
    useradd --system --home-dir /var/lib/jarvis --no-create-home --shell /usr/sbin/nologin --user-group "$USER_NAME"
    say "created system user $USER_NAME"
  fi
  getent group docker >/dev/null && usermod -aG docker "$USER_NAME"
  getent passwd www-data >/dev/null && usermod -aG "$USER_NAME" www-data

  install -d -m 0755 "$bindir" "$sharedir" "$docdir"
  for binary in jarvis-fcgi jarvis-sse jarvisctl; do
    install -m 0755 -o root -g root "$BIN_DIR/$binary" "$bindir/$binary.new"
    mv "$bindir/$binary.new" "$bindir/$binary"
  done
  # The UI is replaced whole: a file removed upstream must not linger.
  rm -rf "$sharedir/public.new"
  cp -r public "$sharedir/public.new"
  find "$sharedir/public.new" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
  chown -R root:root "$sharedir/public.new"
  rm -rf "$sharedir/public.old"
  [ -d "$sharedir/public" ] && mv "$sharedir/public" "$sharedir/public.old"
  mv "$sharedir/public.new" "$sharedir/public"
  rm -rf "$sharedir/public.old"
  # The built-in app templates, replaced whole as the UI is.
  rm -rf "$sharedir/templates.new"
  cp -r templates "$sharedir/templates.new"
  find "$sharedir/templates.new" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
  chown -R root:root "$sharedir/templates.new"
  rm -rf "$sharedir/templates"
  mv "$sharedir/templates.new" "$sharedir/templates"
  install -m 0644 README.md docs/*.md "$docdir/"

  # Config, data, keys, stacks.
  install -d -m 0750 -o root -g "$USER_NAME" "$confdir"
  sed -e "s|^stacks_dir = .*|stacks_dir = $STACKS_DIR|" deploy/jarvis.conf | install_text 0640 "$confdir/jarvis.conf" "root:$USER_NAME"
  install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$statedir" "$statedir/backups"
  install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$statedir/keys"
  for key in jwt-signing.key secrets.key; do
    if [ ! -s "$statedir/keys/$key" ]; then
      (umask 077; head -c 32 /dev/urandom >"$statedir/keys/$key")
      say "created $key"
    fi
    chown "$USER_NAME:$USER_NAME" "$statedir/keys/$key"
    chmod 0600 "$statedir/keys/$key"
  done
  install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$root$STACKS_DIR"

  # TLS: a self-signed certificate unless one is there (an operator's own, or ours from before).
  if [ ! -f "$confdir/tls.crt" ]; then
    local host
    host=$(hostname -f 2>/dev/null || hostname)
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$host" \
      -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" \
      -keyout "$confdir/tls.key" -out "$confdir/tls.crt" 2>/dev/null
    chmod 0600 "$confdir/tls.key"
    chmod 0644 "$confdir/tls.crt"
    say "created a self-signed certificate for $host ($confdir/tls.crt); point the nginx site at your own to replace it"
  fi

  # nginx site (enabled) and systemd units, with this install's paths.
  sed -e "s|@LISTEN@|$LISTEN|" -e "s|@SERVER_NAME@|$SERVER_NAME|" \
      -e "s|@TLS_CERT@|/etc/jarvis/tls.crt|" -e "s|@TLS_KEY@|/etc/jarvis/tls.key|" \
      -e "s|@PUBLIC_DIR@|$PREFIX/share/jarvis/public|" -e "s|@FCGI_SOCKET@|/run/jarvis/jarvis-fcgi.sock|" \
      -e "s|@SSE_SOCKET@|/run/jarvis/jarvis-sse.sock|" -e "s|@UPLOAD_MAX@|20g|" deploy/nginx/jarvis.conf \
    | install_text 0644 "$sitefile"
  mkdir -p "$root/etc/nginx/sites-enabled"
  ln -sfn ../sites-available/jarvis "$root/etc/nginx/sites-enabled/jarvis"
  for unit in jarvis-fcgi jarvis-sse; do
    sed -e "s|/usr/local/bin/|$PREFIX/bin/|" -e "s|/usr/local/share/doc/jarvis/|$PREFIX/share/doc/jarvis/|" \
        -e "s|-/opt/stacks|-$STACKS_DIR|" "deploy/systemd/$unit.service" | install_text 0644 "$unitdir/$unit.service"
  done
  say "installed into ${DESTDIR:-/} (prefix $PREFIX)"

  # The store is made (or migrated) by its owner, so no file in it ever belongs to root.
  if [ -z "$DESTDIR" ]; then
    runuser -u "$USER_NAME" -- env JARVIS_CONFIG=/etc/jarvis/jarvis.conf "$PREFIX/bin/jarvisctl" migrate >/dev/null
  fi
  if [ -z "$DESTDIR" ] && [ "${JARVIS_START:-1}" = 1 ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable jarvis-fcgi jarvis-sse >/dev/null
    # An upgrade: the new binaries start, and migrate the store, now.
    systemctl restart jarvis-fcgi jarvis-sse
    nginx -t && systemctl reload nginx
    say "running: https://$(hostname -f 2>/dev/null || hostname)/ (the first admin password is in: journalctl -u jarvis-fcgi)"
  elif [ -z "$DESTDIR" ]; then
    say "no systemd here: start $PREFIX/bin/jarvis-fcgi and jarvis-sse as user $USER_NAME with JARVIS_CONFIG=/etc/jarvis/jarvis.conf (see docs/install.md)"
  fi
}

uninstall_all() {
  if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
    systemctl disable --now jarvis-fcgi jarvis-sse 2>/dev/null || true
  fi
  rm -f "$bindir/jarvis-fcgi" "$bindir/jarvis-sse" "$bindir/jarvisctl"
  rm -rf "$sharedir" "$docdir"
  rm -f "$unitdir/jarvis-fcgi.service"* "$unitdir/jarvis-sse.service"* "$root/etc/nginx/sites-enabled/jarvis" "$sitefile"*
  rm -f "$confdir/.installed/"*etc_systemd* "$confdir/.installed/"*etc_nginx*
  if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    nginx -t 2>/dev/null && systemctl reload nginx || true
  fi
  if [ "${PURGE:-0}" = 1 ]; then
    rm -rf "$confdir" "$statedir"
    say "removed the program, config, data and keys (stacks in $STACKS_DIR are left alone)"
  else
    say "removed the program; kept $confdir and $statedir (PURGE=1 removes them too)"
  fi
}

case "$action" in
  install) install_all ;;
  uninstall) uninstall_all ;;
  *) echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
