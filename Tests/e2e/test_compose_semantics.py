"""Compose semantics that decide whether data and dependents survive an `up` (issue 24):
anonymous volumes carried over a recreate with the same volume id, `network_mode: service:`
dependents recreated with the container they join, and the image id label."""
import json
import uuid

import pytest

from conftest import IMAGE, docker
from test_stacks import project_containers, run_op, stack  # noqa: F401 (stack is a fixture)
from test_tasks import finished

LOOP = '["sh", "-c", "trap exit TERM; while true; do sleep 1; done"]'


def volume_mounts(container):
    mounts = json.loads(docker("inspect", "--format", "{{json .Mounts}}", container))
    return {m["Destination"]: m["Name"] for m in mounts if m["Type"] == "volume"}


def save_env(client, name, env):
    document = client.get(f"/stacks/{name}").json()
    saved = client.put(f"/stacks/{name}", json={"compose": document["compose"], "env": env})
    assert saved.status_code == 200, saved.text


@pytest.fixture
def volume_image():
    """A database-like image: jarvis-test/busybox with `VOLUME /data`, made offline by commit."""
    tag = f"jarvis-test/voldb:{uuid.uuid4().hex[:8]}"
    made = docker("create", IMAGE, "true")
    docker("commit", "--change", "VOLUME /data", made, tag)
    docker("rm", made)
    yield tag
    docker("rmi", "-f", tag, check=False)


def test_recreate_keeps_anonymous_volumes_and_down_with_volumes_removes_them(client, stack, volume_image):
    compose = f"""\
services:
  db:
    image: {volume_image}
    command: {LOOP}
    environment:
      MODE: ${{MODE}}
    volumes: [/cache]
"""
    name, _ = stack(compose=compose, env="MODE=one\n")
    run_op(client, name, "up")
    db = f"{name}-db-1"
    docker("exec", db, "sh", "-c", "echo kept > /data/file && echo cached > /cache/file")
    before = volume_mounts(db)
    assert set(before) == {"/data", "/cache"}
    old_id = project_containers(name)[db][0]

    save_env(client, name, "MODE=two\n")
    plan = client.get(f"/stacks/{name}/plan").json()["text"]
    assert f"recreate {db} (configuration changed; keeps the volumes at /cache, /data)" in plan, plan
    run_op(client, name, "up")

    assert project_containers(name)[db][0] != old_id, "the environment changed: a new container"
    assert "MODE=two" in docker("inspect", "--format", "{{json .Config.Env}}", db)
    assert volume_mounts(db) == before, "the same volumes, by id, at the image VOLUME and the - /path entry"
    assert docker("exec", db, "cat", "/data/file") == "kept"
    assert docker("exec", db, "cat", "/cache/file") == "cached"

    labels = json.loads(docker("inspect", "--format", "{{json .Config.Labels}}", db))
    assert labels["com.docker.compose.image"] == docker("image", "inspect", "--format", "{{.Id}}", volume_image)

    first = client.post(f"/stacks/{name}/down", json={"remove_volumes": True})
    assert first.status_code == 428, first.text
    response = client.post(f"/stacks/{name}/down", json={"remove_volumes": True},
                           headers={"X-Confirmation-Token": first.json()["confirmation"]["token"]})
    assert response.status_code == 202, response.text
    assert finished(client, response.json()["task_id"])["state"] == "succeeded"
    remaining = set(docker("volume", "ls", "-q").split())
    assert not (set(before.values()) & remaining), "down with volumes removes the anonymous volumes too"


def test_changing_the_vpn_recreates_the_app_in_its_network(client, stack):
    compose = f"""\
services:
  vpn:
    image: {IMAGE}
    command: {LOOP}
    environment:
      REGION: ${{REGION}}
  app:
    image: {IMAGE}
    command: {LOOP}
    network_mode: service:vpn
"""
    name, _ = stack(compose=compose, env="REGION=eu\n")
    run_op(client, name, "up")
    vpn, app = f"{name}-vpn-1", f"{name}-app-1"
    first = project_containers(name)
    assert docker("inspect", "--format", "{{.HostConfig.NetworkMode}}", app) == "container:" + docker("inspect", "--format", "{{.Id}}", vpn)

    save_env(client, name, "REGION=us\n")
    plan = client.get(f"/stacks/{name}/plan").json()["text"]
    assert f"recreate {vpn} (configuration changed)" in plan and f"recreate {app} (service vpn is recreated)" in plan, plan
    run_op(client, name, "up")

    second = project_containers(name)
    assert second[vpn][0] != first[vpn][0] and second[app][0] != first[app][0]
    vpn_id = docker("inspect", "--format", "{{.Id}}", vpn)
    assert docker("inspect", "--format", "{{.HostConfig.NetworkMode}}", app) == "container:" + vpn_id
    assert docker("inspect", "--format", "{{.State.Running}}", app) == "true"
    docker("restart", "-t", "1", app)  # failed with "No such container" when app kept pointing at the old vpn
    assert docker("inspect", "--format", "{{.State.Running}}", app) == "true"

    plan = client.get(f"/stacks/{name}/plan").json()
    assert plan["empty"], plan["text"]
