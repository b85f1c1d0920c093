"""Container create, actions, removal with confirmation, bulk actions, logs
history/search/download and stats, through nginx + jarvis-fcgi + the private engine."""
import threading
import time
import uuid

import pytest
import requests

from conftest import IMAGE, docker, wait_for


def error_of(response):
    return response.json()["error"]


@pytest.fixture
def created():
    """Names of containers a test creates through the API, removed afterwards."""
    names = []
    yield names
    for name in names:
        docker("rm", "-f", name, check=False)


def unique(prefix="e2e-c"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def confirm(client, method, path, **kw):
    """Sends a dangerous request twice: first for the 428 challenge, then with its token."""
    send = getattr(client, method)
    first = send(path, **kw)
    assert first.status_code == 428, first.text
    challenge = first.json()["confirmation"]
    headers = dict(kw.pop("headers", {}), **{"X-Confirmation-Token": challenge["token"]})
    return challenge, send(path, headers=headers, **kw)


def test_create_with_every_field_publishes_the_port_and_lists_it(client, created):
    name = unique()
    created.append(name)
    body = {
        "image": IMAGE, "name": name, "command": "httpd -f -p 80 -h /www",
        "ports": ["127.0.0.1:18981:80"], "env": ["MODE=test", "API_TOKEN=s3cret"], "labels": {"team": "e2e"},
        "memory": "64m", "cpus": 0.5, "restart_policy": "on-failure:3", "hostname": "web-e2e", "working_dir": "/www",
        "volumes": [f"{name}-data:/data"], "user": "root",
    }
    response = client.post("/containers", json=body)
    assert response.status_code == 201, response.text
    details = response.json()
    assert details["state"]["running"] and details["name"] == name
    assert details["memory_limit"] == 64 << 20 and details["nano_cpus"] == 500_000_000
    assert details["restart_policy"] == "on-failure" and details["hostname"] == "web-e2e"
    assert {"ip": "127.0.0.1", "private_port": 80, "public_port": 18981, "type": "tcp"} in details["ports"]
    assert any(m["destination"] == "/data" and m["name"] == f"{name}-data" for m in details["mounts"])
    # The published port really serves (through docker-proxy on 127.0.0.1).
    page = wait_for("the published port", lambda: _get("http://127.0.0.1:18981/"))
    assert "jarvis test page" in page
    listed = client.get("/containers", params={"q": name}).json()
    assert listed["total"] == 1 and listed["items"][0]["state"] == "running", "read-your-writes after create"
    assert listed["items"][0]["labels"]["team"] == "e2e"
    docker("volume", "rm", "-f", f"{name}-data", check=False)


def _get(url):
    try:
        return requests.get(url, timeout=2).text
    except requests.RequestException:
        return None


@pytest.mark.parametrize("body,field,code", [
    ({"image": IMAGE, "ports": ["80:xx"]}, "ports[0]", "invalid_field"),
    ({"image": IMAGE, "ports": ["70000:80"]}, "ports[0]", "invalid_field"),
    ({"image": IMAGE, "ports": ["9000:80", "9000:81"]}, "ports[1]", "invalid_field"),
    ({"image": IMAGE, "memory": "lots"}, "memory", "invalid_field"),
    ({"image": IMAGE, "memory": "1k"}, "memory", "invalid_field"),
    ({"image": IMAGE, "cpus": -1}, "cpus", "invalid_field"),
    ({"image": IMAGE, "env": ["NOVALUE"]}, "env[0]", "invalid_field"),
    ({"image": IMAGE, "name": "../escape"}, "name", "invalid_field"),
    ({"image": IMAGE, "volumes": ["data:relative"]}, "volumes[0]", "invalid_field"),
    ({"image": IMAGE, "volumes": ["/etc/../root:/x"]}, "volumes[0]", "invalid_field"),
    ({"image": IMAGE, "restart_policy": "sometimes"}, "restart_policy", "invalid_field"),
    ({"image": IMAGE, "network": "no-such-network"}, "network", "invalid_field"),
    ({"image": "no-such/image:1"}, "image", "image_not_found"),
    ({"image": IMAGE, "command": "echo 'unterminated"}, "command", "invalid_field"),
])
@pytest.mark.serial  # compares all containers of the engine
def test_invalid_fields_are_named_and_nothing_is_created(client, body, field, code):
    before = set(docker("ps", "-aq").split())
    response = client.post("/containers", json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == code and error["field"] == field and error["message"].startswith(field + ":")
    assert set(docker("ps", "-aq").split()) == before


@pytest.mark.serial  # compares all containers of the engine
def test_taken_name_and_published_port_conflict_are_409_naming_both_sides(client, created):
    name = unique()
    created.append(name)
    first = client.post("/containers", json={"image": IMAGE, "name": name, "command": "httpd -f -p 80 -h /www",
                                             "ports": ["127.0.0.1:18982:80"]})
    assert first.status_code == 201, first.text
    before = set(docker("ps", "-aq").split())
    same_name = client.post("/containers", json={"image": IMAGE, "name": name})
    assert same_name.status_code == 409 and error_of(same_name)["field"] == "name"
    same_port = client.post("/containers", json={"image": IMAGE, "ports": ["18982:80"]})
    assert same_port.status_code == 409 and error_of(same_port)["code"] == "port_in_use"
    assert name in error_of(same_port)["message"] and "18982" in error_of(same_port)["message"]
    assert set(docker("ps", "-aq").split()) == before, "nothing half-created"


@pytest.mark.serial  # compares all containers of the engine
def test_a_container_that_cannot_start_is_removed_again(client):
    before = set(docker("ps", "-aq").split())
    response = client.post("/containers", json={"image": IMAGE, "command": ["/no/such/binary"]})
    assert response.status_code >= 400 and error_of(response)["code"] == "start_failed", response.text
    assert set(docker("ps", "-aq").split()) == before


def test_bind_mounts_need_the_admin_role(client, created):
    client.post("/users", json={"username": "op-binds", "password": "operator-pass-1", "role": "operator"})
    operator = type(client)()
    assert operator.login("op-binds", "operator-pass-1").status_code == 200
    response = operator.post("/containers", json={"image": IMAGE, "volumes": ["/etc:/host-etc:ro"]})
    assert response.status_code == 403 and error_of(response)["field"] == "volumes"
    name = unique()
    created.append(name)
    allowed = client.post("/containers", json={"image": IMAGE, "name": name, "volumes": ["/etc:/host-etc:ro"], "start": False})
    assert allowed.status_code == 201 and allowed.json()["state"]["status"] == "created"


@pytest.mark.serial  # reads the newest container.rename audit row
def test_pause_unpause_rename_are_idempotent_and_audited(client, container):
    cid, name = container()
    for _ in range(2):
        response = client.post(f"/containers/{cid}/pause")
        assert response.status_code == 200 and response.json()["state"]["paused"] is True
    assert docker("inspect", "-f", "{{.State.Paused}}", cid) == "true"
    for _ in range(2):
        assert client.post(f"/containers/{cid}/unpause").json()["state"]["paused"] is False
    renamed = unique("e2e-renamed")
    response = client.post(f"/containers/{cid}/rename", json={"name": renamed})
    assert response.status_code == 200 and response.json()["name"] == renamed
    assert docker("inspect", "-f", "{{.Name}}", cid) == "/" + renamed
    bad = client.post(f"/containers/{cid}/rename", json={"name": "has space"})
    assert bad.status_code == 400 and error_of(bad)["field"] == "name"
    audit = client.get("/audit-logs", params={"action": "container.rename"}).json()["items"][0]
    assert audit["resource_id"] == cid and audit["result"] == "failure"  # the last one, refused


def test_remove_needs_a_confirmation_bound_to_target_and_flags(client, container):
    cid, name = container()
    plain = client.delete(f"/containers/{cid}")
    assert plain.status_code == 428
    token = plain.json()["confirmation"]["token"]
    forced = client.delete(f"/containers/{cid}", params={"force": 1}, headers={"X-Confirmation-Token": token})
    assert forced.status_code == 403, "a token for a plain removal cannot force one"
    assert docker("inspect", "-f", "{{.State.Running}}", cid) == "true"
    challenge, removed = confirm(client, "delete", f"/containers/{cid}", params={"force": 1})
    assert "will be killed" in challenge["summary"] and challenge["targets"] == [cid]
    assert removed.status_code == 204
    assert docker("ps", "-aq", "--filter", f"id={cid}") == ""
    listed = client.get("/containers", params={"q": name}).json()
    assert listed["total"] == 0, "the list forgets it at once"


def test_two_racing_removals_give_one_success_and_one_404(client, container):
    cid, _ = container(start=False)
    tokens = [client.delete(f"/containers/{cid}").json()["confirmation"]["token"] for _ in range(2)]
    results = []

    def remove(token):
        results.append(client.delete(f"/containers/{cid}", headers={"X-Confirmation-Token": token}).status_code)

    threads = [threading.Thread(target=remove, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [204, 404], results


def test_bulk_stop_needs_confirmation_and_reports_each_container(client, container):
    a, _ = container()
    b, _ = container()
    challenge, response = confirm(client, "post", "/containers/actions",
                                  json={"action": "stop", "ids": [a, b, "no-such-container"], "timeout": 1})
    assert challenge["summary"] == "stop 3 containers"
    assert response.status_code == 200
    results = {r["id"]: r for r in response.json()["results"]}
    assert results[a]["ok"] and results[b]["ok"]
    assert results["no-such-container"]["ok"] is False and results["no-such-container"]["error"]["code"] == "not_found"
    assert docker("inspect", "-f", "{{.State.Running}}", a) == "false"
    bad = client.post("/containers/actions", json={"action": "explode", "ids": [a]})
    assert bad.status_code == 400 and error_of(bad)["field"] == "action"


def test_list_filters_by_label_and_sorts(client, container):
    tag = uuid.uuid4().hex[:6]
    made = []
    for i in range(3):
        name = f"e2e-sort-{tag}-{i}"
        docker("run", "-d", "--name", name, "--label", f"sortgroup={tag}", "--label", f"index={i}", IMAGE, "sleep", "600")
        made.append(name)
    try:
        def listed(**params):
            return client.get("/containers", params={"label": f"sortgroup={tag}", **params}).json()
        wait_for("the mirror to see all three", lambda: listed()["total"] == 3)
        assert [c["name"] for c in listed(sort="name", order="desc")["items"]] == made[::-1]
        assert [c["name"] for c in listed(label=f"sortgroup={tag},index=1")["items"]] == [made[1]]
        assert client.get("/containers", params={"sort": "bogus"}).status_code == 400
    finally:
        for name in made:
            docker("rm", "-f", name, check=False)


def test_list_filters_by_image_id_whatever_name_the_container_was_created_from(client):
    tag = f"jarvis-test/by-image-{uuid.uuid4().hex[:6]}"
    base = docker("create", IMAGE, "true")
    image_id = docker("commit", base, f"{tag}:a")
    docker("rm", base)
    docker("tag", f"{tag}:a", f"{tag}:b")
    names = [f"e2e-by-image-{tag[-6:]}-{suffix}" for suffix in ("a", "b")]
    docker("create", "--name", names[0], f"{tag}:a", "true")
    docker("create", "--name", names[1], f"{tag}:b", "true")
    try:
        def listed():
            return client.get("/containers", params={"image": image_id}).json()
        wait_for("the mirror to see both", lambda: listed()["total"] == 2)
        assert sorted(c["name"] for c in listed()["items"]) == names
        assert all(c["image_id"] == image_id for c in listed()["items"])
        bad = client.get("/containers", params={"image": "busybox"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "image"
    finally:
        for name in names:
            docker("rm", "-f", name, check=False)
        docker("rmi", "-f", image_id, check=False)


@pytest.mark.serial  # expects its container to be the busiest of the engine
def test_stats_sampler_fills_cpu_and_memory(client, container):
    cid, name = container("while true; do :; done")  # a busy loop: clearly above 0 % CPU
    def sampled():
        item = client.get("/containers", params={"q": name}).json()["items"][0]
        return item if item.get("cpu_percent") is not None else None
    item = wait_for("two stats samples", sampled, timeout=40)
    assert item["cpu_percent"] > 20 and item["memory_used"] > 0 and item["memory_limit"] > item["memory_used"]
    top = client.get("/containers", params={"sort": "cpu", "order": "desc", "all": 0}).json()["items"][0]
    assert top["id"] == cid


def test_log_history_tail_stream_search_and_paging_back(client, container):
    cid, _ = container("i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo out-$i; echo err-$i >&2; done; sleep 600")
    wait_for("all lines", lambda: len(client.get(f"/containers/{cid}/logs", params={"tail": 1000}).json()["lines"]) == 100)
    last = client.get(f"/containers/{cid}/logs", params={"tail": 5, "stream": "stderr"}).json()
    assert [l["line"] for l in last["lines"]] == [f"err-{i}" for i in range(46, 51)] and last["limit_reached"]
    found = client.get(f"/containers/{cid}/logs", params={"q": "OUT-4", "tail": 100}).json()["lines"]
    assert [l["line"] for l in found] == ["out-4"] + [f"out-{i}" for i in range(40, 50)]
    regex = client.get(f"/containers/{cid}/logs", params={"q": r"^err-\d$", "regex": 1}).json()["lines"]
    assert [l["line"] for l in regex] == [f"err-{i}" for i in range(1, 10)]
    # Paging back: the 10 stdout lines before the oldest one shown (order holds within a stream).
    shown = client.get(f"/containers/{cid}/logs", params={"tail": 5, "stream": "stdout"}).json()["lines"]
    assert shown[0]["line"] == "out-46"
    older = client.get(f"/containers/{cid}/logs", params={"tail": 10, "stream": "stdout", "before": shown[0]["time"]}).json()["lines"]
    assert [l["line"] for l in older] == [f"out-{i}" for i in range(36, 46)]
    assert error_of(client.get(f"/containers/{cid}/logs", params={"q": "(", "regex": 1}))["code"] == "invalid_regex"
    assert client.get(f"/containers/{cid}/logs", params={"tail": 10001}).status_code == 400
    assert client.get(f"/containers/{cid}/logs", params={"since": "yesterday"}).status_code == 400
    assert client.get(f"/containers/{cid}/logs", params={"since": "15m"}).status_code == 200
    assert client.get("/containers/no-such-container/logs").status_code == 404


def test_log_download_streams_the_whole_log_as_a_file(client, container):
    cid, name = container("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done; sleep 600")
    wait_for("the log", lambda: "line-20000-" in docker("logs", "--tail", "1", cid))
    response = client.get(f"/containers/{cid}/logs/download", params={"timestamps": 0}, stream=True)
    assert response.status_code == 200
    assert f'filename="{name}-' in response.headers["Content-Disposition"]
    lines = response.text.splitlines()
    assert len(lines) == 20000 and lines[0].startswith("line-1-") and lines[-1].startswith("line-20000-")
    searched = client.get(f"/containers/{cid}/logs/download", params={"q": "line-1999"}).text.splitlines()
    assert len(searched) == 11 and searched[0].split(" ", 1)[1].startswith("line-1999-")  # with timestamps


def test_viewers_see_secret_environment_values_masked(client, container):
    cid, _ = container()
    docker("rm", "-f", cid)
    name = unique()
    cid = docker("run", "-d", "--name", name, "-e", "DB_PASSWORD=hunter2", "-e", "PLAIN=visible", IMAGE, "sleep", "600")
    try:
        client.post("/users", json={"username": "viewer-env", "password": "viewer-pass-1", "role": "viewer"})
        viewer = type(client)()
        assert viewer.login("viewer-env", "viewer-pass-1").status_code == 200
        env = viewer.get(f"/containers/{cid}").json()["env"]
        assert "DB_PASSWORD=••••••" in env and "PLAIN=visible" in env
        assert "DB_PASSWORD=hunter2" in client.get(f"/containers/{cid}").json()["env"], "operators and admins see values"
        assert viewer.post(f"/containers/{cid}/stop").status_code == 403
    finally:
        docker("rm", "-f", cid, check=False)


def test_dashboard_summarises_the_host(client, container):
    container()
    body = client.get("/system/dashboard").json()
    assert body["host"]["engine_version"] and body["host"]["cpus"] >= 1
    assert body["containers"].get("running", 0) >= 1
    assert body["disk"]["images"] > 0 and body["disk"]["image_count"] >= 1
    assert isinstance(body["recent_audit"], list), "admins see recent audit rows"
