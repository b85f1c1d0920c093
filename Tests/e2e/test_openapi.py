"""openapi.yaml is valid and the running API answers in its shapes."""
import os
import subprocess
import sys

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from conftest import Client

SPEC = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "..", "openapi.yaml")))


def test_spec_is_valid_openapi():
    validate_spec(SPEC)


def test_every_engine_path_has_its_host_scoped_form():
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    checked = subprocess.run([sys.executable, os.path.join(root, "scripts", "openapi-hosts.py"), "--check"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    for path in SPEC["paths"]:
        if path.startswith(("/api/v1/containers", "/api/v1/images", "/api/v1/stacks", "/api/v1/system/")):
            assert "/api/v1/hosts/{host}" + path[len("/api/v1"):] in SPEC["paths"], path


def test_host_routes_answer_in_the_spec_shapes(client):
    check(client.get("/hosts"), "/api/v1/hosts")
    check(client.get("/hosts/local"), "/api/v1/hosts/{host}")
    check(client.get("/hosts/local/history"), "/api/v1/hosts/{host}/history")
    check(client.get("/overview"), "/api/v1/overview")
    check(client.get("/hosts/local/containers"), "/api/v1/hosts/{host}/containers")
    check(client.get("/containers?host=*"), "/api/v1/containers")
    check(client.get("/hosts/nope/containers"), "/api/v1/hosts/{host}/containers")
    check(client.post("/hosts/probe", json={"endpoint": "tcp://127.0.0.1:1"}), "/api/v1/hosts/probe", "post")


def check(response, template, method="get"):
    """Validates a response body against the schema the spec gives for its status."""
    operation = SPEC["paths"][template][method]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{method.upper()} {template} answered {response.status_code}, which the spec does not list"
    if "$ref" in declared:
        declared = SPEC["components"]["responses"][declared["$ref"].split("/")[-1]]
    content = declared.get("content", {}).get("application/json")
    if content is None:
        assert not response.content, "the spec says no body"
        return
    schema = dict(content["schema"], components=SPEC["components"])
    OAS30Validator(schema).validate(response.json())


@pytest.mark.serial  # ends the admin's other sessions (revoke-others)
def test_responses_match_the_spec(client, anonymous, container):
    cid, _ = container()
    check(anonymous.get("/health"), "/api/v1/health")
    check(anonymous.login("admin", "wrong"), "/api/v1/auth/login", "post")
    check(Client().login(), "/api/v1/auth/login", "post")
    check(client.get("/auth/me"), "/api/v1/auth/me")
    check(anonymous.get("/auth/me"), "/api/v1/auth/me")
    check(client.get("/containers"), "/api/v1/containers")
    check(client.get("/containers", params={"state": "nope"}), "/api/v1/containers")
    check(client.get(f"/containers/{cid}"), "/api/v1/containers/{id}")
    check(client.get("/containers/missing-one"), "/api/v1/containers/{id}")
    for action in ("stop", "start", "restart", "kill"):
        check(client.post(f"/containers/{cid}/{action}", json={"timeout": 1} if action != "kill" else {}),
              f"/api/v1/containers/{{id}}/{action}", "post")
    check(client.post("/containers/missing-one/start"), "/api/v1/containers/{id}/start", "post")
    for action in ("pause", "unpause"):
        check(client.post(f"/containers/{cid}/{action}"), f"/api/v1/containers/{{id}}/{action}", "post")
    check(client.get(f"/containers/{cid}", params={"size": 1}), "/api/v1/containers/{id}")
    check(client.get(f"/containers/{cid}/logs", params={"tail": 5}), "/api/v1/containers/{id}/logs")
    check(client.get(f"/containers/{cid}/logs", params={"q": "(", "regex": 1}), "/api/v1/containers/{id}/logs")
    check(client.get("/system/dashboard"), "/api/v1/system/dashboard")
    check(client.post("/containers", json={"image": "jarvis-test/busybox:latest", "ports": ["x"]}), "/api/v1/containers", "post")
    check(client.post(f"/containers/{cid}/exec", json={"cmd": ["/bin/sh"]}), "/api/v1/containers/{id}/exec", "post")
    check(client.post(f"/containers/{cid}/rename", json={"name": "bad name"}), "/api/v1/containers/{id}/rename", "post")
    check(client.delete(f"/containers/{cid}"), "/api/v1/containers/{id}", "delete")
    check(client.post("/containers/actions", json={"action": "stop", "ids": [cid]}), "/api/v1/containers/actions", "post")
    check(client.get("/audit-logs"), "/api/v1/audit-logs")
    check(client.get("/audit-logs", params={"page": 0}), "/api/v1/audit-logs")
    check(client.get("/audit-logs", params={"result": "failure", "from": "2020-01-01T00:00:00Z"}), "/api/v1/audit-logs")
    check(client.get("/users"), "/api/v1/users")
    check(client.post("/users", json={"username": "x", "password": "short", "role": "viewer"}), "/api/v1/users", "post")
    check(client.get("/auth/sessions"), "/api/v1/auth/sessions")
    check(client.post("/auth/sessions/revoke-others"), "/api/v1/auth/sessions/revoke-others", "post")
    check(client.delete("/users/1"), "/api/v1/users/{id}", "delete")
    check(client.post("/auth/refresh"), "/api/v1/auth/refresh", "post")
    check(client.post("/auth/logout"), "/api/v1/auth/logout", "post")


def test_stack_responses_match_the_spec(client):
    import uuid
    name = "spec" + uuid.uuid4().hex[:8]
    compose = "services:\n  app:\n    image: jarvis-test/busybox:latest\n    command: [sleep, '60']\n"
    check(client.post("/stacks", json={"name": name, "compose": "services:\n  a:\n    ports: ['x']\n"}), "/api/v1/stacks", "post")
    check(client.post("/stacks", json={"name": name, "compose": compose}), "/api/v1/stacks", "post")
    check(client.get("/stacks"), "/api/v1/stacks")
    check(client.get(f"/stacks/{name}"), "/api/v1/stacks/{name}")
    check(client.get("/stacks/nosuch"), "/api/v1/stacks/{name}")
    check(client.put(f"/stacks/{name}", json={"compose": compose + "    x-note: 1\n", "env": ""}), "/api/v1/stacks/{name}", "put")
    check(client.post(f"/stacks/{name}/validate", json={"compose": "services: [\n"}), "/api/v1/stacks/{name}/validate", "post")
    check(client.get(f"/stacks/{name}/plan"), "/api/v1/stacks/{name}/plan")
    check(client.get(f"/stacks/{name}/plan", params={"operation": "sideways"}), "/api/v1/stacks/{name}/plan")
    check(client.get(f"/stacks/{name}/services"), "/api/v1/stacks/{name}/services")
    check(client.post(f"/stacks/{name}/pull", json={"services": ["nope"]}), "/api/v1/stacks/{name}/pull", "post")
    check(client.post(f"/stacks/{name}/down", json={"remove_volumes": True}), "/api/v1/stacks/{name}/down", "post")
    check(client.post(f"/stacks/{name}/stop"), "/api/v1/stacks/{name}/stop", "post")
    check(client.get(f"/stacks/{name}/history"), "/api/v1/stacks/{name}/history")
    first = client.delete(f"/stacks/{name}")
    check(first, "/api/v1/stacks/{name}", "delete")
    check(client.delete(f"/stacks/{name}", headers={"X-Confirmation-Token": first.json()["confirmation"]["token"]}),
          "/api/v1/stacks/{name}", "delete")
