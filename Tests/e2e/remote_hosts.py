"""The remote test engines of scripts/remote-engines.sh (issue 16), for e2e tests.

scripts/e2e.sh and scripts/test.sh start them with the stack and export
JARVIS_REMOTE_ENGINES=DIR; DIR/hosts.json describes them:
  near  TLS on its namespace address (tcp://10.250.x.y:2376) and SSH (user jvssh)
  far   TLS through a delaying proxy on 127.0.0.1 (250 ms each way)
This module reads that file, builds the bodies of POST /api/v1/hosts/probe and
POST /api/v1/hosts (docs: /work/wt/HOSTS.md), and stops and starts an engine.
"""
import functools
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "remote-engines.sh")
IMAGE = "jarvis-test/busybox:latest"


def directory():
    """The remote engines' directory (JARVIS_REMOTE_ENGINES), or '' when the harness started none."""
    return os.environ.get("JARVIS_REMOTE_ENGINES", "")


@functools.lru_cache(maxsize=None)
def load(dir=None):
    """The hosts.json dict of DIR (default: JARVIS_REMOTE_ENGINES)."""
    dir = dir or directory()
    if not dir:
        raise RuntimeError("JARVIS_REMOTE_ENGINES is not set: run through scripts/e2e.sh or scripts/test.sh")
    with open(os.path.join(dir, "hosts.json")) as f:
        return json.load(f)


def host(name):
    """One engine's entry ("near" or "far")."""
    return load()["hosts"][name]


def _script(*args):
    result = subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"remote-engines.sh {' '.join(args)} failed: {result.stderr}")


def stop_engine(name):
    """Stops that engine's dockerd (its namespace, sshd and proxy stay; containers keep running)."""
    _script("stop-engine", load()["dir"], name)


def start_engine(name):
    """Starts that engine's dockerd again; returns once it answers /_ping."""
    _script("start-engine", load()["dir"], name)


def ssh_host_key(which):
    """Makes near's sshd present its "original" host key or the "other" one (for the changed-key test)."""
    _script("ssh-host-key", load()["dir"], which)


def docker(name, *args, check=True):
    """The docker CLI against a remote engine's unix socket (test set-up, not the path under test)."""
    env = dict(os.environ, DOCKER_HOST=host(name)["unix"])
    result = subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} on {name} failed: {result.stderr}")
    return result.stdout.strip()


# --- request bodies (HOSTS.md) ---------------------------------------------

def tls_probe_body(name, *, endpoint=None, ca=None, cert=None, key=None, server_name=...):
    """POST /api/v1/hosts/probe body for a TLS engine; keywords swap in wrong material."""
    hosts = load()
    entry = hosts["hosts"][name]
    return {"endpoint": endpoint or entry["tls_endpoint"],
            "tls": {"ca": ca or hosts["ca"], "cert": cert or hosts["client_cert"], "key": key or hosts["client_key"],
                    "server_name": entry["server_name"] if server_name is ... else server_name}}


def wrong_ca_body(name):
    """TLS body that trusts the other CA: the engine's certificate is untrusted (tls_untrusted)."""
    return tls_probe_body(name, ca=load()["bad_ca"])


def wrong_client_body(name):
    """TLS body with a client certificate from the other CA: the engine refuses it (tls_client_rejected)."""
    hosts = load()
    return tls_probe_body(name, cert=hosts["bad_client_cert"], key=hosts["bad_client_key"])


def expired_body():
    """TLS body for the listener whose server certificate expired yesterday (tls_expired)."""
    expired = load()["expired_server"]
    return tls_probe_body(expired["engine"], endpoint=expired["endpoint"], server_name=expired["server_name"])


def ssh_probe_body(name="near", *, private_key=None, socket=None):
    """POST /api/v1/hosts/probe body for the SSH engine (near's socket is not /var/run/docker.sock)."""
    entry = host(name)
    return {"endpoint": entry["ssh_endpoint"],
            "ssh": {"private_key": private_key or entry["ssh_key"], "socket": socket or entry["ssh_socket"]}}


def fingerprint(name, transport="tls"):
    """What the probe should present: the server certificate's sha256 hex, or the SSH host key."""
    entry = host(name)
    return entry["server_sha256"] if transport == "tls" else entry["ssh_host_key"]


def add_body(probe_body, name, fingerprint, *, display_name=None, labels=None, group=None,
             read_only=False, terminal_enabled=True):
    """POST /api/v1/hosts body: a probe body plus the host's fields and the confirmed fingerprint."""
    return dict(probe_body, name=name, display_name=display_name or name.capitalize(), labels=labels or {},
                group=group, read_only=read_only, terminal_enabled=terminal_enabled, fingerprint=fingerprint)


def tls_host_body(name, host_name=None, **fields):
    """POST /api/v1/hosts body adding engine `name` over TLS as host `host_name` (default: the same)."""
    return add_body(tls_probe_body(name), host_name or name, fingerprint(name, "tls"), **fields)


def ssh_host_body(host_name="near-ssh", **fields):
    """POST /api/v1/hosts body adding near over SSH."""
    return add_body(ssh_probe_body("near"), host_name, fingerprint("near", "ssh"), **fields)


@pytest.fixture(scope="session")
def remote_engines():
    """hosts.json of the running remote engines; skips when the harness started none."""
    if not directory():
        pytest.skip("no remote engines (JARVIS_REMOTE_ENGINES unset); scripts/e2e.sh starts them")
    return load()
