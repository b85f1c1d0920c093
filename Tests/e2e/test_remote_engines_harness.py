"""The remote test engines themselves (scripts/remote-engines.sh), checked with curl,
ssh and Python's ssl against hosts.json, without Jarvis: the host tests rely on
each of these behaving as a real remote Docker host would."""
import json
import os
import socket
import ssl
import subprocess
import sys
import time

import pytest

import remote_hosts
from remote_hosts import remote_engines  # noqa: F401 (fixture)


def write(directory, name, text, mode=0o600):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


@pytest.fixture(scope="module")
def material(remote_engines, tmp_path_factory):
    """The PEMs of hosts.json as files, as curl wants them."""
    directory = str(tmp_path_factory.mktemp("tls"))
    return {key: write(directory, key, remote_engines[key])
            for key in ("ca", "client_cert", "client_key", "bad_ca", "bad_client_cert", "bad_client_key")}


def curl(url, material, ca="ca", cert="client_cert", key="client_key", extra=()):
    return subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", material[ca], "--cert", material[cert],
                           "--key", material[key], *extra, url], capture_output=True, text=True, timeout=20)


def https(endpoint, path="/_ping"):
    return "https://" + endpoint.removeprefix("tcp://") + path


@pytest.mark.parametrize("name", ["near", "far"])
def test_tls_ping_with_test_ca_and_client_certificate(remote_engines, material, name):
    entry = remote_engines["hosts"][name]
    result = curl(https(entry["tls_endpoint"]), material)
    assert result.returncode == 0 and result.stdout == "OK", result.stderr
    # The server name resolves nowhere; it is checked against the certificate while
    # the connection goes to the address, as Jarvis does with CURLOPT_CONNECT_TO.
    address, port = entry["tls_endpoint"].removeprefix("tcp://").split(":")
    result = curl(f"https://{entry['server_name']}:{port}/version", material,
                  extra=("--connect-to", f"{entry['server_name']}:{port}:{address}:{port}"))
    assert result.returncode == 0 and '"ApiVersion"' in result.stdout, result.stderr


def test_wrong_ca_is_refused(remote_engines, material):
    result = curl(https(remote_engines["hosts"]["near"]["tls_endpoint"]), material, ca="bad_ca")
    assert result.returncode == 60 and "unable to get local issuer certificate" in result.stderr


def test_wrong_client_certificate_is_refused(remote_engines, material):
    result = curl(https(remote_engines["hosts"]["near"]["tls_endpoint"]), material,
                  cert="bad_client_cert", key="bad_client_key")
    # TLS 1.3: the server's alert arrives after the client's first write, so curl reports
    # it as a receive error ("alert bad certificate") or, racing the close, a send error.
    assert result.returncode in (35, 55, 56) and result.stdout == "", result.stderr


def test_no_client_certificate_is_refused(remote_engines, material):
    result = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", material["ca"],
                             https(remote_engines["hosts"]["near"]["tls_endpoint"])], capture_output=True, text=True)
    assert result.returncode != 0 and result.stdout == ""


def test_expired_listener_fails_verification_only_for_expiry(remote_engines, material):
    expired = remote_engines["expired_server"]
    result = curl(https(expired["endpoint"]), material)
    assert result.returncode == 60 and "certificate has expired" in result.stderr
    # Everything else about it is right: without verification the engine answers.
    result = curl(https(expired["endpoint"]), material, extra=("--insecure",))
    assert result.returncode == 0 and result.stdout == "OK", result.stderr


@pytest.fixture
def ssh_files(remote_engines, tmp_path):
    near = remote_engines["hosts"]["near"]
    known = write(str(tmp_path), "known_hosts", f"{near['ssh_host']} {near['ssh_host_key_line']}\n")
    other = write(str(tmp_path), "other_known_hosts", f"{near['ssh_host']} {near['ssh_other_host_key_line']}\n")
    key = write(str(tmp_path), "key", near["ssh_key"])
    return {"known": known, "other": other, "key": key, "dir": str(tmp_path)}


def ssh_forward(near, files, known_hosts):
    """`ssh -N -L` as Jarvis's tunnel runs it; returns (process, local socket)."""
    local = os.path.join(files["dir"], f"docker-{time.monotonic_ns()}.sock")
    process = subprocess.Popen(
        ["ssh", "-N", "-o", "ExitOnForwardFailure=yes", "-o", "StrictHostKeyChecking=yes",
         "-o", f"UserKnownHostsFile={known_hosts}", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
         "-i", files["key"], "-L", f"{local}:{near['ssh_socket']}", "-p", str(near["ssh_port"]),
         f"{near['ssh_user']}@{near['ssh_host']}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, local


def wait_socket(process, path, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline and process.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def test_ssh_forward_to_near_socket_with_pinned_host_key(remote_engines, ssh_files):
    near = remote_engines["hosts"]["near"]
    process, local = ssh_forward(near, ssh_files, ssh_files["known"])
    try:
        assert wait_socket(process, local), process.stderr.read() if process.poll() is not None else "no socket"
        result = subprocess.run(["curl", "-sS", "--unix-socket", local, "http://localhost/_ping"],
                                capture_output=True, text=True, timeout=10)
        assert result.stdout == "OK", result.stderr
    finally:
        process.terminate()
        process.wait(5)
    # The host key the helper reports is the one sshd presents.
    scanned = subprocess.run(["ssh-keyscan", "-t", "ed25519", near["ssh_host"]], capture_output=True, text=True, timeout=10)
    assert near["ssh_host_key_line"] in scanned.stdout


def test_ssh_refuses_a_changed_host_key(remote_engines, ssh_files):
    near = remote_engines["hosts"]["near"]
    remote_hosts.ssh_host_key("other")
    try:
        process, local = ssh_forward(near, ssh_files, ssh_files["known"])
        assert process.wait(15) != 0
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in process.stderr.read()
        # Pinned to the new key it works, so only the key changed.
        process, local = ssh_forward(near, ssh_files, ssh_files["other"])
        try:
            assert wait_socket(process, local)
        finally:
            process.terminate()
            process.wait(5)
    finally:
        remote_hosts.ssh_host_key("original")


def tls_context(material):
    context = ssl.create_default_context(cafile=material["ca"])
    context.load_cert_chain(material["client_cert"], material["client_key"])
    return context


def test_far_round_trip_through_the_delay_proxy(remote_engines, material):
    far = remote_engines["hosts"]["far"]
    round_trip = 2 * far["delay_ms_each_way"] / 1000  # 0.5 s unless JARVIS_REMOTE_DELAY_MS says otherwise
    address, port = far["tls_endpoint"].removeprefix("tcp://").split(":")
    context = tls_context(material)
    with socket.create_connection((address, int(port)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=far["server_name"]) as tls:
            timings = []
            for _ in range(2):  # on one kept-alive connection: the request's round trip alone
                started = time.monotonic()
                tls.sendall(b"GET /_ping HTTP/1.1\r\nHost: far\r\n\r\n")
                reply = b""
                while not reply.endswith(b"OK"):
                    chunk = tls.recv(4096)
                    assert chunk, reply
                    reply += chunk
                timings.append(time.monotonic() - started)
    assert all(round_trip <= t < round_trip + 0.3 for t in timings), timings


def test_far_proxy_keeps_throughput(remote_engines, material):
    """An image export (megabytes, many chunks) through the proxy: about one round trip
    before the first byte, then no per-chunk delay."""
    far = remote_engines["hosts"]["far"]
    url = https(far["tls_endpoint"], "/images/jarvis-test%2Fbusybox:latest/get")
    result = curl(url, material, extra=("-o", "/dev/null", "-w", "%{size_download} %{time_total} %{time_starttransfer}"))
    size, total, first = result.stdout.split()
    assert int(size) > 1_000_000, result.stderr
    assert float(first) >= 2 * far["delay_ms_each_way"] / 1000, result.stdout
    assert float(total) - float(first) < 0.5, result.stdout


def test_image_pull_from_the_test_registry_on_both_engines(remote_engines):
    registry = remote_engines["registry"]
    if not registry:
        pytest.skip("remote engines were started without a registry")
    config = os.path.join(os.environ.get("JARVIS_E2E_ENGINE_DIR", ""), "registry", "cli")
    reference = f"{registry}/jarvis/busybox:1.0"
    for name in ("near", "far"):
        env = dict(os.environ, DOCKER_HOST=remote_engines["hosts"][name]["unix"], DOCKER_CONFIG=config)
        result = subprocess.run(["docker", "pull", "-q", reference], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{name}: {result.stderr}"
        remote_hosts.docker(name, "rmi", reference)


def test_stop_and_start_engine_keeps_containers(remote_engines, material):
    near = remote_engines["hosts"]["near"]
    name = "harness-live-restore"
    cid = remote_hosts.docker("near", "run", "-d", "--name", name, remote_hosts.IMAGE, "sleep", "600")
    try:
        remote_hosts.stop_engine("near")
        result = curl(https(near["tls_endpoint"]), material)
        assert result.returncode == 7, result.stderr  # connection refused
        remote_hosts.start_engine("near")
        assert curl(https(near["tls_endpoint"]), material).stdout == "OK"
        assert remote_hosts.docker("near", "inspect", "-f", "{{.State.Running}}", cid) == "true"
    finally:
        remote_hosts.start_engine("near")
        remote_hosts.docker("near", "rm", "-f", cid, check=False)


@pytest.mark.parametrize("answer", [False, True])
def test_benchmark_tls_endpoints_relay_to_the_engine(remote_engines, material, tmp_path, answer):
    """bench/hosts_tls_endpoints.py: N TLS endpoints in one process, client certificate required."""
    script = os.path.join(remote_hosts.ROOT, "bench", "hosts_tls_endpoints.py")
    hosts = os.path.join(remote_engines["dir"], "hosts.json")
    state = str(tmp_path / "endpoints.json")
    started = subprocess.run([sys.executable, script, "start", "3", "--hosts", hosts, "--state", state]
                             + (["--answer"] if answer else []), capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    endpoints = json.loads(started.stdout)
    try:
        assert len(set(endpoints["ports"])) == 3
        assert endpoints["fingerprint"] == remote_engines["hosts"]["near"]["server_sha256"]
        names = set()
        for endpoint in endpoints["endpoints"]:
            assert curl(https(endpoint), material).stdout == "OK"
            names.add(json.loads(curl(https(endpoint, "/info"), material).stdout)["Name"])
            # Routes it does not answer itself are relayed, versioned or not.
            assert curl(https(endpoint, "/v1.41/containers/json"), material).stdout.startswith("[")
            refused = subprocess.run(["curl", "-sS", "--cacert", material["ca"], https(endpoint)], capture_output=True, text=True)
            assert refused.returncode != 0 and refused.stdout == ""
        # Relayed, every endpoint is the engine itself; answered, each is an engine of its own.
        assert len(names) == (3 if answer else 1), names
    finally:
        subprocess.run([sys.executable, script, "stop", "--hosts", hosts, "--state", state], timeout=30)
    assert not os.path.exists(state)


def test_benchmark_tls_endpoint_can_play_an_engine_too_old(remote_engines, material, tmp_path):
    script = os.path.join(remote_hosts.ROOT, "bench", "hosts_tls_endpoints.py")
    hosts = os.path.join(remote_engines["dir"], "hosts.json")
    state = str(tmp_path / "old.json")
    started = subprocess.run([sys.executable, script, "start", "1", "--hosts", hosts, "--state", state, "--api-version", "1.40"],
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    endpoint = json.loads(started.stdout)["endpoints"][0]
    try:
        ping = curl(https(endpoint), material, extra=("--include",))
        assert "\nApi-Version: 1.40\n" in ping.stdout  # text mode: CRLF read as LF
        assert json.loads(curl(https(endpoint, "/version"), material).stdout)["ApiVersion"] == "1.40"
    finally:
        subprocess.run([sys.executable, script, "stop", "--hosts", hosts, "--state", state], timeout=30)
