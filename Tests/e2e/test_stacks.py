"""Compose stacks driven natively through the Engine API: create, validate, plan,
up/down/stop/start, selective recreation, waits, port conflicts, path checks,
and interoperation with Debian's docker-compose (1.29) on the same private engine."""
import json
import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import requests

from conftest import DATA_DIR, DOCKER_HOST, IMAGE, docker, wait_for
from test_tasks import finished

STACKS = os.path.join(DATA_DIR, "stacks")

DEMO = """\
services:
  init:
    image: {image}
    command: ["sh", "-c", "echo ready > /shared/ready"]
    volumes: [shared:/shared]
  web:
    image: {image}
    command: ["sh", "-c", "mkdir -p /www && cp /shared/ready /www/index.html && exec httpd -f -p 8080 -h /www"]
    volumes: [shared:/shared]
    ports: ["127.0.0.1:${{WEB_PORT}}:8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 20
    depends_on:
      init: {{condition: service_completed_successfully}}
  worker:
    image: {image}
    command: ["sh", "-c", "while true; do sleep 1; done"]
    environment:
      GREETING: ${{GREETING:-hello}}
    depends_on:
      web: {{condition: service_healthy}}
volumes:
  shared: {{}}
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stack_name():
    return "st" + uuid.uuid4().hex[:8]


def project_containers(name):
    out = docker("ps", "-a", "--filter", f"label=com.docker.compose.project={name}",
                 "--format", '{{.Names}} {{.ID}} {{.State}} {{.Label "com.docker.compose.service"}}')
    return {line.split()[0]: line.split()[1:] for line in out.splitlines() if line}


def run_op(client, name, operation, body=None, timeout=90, expect="succeeded"):
    response = client.post(f"/stacks/{name}/{operation}", json=body or {})
    assert response.status_code == 202, response.text
    task = finished(client, response.json()["task_id"], timeout=timeout)
    assert task["state"] == expect, task
    return task


def cleanup(name):
    for container_name, (cid, *_rest) in project_containers(name).items():
        docker("rm", "-f", cid, check=False)
    for network in docker("network", "ls", "-q", "--filter", f"label=com.docker.compose.project={name}").split():
        docker("network", "rm", network, check=False)
    for volume in docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={name}").split():
        docker("volume", "rm", volume, check=False)


@pytest.fixture
def stack(client):
    made = []

    def make(compose=None, env=None, port=None):
        name = stack_name()
        port = port or free_port()
        body = {"name": name, "compose": compose or DEMO.format(image=IMAGE),
                "env": env if env is not None else f"WEB_PORT={port}\nGREETING=hello\n"}
        response = client.post("/stacks", json=body)
        assert response.status_code == 201, response.text
        made.append(name)
        return name, port

    yield make
    for name in made:
        cleanup(name)


def test_up_change_one_service_recreates_only_it_then_down(client, stack):
    name, port = stack()
    listed = {s["name"]: s for s in client.get("/stacks").json()["items"]}
    assert listed[name]["status"] == "stopped" and listed[name]["services"] == 3 and not listed[name]["external"]

    plan = client.get(f"/stacks/{name}/plan").json()
    assert f"create network {name}_default" in plan["text"] and f"create volume {name}_shared" in plan["text"]
    assert "wait until init completed successfully" in plan["text"] and "wait until web is healthy" in plan["text"]
    assert plan["conflicts"] == []

    task = run_op(client, name, "up")
    assert task["target"] == f"stack:{name}" and task["kind"] == "stack.up"
    progress = client.get(f"/tasks/{task['id']}/progress").json()["events"]
    steps = [e["event"] for e in progress if e["event"]["type"] == "progress"]
    assert steps[-1]["current"] == steps[-1]["total"] >= 9

    # The web server answers on the published port with what the init job wrote.
    assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).text.strip() == "ready"
    containers = project_containers(name)
    assert set(containers) == {f"{name}-init-1", f"{name}-web-1", f"{name}-worker-1"}
    assert containers[f"{name}-init-1"][1] == "exited" and containers[f"{name}-web-1"][1] == "running"
    labels = json.loads(docker("inspect", "--format", "{{json .Config.Labels}}", f"{name}-web-1"))
    assert labels["com.docker.compose.project"] == name and labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1" and len(labels["com.docker.compose.config-hash"]) == 64
    assert labels["com.docker.compose.project.working_dir"] == os.path.join(STACKS, name)
    assert labels["com.docker.compose.depends_on"] == "init:service_completed_successfully:false"

    services = {s["name"]: s for s in client.get(f"/stacks/{name}/services").json()}
    assert services["web"]["containers"][0]["health"] == "healthy"
    assert any(p.get("public_port") == port for p in services["web"]["containers"][0]["ports"])
    assert client.get("/stacks").json()["items"][[s["name"] for s in client.get("/stacks").json()["items"]].index(name)]["status"] == "running"

    # Nothing changed: the plan keeps the servers; the finished one-shot job runs again, as with Compose v2.
    plan = client.get(f"/stacks/{name}/plan").json()["text"]
    assert f"keep {name}-web-1 (up to date)" in plan and f"keep {name}-worker-1 (up to date)" in plan
    assert f"start {name}-init-1 (exited)" in plan and "wait" not in plan and "create" not in plan

    # Change the worker's environment only.
    document = client.get(f"/stacks/{name}").json()
    saved = client.put(f"/stacks/{name}", json={"compose": document["compose"], "env": document["env"].replace("GREETING=hello", "GREETING=bonjour")})
    assert saved.status_code == 200, saved.text
    assert os.path.exists(os.path.join(STACKS, name, ".env.bak"))
    plan = client.get(f"/stacks/{name}/plan").json()["text"]
    assert f"recreate {name}-worker-1 (configuration changed)" in plan and f"keep {name}-web-1 (up to date)" in plan
    web_before, worker_before = containers[f"{name}-web-1"][0], containers[f"{name}-worker-1"][0]
    run_op(client, name, "up")
    after = project_containers(name)
    assert after[f"{name}-web-1"][0] == web_before, "web must be kept"
    assert after[f"{name}-worker-1"][0] != worker_before, "worker must be recreated"
    assert "GREETING=bonjour" in docker("inspect", "--format", "{{json .Config.Env}}", f"{name}-worker-1")

    history = client.get(f"/stacks/{name}/history").json()
    assert [t["kind"] for t in history["items"]][:2] == ["stack.up", "stack.up"] and history["total"] == 2

    run_op(client, name, "down")
    assert project_containers(name) == {}
    assert docker("network", "ls", "-q", "--filter", f"name={name}_default") == ""
    # Named volumes survive a plain down.
    assert docker("volume", "ls", "-q", "--filter", f"name={name}_shared") != ""


def test_stop_start_restart_and_selected_services(client, stack):
    name, _ = stack()
    run_op(client, name, "up", {"services": ["web"]})
    # web plus what it depends on, not the worker.
    assert set(project_containers(name)) == {f"{name}-init-1", f"{name}-web-1"}
    run_op(client, name, "stop")
    assert all(state == "exited" for _, state, _ in project_containers(name).values())
    assert next(s for s in client.get("/stacks").json()["items"] if s["name"] == name)["status"] == "stopped"
    run_op(client, name, "start")
    assert project_containers(name)[f"{name}-web-1"][1] == "running"
    before = docker("inspect", "--format", "{{.State.StartedAt}}", f"{name}-web-1")
    run_op(client, name, "restart", {"services": ["web"]})
    assert docker("inspect", "--format", "{{.State.StartedAt}}", f"{name}-web-1") != before
    bad = client.post(f"/stacks/{name}/up", json={"services": ["nope"]})
    assert bad.status_code == 400 and "nope" in bad.json()["error"]["message"]


def test_invalid_files_are_refused_with_their_lines_and_nothing_is_written(client, stack):
    cases = {
        "services:\n  web:\n    image: [unclosed\n": "compose.yaml:4 ",
        "services:\n  web:\n    image: x\n    depends_on: [db]\n": "compose.yaml:4 services.web.depends_on",
        "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n": "cycle",
        "services:\n  web:\n    image: x\n    env_file: missing.env\n": "missing.env",
        "services:\n  web:\n    image: x\n    ports: [\"80:xx\"]\n": "services.web.ports[0]",
    }
    for text, expected in cases.items():
        name = stack_name()
        response = client.post("/stacks", json={"name": name, "compose": text})
        assert response.status_code == 422, (text, response.text)
        body = response.json()
        assert body["error"]["code"] == "invalid_compose"
        assert any(expected in f"{i['file']}:{i.get('line')} {i['path']} {i['message']}" for i in body["issues"]), (expected, body)
        assert not os.path.exists(os.path.join(STACKS, name))
        # The editor's dry run says the same without a stack folder.
        check = client.post(f"/stacks/{name}/validate", json={"compose": text}).json()
        assert check["valid"] is False and check["errors"] == body["issues"]

    # Saving an invalid file over a good one keeps the good one.
    name, _ = stack()
    path = os.path.join(STACKS, name, "compose.yaml")
    good = open(path).read()
    response = client.put(f"/stacks/{name}", json={"compose": "services:\n  web:\n    ports: [\"80:xx\"]\n"})
    assert response.status_code == 422 and response.json()["issues"][0]["line"] == 3
    assert open(path).read() == good
    assert project_containers(name) == {}

    assert client.post("/stacks", data="{", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/stacks", json={"name": name, "compose": good}).status_code == 409


def test_port_conflict_names_both_sides_and_creates_nothing(client, stack):
    port = free_port()
    holder = "holder-" + uuid.uuid4().hex[:6]
    docker("run", "-d", "--name", holder, "-p", f"127.0.0.1:{port}:8080", IMAGE, "sh", "-c", "while true; do sleep 1; done")
    try:
        name, _ = stack(port=port)
        assert any(holder in c for c in client.get(f"/stacks/{name}/plan").json()["conflicts"])
        task = run_op(client, name, "up", expect="failed")
        assert holder in task["error"] and "service web" in task["error"] and str(port) in task["error"]
        assert project_containers(name) == {}
        assert docker("network", "ls", "-q", "--filter", f"name={name}_default") == ""
    finally:
        docker("rm", "-f", holder, check=False)


def test_waits_fail_naming_the_service(client, stack):
    unhealthy = f"""\
services:
  db:
    image: {IMAGE}
    command: ["sh", "-c", "while true; do sleep 1; done"]
    healthcheck: {{test: ["CMD", "false"], interval: 1s, timeout: 1s, retries: 2}}
  app:
    image: {IMAGE}
    command: ["sh", "-c", "while true; do sleep 1; done"]
    depends_on: {{db: {{condition: service_healthy}}}}
"""
    name, _ = stack(compose=unhealthy, env="")
    task = run_op(client, name, "up", expect="failed")
    assert "service db is unhealthy" in task["error"]
    assert f"{name}-app-1" not in project_containers(name)

    slow = unhealthy.replace('["CMD", "false"], interval: 1s', '["CMD", "true"], interval: 60s')
    name, _ = stack(compose=slow, env="")
    task = run_op(client, name, "up", {"wait_timeout": 2}, expect="failed")
    assert task["error"] == "service db did not become healthy within 2 s"

    failing_job = f"""\
services:
  migrate:
    image: {IMAGE}
    command: ["sh", "-c", "exit 3"]
  app:
    image: {IMAGE}
    command: ["sh", "-c", "while true; do sleep 1; done"]
    depends_on: {{migrate: {{condition: service_completed_successfully}}}}
"""
    name, _ = stack(compose=failing_job, env="")
    task = run_op(client, name, "up", expect="failed")
    assert task["error"] == "service migrate exited with code 3"


def test_names_and_paths_cannot_leave_the_stacks_folder(client, tmp_path):
    for bad in ["..", "Upper", "a b", ".hidden", "x" * 65]:
        response = client.post("/stacks", json={"name": bad, "compose": "services: {}\n"})
        assert response.status_code == 400 and response.json()["error"]["field"] == "name", bad
    assert client.get("/stacks/Upper").status_code == 400
    assert client.get("/stacks/a%2F..%2F..").status_code in (400, 404)
    assert client.get("/stacks/nosuchstack").status_code == 404
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "compose.yaml").write_text(f"services:\n  a:\n    image: {IMAGE}\n")
    link = os.path.join(STACKS, "escape" + uuid.uuid4().hex[:6])
    os.makedirs(STACKS, exist_ok=True)
    os.symlink(outside, link)
    try:
        name = os.path.basename(link)
        assert name not in [s["name"] for s in client.get("/stacks").json()["items"]]
        response = client.put(f"/stacks/{name}", json={"compose": "services:\n  a:\n    image: x\n"})
        assert response.status_code == 403 and response.json()["error"]["code"] == "path_outside_stacks"
        assert (outside / "compose.yaml").read_text().startswith("services:\n  a:\n    image: " + IMAGE)
    finally:
        os.unlink(link)


def test_down_with_volumes_and_delete_need_confirmation(client, stack):
    name, _ = stack()
    run_op(client, name, "up", {"services": ["init"]})
    refused = client.delete(f"/stacks/{name}")
    assert refused.status_code == 428
    token = refused.json()["confirmation"]["token"]
    busy = client.delete(f"/stacks/{name}", headers={"X-Confirmation-Token": token})
    assert busy.status_code == 409 and "take it down first" in busy.json()["error"]["message"]

    first = client.post(f"/stacks/{name}/down", json={"remove_volumes": True})
    assert first.status_code == 428 and "volumes" in first.json()["confirmation"]["summary"]
    response = client.post(f"/stacks/{name}/down", json={"remove_volumes": True},
                           headers={"X-Confirmation-Token": first.json()["confirmation"]["token"]})
    assert response.status_code == 202
    assert finished(client, response.json()["task_id"])["state"] == "succeeded"
    assert docker("volume", "ls", "-q", "--filter", f"name={name}_shared") == ""

    refused = client.delete(f"/stacks/{name}")
    deleted = client.delete(f"/stacks/{name}", headers={"X-Confirmation-Token": refused.json()["confirmation"]["token"]})
    assert deleted.status_code == 200, deleted.text
    assert not os.path.exists(os.path.join(STACKS, name))
    assert os.path.exists(os.path.join(deleted.json()["moved_to"], "compose.yaml"))
    assert client.get(f"/stacks/{name}").status_code == 404


def compose_cli(folder, *args):
    env = dict(os.environ, DOCKER_HOST=DOCKER_HOST)
    assert DOCKER_HOST.startswith("unix:///tmp/")
    result = subprocess.run(["docker-compose", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed")
def test_interop_with_docker_compose(client, stack, tmp_path):
    # A stack the CLI started elsewhere is listed as external, and Jarvis stops and starts it.
    name = stack_name()
    folder = tmp_path / name
    folder.mkdir()
    (folder / "docker-compose.yml").write_text(
        f"services:\n  app:\n    image: {IMAGE}\n    command: [\"sh\", \"-c\", \"while true; do sleep 1; done\"]\n")
    try:
        compose_cli(folder, "up", "-d")
        listed = {s["name"]: s for s in client.get("/stacks").json()["items"]}
        assert listed[name]["external"] is True and listed[name]["status"] == "running" and listed[name]["path"] == str(folder)
        document = client.get(f"/stacks/{name}").json()
        # Its folder is named by a label anyone could set: Jarvis lists it but does not read its files.
        assert document.get("compose") is None and document["editable"] is False and document["external"] is True
        run_op(client, name, "stop")
        assert "Exit" in compose_cli(folder, "ps")
        run_op(client, name, "start")
        assert "Up" in compose_cli(folder, "ps")
    finally:
        compose_cli(folder, "down")

    # A stack Jarvis started is listed by docker-compose ps in its folder.
    name, port = stack()
    run_op(client, name, "up")
    listing = compose_cli(os.path.join(STACKS, name), "ps")
    assert f"{name}-web-1" in listing and f"{name}-worker-1" in listing and "Up" in listing


def test_merged_logs_follow_every_service_and_pick_up_a_recreated_container(client, stack):
    from conftest import data, open_stream
    compose = f"""\
services:
  web:
    image: {IMAGE}
    command: ["sh", "-c", "while true; do echo web-line; sleep 0.5; done"]
  worker:
    image: {IMAGE}
    command: ["sh", "-c", "while true; do echo tick $$GREETING >&2; sleep 0.5; done"]
    environment:
      GREETING: ${{GREETING}}
"""
    name, _ = stack(compose=compose, env="GREETING=hello\n")
    run_op(client, name, "up")
    reader = open_stream(client, f"/stacks/{name}/logs/follow?tail=5", timeout=30)
    try:
        seen = {}
        for event in reader.events("log"):
            line = data(event)
            seen.setdefault(line["service"], line)
            if {"web", "worker"} <= set(seen):
                break
        assert seen["web"]["line"] == "web-line" and seen["web"]["stream"] == "stdout"
        assert seen["worker"]["line"] == "tick hello" and seen["worker"]["stream"] == "stderr"
        assert seen["worker"]["container"] == f"{name}-worker-1" and seen["web"]["time"].endswith("Z")

        # The worker is recreated with another greeting: the same stream shows the new container's lines.
        document = client.get(f"/stacks/{name}").json()
        assert client.put(f"/stacks/{name}", json={"compose": document["compose"], "env": "GREETING=bonjour\n"}).status_code == 200
        run_op(client, name, "up")
        deadline = time.time() + 20
        for event in reader.events("log"):
            if data(event)["line"] == "tick bonjour" or time.time() > deadline:
                break
        assert data(event)["line"] == "tick bonjour", "the recreated worker joins the stream"
    finally:
        reader.close()
    assert client.get("/stacks/../etc/logs/follow").status_code in (400, 404)
    assert client.get(f"/stacks/{name}/logs/follow?tail=lots").status_code == 400
    assert client.get(f"/stacks/{name}/logs/follow", headers={"Last-Event-ID": "../../etc"}).status_code == 400


def test_merged_logs_resume_after_a_reconnect_without_loss_or_repeats(client, stack):
    from conftest import data, open_stream
    counting = 'i=0; while true; do i=$$((i+1)); echo {0} $$i; sleep 0.2; done'  # $$: not Compose's to interpolate
    compose = (f"services:\n  web:\n    image: {IMAGE}\n    command: [sh, -c, '{counting.format('web')}']\n"
               f"  worker:\n    image: {IMAGE}\n    command: [sh, -c, '{counting.format('worker')}']\n")
    name, _ = stack(compose=compose, env="")
    run_op(client, name, "up")
    short = {f"{name}-{s}-1": docker("inspect", "-f", "{{.Id}}", f"{name}-{s}-1")[:12] for s in ("web", "worker")}
    numbers = {}  # (container, time) -> the counter it printed
    reader = open_stream(client, f"/stacks/{name}/logs/follow?tail=3", timeout=30)
    last_id = None
    try:
        for event in reader.events("log"):
            line = data(event)
            numbers[(line["container"], line["time"])] = int(line["line"].split()[-1])
            last_id = event["id"] or last_id
            if last_id and len(numbers) >= 12 and all(s in last_id for s in short.values()):
                break
    finally:
        reader.close()
    time.sleep(1.5)  # lines keep coming while nobody listens
    positions = dict(part.split("@") for part in last_id.split(","))
    reader = open_stream(client, f"/stacks/{name}/logs/follow", headers={"Last-Event-ID": last_id}, timeout=30)
    try:
        first = {}
        for event in reader.events("log"):
            line = data(event)
            first.setdefault(line["container"], int(line["line"].split()[-1]))
            if len(first) == 2:
                break
    finally:
        reader.close()
    for container, position in positions.items():
        full = next(n for n, s in short.items() if s == container)
        assert first[full] == numbers[(full, position)] + 1, (full, first, position)


def test_operators_cannot_hand_a_stack_the_host(client, stack):
    client.post("/users", json={"username": "op-stacks", "password": "operator-pass-1", "role": "operator"})
    operator = type(client)()
    assert operator.login("op-stacks", "operator-pass-1").status_code == 200
    own = f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n    volumes: ['./data:/data']\n"
    cases = {
        "volumes: ['/etc:/host-etc:ro']": "bind-mounts the host path /etc",
        "volumes: ['../../../../:/up']": "bind-mounts the host path /",
        "privileged: true": "runs privileged",
        "network_mode: host": "host's network",
        "cap_add: [SYS_ADMIN]": "SYS_ADMIN",
        "devices: ['/dev/kmsg:/dev/kmsg']": "/dev/kmsg",
        "env_file: /etc/hostname": "env_file /etc/hostname",
    }
    for setting, expected in cases.items():
        name = stack_name()
        text = f"services:\n  app:\n    image: {IMAGE}\n    {setting}\n"
        response = operator.post("/stacks", json={"name": name, "compose": text})
        assert response.status_code == 403 and response.json()["error"]["code"] == "admin_required", (setting, response.text)
        assert expected in response.json()["error"]["message"] and response.json()["issues"][0]["line"] == 4, response.text
        assert not os.path.exists(os.path.join(STACKS, name))
        assert operator.post(f"/stacks/{name}/validate", json={"compose": text}).json()["host_access"][0]["line"] == 4

    # Binds inside the stack's own folder are an operator's to use; an admin may add a host path, then only an admin deploys it.
    name, _ = stack(compose=own, env="")
    assert operator.put(f"/stacks/{name}", json={"compose": own + "    privileged: true\n"}).status_code == 403
    assert operator.get(f"/stacks/{name}").json()["host_access"] == []
    assert client.put(f"/stacks/{name}", json={"compose": own.replace("./data", "/srv")}).status_code == 200
    assert operator.get(f"/stacks/{name}").json()["host_access"][0]["path"] == "services.app.volumes[0]"
    refused = operator.post(f"/stacks/{name}/up", json={})
    assert refused.status_code == 403 and "/srv" in refused.json()["error"]["message"]
    assert project_containers(name) == {}
    run_op(client, name, "up")
    run_op(operator, name, "stop")
    assert all(state == "exited" for _, state, _ in project_containers(name).values())
