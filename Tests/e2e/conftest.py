"""Fixtures for end-to-end tests against the stack that scripts/test.sh starts:
real nginx (TLS), jarvis-fcgi, jarvis-sse, SQLite, and a private Docker engine.

Phases (scripts/harness.sh, harness_pytest). All files share the one stack, in three groups:
  parallel    the files named in PARALLEL below, spread over a few pytest-xdist workers;
              a file stays on one worker, so its own tests still run in order;
  background  the files in BACKGROUND (long and CPU-bound: the container image build),
              in a pytest process of its own beside the parallel phase;
  serial      everything else, one test at a time in one process once both are done,
              in file order (test_zz_engine_down.py stops the engine, so it comes last).
A file that is in no list is serial: that is always correct, only slower. Put a file
in PARALLEL only when none of its tests
  - stops, restarts or reconfigures a shared process (the engine, a remote engine or its
    SSH key, jarvis-fcgi, jarvis-sse, nginx) or writes to the store or the audit chain;
  - changes what other sessions rely on: the admin account, its throttles or sessions
    (logout of others, unlock), hosts, saved registries, settings;
  - counts or compares global sets that other tests change: all containers, images,
    volumes or networks of the engine, the newest audit row or task without a filter of
    its own, sessions, uploads, engine streams, metric counters;
  - prunes or deletes what it did not make, or uses a fixed name or port another file uses;
  - asserts latency or timing that a busy machine would upset, or drives a browser
    (Chromium drops requests when other tests' containers change network interfaces).
A single test of a parallel file that breaks one of these rules gets @pytest.mark.serial
and runs in the serial phase. `scripts/e2e.sh Tests/e2e/test_x.py` runs the same phases;
JARVIS_E2E_WORKERS=0 runs everything in one process, in file order, as before."""
import json
import os
import subprocess
import time
import uuid

import pytest
import requests

BASE = os.environ.get("JARVIS_E2E_URL", "https://127.0.0.1:18443")
PASSWORD = os.environ.get("JARVIS_E2E_PASSWORD", "")
DOCKER_HOST = os.environ.get("JARVIS_E2E_DOCKER_HOST", "")
DATA_DIR = os.environ.get("JARVIS_E2E_DATA_DIR", "")
IMAGE = "jarvis-test/busybox:latest"

# The phases of the module docstring. Each entry says why the file is safe beside others.
PARALLEL = {
    "test_access_log.py": "its own container and terminal ticket",
    "test_api.py": "its own containers and sessions (three audit tests are serial)",
    "test_auth_hardening.py": "its own users and addresses (the admin lockout and the chain edits are serial)",
    "test_compose_semantics.py": "its own stacks and image",
    "test_containers.py": "its own containers, found by name (global counts are serial)",
    "test_deploy.py": "files only",
    "test_host_boundary.py": "its own users, stacks and volumes",
    "test_history.py": "its own containers; the host sum is compared as at least its own",
    "test_images.py": "its own images (the prune test is serial)",
    "test_jobs.py": "its own containers, users and jobs (the pull's tasks, tick and browser tests are serial)",
    "test_jarvisctl.py": "its own users and stores (the chain edit is serial)",
    "test_networks.py": "its own networks, subnets and containers, found by name (the prune test is serial)",
    "test_openapi.py": "shapes only (the test that ends other sessions is serial)",
    "test_secrets_masking.py": "its own containers and stacks (the build's audit test is serial)",
    "test_stacks.py": "its own stacks, found by name",
    "test_streams.py": "its own containers (the engine-stream count is serial)",
    "test_tasks.py": "its own images, tasks and registry credential (killing jarvis-sse is serial)",
    "test_templates.py": "its own templates (site folder, own names), stacks, users and template list",
    "test_terminal.py": "its own containers, audit rows found by container id",
    "test_updates.py": "its own registry, images, containers, networks and users, found by name",
    "test_volumes.py": "its own volumes and users, found by name (prune, clean-ups and the memory measure are serial)",
}
BACKGROUND = {
    "test_container_image.py": "a clean Swift build in the image: minutes of CPU, run at low priority",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "serial: runs alone, after the parallel phase (conftest.py says when)")
    config.addinivalue_line("markers", "background: runs in its own process beside the parallel phase")


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name
        if name in BACKGROUND:
            item.add_marker(pytest.mark.background)
        elif name not in PARALLEL:
            item.add_marker(pytest.mark.serial)


def docker(*args, check=True):
    """The docker CLI against the private engine only (never the host's)."""
    assert DOCKER_HOST.startswith("unix:///tmp/"), "tests must use the private engine"
    env = dict(os.environ, DOCKER_HOST=DOCKER_HOST)
    result = subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


class Client:
    """A browser-like session: cookies plus the CSRF header on writes."""

    def __init__(self):
        self.http = requests.Session()
        # Verify TLS against the stack's own self-signed certificate (SAN 127.0.0.1).
        self.http.verify = os.path.join(DATA_DIR, "etc", "tls.crt")
        self.http.trust_env = False

    def url(self, path):
        return BASE + "/api/v1" + path

    def login(self, username="admin", password=None):
        return self.http.post(self.url("/auth/login"), json={"username": username, "password": password or PASSWORD})

    @property
    def csrf(self):
        return self.http.cookies.get("jarvis_csrf", "")

    def get(self, path, **kw):
        return self.http.get(self.url(path), **kw)

    def delete(self, path, **kw):
        headers = kw.pop("headers", {})
        headers["X-CSRF-Token"] = self.csrf
        return self.http.delete(self.url(path), headers=headers, **kw)

    def put(self, path, **kw):
        headers = kw.pop("headers", {})
        headers["X-CSRF-Token"] = self.csrf
        return self.http.put(self.url(path), headers=headers, **kw)

    def post(self, path, csrf=True, **kw):
        headers = kw.pop("headers", {})
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.http.post(self.url(path), headers=headers, **kw)


@pytest.fixture
def client():
    c = Client()
    response = c.login()
    assert response.status_code == 200, response.text
    return c


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def container():
    """Creates containers in the private engine and removes them afterwards."""
    made = []

    def make(script="while true; do sleep 1; done", start=True, name=None, network=None):
        name = name or "e2e-" + uuid.uuid4().hex[:8]
        args = ["run", "-d"] if start else ["create"]
        if network:
            args += ["--network", network]
        cid = docker(*args, "--name", name, "--label", "jarvis.e2e=1", IMAGE, "sh", "-c", script)
        made.append(cid)
        return cid, name

    yield make
    for cid in made:
        docker("rm", "-f", cid, check=False)


def wait_for(what, condition, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_healthy(http, base, seconds=30):
    """Polls base's health endpoint until it answers 200 (a server still starting refuses or answers 502/503)."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            last = http.get(base + "/api/v1/health", timeout=5)
            if last.status_code == 200:
                return
        except requests.RequestException as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"{base} did not become healthy: {getattr(last, 'text', last)}")


class SSEReader:
    """Reads server-sent events from a streaming response."""

    def __init__(self, response):
        self.response = response
        self.lines = response.iter_lines(decode_unicode=True)

    def next_event(self):
        event = {"id": None, "event": "message", "data": []}
        for line in self.lines:
            if line is None:
                continue
            if line == "":
                if event["data"] or event["id"]:
                    event["data"] = "\n".join(event["data"])
                    return event
                continue
            if line.startswith(":") or line.startswith("retry:"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                event["data"].append(value)
            elif field in ("id", "event"):
                event[field] = value
        return None

    def events(self, kind=None):
        while True:
            event = self.next_event()
            if event is None:
                return
            if kind is None or event["event"] == kind:
                yield event

    def close(self):
        self.response.close()


def open_stream(client, path, headers=None, timeout=20):
    response = client.http.get(client.url(path), stream=True, headers=headers or {}, timeout=timeout)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return SSEReader(response)


def data(event):
    return json.loads(event["data"])
