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

# The settings the end-to-end files expect of the stack (scripts/test.sh and scripts/e2e.sh
# start it the same way): a short terminal idle limit, so the idle-close test takes seconds;
# a 64 MiB upload limit, so the oversize test sends little; fast host checks and notification
# retries; a disk-use threshold every engine is above; the update tests' own registry and its
# token-auth front over HTTP.
harness_start_test_stack() {
  local port=$1
  JARVIS_TERMINAL_IDLE_SECONDS=10 JARVIS_UPLOAD_MAX_BYTES=67108864 JARVIS_HOST_CHECK_INTERVAL=2 JARVIS_NOTIFY_RETRY_SECONDS=1 \
    JARVIS_NOTIFY_MAX_ATTEMPTS=3 JARVIS_NOTIFY_DISK_BYTES=1 JARVIS_INSECURE_REGISTRIES="127.0.0.1:$((port - 2990)),127.0.0.1:$((port - 2989))" \
    harness_start_stack "$port"
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

# scripts/container-image-build.sh in the background from here on, at the least CPU
# priority, on a private engine of its own: what the tests do to theirs (prune dangling
# images, stop the engine) never meets a build in progress. test_container_image.py waits
# for the result (JARVIS_E2E_IMAGE_BUILD names the .log and the .status file) and moves the
# image over (JARVIS_E2E_IMAGE_ENGINE). Its own session, so that harness_stop can end it.
harness_start_image_build() {
  image_engine_dir=$(mktemp -d /tmp/jv-imgeng.XXXXXX)
  export JARVIS_E2E_IMAGE_ENGINE JARVIS_E2E_IMAGE_BUILD="$image_engine_dir/image-build"
  JARVIS_E2E_IMAGE_ENGINE=$(scripts/sandbox-engine.sh start "$image_engine_dir")
  DOCKER_HOST=$JARVIS_E2E_IMAGE_ENGINE setsid bash -c \
    'scripts/container-image-build.sh jarvis:e2e >"$0.log" 2>&1; echo $? >"$0.status"' "$JARVIS_E2E_IMAGE_BUILD" &
  image_build_pid=$!
}

harness_stop() {
  if [ -n "${image_build_pid:-}" ] && [ ! -f "$JARVIS_E2E_IMAGE_BUILD.status" ]; then
    kill -TERM -- "-$image_build_pid" 2>/dev/null && wait "$image_build_pid" 2>/dev/null || true
  fi
  if [ -n "${image_engine_dir:-}" ]; then scripts/sandbox-engine.sh stop "$image_engine_dir" || true; rm -rf "$image_engine_dir"; fi
  if [ -n "${stack_pid:-}" ]; then kill -TERM "$stack_pid" 2>/dev/null && wait "$stack_pid" 2>/dev/null || true; fi
  if [ -n "${registry_pid:-}" ]; then kill -TERM "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null || true; fi
  if [ -n "${remote_dir:-}" ]; then scripts/remote-engines.sh stop "$remote_dir" || true; rm -rf "$remote_dir"; fi
  scripts/sandbox-engine.sh stop "$engine_dir" || true
  rm -rf "$engine_dir" "$data_dir" 2>/dev/null || true
}

# The end-to-end files against the running stack (the JARVIS_E2E_* settings of the stack
# above), in the phases of Tests/e2e/conftest.py: the parallel files over
# $JARVIS_E2E_WORKERS pytest-xdist workers (default 3; 0 runs all files in one process, in
# file order) with the background files in a process of their own beside them, then the
# serial ones. Each phase prints its own pytest summary; the last lines add them up and
# name every failed test. Arguments go to each pytest (files, -k ...). Returns non-zero
# when a phase failed, 5 when no phase ran a test.
harness_pytest() {
  export JARVIS_E2E_URL="https://127.0.0.1:$port" JARVIS_E2E_PASSWORD=$admin_password JARVIS_E2E_DOCKER_HOST=$DOCKER_HOST \
    JARVIS_E2E_DATA_DIR=$data_dir JARVIS_E2E_ENGINE_DIR=$engine_dir JARVIS_E2E_TERMINAL_IDLE=10 \
    JARVIS_E2E_UPLOAD_MAX=67108864 JARVIS_E2E_REGISTRY=$registry JARVIS_E2E_REGISTRY_USER=$registry_user \
    JARVIS_E2E_REGISTRY_PASSWORD=$registry_password
  local workers=${JARVIS_E2E_WORKERS:-3} results="$data_dir/e2e-results" code failed=0 ran=0 started=$SECONDS
  local pytest=(.venv-test/bin/pytest -q -p no:cacheprovider --durations=5) codes=()
  mkdir -p "$results"; rm -f "$results"/*.xml
  if [ "$workers" = 0 ]; then
    code=0; "${pytest[@]}" --junitxml="$results/all.xml" "$@" || code=$?; codes+=("$code")
  else
    local bg_pid
    "${pytest[@]}" -m background --junitxml="$results/background.xml" "$@" >"$results/background.log" 2>&1 &
    bg_pid=$!
    printf '\n--- e2e: parallel phase (%s workers; the background files beside it) ---\n' "$workers"
    code=0; "${pytest[@]}" -n "$workers" --dist loadfile -m "not serial and not background" \
      --junitxml="$results/parallel.xml" "$@" || code=$?; codes+=("$code")
    echo "(parallel phase: $((SECONDS - started)) s)"
    code=0; wait "$bg_pid" || code=$?; codes+=("$code")
    printf '\n--- e2e: background files (done after %s s) ---\n' "$((SECONDS - started))"
    cat "$results/background.log"
    printf '\n--- e2e: serial phase ---\n'
    started=$SECONDS
    code=0; "${pytest[@]}" -m "serial and not background" --junitxml="$results/serial.xml" "$@" || code=$?; codes+=("$code")
    echo "(serial phase: $((SECONDS - started)) s)"
  fi
  printf '\n--- e2e: all phases ---\n'
  .venv-test/bin/python scripts/e2e-summary.py "$results"/*.xml | tee "$results/summary.txt"
  for code in "${codes[@]}"; do
    case $code in 0) ran=1 ;; 5) ;; *) failed=1 ;; esac  # 5: pytest selected no test
  done
  [ "$failed" = 0 ] || return 1
  [ "$ran" = 1 ] || return 5
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
