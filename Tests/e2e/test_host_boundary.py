"""The role boundary at the engine's door: what an operator cannot hand a
container, whichever path the request takes (form, stack up, retry), checked
on the private engine and the file system afterwards. Findings 1-5 of the
security review (issue 14) each have a test here."""
import json
import os
import shutil
import uuid

import pytest

from conftest import DATA_DIR, IMAGE, docker, wait_for
from test_stacks import STACKS, cleanup, project_containers, stack_name
from test_tasks import finished


def user(client, role):
    name = f"{role[:2]}-{uuid.uuid4().hex[:6]}"
    password = "boundary-pass-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": name, "password": password, "role": role}).status_code == 201
    session = type(client)()
    assert session.login(name, password).status_code == 200
    return session


@pytest.fixture
def operator(client):
    return user(client, "operator")


@pytest.fixture
def stacks():
    made = []
    yield made
    for name in made:
        cleanup(name)
        shutil.rmtree(os.path.join(STACKS, name), ignore_errors=True)


def refused_or_failed(session, name, compose):
    """Saving is refused early (a Compose finding), or the up task fails at the engine's door: either way nothing runs."""
    saved = session.post("/stacks", json={"name": name, "compose": compose})
    if saved.status_code == 403:
        return saved.json()["error"]["message"]
    assert saved.status_code == 201, saved.text
    response = session.post(f"/stacks/{name}/up", json={})
    if response.status_code == 403:
        return response.json()["error"]["message"]
    assert response.status_code == 202, response.text
    task = finished(session, response.json()["task_id"], timeout=60)
    assert task["state"] == "failed", task
    return task["error"]


def project_volumes(name):
    return docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={name}").split()


def test_finding1_a_volume_that_binds_the_host_root_is_refused(client, operator, stacks):
    name = stack_name()
    stacks.append(name)
    compose = (f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n    volumes: ['root:/host']\n"
               "volumes:\n  root:\n    driver_opts: {type: none, o: bind, device: /}\n")
    message = refused_or_failed(operator, name, compose)
    assert "device" in message or "driver" in message, message
    assert project_containers(name) == {} and project_volumes(name) == []

    # A volume an admin made that way earlier is just as refused when an operator's stack names it.
    external = "hostroot-" + uuid.uuid4().hex[:6]
    docker("volume", "create", "--driver", "local", "-o", "type=none", "-o", "o=bind", "-o", "device=/", external)
    try:
        name = stack_name()
        stacks.append(name)
        compose = (f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n    volumes: ['root:/host']\n"
                   f"volumes:\n  root:\n    external: true\n    name: {external}\n")
        message = refused_or_failed(operator, name, compose)
        assert "host access refused" in message and external in message, message
        assert project_containers(name) == {}
        # The container form takes the same door.
        form = operator.post("/containers", json={"image": IMAGE, "volumes": [f"{external}:/host"], "start": False})
        assert form.status_code == 403 and form.json()["error"]["code"] == "host_access_denied", form.text
    finally:
        docker("volume", "rm", external, check=False)


def failed_up(operator, stacks):
    """A stack whose up fails (its one-shot service exits 1 and the next waits for success)."""
    name = stack_name()
    stacks.append(name)
    compose = (f"services:\n  once:\n    image: {IMAGE}\n    command: [sh, -c, 'exit 1']\n"
               f"  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n"
               "    depends_on: {once: {condition: service_completed_successfully}}\n")
    assert operator.post("/stacks", json={"name": name, "compose": compose}).status_code == 201
    response = operator.post(f"/stacks/{name}/up", json={})
    task = finished(operator, response.json()["task_id"], timeout=60)
    assert task["state"] == "failed", task
    return name, task["id"]


def test_finding2_a_retry_is_checked_again_with_the_file_as_it_is_now(client, operator, stacks):
    name, task_id = failed_up(operator, stacks)
    # What a container that could write its stack folder would do: rewrite the file behind Jarvis's back.
    with open(os.path.join(STACKS, name, "compose.yaml"), "w") as file:
        file.write(f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n    privileged: true\n    volumes: ['/:/host']\n")
    retried = operator.post(f"/tasks/{task_id}/retry", json={})
    assert retried.status_code == 403, retried.text
    assert project_containers(name) == {} or all("once" in n for n in project_containers(name))

    # A file with no early finding still meets the door when the retry runs: the stack's own folder read-write.
    with open(os.path.join(STACKS, name, "compose.yaml"), "w") as file:
        file.write(f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n    volumes: ['.:/stack']\n")
    retried = operator.post(f"/tasks/{task_id}/retry", json={})
    assert retried.status_code == 202, retried.text
    task = finished(operator, retried.json()["id"], timeout=60)
    assert task["state"] == "failed" and "host access refused" in task["error"] and "read-write" in task["error"], task
    assert not any(n.endswith("-app-1") for n in project_containers(name))
    # The admin may: it is their call, and the task runs as whoever retries.
    again = client.post(f"/tasks/{task['id']}/retry", json={})
    assert again.status_code == 202
    assert finished(client, again.json()["id"], timeout=60)["state"] == "succeeded"


def test_finding3_files_are_never_written_through_links(client, operator, stacks, tmp_path):
    name = stack_name()
    stacks.append(name)
    first = f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '1']\n"
    assert operator.post("/stacks", json={"name": name, "compose": first, "env": "A=1\n"}).status_code == 201
    folder = os.path.join(STACKS, name)
    target = tmp_path / "host-file"
    os.symlink(target, os.path.join(folder, "compose.yaml.bak"))
    second = first.replace("'1'", "'2'")
    saved = operator.put(f"/stacks/{name}", json={"compose": second})
    assert saved.status_code == 200, saved.text
    assert not target.exists(), "nothing was written through the planted link"
    assert not os.path.islink(os.path.join(folder, "compose.yaml.bak"))
    assert open(os.path.join(folder, "compose.yaml.bak")).read() == first

    # A link or a hard link in place of a file Jarvis writes is refused, and the file it points at is untouched.
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    os.remove(os.path.join(folder, ".env"))
    os.link(victim, os.path.join(folder, ".env"))
    refused = operator.put(f"/stacks/{name}", json={"compose": second, "env": "B=2\n"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "unsafe_file", refused.text
    os.remove(os.path.join(folder, "compose.yaml"))
    os.symlink(victim, os.path.join(folder, "compose.yaml"))
    refused = operator.put(f"/stacks/{name}", json={"compose": first})
    assert refused.status_code == 403, refused.text
    assert victim.read_text() == "keep me\n"


def test_finding4_no_host_network_for_operators(client, operator, stacks):
    form = operator.post("/containers", json={"image": IMAGE, "network": "host", "start": False})
    assert form.status_code == 403 and form.json()["error"]["field"] == "network", form.text
    host_net = "hostnet-" + uuid.uuid4().hex[:6]
    docker("run", "-d", "--name", host_net, "--network", "host", IMAGE, "sleep", "600")
    try:
        name = stack_name()
        stacks.append(name)
        compose = f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n    network_mode: 'container:{host_net}'\n"
        message = refused_or_failed(operator, name, compose)
        assert host_net in message or "container:" in message, message
        assert project_containers(name) == {}
    finally:
        docker("rm", "-f", host_net, check=False)
    admin = client.post("/containers", json={"image": IMAGE, "network": "host", "start": False, "name": "adm-" + uuid.uuid4().hex[:6]})
    assert admin.status_code == 201, admin.text
    docker("rm", "-f", admin.json()["id"], check=False)


def test_finding5_a_forged_compose_project_is_listed_but_never_read_or_deployed(client, operator, tmp_path):
    forged = "forged" + uuid.uuid4().hex[:6]
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "compose.yaml").write_text(f"services:\n  app:\n    image: {IMAGE}\n    privileged: true\n    volumes: ['/:/host']\n")
    (folder / ".env").write_text("DB_PASSWORD=hunter2-secret\n")
    cid = docker("create", "--label", f"com.docker.compose.project={forged}", "--label", "com.docker.compose.service=app",
                 "--label", f"com.docker.compose.project.working_dir={folder}", IMAGE, "sleep", "1")
    try:
        viewer = user(client, "viewer")
        listed = {s["name"]: s for s in viewer.get("/stacks").json()["items"]}
        assert listed[forged]["external"] is True
        document = viewer.get(f"/stacks/{forged}")
        assert document.status_code == 200
        assert document.json().get("compose") is None and document.json().get("env") is None, document.text
        assert "hunter2" not in document.text
        up = operator.post(f"/stacks/{forged}/up", json={})
        assert up.status_code == 409 and up.json()["error"]["code"] == "external_stack", up.text
        assert operator.get(f"/stacks/{forged}/plan", params={"operation": "up"}).status_code == 409
        # An operator cannot forge the label through the form either.
        form = operator.post("/containers", json={"image": IMAGE, "start": False,
                                                  "labels": {"com.docker.compose.project.working_dir": "/etc"}})
        assert form.status_code == 403 and form.json()["error"]["code"] == "host_access_denied", form.text
        # An admin adopts it: the files are copied into the stacks folder and the stack is managed from there.
        assert operator.post(f"/stacks/{forged}/adopt", json={}).status_code == 403
        adopted = client.post(f"/stacks/{forged}/adopt", json={})
        assert adopted.status_code == 201, adopted.text
        assert adopted.json()["external"] is False
        assert open(os.path.join(STACKS, forged, "compose.yaml")).read() == (folder / "compose.yaml").read_text()
        assert operator.post(f"/stacks/{forged}/up", json={}).status_code == 403, "still an admin's file to deploy"
    finally:
        docker("rm", "-f", cid, check=False)
        shutil.rmtree(os.path.join(STACKS, forged), ignore_errors=True)


HOST_SETTINGS = {
    # This sandbox's kernel lets no container start privileged, so the admin half checks nothing there.
    "privileged": ("privileged: true", None),
    "devices": ("devices: ['/dev/null:/dev/host-null']", lambda c: c["HostConfig"]["Devices"][0]["PathOnHost"] == "/dev/null"),
    "logging": ("logging: {driver: syslog, options: {syslog-address: 'udp://127.0.0.1:9'}}", None),
    "cap_add": ("cap_add: [SYS_ADMIN]", lambda c: "SYS_ADMIN" in (c["HostConfig"]["CapAdd"] or [])),
    "network_mode": ("network_mode: host", lambda c: c["HostConfig"]["NetworkMode"] == "host"),
    "bind": ("volumes: ['/etc:/host-etc:ro']", lambda c: any(m["Source"] == "/etc" for m in c["Mounts"])),
    "security_opt": ("security_opt: ['seccomp=unconfined']", lambda c: "seccomp=unconfined" in (c["HostConfig"]["SecurityOpt"] or [])),
    "sysctls": ("sysctls: {kernel.domainname: x}", None),
}


@pytest.mark.parametrize("key", sorted(HOST_SETTINGS))
def test_policy_table_operators_refused_admins_allowed(client, operator, stacks, key):
    setting, check = HOST_SETTINGS[key]
    compose = f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n    {setting}\n"
    name = stack_name()
    stacks.append(name)
    refused_or_failed(operator, name, compose)
    assert project_containers(name) == {}, key
    if check is None:
        return  # the admin's container could not start here (see the table); the operator's refusal is what matters
    shutil.rmtree(os.path.join(STACKS, name), ignore_errors=True)
    assert client.post("/stacks", json={"name": name, "compose": compose}).status_code == 201
    response = client.post(f"/stacks/{name}/up", json={})
    task = finished(client, response.json()["task_id"], timeout=60)
    assert task["state"] == "succeeded", task
    (cid, *_rest), = project_containers(name).values()
    assert check(json.loads(docker("inspect", cid))[0]), key


def test_an_operators_ordinary_stack_passes_the_door(operator, stacks):
    """No false refusals: what stacks normally use goes through for an operator."""
    name = stack_name()
    stacks.append(name)
    compose = f"""\
services:
  app:
    image: {IMAGE}
    command: [sh, -c, 'cat /run/secrets/token /etc/app.conf > /data/seen && exec sleep 600']
    volumes: ['./data:/data', '.:/stack:ro', 'cache:/cache', '/anon']
    tmpfs: [/run/scratch]
    cap_add: [NET_BIND_SERVICE]
    cap_drop: [ALL]
    security_opt: ['no-new-privileges:true']
    sysctls: {{net.core.somaxconn: 1024}}
    networks: [back]
    secrets: [token]
    configs: [{{source: app_conf, target: /etc/app.conf}}]
  sidecar:
    image: {IMAGE}
    command: [sleep, '600']
    network_mode: 'service:app'
    volumes_from: [app:ro]
networks:
  back: {{}}
volumes:
  cache: {{}}
secrets:
  token: {{environment: TOKEN}}
configs:
  app_conf: {{content: "hello"}}
"""
    saved = operator.post("/stacks", json={"name": name, "compose": compose, "env": "TOKEN=s3cret-\n"})
    assert saved.status_code == 201, saved.text
    folder = os.path.join(STACKS, name)
    os.makedirs(os.path.join(folder, "data"))
    response = operator.post(f"/stacks/{name}/up", json={})
    assert response.status_code == 202, response.text
    task = finished(operator, response.json()["task_id"], timeout=90)
    assert task["state"] == "succeeded", task
    wait_for("the app's file", lambda: os.path.exists(os.path.join(folder, "data", "seen")), timeout=20)
    assert open(os.path.join(folder, "data", "seen")).read() == "s3cret-hello"
    assert all(state == "running" for _, state, _ in project_containers(name).values()), project_containers(name)
