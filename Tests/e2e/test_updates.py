"""Image updates against the private engine and a registry of this file's own (Debian's
docker-registry with htpasswd, on port-2990, which the stack is told to speak plain HTTP to):
detection by HEAD, updates that keep every configuration field, automatic rollback of an
unhealthy image, manual rollback, tag policies, and who may do what."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import BASE, DOCKER_HOST, IMAGE, Client, docker, wait_for

PORT = int(BASE.rsplit(":", 1)[1]) - 2990
REGISTRY = f"127.0.0.1:{PORT}"
USER, PASSWORD = "updater", "upd-" + uuid.uuid4().hex[:8]
REPO = f"{REGISTRY}/jv-upd/app"


def cli(*args, stdin=None, config=None):
    """The docker CLI on the private engine, with this file's registry login."""
    assert DOCKER_HOST.startswith("unix:///tmp/")
    env = dict(os.environ, DOCKER_HOST=DOCKER_HOST)
    if config:
        env["DOCKER_CONFIG"] = config
    result = subprocess.run(["docker", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


@pytest.fixture(scope="module")
def registry():
    if not shutil.which("docker-registry"):
        pytest.skip("Debian's docker-registry is not installed")
    folder = tempfile.mkdtemp(prefix="jv-upd-reg.")
    subprocess.run(f"htpasswd -Bbn {USER} {PASSWORD} > {folder}/htpasswd", shell=True, check=True)
    with open(f"{folder}/config.yml", "w") as config:
        config.write(f"version: 0.1\nstorage: {{ filesystem: {{ rootdirectory: {folder}/data }}, delete: {{ enabled: true }} }}\n"
                     f"http: {{ addr: \"{REGISTRY}\" }}\n"
                     f"auth: {{ htpasswd: {{ realm: jv-upd, path: {folder}/htpasswd }} }}\nlog: {{ accesslog: {{ disabled: false }} }}\n")
    log = open(f"{folder}/registry.log", "w")
    process = subprocess.Popen(["docker-registry", "serve", f"{folder}/config.yml"], stdout=log, stderr=subprocess.STDOUT)

    def up():
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=0.5):
                return True
        except OSError:
            return False
    wait_for("the update registry", up, 15)
    cli_config = f"{folder}/cli"
    os.makedirs(cli_config)
    cli("login", "-u", USER, "--password-stdin", REGISTRY, stdin=PASSWORD, config=cli_config)
    state = {"dir": folder, "log": f"{folder}/registry.log", "config": cli_config}
    yield state
    process.terminate()
    process.wait(10)
    log.close()
    shutil.rmtree(folder, ignore_errors=True)


def push(registry, tag, version, *, healthy=True, cmd=None):
    """Builds jv-upd/app:<tag> from the test image (offline) and pushes it; returns (image id, digest)."""
    health = "HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD " + ("test -f /version" if healthy else "false")
    command = cmd or f'["sh", "-c", "echo serving v{version}; while true; do sleep 1; done"]'
    dockerfile = (f"FROM {IMAGE}\nRUN echo {version} > /version\nENV APP_VERSION={version}\nVOLUME /data\nEXPOSE 8080\n"
                  f"LABEL app.version={version}\n{health}\nCMD {command}\n")
    reference = f"{REPO}:{tag}"
    cli("build", "-q", "-t", reference, "-", stdin=dockerfile)
    cli("push", "-q", reference, config=registry["config"])
    image_id = cli("image", "inspect", "-f", "{{.Id}}", reference)
    digest = cli("image", "inspect", "-f", "{{index .RepoDigests 0}}", reference).split("@")[1]
    return image_id, digest


def manifest_requests(registry, method):
    """Answered manifest requests in the registry's access log (a 401 challenge before the login is not one)."""
    with open(registry["log"]) as log:
        return len(re.findall(rf'"{method} /v2/jv-upd/app/manifests/[^"]*" 200 ', log.read()))


def finished(client, task_id, timeout=90):
    def done():
        task = client.get(f"/tasks/{task_id}").json()
        return task if task["state"] not in ("queued", "running") else None
    return wait_for(f"task {task_id}", done, timeout)


def check(client, **scope):
    response = client.post("/updates/check", json=scope)
    assert response.status_code == 202, response.text
    task = finished(client, response.json()["task_id"])
    assert task["state"] == "succeeded", task
    return task


def state_of(client, name):
    items = [u for u in client.get("/updates", params={"page_size": 500}).json()["items"] if u["container"] == name]
    assert len(items) == 1, items
    return items[0]


@pytest.fixture(scope="module")
def saved_login(registry):
    admin = Client()
    assert admin.login().status_code == 200
    saved = admin.post("/registries", json={"registry": REGISTRY, "username": USER, "password": PASSWORD})
    assert saved.status_code in (200, 201), saved.text
    yield saved.json()
    admin.delete(f"/registries/{saved.json()['id']}")


def comparable(inspect):
    """docker inspect minus what an update changes by nature: ids, image, times, state, paths made from the id."""
    config = dict(inspect["Config"])
    for key in ("Image", "Env", "Labels", "Cmd"):  # Cmd, and the env and labels below, have parts the image sets
        config.pop(key, None)
    host = dict(inspect["HostConfig"])
    host.pop("Mounts", None)  # the anonymous volume is mounted by name after an update: compared in `mounts`
    networks = {name: {"Aliases": sorted(a for a in (n.get("Aliases") or []) if not inspect["Id"].startswith(a)),
                       "IPAMConfig": n.get("IPAMConfig")}
                for name, n in inspect["NetworkSettings"]["Networks"].items()}
    mounts = sorted((m["Type"], m.get("Name") or m.get("Source"), m["Destination"], m["RW"]) for m in inspect["Mounts"])
    user_env = sorted(e for e in inspect["Config"]["Env"] if not e.startswith(("APP_VERSION=", "PATH=")))
    user_labels = {k: v for k, v in (inspect["Config"]["Labels"] or {}).items() if k != "app.version"}
    return {"name": inspect["Name"], "config": config, "host": host, "networks": networks, "mounts": mounts,
            "env": user_env, "labels": user_labels}


def test_an_update_is_found_by_head_applied_with_every_setting_kept_and_rolled_back_when_unhealthy(client, registry, saved_login):
    tag = uuid.uuid4().hex[:6]
    v1_id, v1_digest = push(registry, "1.0", 1)
    name, network = f"upd-{tag}", f"upd-net-{tag}"
    cli("network", "create", "--subnet", "10.213.0.0/24", network)
    try:
        cli("run", "-d", "--name", name, "--label", "jarvis.e2e=1", "--label", "team=payments", "-e", "MODE=prod",
            "-e", "API_TOKEN=s3cr3t-value", "-p", "127.0.0.1::8080", "--network", network, "--network-alias", "web",
            "--ip", "10.213.0.9", "--restart", "unless-stopped", "--memory", "64m", "--cpus", "0.5", "--hostname", "webhost",
            "--mount", f"type=volume,source=upd-vol-{tag},target=/state", f"{REPO}:1.0")
        cli("exec", name, "sh", "-c", "echo kept > /data/anonymous && echo kept > /state/named")
        wait_for("v1 healthy", lambda: cli("inspect", "-f", "{{.State.Health.Status}}", name) == "healthy", 30)
        before = json.loads(cli("inspect", name))[0]

        heads, gets = manifest_requests(registry, "HEAD"), manifest_requests(registry, "GET")
        check(client, container=name)
        current = state_of(client, name)
        assert current["state"] == "up_to_date" and current["current_digest"] == v1_digest, current
        assert manifest_requests(registry, "HEAD") == heads + 1, "one HEAD for the image"
        assert manifest_requests(registry, "GET") == gets, "an unchanged tag costs no GET (a GET counts as a pull)"

        v2_id, v2_digest = push(registry, "1.0", 2)
        cli("tag", v1_id, f"{REPO}:1.0")  # the host still has v1 under the tag, as if someone else pushed v2
        check(client, container=name)
        current = state_of(client, name)
        assert current["state"] == "update_available" and current["available_digest"] == v2_digest, current
        assert client.get(f"/containers/{name}").json()["update"]["state"] == "update_available"

        response = client.post(f"/containers/{name}/update", json={"settle_seconds": 2, "health_timeout": 30})
        assert response.status_code == 202, response.text
        task = finished(client, response.json()["task_id"])
        assert task["state"] == "succeeded", task
        after = json.loads(cli("inspect", name))[0]
        assert after["Image"] == v2_id and after["Id"] != before["Id"]
        assert comparable(after) == comparable(before)
        assert sorted(e for e in after["Config"]["Env"] if e.startswith(("MODE=", "API_TOKEN="))) == ["API_TOKEN=s3cr3t-value", "MODE=prod"]
        assert "APP_VERSION=2" in after["Config"]["Env"], "the image's own defaults come from the new image"
        assert "serving v2" in " ".join(after["Config"]["Cmd"]) and after["Config"]["Labels"]["app.version"] == "2"
        assert cli("exec", name, "cat", "/data/anonymous", "/state/named") == "kept\nkept", "volumes, anonymous ones too, keep their data"
        assert state_of(client, name)["state"] == "up_to_date"
        history = client.get("/updates/history", params={"container": name}).json()["items"]
        assert history[0]["result"] == "updated" and history[0]["to_digest"] == v2_digest and history[0]["from_digest"] == v1_digest
        assert history[0]["by"] == "admin" and history[0]["kept_image"], history[0]
        assert "s3cr3t-value" not in json.dumps(task) + json.dumps(history)

        # A broken image: its healthcheck fails, so the previous container comes back by itself.
        push(registry, "1.0", 3, healthy=False)
        cli("tag", v2_id, f"{REPO}:1.0")
        before_broken = json.loads(cli("inspect", name))[0]
        response = client.post(f"/containers/{name}/update", json={"settle_seconds": 2, "health_timeout": 20})
        task = finished(client, response.json()["task_id"])
        assert task["state"] == "failed" and "the previous container runs again" in task["error"], task
        assert task["result"]["rolled_back"] is True and "unhealthy" in task["result"]["reason"], task["result"]
        assert any("serving v3" in line for line in task["result"]["logs"]), task["result"]["logs"]
        restored = json.loads(cli("inspect", name))[0]
        assert restored["Id"] == before_broken["Id"] and restored["Image"] == v2_id and restored["State"]["Running"]
        assert [c for c in cli("ps", "-a", "--format", "{{.Names}}").split() if c.startswith(name)] == [name], "nothing left aside"
        history = client.get("/updates/history", params={"container": name}).json()["items"]
        assert history[0]["result"] == "rolled_back" and "unhealthy" in history[0]["reason"]

        # A manual rollback restores the image the first update replaced.
        response = client.post(f"/containers/{name}/rollback", json={})
        assert response.status_code == 202, response.text
        task = finished(client, response.json()["task_id"])
        assert task["state"] == "succeeded", task
        assert json.loads(cli("inspect", name))[0]["Image"] == v1_id
        assert cli("exec", name, "cat", "/version") == "1"
        assert client.get("/updates/history", params={"container": name}).json()["items"][0]["kind"] == "rollback"
    finally:
        docker("rm", "-f", name, check=False)
        docker("network", "rm", network, check=False)
        docker("volume", "rm", f"upd-vol-{tag}", check=False)


def test_tag_policies_pick_the_newest_patch_minor_or_major(client, registry, saved_login):
    for tag, version in (("1.0.0", 10), ("1.0.1", 11), ("1.1.0", 12), ("2.0.0", 20), ("2.1.0-rc.1", 21)):
        push(registry, tag, version)
    name = f"upd-semver-{uuid.uuid4().hex[:6]}"
    cli("run", "-d", "--name", name, "--label", "jarvis.e2e=1", f"{REPO}:1.0.0")
    try:
        for level, expected in (("patch", "1.0.1"), ("minor", "1.1.0"), ("major", "2.0.0")):
            saved = client.put(f"/containers/{name}/update-policy", json={"mode": "notify", "semver": level})
            assert saved.status_code == 200 and saved.json()["semver"] == level and saved.json()["source"] == "container", saved.text
            check(client, container=name)
            found = state_of(client, name)
            assert found.get("available_tag") == expected, (level, found)
        bad = client.put(f"/containers/{name}/update-policy", json={"mode": "sometimes"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "mode"
        bad = client.put(f"/containers/{name}/update-policy", json={"mode": "auto", "maintenance_window": "61 * * * *"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "maintenance_window"
        bad = client.put(f"/containers/{name}/update-policy", json={"mode": "notify", "semver": "minor", "include": "(["})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "semver.include"
        assert client.get(f"/containers/{name}/update-policy").json()["semver"] == "major", "refused changes changed nothing"
        # Moving to the newer tag the policy chose.
        response = client.post(f"/containers/{name}/update", json={"tag": "2.0.0", "settle_seconds": 2})
        task = finished(client, response.json()["task_id"])
        assert task["state"] == "succeeded", task
        assert cli("inspect", "-f", "{{.Config.Image}}", name) == f"{REPO}:2.0.0"
        assert client.delete(f"/containers/{name}/update-policy").status_code == 204
        assert client.get(f"/containers/{name}/update-policy").json()["source"] == "default"
    finally:
        docker("rm", "-f", name, check=False)


def test_local_images_digests_and_ids_are_not_asked_about(client, container):
    _, local = container()
    check(client, container=local)
    found = state_of(client, local)
    assert found["state"] == "unknown" and "local image" in found["reason"], found
    refused = client.post(f"/containers/{local}/update", json={"tag": "1.0;rm"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "tag"
    unknown = client.get("/updates", params={"state": "maybe"})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "state"
    assert client.post("/containers/no-such-container-xyz/update", json={}).status_code == 404
    nothing = client.post(f"/containers/{local}/rollback", json={})
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_to_roll_back"


def test_viewers_and_anonymous_callers_cannot_update_and_an_operator_cannot_update_a_container_with_a_host_bind(client, registry, saved_login):
    push(registry, "1.0", 1)
    for username, role in (("upd-viewer", "viewer"), ("upd-operator", "operator")):
        made = client.post("/users", json={"username": username, "password": "updates-pass-1", "role": role})
        assert made.status_code in (201, 409), made.text
    viewer, operator, anonymous = Client(), Client(), Client()
    assert viewer.login("upd-viewer", "updates-pass-1").status_code == 200
    assert operator.login("upd-operator", "updates-pass-1").status_code == 200
    name = f"upd-bind-{uuid.uuid4().hex[:6]}"
    cli("run", "-d", "--name", name, "--label", "jarvis.e2e=1", "-v", "/etc:/host-etc:ro", f"{REPO}:1.0")
    push(registry, "1.0", 4)  # a new image under the tag: the update has something to recreate
    try:
        before = cli("inspect", "-f", "{{.Id}}", name)
        assert viewer.get("/updates").status_code == 200
        assert viewer.post(f"/containers/{name}/update", json={}).status_code == 403
        assert viewer.post("/updates/check", json={}).status_code == 403
        assert viewer.put(f"/containers/{name}/update-policy", json={"mode": "auto"}).status_code == 403
        assert anonymous.post(f"/containers/{name}/update", json={}).status_code == 401
        assert operator.put("/hosts/local/update-policy", json={"mode": "auto"}).status_code == 403, "the host default is an admin's"
        response = operator.post(f"/containers/{name}/update", json={"settle_seconds": 2})
        assert response.status_code == 202
        task = finished(client, response.json()["task_id"])
        assert task["state"] == "failed" and "only an admin" in task["error"], task
        assert cli("inspect", "-f", "{{.Id}} {{.State.Running}}", name) == f"{before} true", "the old container runs on"
        # The batch for a host needs the server's confirmation.
        asked = client.post("/updates/apply", json={"host": "local"})
        assert asked.status_code in (409, 428), asked.text
    finally:
        docker("rm", "-f", name, check=False)


def test_a_stack_update_recreates_only_the_changed_service_and_puts_the_previous_image_back_when_it_fails(client, registry, saved_login):
    from test_stacks import cleanup, project_containers, run_op, stack_name
    v1, _ = push(registry, "1.0", 1)
    name = stack_name()
    compose = (f"services:\n  web:\n    image: {REPO}:1.0\n  side:\n    image: {IMAGE}\n"
               "    command: [\"sh\", \"-c\", \"while true; do sleep 1; done\"]\n")
    assert client.post("/stacks", json={"name": name, "compose": compose}).status_code == 201
    try:
        run_op(client, name, "up")
        before = project_containers(name)
        side_before = next(cid for cid, _, service in before.values() if service == "side")
        v2, _ = push(registry, "1.0", 2)
        cli("tag", v1, f"{REPO}:1.0")
        task = run_op(client, name, "update", timeout=120)
        assert task["result"]["result"] == "updated" and task["result"]["services"] == "web", task["result"]
        after = project_containers(name)
        web = next(cid for cid, _, service in after.values() if service == "web")
        assert cli("inspect", "-f", "{{.Image}}", web) == v2
        assert next(cid for cid, _, service in after.values() if service == "side") == side_before, "the unchanged service stays"
        history = client.get("/updates/history", params={"stack": name}).json()["items"]
        assert history[0]["service"] == "web" and history[0]["result"] == "updated"

        push(registry, "1.0", 3, healthy=False)
        cli("tag", v2, f"{REPO}:1.0")
        task = run_op(client, name, "update", timeout=120, expect="failed")
        assert task["result"]["rolled_back"] == "true" and "unhealthy" in task["result"]["reason"], task["result"]
        web = next(cid for cid, _, service in project_containers(name).values() if service == "web")
        assert cli("inspect", "-f", "{{.Image}} {{.State.Running}}", web) == f"{v2} true", "the previous image runs again"
        history = client.get("/updates/history", params={"stack": name}).json()["items"]
        assert history[0]["result"] == "rolled_back" and history[0]["logs"], history[0]
    finally:
        cleanup(name)


def test_a_registry_behind_the_bearer_token_flow_is_checked_with_the_saved_login(client, registry):
    """A token realm this test serves: /v2/ answers 401 with a Bearer challenge until the client brings the
    token that /token hands out for the right basic login; then requests go on to the real registry."""
    import base64
    import http.server
    import threading
    import urllib.parse
    import urllib.request

    token = "tok-" + uuid.uuid4().hex
    front = f"127.0.0.1:{PORT + 1}"
    seen = []

    class Front(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, headers=(), body=b""):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle_any(self):
            authorization = self.headers.get("Authorization", "")
            seen.append((self.command, self.path.split("?")[0], authorization.split(" ")[0]))
            if self.path.startswith("/token"):
                good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                if authorization != good or query.get("scope") != ["repository:jv-upd/app:pull"] or query.get("service") != ["jv-front"]:
                    return self.answer(401)
                return self.answer(200, [("Content-Type", "application/json")], json.dumps({"token": token, "expires_in": 300}).encode())
            if authorization != "Bearer " + token:
                return self.answer(401, [("WWW-Authenticate", f'Bearer realm="http://{front}/token",service="jv-front",scope="repository:jv-upd/app:pull"')])
            forward = urllib.request.Request(f"http://{REGISTRY}{self.path}", method=self.command,
                                             headers={"Accept": self.headers.get("Accept", "*/*"),
                                                      "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()})
            try:
                with urllib.request.urlopen(forward, timeout=10) as upstream:
                    body = upstream.read()
                    keep = [(k, v) for k, v in upstream.headers.items() if k.lower() in ("docker-content-digest", "content-type")]
                    return self.answer(upstream.status, keep, body)
            except urllib.error.HTTPError as error:
                return self.answer(error.code)

        do_GET = do_HEAD = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT + 1), Front)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    admin = client
    saved = admin.post("/registries", json={"registry": front, "username": USER, "password": PASSWORD})
    assert saved.status_code in (200, 201), saved.text
    v1, _ = push(registry, "1.0", 1)
    cli("tag", v1, f"{front}/jv-upd/app:1.0")
    name = f"upd-token-{uuid.uuid4().hex[:6]}"
    cli("run", "-d", "--name", name, "--label", "jarvis.e2e=1", f"{front}/jv-upd/app:1.0")
    try:
        check(client, container=name)
        found = state_of(client, name)
        assert found["state"] == "up_to_date", found
        assert ("GET", "/token", "Basic") in seen, seen
        assert ("HEAD", "/v2/jv-upd/app/manifests/1.0", "Bearer") in seen, seen
        push(registry, "1.0", 2)
        seen.clear()
        check(client, container=name)
        found = state_of(client, name)
        assert found["state"] == "update_available", found
        assert [s for s in seen if s[1] == "/token"] == [("GET", "/token", "Basic")], "one token per round, reused"
        # Without the saved login the realm refuses: the state says why instead of guessing.
        admin.delete(f"/registries/{saved.json()['id']}")
        check(client, container=name)
        found = state_of(client, name)
        assert found["state"] == "unknown" and "login" in found["reason"], found
    finally:
        docker("rm", "-f", name, check=False)
        server.shutdown()
        admin.delete(f"/registries/{saved.json()['id']}")
