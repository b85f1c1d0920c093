"""Many hosts against real engines: two private dockerds in network namespaces,
reached over TLS (a throw-away CA), over SSH (openssh-server in the namespace)
and through a proxy that adds 250 ms each way (scripts/remote-engines.sh)."""
import os
import time
import uuid

import pytest

import remote_hosts
from conftest import IMAGE, Client, data, docker, open_stream, wait_for
from remote_hosts import remote_engines  # noqa: F401  (fixture)
from test_host_boundary import user

pytestmark = pytest.mark.usefixtures("remote_engines", "hosts_removed_afterwards")


@pytest.fixture(scope="module")
def hosts_removed_afterwards():
    """The hosts this file adds are deleted at its end, so later files see the local host alone."""
    yield
    admin = Client()
    admin.login()
    for name in names(admin):
        if name.startswith("t-"):
            asked = admin.delete(f"/hosts/{name}")
            token = asked.json().get("confirmation", {}).get("token", "")
            admin.delete(f"/hosts/{name}", headers={"X-Confirmation-Token": token})


def names(client):
    return {h["name"]: h for h in client.get("/hosts").json()["items"]}


def add(client, body):
    """Adds a host (or finds it added by an earlier test of this run)."""
    if body["name"] in names(client):
        return names(client)[body["name"]]
    created = client.post("/hosts", json=body, timeout=60)
    assert created.status_code == 201, created.text
    return created.json()


@pytest.fixture
def near(client):
    return add(client, remote_hosts.tls_host_body("near", "t-near", labels={"env": "test"}, group="lab"))


@pytest.fixture
def far(client):
    return add(client, remote_hosts.tls_host_body("far", "t-far"))


def run_task(client, path, body, host):
    queued = client.post(f"/hosts/{host}{path}", json=body, timeout=60)
    assert queued.status_code == 202, queued.text
    task_id = queued.json()["task_id"]
    return wait_for(f"task {task_id}", lambda: (lambda t: t if t["state"] not in ("queued", "running") else None)(
        client.get(f"/tasks/{task_id}").json()), timeout=120)


def test_probe_errors_are_distinct_and_save_nothing(client):
    before = set(names(client))
    cases = [
        (remote_hosts.wrong_ca_body("near"), "tls_untrusted"),
        (remote_hosts.wrong_client_body("near"), "tls_client_rejected"),
        (remote_hosts.expired_body(), "tls_expired"),
        (remote_hosts.tls_probe_body("near", endpoint="tcp://127.0.0.1:1"), "connection_refused"),
        ({"endpoint": remote_hosts.host("near")["tls_endpoint"]}, "plain_tcp_disabled"),
        (remote_hosts.tls_probe_body("near", cert="not a pem"), "invalid_credentials"),
    ]
    for body, code in cases:
        answer = client.post("/hosts/probe", json=body, timeout=60)
        assert answer.status_code == 422, (code, answer.text)
        error = answer.json()["error"]
        assert error["code"] == code, (code, error)
        assert error["message"] and error.get("field")
        assert "BEGIN" not in answer.text, "no key material in errors"
    # Saving with the same faults fails the same way; nothing was stored.
    bad = dict(remote_hosts.wrong_ca_body("near"), name="t-bad", fingerprint="00")
    assert client.post("/hosts", json=bad, timeout=60).json()["error"]["code"] == "tls_untrusted"
    assert set(names(client)) == before


def test_add_tls_host_only_with_the_fingerprint_it_presents(client):
    probe = client.post("/hosts/probe", json=remote_hosts.tls_probe_body("near"), timeout=60)
    assert probe.status_code == 200, probe.text
    shown = probe.json()
    assert shown["fingerprint"] == remote_hosts.fingerprint("near")
    assert shown["tls"]["server"]["sha256"] == remote_hosts.fingerprint("near")
    assert shown["engine"]["api_version"] and shown["engine"]["version"]
    body = remote_hosts.tls_host_body("near", "t-tls-check")
    wrong = client.post("/hosts", json=dict(body, fingerprint="ab" * 32), timeout=60)
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "fingerprint_mismatch"
    assert "t-tls-check" not in names(client)
    created = client.post("/hosts", json=body, timeout=60)
    assert created.status_code == 201, created.text
    host = created.json()
    assert host["transport"] == "tls" and host["state"] == "online" and not host["plain_tcp"]
    assert host["tls"]["ca"]["sha256"] and host["tls"]["client"]["not_after"]
    assert "BEGIN" not in created.text and "BEGIN" not in client.get("/hosts/t-tls-check").text, "PEMs never come back"
    again = client.post("/hosts", json=body, timeout=60)
    assert again.status_code == 409 and again.json()["error"]["code"] == "host_exists"
    assert client.delete("/hosts/t-tls-check").status_code == 428  # the server's confirmation first


def test_ssh_host_pins_its_key_and_refuses_a_changed_one(client):
    probe = client.post("/hosts/probe", json=remote_hosts.ssh_probe_body(), timeout=60)
    assert probe.status_code == 200, probe.text
    assert probe.json()["fingerprint"] == remote_hosts.fingerprint("near", "ssh")
    host = add(client, remote_hosts.ssh_host_body("t-ssh"))
    assert host["transport"] == "ssh" and host["ssh"]["host_key"] == remote_hosts.fingerprint("near", "ssh")
    listed = client.get("/hosts/t-ssh/containers?all=1")
    assert listed.status_code == 200, listed.text
    remote_hosts.ssh_host_key("other")
    try:
        checked = client.post("/hosts/t-ssh/check", timeout=60).json()
        # A running tunnel keeps its connection; the next one (after a restart) meets the new key.
        if checked["state"] == "online":
            remote_hosts.docker("near", "info", check=False)
            wrong = client.post("/hosts/probe", json=dict(remote_hosts.ssh_probe_body()), timeout=60)
            assert wrong.json()["fingerprint"] == remote_hosts.host("near")["ssh_other_host_key"]
        else:
            assert remote_hosts.fingerprint("near", "ssh") in checked["last_error"]
            assert remote_hosts.host("near")["ssh_other_host_key"] in checked["last_error"]
    finally:
        remote_hosts.ssh_host_key("original")
    assert client.post("/hosts/t-ssh/check", timeout=60).json()["state"] == "online"


def test_containers_logs_and_actions_on_a_remote_host(client, near):
    name = f"t-remote-{uuid.uuid4().hex[:8]}"
    remote_hosts.docker("near", "run", "-d", "--name", name, IMAGE, "sh", "-c", "echo hello-from-near; sleep 300")
    try:
        listed = wait_for("the near mirror", lambda: [c for c in client.get(f"/hosts/t-near/containers?q={name}").json()["items"]], 15)
        assert listed[0]["name"] == name and listed[0]["state"] == "running"
        assert client.get(f"/containers?q={name}").json()["items"] == [], "the default host is another engine"
        details = client.get(f"/hosts/t-near/containers/{name}")
        assert details.status_code == 200 and details.json()["name"] == name
        lines = client.get(f"/hosts/t-near/containers/{name}/logs?tail=10").json()["lines"]
        assert any("hello-from-near" in line["line"] for line in lines)
        stopped = client.post(f"/hosts/t-near/containers/{name}/stop", json={"timeout": 1})
        assert stopped.status_code == 200, stopped.text
        assert remote_hosts.docker("near", "inspect", "-f", "{{.State.Running}}", name) == "false"
        audit = client.get("/audit-logs?action=container.stop").json()["items"][0]
        assert audit["params"]["host"] == "t-near"
    finally:
        remote_hosts.docker("near", "rm", "-f", name, check=False)


def test_log_follow_on_the_far_host(client, far):
    name = f"t-far-{uuid.uuid4().hex[:8]}"
    remote_hosts.docker("far", "run", "-d", "--name", name, IMAGE, "sh", "-c", "i=0; while true; do echo far-$i; i=$((i+1)); sleep 0.5; done")
    try:
        stream = open_stream(client, f"/hosts/t-far/containers/{name}/logs/follow?tail=1", timeout=30)
        seen = []
        for event in stream.events():
            if event.get("event") == "log":
                seen.append(data(event)["line"])
            if len(seen) >= 3:
                break
        stream.close()
        assert all(line.startswith("far-") for line in seen)
    finally:
        remote_hosts.docker("far", "rm", "-f", name, check=False)


def test_cross_host_search_finds_containers_on_every_host(client, near, far):
    tag = uuid.uuid4().hex[:6]
    docker("run", "-d", "--name", f"t-x-{tag}-local", IMAGE, "sleep", "300")
    remote_hosts.docker("near", "run", "-d", "--name", f"t-x-{tag}-near", IMAGE, "sleep", "300")
    remote_hosts.docker("far", "run", "-d", "--name", f"t-x-{tag}-far", IMAGE, "sleep", "300")
    try:
        def found():
            # near is also added as t-ssh and t-tls-check by other tests: the same container under each of them.
            items = [c for c in client.get(f"/containers?host=*&q=t-x-{tag}").json()["items"] if c["host"] in ("local", "t-near", "t-far")]
            return items if len(items) == 3 else None
        items = wait_for("three hosts' containers", found, 20)
        assert {(c["host"], c["name"]) for c in items} == {
            ("local", f"t-x-{tag}-local"), ("t-near", f"t-x-{tag}-near"), ("t-far", f"t-x-{tag}-far")}
        images = client.get(f"/images?host=*&q={IMAGE.split(':')[0]}").json()
        assert {"local", "t-near", "t-far"} <= {i["host"] for i in images["items"]}, "each engine's copy of the test image"
        stacks = client.get("/stacks?host=*").json()
        assert "skipped_hosts" in stacks and all("host" in s for s in stacks["items"])
        overview = {h["name"]: h for h in client.get("/overview").json()["hosts"]}
        assert overview["t-far"]["state"] == "online" and overview["t-far"]["latency_ms"] >= 400, "250 ms each way"
        assert overview["t-near"]["containers"]["running"] >= 1
    finally:
        docker("rm", "-f", f"t-x-{tag}-local", check=False)
        remote_hosts.docker("near", "rm", "-f", f"t-x-{tag}-near", check=False)
        remote_hosts.docker("far", "rm", "-f", f"t-x-{tag}-far", check=False)


def test_a_stopped_engine_goes_offline_with_stale_rows_and_comes_back(client, far):
    name = f"t-stale-{uuid.uuid4().hex[:8]}"
    remote_hosts.docker("far", "run", "-d", "--name", name, IMAGE, "sleep", "600")
    wait_for("the far mirror", lambda: client.get(f"/hosts/t-far/containers?q={name}").json()["items"], 15)
    events = open_stream(client, "/events", timeout=30)
    remote_hosts.stop_engine("far")
    try:
        host = wait_for("far offline", lambda: (lambda h: h if h["state"] == "offline" else None)(client.get("/hosts/t-far").json()), 20)
        assert host["last_error"]
        rows = client.get(f"/hosts/t-far/containers?q={name}").json()
        assert rows["items"][0]["stale"] is True and rows["items"][0]["observed_at"] and rows["source"] == "last_known"
        started = time.monotonic()
        refused = client.post(f"/hosts/t-far/containers/{name}/stop", json={})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "host_offline"
        assert "t-far" in refused.json()["error"]["message"] and time.monotonic() - started < 1.5, "at once, no timeout"
        change = next(data(e) for e in events.events() if e.get("event") == "host" and data(e)["host"] == "t-far")
        assert change["state"] == "offline" and change["previous"] == "online"
        events.close()
    finally:
        remote_hosts.start_engine("far")
    wait_for("far online", lambda: client.get("/hosts/t-far").json()["state"] == "online", 20)
    history = client.get("/hosts/t-far/history").json()["items"]
    assert [h["state"] for h in history[:2]] == ["online", "offline"]
    live = wait_for("fresh rows", lambda: (lambda i: i if i and not i[0].get("stale") else None)(
        client.get(f"/hosts/t-far/containers?q={name}").json()["items"]), 20)
    assert live[0]["state"] == "running"
    remote_hosts.docker("far", "rm", "-f", name, check=False)


def test_stack_up_and_down_on_a_remote_host(client, near):
    name = f"t-rstack-{uuid.uuid4().hex[:6]}"
    compose = f"services:\n  app:\n    image: {IMAGE}\n    command: [\"sleep\", \"300\"]\n"
    created = client.post("/hosts/t-near/stacks", json={"name": name, "compose": compose})
    assert created.status_code == 201, created.text
    assert name not in {s["name"] for s in client.get("/stacks").json()["items"]}, "the local host has no such stack"
    assert os.path.isdir(os.path.join(client.get("/hosts/t-near/stacks").json()["root"], name))
    plan = client.get(f"/hosts/t-near/stacks/{name}/plan").json()
    assert plan["notes"] == [], "no bind mounts, nothing to say"
    task = run_task(client, f"/stacks/{name}/up", {}, "t-near")
    assert task["state"] == "succeeded", task
    assert task["host"] == "t-near"
    running = remote_hosts.docker("near", "ps", "--filter", f"label=com.docker.compose.project={name}", "--format", "{{.Names}}")
    assert running == f"{name}-app-1"
    assert docker("ps", "-a", "--filter", f"label=com.docker.compose.project={name}", "-q") == ""
    task = run_task(client, f"/stacks/{name}/down", {}, "t-near")
    assert task["state"] == "succeeded", task
    assert remote_hosts.docker("near", "ps", "-a", "--filter", f"label=com.docker.compose.project={name}", "-q") == ""


def test_image_pull_from_the_test_registry_on_a_remote_host(client, near):
    registry = os.environ.get("JARVIS_E2E_REGISTRY")
    if not registry:
        pytest.skip("no private registry")
    task = run_task(client, "/images/pull", {
        "image": f"{registry}/jarvis/busybox", "tag": "1.0",
        "auth": {"username": os.environ["JARVIS_E2E_REGISTRY_USER"], "password": os.environ["JARVIS_E2E_REGISTRY_PASSWORD"]}}, "t-near")
    assert task["state"] == "succeeded", task
    assert remote_hosts.docker("near", "image", "inspect", "-f", "{{.Id}}", f"{registry}/jarvis/busybox:1.0").startswith("sha256:")


def test_viewers_and_operators_see_hosts_but_cannot_add_them(client, near):
    viewer = user(client, "viewer")
    assert "t-near" in names(viewer)
    assert viewer.post("/hosts/probe", json=remote_hosts.tls_probe_body("near"), timeout=30).status_code == 403
    assert viewer.post("/hosts", json=remote_hosts.tls_host_body("near", "t-viewer"), timeout=30).status_code == 403
    assert viewer.post("/hosts/t-near/check").status_code == 403
    operator = user(client, "operator")
    assert operator.post("/hosts/t-near/check", timeout=60).json()["state"] == "online"
    assert operator.post("/hosts/t-near/archive").status_code == 403
    assert Client().get("/hosts").status_code == 401


def test_unknown_and_archived_hosts(client, near):
    assert client.get("/hosts/nope/containers").json()["error"]["code"] == "host_not_found"
    archived = add(client, remote_hosts.tls_host_body("near", "t-archive"))
    assert client.post("/hosts/t-archive/archive").json()["archived"] is True
    assert "t-archive" not in names(client)
    assert client.get("/hosts/t-archive/containers").json()["error"]["code"] == "host_archived"
    assert client.post("/hosts/local/archive").json()["error"]["code"] == "host_is_default"
    assert client.post("/hosts/t-archive/unarchive").json()["archived"] is False
    assert archived["name"] in names(client)


def test_a_remote_stack_says_its_binds_are_on_that_host_and_refuses_inline_files(client, near):
    name = f"t-rbind-{uuid.uuid4().hex[:6]}"
    compose = (f"services:\n  app:\n    image: {IMAGE}\n    command: [\"sleep\", \"300\"]\n    volumes: [\"/srv/data:/data\"]\n"
               "    configs: [greeting]\nconfigs:\n  greeting:\n    content: hello\n")
    assert client.post("/hosts/t-near/stacks", json={"name": name, "compose": compose}).status_code == 201
    plan = client.get(f"/hosts/t-near/stacks/{name}/plan").json()
    assert any("/srv/data" in note and "t-near" in note for note in plan["notes"]), plan
    refused = client.post(f"/hosts/t-near/stacks/{name}/up", json={})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "remote_inline_file", refused.text
    assert client.delete(f"/hosts/t-near/stacks/{name}").status_code in (200, 428)


@pytest.mark.parametrize("engine,host", [("far", "t-far"), ("near", "t-ssh")])
def test_terminal_on_a_remote_host(client, engine, host):
    from test_terminal import connect, control_messages_until_closed, read_until
    if host == "t-ssh":
        add(client, remote_hosts.ssh_host_body("t-ssh"))
    else:
        add(client, remote_hosts.tls_host_body("far", "t-far"))
    name = f"t-term-{uuid.uuid4().hex[:6]}"
    remote_hosts.docker(engine, "run", "-d", "--name", name, IMAGE, "sleep", "300")
    try:
        grant = client.post(f"/hosts/{host}/containers/{name}/exec", json={"cmd": ["/bin/sh"]})
        assert grant.status_code == 201, grant.text
        ws = connect(client, grant.json()["websocket_path"])
        ws.send_binary(b"echo on-$((6*7)); hostname\n")
        output = read_until(ws, b"on-42", seconds=20)
        ws.send_binary(b"exit 5\n")
        assert {"type": "exit", "code": 5} in control_messages_until_closed(ws)
        assert b"on-42" in output
    finally:
        remote_hosts.docker(engine, "rm", "-f", name, check=False)
