#!/usr/bin/env bash
# Two "remote" Docker engines for the many-hosts tests (issue 16), each in a
# network namespace of its own joined to this one by a veth pair:
#   near  tcp://<ns addr>:2376 with --tlsverify, plus openssh-server (user jvssh)
#   far   the same, reached through scripts/delay-proxy.py on 127.0.0.1 (250 ms each way)
# Certificates come from a throw-away CA made here; DIR/hosts.json describes it all.
#   scripts/remote-engines.sh start DIR [REGISTRY]   REGISTRY = 127.0.0.1:PORT, forwarded into both namespaces
#   scripts/remote-engines.sh stop DIR               everything: processes, namespaces, veths, mounts (idempotent)
#   scripts/remote-engines.sh stop-engine DIR NAME   only that dockerd (containers keep running: --live-restore)
#   scripts/remote-engines.sh start-engine DIR NAME
#   scripts/remote-engines.sh ssh-host-key DIR original|other   near's sshd presents that host key
# Environment: JARVIS_REMOTE_DELAY_MS (250). DIR should be short (unix socket paths).
set -euo pipefail
cmd=${1:?start|stop|stop-engine|start-engine|ssh-host-key}; dir=${2:?directory}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
# Names and addresses derive from DIR, so parallel runs never clash: 10.250.0.0/16
# in groups of 8 addresses, near = .1/.2 and far = .5/.6 of the group (two /30s).
hash=$(printf %s "$dir" | cksum | cut -d' ' -f1)
tag=$((hash % 100000))
group=$((hash % 8192))
net="10.250.$((group / 32))"
base=$(((group % 32) * 8))
engines="near far"
delay_ms=${JARVIS_REMOTE_DELAY_MS:-250}
ssh_user=jvssh
ssh_group=jvdocker

# Sets ns, veth, raddr (root side), naddr (namespace side), edir for engine $1.
vars() {
  local name=$1 offset
  case "$name" in near) offset=0 ;; far) offset=4 ;; *) echo "unknown engine $name (near|far)" >&2; exit 2 ;; esac
  ns="jv$tag-$name"; veth="jvr$tag${name:0:1}"
  raddr="$net.$((base + offset + 1))"; naddr="$net.$((base + offset + 2))"
  edir="$dir/$name"
}

# Runs "$@" (exec'd: same pid) in the engine's namespace. Through the holder's pid rather than
# /run/netns, whose bind mount is private to the mount namespace that made it (the inwt
# wrapper gives every call its own), and not `ip netns exec`, which remounts /sys and so
# hides the cgroup mounts dockerd needs.
in_ns() { nsenter --net="/proc/$(cat "$edir/holder.pid")/ns/net" "$@"; }

# Pids of every process in the engine's namespace (by the namespace's inode, so it works
# from any mount namespace).
ns_pids() {
  local id proc
  id=$(cat "$edir/netns.id" 2>/dev/null) || return 0
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/ns/net" 2>/dev/null)" = "$id" ] && echo "${proc#/proc/}"
  done
  return 0
}

# Starts the command "$@" (not a function: $! must be its pid) in the background,
# output in $edir/$log.log, pid in $edir/$log.pid.
spawn() {
  local log=$1; shift
  "$@" >>"$edir/$log.log" 2>&1 &
  echo $! >"$edir/$log.pid"
}

# Running and not a zombie: what the script started outlives it, and this machine's
# init reaps orphans late, so `kill -0` alone would wait on the dead.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

kill_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

setup_netns() {
  vars "$1"
  if ip -4 addr show 2>/dev/null | grep -q "inet $raddr/"; then
    echo "$raddr is already in use (another run derived the same addresses?)" >&2; exit 1
  fi
  mkdir -p "$edir"; chmod 0711 "$edir"
  ip netns add "$ns"
  # A holder process keeps the namespace alive and reachable whatever the mount namespace.
  ip netns exec "$ns" sleep infinity >/dev/null 2>&1 &
  echo $! >"$edir/holder.pid"
  for _ in $(seq 1 50); do
    [ "$(readlink "/proc/$!/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02
  done
  readlink "/proc/$!/ns/net" >"$edir/netns.id"
  ip link add "$veth" type veth peer name "${veth}x"
  ip link set "${veth}x" netns "$(cat "$edir/holder.pid")"
  in_ns ip link set "${veth}x" name eth0
  ip addr add "$raddr/30" dev "$veth"
  ip link set "$veth" up
  in_ns ip addr add "$naddr/30" dev eth0
  in_ns ip link set eth0 up
  in_ns ip link set lo up
}

# --- certificates ---------------------------------------------------------

openssl_config() {
  cat <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
[expired_ca]
database = $dir/tls/ca-db/index.txt
new_certs_dir = $dir/tls/ca-db
serial = $dir/tls/ca-db/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
CNF
}

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 0600 "$1"; }

make_ca() { # NAME CN
  key "$tls/$1.key"
  openssl req -x509 -config "$tls/openssl.cnf" -extensions ca_ext -key "$tls/$1.key" -subj "/CN=$2" \
    -days 3650 -sha256 -out "$tls/$1.pem"
}

# NAME CA EXT DAYS CN: a key and a certificate signed by CA.
make_cert() {
  key "$tls/$1.key"
  openssl req -new -config "$tls/openssl.cnf" -key "$tls/$1.key" -subj "/CN=$5" \
    | openssl x509 -req -CA "$tls/$2.pem" -CAkey "$tls/$2.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days "$4" -sha256 -extfile "$tls/openssl.cnf" -extensions "$3" -out "$tls/$1.pem" 2>/dev/null
}

make_certs() {
  tls="$dir/tls"
  rm -rf "$tls"; mkdir -p "$tls/ca-db"
  : >"$tls/ca-db/index.txt"; echo 1000 >"$tls/ca-db/serial"
  export SAN="DNS:unused"
  openssl_config >"$tls/openssl.cnf"
  make_ca ca "Jarvis test CA $tag"
  make_ca bad-ca "Jarvis other test CA $tag"
  make_cert client ca client_ext 365 "jarvis-test-client"
  make_cert bad-client bad-ca client_ext 365 "jarvis-other-client"
  make_cert expiring-client ca client_ext 10 "jarvis-expiring-client"
  local name
  for name in $engines; do
    vars "$name"
    SAN="IP:$naddr,IP:127.0.0.1,DNS:$name.jarvis.test" make_cert "$name-server" ca server_ext 365 "$name.jarvis.test"
  done
  # Expired yesterday: `openssl x509` cannot back-date, `openssl ca` can.
  vars near
  key "$tls/expired-server.key"
  openssl req -new -config "$tls/openssl.cnf" -key "$tls/expired-server.key" -subj "/CN=near.jarvis.test" -out "$tls/expired-server.csr"
  SAN="IP:$naddr,IP:127.0.0.1,DNS:near.jarvis.test" openssl ca -batch -notext -config "$tls/openssl.cnf" -name expired_ca \
    -cert "$tls/ca.pem" -keyfile "$tls/ca.key" -extensions server_ext -in "$tls/expired-server.csr" \
    -startdate "$(date -u -d '3 days ago' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)" \
    -out "$tls/expired-server.pem" 2>/dev/null
}

# --- engines --------------------------------------------------------------

dockerd_up() {
  vars "$1"
  local sock="$edir/docker.sock" driver pid
  curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && return 0
  rm -f "$sock" "$edir/docker.pid"
  for driver in overlay2 vfs; do
    # --live-restore: stop-engine leaves containers running, as a host that drops off the network does.
    nsenter --net="/proc/$(cat "$edir/holder.pid")/ns/net" dockerd --host "unix://$sock" --host "tcp://$naddr:2376" \
      --tlsverify --tlscacert "$dir/tls/ca.pem" --tlscert "$dir/tls/$1-server.pem" --tlskey "$dir/tls/$1-server.key" \
      --data-root "$edir/data" --exec-root "$edir/exec" --pidfile "$edir/docker.pid" --group "$ssh_group" \
      --storage-driver "$driver" --iptables=false --ip6tables=false --ip-masq=false --live-restore --shutdown-timeout 2 \
      --cgroup-parent "jarvis-remote-$tag-$1" --log-level warn >>"$edir/dockerd.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 80); do
      curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && return 0
      alive "$pid" || break
      sleep 0.25
    done
    echo "$1: dockerd with $driver did not start" >&2
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  tail -20 "$edir/dockerd.log" >&2
  return 1
}

dockerd_down() {
  vars "$1"
  kill_pidfile "$edir/docker.pid"
  rm -f "$edir/docker.sock"
}

busybox_tar() {
  local rootfs; rootfs=$(mktemp -d "$dir/rootfs.XXXXXX")
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/www"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'jarvis test page' >"$rootfs/www/index.html"
  tar -C "$rootfs" -cf "$dir/busybox.tar" .
  rm -rf "$rootfs"
}

# Everything one engine needs; runs in the background, one per engine.
engine_start() {
  local name=$1 registry=$2
  vars "$name"
  mkdir -p "$edir"; chmod 0711 "$edir"
  dockerd_up "$name"
  DOCKER_HOST="unix://$edir/docker.sock" docker import -c 'CMD ["/bin/sh"]' "$dir/busybox.tar" jarvis-test/busybox:latest >/dev/null
  if [ -n "$registry" ]; then
    # The engine pulls 127.0.0.1:PORT/... as the local one does: a relay inside the
    # namespace to the root-side veth address, and one there to the registry.
    local port=${registry##*:}
    spawn registry-root socat "TCP-LISTEN:$port,bind=$raddr,fork,reuseaddr" "TCP:127.0.0.1:$port"
    spawn registry-ns nsenter --net="/proc/$(cat "$edir/holder.pid")/ns/net" socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "TCP:$raddr:$port"
  fi
  case "$name" in
    near) sshd_start; expired_listener_start ;;
    far) proxy_start ;;
  esac
}

# The SSH user and the group the engines give their sockets to (0660); shared by all runs, kept by stop.
ssh_user_setup() {
  getent group "$ssh_group" >/dev/null || groupadd --system "$ssh_group" 2>/dev/null || getent group "$ssh_group" >/dev/null
  if ! id -u "$ssh_user" >/dev/null 2>&1; then
    useradd --system --gid "$ssh_group" --no-create-home --home-dir /nonexistent --shell /bin/sh "$ssh_user" 2>/dev/null || id -u "$ssh_user" >/dev/null
  fi
  # Unlocked (without PAM sshd refuses "!" accounts), yet still without a password.
  [ "$(getent shadow "$ssh_user" | cut -d: -f2)" = '*' ] || usermod -p '*' "$ssh_user"
}

sshd_start() {
  local ssh="$edir/ssh"
  rm -rf "$ssh"; mkdir -p "$ssh" /run/sshd; chmod 0755 "$ssh"
  ssh-keygen -q -t ed25519 -N '' -C "near.jarvis.test" -f "$ssh/host_key"
  ssh-keygen -q -t ed25519 -N '' -C "near.jarvis.test other" -f "$ssh/other_host_key"
  ssh-keygen -q -t ed25519 -N '' -C "jarvis-test-client" -f "$ssh/client_key"
  cp "$ssh/client_key.pub" "$ssh/authorized_keys"; chmod 0644 "$ssh/authorized_keys"
  sshd_config host_key >"$ssh/sshd_config"
  in_ns /usr/sbin/sshd -f "$ssh/sshd_config" -E "$ssh/sshd.log"
}

sshd_config() {
  cat <<CONF
ListenAddress $naddr:22
HostKey $edir/ssh/$1
PidFile $edir/ssh/sshd.pid
AuthorizedKeysFile $edir/ssh/authorized_keys
AllowUsers $ssh_user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
# /tmp is world-writable, which StrictModes would refuse for the key file's path.
StrictModes no
AllowStreamLocalForwarding yes
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
CONF
}

# A TLS listener with an expired server certificate (signed by the test CA) in
# front of near's socket, so "expired" is the only thing wrong with it.
expired_listener_start() {
  local tls="$dir/tls"
  spawn expired nsenter --net="/proc/$(cat "$edir/holder.pid")/ns/net" socat "OPENSSL-LISTEN:2377,bind=$naddr,fork,reuseaddr,cert=$tls/expired-server.pem,key=$tls/expired-server.key,cafile=$tls/ca.pem,verify=1" \
    "UNIX-CONNECT:$edir/docker.sock"
}

proxy_start() {
  rm -f "$edir/proxy.port"
  spawn proxy python3 "$here/delay-proxy.py" --listen 127.0.0.1:0 --target "$naddr:2376" --delay-ms "$delay_ms" --port-file "$edir/proxy.port"
  for _ in $(seq 1 50); do [ -s "$edir/proxy.port" ] && return 0; sleep 0.1; done
  echo "delay proxy did not start" >&2; cat "$edir/proxy.log" >&2; return 1
}

write_hosts_json() {
  local near_ns near_addr far_ns far_addr
  vars near; near_ns=$ns; near_addr=$naddr
  vars far; far_ns=$ns; far_addr=$naddr
  DIR=$dir REGISTRY=$1 NEAR_NS=$near_ns NEAR_ADDR=$near_addr FAR_NS=$far_ns FAR_ADDR=$far_addr DELAY_MS=$delay_ms \
  SSH_USER=$ssh_user SSH_GROUP=$ssh_group python3 - <<'PY'
import hashlib, json, os, ssl, subprocess
d = os.environ["DIR"]
def read(*p):
    with open(os.path.join(d, *p)) as f:
        return f.read()
def sha256(pem):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
def not_after(path):
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in", os.path.join(d, path)],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].replace(" ", "T")
def host_key(name):
    line = read("near", "ssh", name + ".pub").split()
    fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", os.path.join(d, "near", "ssh", name + ".pub")],
                        capture_output=True, text=True, check=True).stdout.split()[1]
    return fp, " ".join(line[:2])
def engine(name, ns, addr):
    cert = read("tls", name + "-server.pem")
    return {"tls_endpoint": f"tcp://{addr}:2376", "server_name": f"{name}.jarvis.test",
            "unix": f"unix://{d}/{name}/docker.sock", "netns": ns, "address": addr,
            "server_cert": cert, "server_sha256": sha256(cert), "server_not_after": not_after(f"tls/{name}-server.pem")}
near = engine("near", os.environ["NEAR_NS"], os.environ["NEAR_ADDR"])
key_fp, key_line = host_key("host_key")
other_fp, other_line = host_key("other_host_key")
near.update({"ssh_endpoint": f"ssh://{os.environ['SSH_USER']}@{near['address']}:22", "ssh_user": os.environ["SSH_USER"],
             "ssh_host": near["address"], "ssh_port": 22, "ssh_socket": f"{d}/near/docker.sock",
             "ssh_key": read("near", "ssh", "client_key"), "ssh_public_key": read("near", "ssh", "client_key.pub").strip(),
             "ssh_host_key": key_fp, "ssh_host_key_line": key_line,
             "ssh_other_host_key": other_fp, "ssh_other_host_key_line": other_line,
             "ssh_group": os.environ["SSH_GROUP"]})
far = engine("far", os.environ["FAR_NS"], os.environ["FAR_ADDR"])
port = int(read("far", "proxy.port"))
far.update({"tls_endpoint": f"tcp://127.0.0.1:{port}", "direct_endpoint": far["tls_endpoint"],
            "proxy_port": port, "delay_ms_each_way": json.loads(os.environ["DELAY_MS"])})
expired = read("tls", "expired-server.pem")
hosts = {
    "dir": d,
    "ca": read("tls", "ca.pem"), "client_cert": read("tls", "client.pem"), "client_key": read("tls", "client.key"),
    "ca_sha256": sha256(read("tls", "ca.pem")), "client_sha256": sha256(read("tls", "client.pem")),
    "client_not_after": not_after("tls/client.pem"),
    "bad_ca": read("tls", "bad-ca.pem"), "bad_client_cert": read("tls", "bad-client.pem"), "bad_client_key": read("tls", "bad-client.key"),
    "expiring_client_cert": read("tls", "expiring-client.pem"), "expiring_client_key": read("tls", "expiring-client.key"),
    "expiring_client_not_after": not_after("tls/expiring-client.pem"),
    "expired_server": {"endpoint": f"tcp://{near['address']}:2377", "server_name": "near.jarvis.test", "engine": "near",
                       "cert": expired, "sha256": sha256(expired), "not_after": not_after("tls/expired-server.pem"),
                       "how": "socat openssl-listen in near's namespace; a server certificate from the test CA that expired "
                              "yesterday (client certificate required as on 2376), relaying to near's unix socket"},
    "hosts": {"near": near, "far": far},
    "registry": os.environ["REGISTRY"] or None,
}
with open(os.path.join(d, "hosts.json.tmp"), "w") as f:
    json.dump(hosts, f, indent=2)
os.replace(os.path.join(d, "hosts.json.tmp"), os.path.join(d, "hosts.json"))
PY
}

# --- teardown -------------------------------------------------------------

engine_stop_all() {
  vars "$1"
  local sock="$edir/docker.sock" pid
  # Containers first (live-restore would leave them running without the engine).
  if curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
    DOCKER_HOST="unix://$sock" docker ps -aq | DOCKER_HOST="unix://$sock" xargs -r docker rm -f >/dev/null 2>&1 || true
  fi
  dockerd_down "$1"
  for pid in "$edir"/*.pid "$edir/ssh/sshd.pid"; do kill_pidfile "$pid"; done
  # Whatever is left in the namespace (containerd, shims) and in the engine's cgroups
  # (containers of an engine that was stopped with stop-engine).
  for pid in $(ns_pids); do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$edir/netns.id"
  local procs cg
  for procs in $(find /sys/fs/cgroup -path "*jarvis-remote-$tag-$1*" -name cgroup.procs 2>/dev/null); do
    for pid in $(cat "$procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  for cg in $(find /sys/fs/cgroup -depth -type d -path "*jarvis-remote-$tag-$1*" 2>/dev/null); do rmdir "$cg" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$veth" 2>/dev/null || true
  # Mounts the engine left behind (container root filesystems and netns files of a live-restored engine).
  { grep -o " $edir/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
}

case "$cmd" in
  start)
    registry=${3:-}
    started=$(date +%s%N)
    for name in $engines; do engine_stop_all "$name" >/dev/null 2>&1 || true; done
    chmod 0711 "$dir"
    ssh_user_setup
    for name in $engines; do setup_netns "$name"; done
    make_certs
    busybox_tar
    pids=""
    for name in $engines; do engine_start "$name" "$registry" & pids+=" $!"; done
    failed=0
    for pid in $pids; do wait "$pid" || failed=1; done
    rm -f "$dir/busybox.tar"
    if [ "$failed" != 0 ]; then
      echo "remote engines did not start (logs in $dir/*/)" >&2
      for name in $engines; do engine_stop_all "$name" >/dev/null 2>&1 || true; done
      exit 1
    fi
    write_hosts_json "$registry"
    echo "remote engines up in $((($(date +%s%N) - started) / 1000000)) ms: $dir/hosts.json" >&2
    echo "$dir/hosts.json"
    ;;
  stop)
    for name in $engines; do engine_stop_all "$name" & done
    wait
    ;;
  stop-engine) dockerd_down "${3:?engine name}" ;;
  start-engine) dockerd_up "${3:?engine name}" ;;
  ssh-host-key)
    vars near
    case "${3:?original|other}" in original) key=host_key ;; other) key=other_host_key ;; *) exit 2 ;; esac
    sshd_config "$key" >"$edir/ssh/sshd_config"
    # SIGHUP: sshd re-executes itself and reads the new config; established sessions stay.
    kill -HUP "$(cat "$edir/ssh/sshd.pid")"
    sleep 0.3
    ;;
  *) echo "usage: $0 start DIR [REGISTRY] | stop DIR | stop-engine DIR NAME | start-engine DIR NAME | ssh-host-key DIR original|other" >&2; exit 2 ;;
esac
