"""App templates on the private engine: deploy with a generated secret that stays in the
stack's .env, refusals that create nothing (a port already published, a bad value),
stacks that require stacks (the base starts first; stopping it while the dependent runs
is a 409 until confirmed), a Portainer list import, and who may do what.

Test templates are written to the site folder (<data_dir>/templates, source `local`),
each under a name of its own; their image is the test image tagged under the name they use."""
import json
import os
import shutil
import socket
import uuid

import pytest

from conftest import DATA_DIR, IMAGE, Client, docker, wait_for
from test_tasks import finished

LOCAL = os.path.join(DATA_DIR, "templates")
STACKS = os.path.join(DATA_DIR, "stacks")
WEB_IMAGE = "jarvis-e2e/tplweb:1"

SECRET_TEMPLATE = """\
x-jarvis:
  title: Test web {tag}
  description: busybox httpd with a generated secret
  categories: [e2etest]
  version: "3"
  fields:
    - name: port
      env: WEB_PORT
      type: port
      required: true
    - name: app_secret
      env: APP_SECRET
      type: random
      length: 40
    - name: greeting
      default: hello
      regex: "[a-z]+"
services:
  web:
    image: {image}
    command: ["sh", "-c", "mkdir -p /www && echo $$GREETING > /www/index.html && exec httpd -f -p 8080 -h /www"]
    environment:
      APP_SECRET: ${{APP_SECRET}}
      GREETING: ${{GREETING}}
    ports: ["127.0.0.1:${{WEB_PORT}}:8080"]
"""

BASE_STACK = """\
services:
  db:
    image: {image}
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      timeout: 2s
      retries: 20
"""

DEPENDENT_TEMPLATE = """\
x-jarvis:
  title: Dependent {tag}
  description: needs the base stack
  categories: [e2etest]
  requires: [{base}]
services:
  app:
    image: {image}
    command: ["sh", "-c", "exec sleep 600"]
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tag():
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module", autouse=True)
def image():
    docker("tag", IMAGE, WEB_IMAGE)
    yield


def write_template(name, text):
    folder = os.path.join(LOCAL, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "compose.yaml"), "w") as handle:
        handle.write(text)
    return "local." + name


@pytest.fixture
def stacks(client):
    """Names of stacks to take down and delete after the test."""
    made = []
    yield made
    for name in made:
        response = client.post(f"/stacks/{name}/down", json={})
        if response.status_code == 409 and response.json().get("confirmation"):
            token = response.json()["confirmation"]["token"]
            response = client.post(f"/stacks/{name}/down", json={}, headers={"X-Confirmation-Token": token})
        if response.status_code == 202:
            finished(client, response.json()["task_id"], timeout=60)
        response = client.delete(f"/stacks/{name}")
        if response.status_code == 428:
            client.delete(f"/stacks/{name}", headers={"X-Confirmation-Token": response.json()["confirmation"]["token"]})


@pytest.fixture
def templates():
    made = []
    yield made
    for name in made:
        shutil.rmtree(os.path.join(LOCAL, name), ignore_errors=True)


def secret_template(templates):
    name = "tweb" + tag()
    templates.append(name)
    return write_template(name, SECRET_TEMPLATE.format(tag=name, image=WEB_IMAGE))


def test_builtin_catalog_is_listed_and_filtered(client):
    listed = client.get("/templates").json()
    ids = {item["id"] for item in listed["items"]}
    for name in ["postgres", "redis", "minio", "qdrant", "meilisearch", "n8n", "dify", "nginx", "mariadb", "mongodb", "gitea",
                 "grafana", "prometheus", "uptime-kuma"]:
        assert f"builtin.{name}" in ids
    assert "database" in listed["categories"]
    databases = client.get("/templates", params={"category": "database", "source": "builtin"}).json()["items"]
    assert {"builtin.postgres", "builtin.mariadb"} <= {item["id"] for item in databases}
    assert all("database" in item["categories"] for item in databases)
    found = client.get("/templates", params={"q": "POSTGRES"}).json()["items"]
    assert "builtin.postgres" in {item["id"] for item in found}
    detail = client.get("/templates/builtin.postgres").json()
    assert [field["type"] for field in detail["fields"] if field["name"] == "password"] == ["random"]
    assert "x-jarvis" in detail["compose"]
    assert client.get("/templates/builtin.nothing").status_code == 404


def test_deploy_keeps_the_generated_secret_in_env_only(client, stacks, templates):
    template = secret_template(templates)
    stack = "tpl" + tag()
    port = free_port()
    response = client.post(f"/templates/{template}/deploy", json={"stack": stack, "values": {"port": port, "greeting": "hi"}})
    assert response.status_code == 202, response.text
    stacks.append(stack)
    answers = [response.text]
    body = response.json()
    assert body["stack"] == stack and body["template_id"] == template and body["template_version"] == "3"
    task = finished(client, body["task_id"], timeout=90)
    assert task["state"] == "succeeded", task

    with open(os.path.join(STACKS, stack, ".env")) as handle:
        env = dict(line.split("=", 1) for line in handle.read().splitlines() if line and not line.startswith("#"))
    secret = env["APP_SECRET"].strip("'")
    assert len(secret) == 40 and secret.isalnum()
    assert env["WEB_PORT"].strip("'") == str(port)
    # The container got it; the page on the port answers with the other value.
    container = json.loads(docker("inspect", f"{stack}-web-1"))[0]
    assert f"APP_SECRET={secret}" in container["Config"]["Env"]
    import requests
    assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).text.strip() == "hi"

    answers.append(client.get(f"/tasks/{body['task_id']}").text)
    document = client.get(f"/stacks/{stack}")
    answers.append(document.text)
    assert "APP_SECRET=" in document.json()["env"], "the key is shown, its value masked"
    answers.append(client.get(f"/stacks/{stack}/services").text)
    answers.append(client.get(f"/templates/{template}").text)
    answers.append(client.get("/audit-logs", params={"page_size": 200}).text)
    remembered = client.get(f"/stacks/{stack}/template").json()
    answers.append(json.dumps(remembered))
    assert remembered["template_id"] == template and remembered["template_version"] == "3"
    assert remembered["update_available"] is False
    for answer in answers:
        assert secret not in answer

    # Saving the file as the editor got it keeps the secret on disk.
    saved = client.put(f"/stacks/{stack}", json={"compose": document.json()["compose"],
                                                 "env": document.json()["env"].replace("'hi'", "'hey'")})
    assert saved.status_code == 200, saved.text
    assert secret not in saved.text
    with open(os.path.join(STACKS, stack, ".env")) as handle:
        text = handle.read()
    assert secret in text and "'hey'" in text


def test_a_port_already_published_is_refused_before_anything_is_created(client, templates):
    template = secret_template(templates)
    port = free_port()
    holder = "tplhold" + tag()
    docker("run", "-d", "--name", holder, "-p", f"127.0.0.1:{port}:8080", IMAGE, "httpd", "-f", "-p", "8080")
    try:
        stack = "tpl" + tag()
        response = client.post(f"/templates/{template}/deploy", json={"stack": stack, "values": {"port": port}})
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "port_in_use" and error["field"] == "values.port"
        assert holder in error["message"]
        assert not os.path.exists(os.path.join(STACKS, stack))
        assert client.get(f"/stacks/{stack}").status_code == 404
        assert client.get(f"/stacks/{stack}/template").status_code == 404
    finally:
        docker("rm", "-f", holder, check=False)


def test_bad_values_are_a_400_on_their_field_and_create_nothing(client, templates):
    template = secret_template(templates)
    stack = "tpl" + tag()
    cases = [({"port": "http"}, "values.port"), ({"port": 70000}, "values.port"), ({}, "values.port"),
             ({"port": free_port(), "greeting": "Hi!"}, "values.greeting"),
             ({"port": free_port(), "app_secret": "mine"}, "values.app_secret"),
             ({"port": free_port(), "colour": "red"}, "values.colour")]
    for values, field in cases:
        response = client.post(f"/templates/{template}/deploy", json={"stack": stack, "values": values})
        assert response.status_code == 400, (values, response.text)
        assert response.json()["error"]["field"] == field, values
    response = client.post(f"/templates/{template}/deploy", json={"stack": "Bad/Name", "values": {"port": free_port()}})
    assert response.status_code == 400 and response.json()["error"]["field"] == "stack"
    assert not os.path.exists(os.path.join(STACKS, stack))


def test_required_stack_starts_first_and_cannot_be_stopped_under_its_dependent(client, stacks, templates):
    base = "tbase" + tag()
    created = client.post("/stacks", json={"name": base, "compose": BASE_STACK.format(image=IMAGE)})
    assert created.status_code == 201, created.text
    stacks.append(base)
    name = "tdep" + tag()
    templates.append(name)
    template = write_template(name, DEPENDENT_TEMPLATE.format(tag=name, base=base, image=IMAGE))
    assert client.get(f"/templates/{template}").json()["requires"] == [base]

    dependent = "tdep" + tag()
    response = client.post(f"/templates/{template}/deploy", json={"stack": dependent, "values": {}})
    assert response.status_code == 202, response.text
    stacks.insert(0, dependent)
    task = finished(client, response.json()["task_id"], timeout=90)
    assert task["state"] == "succeeded", task
    # The base came up (healthy) in the same task, before the dependent's container.
    base_state = json.loads(docker("inspect", f"{base}-db-1"))[0]["State"]
    app_state = json.loads(docker("inspect", f"{dependent}-app-1"))[0]["State"]
    assert base_state["Running"] and base_state["Health"]["Status"] == "healthy"
    assert app_state["Running"]
    assert base_state["StartedAt"] < app_state["StartedAt"]

    for operation in ["stop", "down"]:
        refused = client.post(f"/stacks/{base}/{operation}", json={})
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "stack_required" and dependent in error["message"]
        assert dependent in refused.json()["confirmation"]["summary"]
    assert json.loads(docker("inspect", f"{base}-db-1"))[0]["State"]["Running"], "nothing was stopped"

    # The dependent may stop; then the base may too, without a confirmation.
    stopped = client.post(f"/stacks/{dependent}/stop", json={})
    assert stopped.status_code == 202
    assert finished(client, stopped.json()["task_id"])["state"] == "succeeded"
    refused = client.post(f"/stacks/{base}/stop", json={})
    assert refused.status_code == 202, refused.text
    assert finished(client, refused.json()["task_id"])["state"] == "succeeded"

    # Start the dependent again: the base is brought back up first.
    started = client.post(f"/stacks/{dependent}/up", json={})
    assert finished(client, started.json()["task_id"], timeout=90)["state"] == "succeeded"
    assert json.loads(docker("inspect", f"{base}-db-1"))[0]["State"]["Running"]
    # Confirmed, the base may stop under its dependent.
    refused = client.post(f"/stacks/{base}/stop", json={})
    assert refused.status_code == 409
    token = refused.json()["confirmation"]["token"]
    confirmed = client.post(f"/stacks/{base}/stop", json={}, headers={"X-Confirmation-Token": token})
    assert confirmed.status_code == 202, confirmed.text
    assert finished(client, confirmed.json()["task_id"])["state"] == "succeeded"


def test_portainer_list_import_lists_warnings_and_deploys(client, stacks):
    name = "pt" + tag()
    listing = {"version": "3", "templates": [
        {"id": 1, "type": 1, "title": "Tiny web", "description": "httpd", "categories": ["e2etest"], "image": WEB_IMAGE,
         "command": "httpd -f -p 8080", "ports": ["127.0.0.1::8080/tcp"], "maintainer": "nobody",
         "env": [{"name": "MODE", "label": "Mode", "select": [{"text": "A", "value": "a", "default": True}, {"text": "B", "value": "b"}]}]},
        {"id": 2, "type": 3, "title": "Git stack", "description": "in a repository",
         "repository": {"url": "https://example.invalid/r.git", "stackfile": "compose.yml"}},
    ]}
    response = client.post("/template-sources", json={"name": name, "content": json.dumps(listing)})
    assert response.status_code == 201, response.text
    source = response.json()
    try:
        assert source["templates"] == 2
        assert any("maintainer: not supported" in warning for warning in source["warnings"])
        assert any("example.invalid" in warning for warning in source["warnings"])
        items = client.get("/templates", params={"source": name}).json()["items"]
        assert [item["deployable"] for item in items] == [True, False]
        tiny = client.get(f"/templates/{name}.1-tiny-web").json()
        assert tiny["fields"][0]["type"] == "select" and tiny["fields"][0]["default"] == "a"
        stack = "tpt" + tag()
        deployed = client.post(f"/templates/{name}.1-tiny-web/deploy", json={"stack": stack, "values": {"mode": "b"}})
        assert deployed.status_code == 202, deployed.text
        stacks.append(stack)
        assert finished(client, deployed.json()["task_id"], timeout=90)["state"] == "succeeded"
        container = json.loads(docker("inspect", f"{stack}-tiny-web-1"))[0]
        assert "MODE=b" in container["Config"]["Env"]
        refused = client.post(f"/templates/{name}.2-git-stack/deploy", json={"stack": "tpt" + tag(), "values": {}})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "template_not_deployable"
        bad = client.post("/template-sources", json={"name": name + "x", "content": "{\"version\": \"1\", \"templates\": []}"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "file"
        assert client.post("/template-sources", json={"name": name, "content": json.dumps(listing)}).status_code == 409
    finally:
        assert client.delete(f"/template-sources/{source['id']}").status_code == 204
    assert client.get("/templates", params={"source": name}).json()["items"] == []


def test_viewers_may_not_deploy_and_anonymous_callers_are_refused(client, anonymous, templates):
    template = secret_template(templates)
    viewer = "tv" + tag()
    password = "viewer-" + uuid.uuid4().hex
    assert client.post("/users", json={"username": viewer, "password": password, "role": "viewer"}).status_code == 201
    session = Client()
    assert session.login(viewer, password).status_code == 200
    stack = "tpl" + tag()
    assert session.get("/templates").status_code == 200
    refused = session.post(f"/templates/{template}/deploy", json={"stack": stack, "values": {"port": free_port()}})
    assert refused.status_code == 403
    assert session.get("/template-sources").status_code == 403
    assert anonymous.get("/templates").status_code == 401
    assert anonymous.post(f"/templates/{template}/deploy", json={"stack": stack, "values": {"port": free_port()}}).status_code == 401
    assert not os.path.exists(os.path.join(STACKS, stack))


def test_an_operator_cannot_deploy_what_they_could_not_write(client, stacks, templates):
    name = "tpriv" + tag()
    templates.append(name)
    template = write_template(name, """\
x-jarvis:
  title: Privileged {name}
services:
  root:
    image: {image}
    privileged: true
    volumes: ["/:/host"]
""".format(name=name, image=IMAGE))
    operator = "to" + tag()
    password = "operator-" + uuid.uuid4().hex
    assert client.post("/users", json={"username": operator, "password": password, "role": "operator"}).status_code == 201
    session = Client()
    assert session.login(operator, password).status_code == 200
    stack = "tpl" + tag()
    refused = session.post(f"/templates/{template}/deploy", json={"stack": stack, "values": {}})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "admin_required"
    assert not os.path.exists(os.path.join(STACKS, stack))
    # What an operator may write, they may deploy: the task runs as them through the same door.
    plain = secret_template(templates)
    deployed = session.post(f"/templates/{plain}/deploy", json={"stack": stack, "values": {"port": free_port()}})
    assert deployed.status_code == 202, deployed.text
    stacks.append(stack)
    task = finished(client, deployed.json()["task_id"], timeout=90)
    assert task["state"] == "succeeded", task


def test_a_list_fetched_from_a_url_keeps_its_last_good_copy_when_a_fetch_fails(client):
    import http.server
    import threading
    state = {"status": 200, "body": json.dumps({"version": "2", "templates": [
        {"type": 1, "title": "Served", "description": "from a URL", "image": WEB_IMAGE}]}).encode()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(state["status"])
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/templates.json"
    name = "url" + tag()
    try:
        added = client.post("/template-sources", json={"name": name, "url": url})
        assert added.status_code == 201, added.text
        source = added.json()
        assert source["url"] == url and source["templates"] == 1 and source.get("last_error") is None
        assert [item["title"] for item in client.get("/templates", params={"source": name}).json()["items"]] == ["Served"]
        # The list changes: a fetch picks it up.
        state["body"] = json.dumps({"version": "2", "templates": [
            {"type": 1, "title": "Served", "description": "from a URL", "image": WEB_IMAGE},
            {"type": 1, "title": "Second", "description": "added later", "image": WEB_IMAGE}]}).encode()
        refreshed = client.post(f"/template-sources/{source['id']}/refresh")
        assert refreshed.status_code == 200 and refreshed.json()["templates"] == 2
        # The server fails, then answers garbage: the last good copy stays, the error is shown.
        state["status"] = 500
        failed = client.post(f"/template-sources/{source['id']}/refresh").json()
        assert failed["templates"] == 2 and "500" in failed["last_error"]
        state["status"], state["body"] = 200, b"not json"
        failed = client.post(f"/template-sources/{source['id']}/refresh").json()
        assert failed["templates"] == 2 and failed["last_error"]
        assert len(client.get("/templates", params={"source": name}).json()["items"]) == 2
        # Too large a list is cut off, not read whole.
        state["body"] = b" " * (5 << 20)
        failed = client.post(f"/template-sources/{source['id']}/refresh").json()
        assert failed["templates"] == 2 and "larger" in failed["last_error"]
        # A URL that does not answer a list is refused when added: nothing stored.
        refused = client.post("/template-sources", json={"name": name + "b", "url": "http://127.0.0.1:9/none"})
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "url"
        assert name + "b" not in {item["name"] for item in client.get("/template-sources").json()["items"]}
    finally:
        server.shutdown()
        for item in client.get("/template-sources").json()["items"]:
            if item["name"] == name:
                client.delete(f"/template-sources/{item['id']}")
