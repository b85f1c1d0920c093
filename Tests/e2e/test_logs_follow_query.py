"""The API shapes the product specification names, through nginx, jarvis-fcgi and jarvis-sse:
GET …/containers/{id}/logs?follow=true is the live stream of …/logs/follow (resume included),
and a JSON body with a field no route takes is refused with 400 naming it, changing nothing."""
import time
import uuid

from conftest import IMAGE, Client, data, docker, open_stream


def numbered(stream, count):
    out = []
    for event in stream.events("log"):
        out.append(int(data(event)["line"].split("=")[1]))
        if len(out) == count:
            return out, event["id"]
    raise AssertionError(f"the stream ended after {out}")


def test_follow_true_streams_lines_as_they_are_written(client, container):
    cid, _ = container("while [ ! -f /tmp/go ]; do sleep 0.1; done; echo after-1; echo after-2 >&2; sleep 600")
    stream = open_stream(client, f"/containers/{cid}/logs?follow=true&tail=all")
    assert stream.response.headers["Content-Type"].startswith("text/event-stream")
    docker("exec", cid, "touch", "/tmp/go")  # written only after the stream is open: it arrives live
    events = stream.events("log")
    got = [data(next(events)) for _ in range(2)]
    stream.close()
    assert {(e["line"], e["stream"]) for e in got} == {("after-1", "stdout"), ("after-2", "stderr")}


def test_resume_by_last_event_id_gives_only_newer_lines(client, container):
    cid, _ = container("i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo n=$i; sleep 0.02; done; sleep 600")
    first = open_stream(client, f"/containers/{cid}/logs?follow=true&tail=all")
    before, last_id = numbered(first, 20)
    first.close()
    time.sleep(0.5)  # the container keeps writing while nobody follows
    resumed = open_stream(client, f"/containers/{cid}/logs?follow=1", headers={"Last-Event-ID": last_id})
    after, _ = numbered(resumed, 40)
    resumed.close()
    assert before == list(range(1, 21))
    assert after == list(range(21, 61)), "nothing repeated, nothing lost"


def test_follow_false_and_absent_answer_the_json_history(client, container):
    cid, _ = container("echo one; echo two; sleep 600")
    time.sleep(0.5)
    for params in ({"follow": "false"}, {"follow": "0"}, {}):
        response = client.get(f"/containers/{cid}/logs", params={**params, "tail": 100})
        assert response.status_code == 200, (params, response.text)
        assert response.headers["Content-Type"].startswith("application/json"), params
        assert [line["line"] for line in response.json()["lines"]] == ["one", "two"], params
    assert client.get(f"/containers/{cid}/logs", params={"follow": "sideways"}).status_code == 400


def test_the_host_scoped_form_streams_too(client, container):
    cid, _ = container("echo hello-host; sleep 600")
    stream = open_stream(client, f"/hosts/local/containers/{cid}/logs?follow=true&tail=all")
    assert data(next(stream.events("log")))["line"] == "hello-host"
    stream.close()
    history = client.get(f"/hosts/local/containers/{cid}/logs", params={"follow": "false", "tail": 100})
    assert history.status_code == 200 and history.json()["lines"][0]["line"] == "hello-host"


def test_a_viewer_follows_and_nobody_without_an_account_does(client, anonymous, container):
    cid, _ = container("echo for-viewers; sleep 600")
    name, password = "viewer" + uuid.uuid4().hex[:6], "a viewer password " + uuid.uuid4().hex[:6]
    created = client.post("/users", json={"username": name, "password": password, "role": "viewer"})
    assert created.status_code == 201, created.text
    try:
        viewer = Client()
        assert viewer.login(name, password).status_code == 200
        stream = open_stream(viewer, f"/containers/{cid}/logs?follow=true&tail=all")
        assert data(next(stream.events("log")))["line"] == "for-viewers"
        stream.close()
        for follow in ("true", "1", "false"):
            refused = anonymous.get(f"/containers/{cid}/logs?follow={follow}")
            assert refused.status_code == 401, follow
            assert refused.json()["error"]["code"] == "unauthorized", follow
    finally:
        user_id = created.json()["id"]
        first = client.delete(f"/users/{user_id}")
        if first.status_code == 428:
            client.delete(f"/users/{user_id}", headers={"X-Confirmation-Token": first.json()["confirmation"]["token"]})


def refused(response, field):
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "unknown_field", error
    assert error["field"] == field, error
    assert error["message"].startswith(field + ": "), error


def test_unknown_fields_are_refused_and_nothing_changes(client):
    name = "strict-" + uuid.uuid4().hex[:8]
    refused(client.post("/containers", json={"image": IMAGE, "name": name, "cmd": "sleep 60"}), "cmd")
    assert docker("ps", "-a", "-q", "--filter", f"name=^{name}$") == "", "no container was created"

    compose = "services:\n  app:\n    image: jarvis-test/busybox:latest\n    command: [sleep, '60']\n"
    refused(client.post("/stacks", json={"name": name, "compose": compose, "enviroment": "A=1"}), "enviroment")
    assert client.get(f"/stacks/{name}").status_code == 404, "no stack was written"

    refused(client.post("/users", json={"username": name, "password": "long enough password", "role": "viewer", "admin": True}), "admin")
    assert name not in [user["username"] for user in client.get("/users", params={"page_size": 500}).json()["items"]]

    refused(client.post("/hosts", json={"name": name, "endpoint": "tcp://127.0.0.1:1", "fingerprnt": "sha256:x"}), "fingerprnt")
    assert client.get(f"/hosts/{name}").status_code == 404, "no host was added"
    refused(client.post("/hosts/probe", json={"endpoint": "tcp://127.0.0.1:1",
                                              "tls": {"ca": "a", "cert": "b", "key": "c", "server_nam": "x"}}), "tls.server_nam")

    refused(client.post("/hosts/local/check", json={"force": True}), "force")  # a route that reads no body


def test_the_same_bodies_without_the_stray_field_still_work(client):
    name = "strict-" + uuid.uuid4().hex[:8]
    created = client.post("/containers", json={"image": IMAGE, "name": name, "command": "sleep 60", "ports": ["127.0.0.1::8000-8001"],
                                              "start": False})
    try:
        assert created.status_code == 201, created.text
        exposed = docker("inspect", "-f", "{{json .Config.ExposedPorts}}", name)
        assert "8000/tcp" in exposed and "8001/tcp" in exposed, exposed
    finally:
        docker("rm", "-f", name, check=False)
    bad = client.post("/containers", json={"image": IMAGE, "ports": ["8000-8005:80-90"]})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "ports[0]", bad.text
