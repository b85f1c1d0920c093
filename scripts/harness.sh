# Sourced by scripts/test.sh and scripts/bench.sh: a private engine plus a
# Jarvis stack (release build) on 127.0.0.1:$port, torn down on exit.
# Sets: DOCKER_HOST, engine_dir, data_dir, admin_password, stack_pid.

harness_start() {
  local port=$1
  engine_dir=$(mktemp -d /tmp/jv-engine.XXXXXX)
  # Others may pass through to the socket (group docker, 0660): the install test serves as user jarvis.
  chmod 0711 "$engine_dir"
  data_dir=$(mktemp -d /tmp/jv-data.XXXXXX)
  admin_password="jarvis-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  stack_pid=""
  trap harness_stop EXIT
  export DOCKER_HOST
  DOCKER_HOST=$(scripts/sandbox-engine.sh start "$engine_dir")
  echo "private engine: $DOCKER_HOST"
}

harness_start_stack() {
  local port=$1
  JARVIS_BIN=${JARVIS_BIN:-.build/release} JARVIS_DATA_DIR=$data_dir JARVIS_HTTPS_PORT=$port JARVIS_ADMIN_PASSWORD=$admin_password \
    scripts/stack.sh >"$data_dir/stack.out" 2>&1 &
  stack_pid=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$data_dir/etc/tls.crt" "https://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && return 0
    kill -0 "$stack_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "the stack did not come up:" >&2
  cat "$data_dir/stack.out" "$data_dir"/logs/*.log >&2 || true
  return 1
}

# A private registry (Debian's docker-registry) on 127.0.0.1 with htpasswd
# auth, holding $registry/jarvis/busybox:1.0 (busybox plus a 3 MB layer).
# Sets: registry, registry_user, registry_password.
harness_start_registry() {
  local port=$1 dir="$engine_dir/registry"
  mkdir -p "$dir/data" "$dir/cli"
  registry="127.0.0.1:$port"
  registry_user=jarvis
  registry_password="reg-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  htpasswd -Bbn "$registry_user" "$registry_password" >"$dir/htpasswd" 2>/dev/null
  cat >"$dir/config.yml" <<YML
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $dir/data }, delete: { enabled: true } }
http: { addr: "$registry" }
auth: { htpasswd: { realm: jarvis-test, path: $dir/htpasswd } }
YML
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$registry/v2/")" = 401 ] && break
    sleep 0.2
  done
  DOCKER_CONFIG="$dir/cli" docker login -u "$registry_user" --password-stdin "$registry" <<<"$registry_password" >/dev/null 2>&1
  # A layer of its own on top of busybox, so a pull has something to download.
  local cid
  cid=$(docker create --network none jarvis-test/busybox:latest sh -c 'head -c 3000000 /dev/urandom > /payload')
  docker start -a "$cid" >/dev/null
  docker commit "$cid" "$registry/jarvis/busybox:1.0" >/dev/null
  docker rm "$cid" >/dev/null
  DOCKER_CONFIG="$dir/cli" docker push -q "$registry/jarvis/busybox:1.0" >/dev/null
  docker rmi "$registry/jarvis/busybox:1.0" >/dev/null
  echo "private registry: $registry (htpasswd user $registry_user)"
}

# Two more engines in network namespaces (scripts/remote-engines.sh: TLS, SSH, a far
# one behind a delaying proxy), pulling from $registry at the same reference.
# Sets remote_dir; exports JARVIS_REMOTE_ENGINES (the directory holding hosts.json).
harness_start_remote() {
  remote_dir=$(mktemp -d /tmp/jv-rem.XXXXXX)
  export JARVIS_REMOTE_ENGINES=$remote_dir
  scripts/remote-engines.sh start "$remote_dir" "${registry:-}" >/dev/null
  echo "remote engines: $remote_dir/hosts.json"
}

harness_stop() {
  if [ -n "${stack_pid:-}" ]; then kill -TERM "$stack_pid" 2>/dev/null && wait "$stack_pid" 2>/dev/null || true; fi
  if [ -n "${registry_pid:-}" ]; then kill -TERM "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null || true; fi
  if [ -n "${remote_dir:-}" ]; then scripts/remote-engines.sh stop "$remote_dir" || true; rm -rf "$remote_dir"; fi
  scripts/sandbox-engine.sh stop "$engine_dir" || true
  rm -rf "$engine_dir" "$data_dir" 2>/dev/null || true
}

release_build() {
  swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)'
  test -x .build/release/jarvis-fcgi
}

python_env() {
  # Reinstall when the requirements changed since the last install.
  if [ ! -f .venv-test/installed ] || [ Tests/e2e/requirements.txt -nt .venv-test/installed ]; then
    [ -x .venv-test/bin/pip ] || python3 -m venv .venv-test
    .venv-test/bin/pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
    touch .venv-test/installed
  fi
}
