"""Secrets stay with those allowed to see them (issue 14, finding 10): viewers
get secret-looking environment values and URL passwords masked; a build's Git
credentials never reach the task's parameters, its output or the audit trail,
yet the engine still clones with them."""
import base64
import http.server
import json
import re
import threading
import uuid

import pytest

from conftest import IMAGE, docker, wait_for


def finished(client, task_id, timeout=60):
    def done():
        task = client.get(f"/tasks/{task_id}").json()
        return task if task["state"] not in ("queued", "running") else None
    return wait_for(f"task {task_id}", done, timeout)


def viewer_of(client, name):
    created = client.post("/users", json={"username": name, "password": "viewer-pass-1", "role": "viewer"})
    assert created.status_code in (201, 409), created.text
    viewer = type(client)()
    assert viewer.login(name, "viewer-pass-1").status_code == 200
    return viewer


def test_viewers_see_passwords_and_url_user_info_masked_admins_see_them(client):
    name = f"e2e-secret-{uuid.uuid4().hex[:8]}"
    cid = docker("run", "-d", "--name", name, "-e", "DB_PASS=hunter2-e2e", "-e", "DATABASE_URL=postgres://app:pw-e2e@db/x",
                 "-e", "MYSQL_PWD=pwd-e2e", "-e", "PLAIN=visible", IMAGE, "sleep", "600")
    try:
        viewer = viewer_of(client, "viewer-secrets")
        response = viewer.get(f"/containers/{cid}")
        assert response.status_code == 200
        env = response.json()["env"]
        assert "DB_PASS=••••••" in env and "MYSQL_PWD=••••••" in env, env
        assert "DATABASE_URL=postgres://app:***@db/x" in env and "PLAIN=visible" in env, env
        assert response.json()["env_masked"] is True
        for secret in ("hunter2-e2e", "pw-e2e", "pwd-e2e"):
            assert secret not in response.text
        admin_env = client.get(f"/containers/{cid}").json()["env"]
        assert "DB_PASS=hunter2-e2e" in admin_env and "DATABASE_URL=postgres://app:pw-e2e@db/x" in admin_env
    finally:
        docker("rm", "-f", cid, check=False)


class GitAuthProbe(http.server.BaseHTTPRequestHandler):
    """Answers Git's smart-HTTP discovery with a Basic challenge and records the credentials sent back."""
    seen = []

    def do_GET(self):
        authorization = self.headers.get("Authorization")
        if authorization is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="probe"')
            self.end_headers()
            return
        GitAuthProbe.seen.append(authorization)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.serial  # reads the newest five image.build audit rows
def test_build_from_a_git_url_keeps_its_credentials_out_of_params_output_and_audit(client):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GitAuthProbe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    GitAuthProbe.seen.clear()
    remote = f"http://user:tok@127.0.0.1:{port}/x.git"
    tag = f"jarvis-test/secret-build:{uuid.uuid4().hex[:6]}"
    try:
        accepted = client.post("/images/build", json={"tags": [tag], "remote": remote,
                                                      "build_args": {"NPM_TOKEN": "npm-e2e-secret", "MODE": "prod"}})
        assert accepted.status_code == 202, accepted.text
        task_id = accepted.json()["task_id"]
        task = finished(client, task_id, timeout=90)
    finally:
        server.shutdown()
    assert task["state"] == "failed", task  # nothing to clone: fine
    masked = f"http://user:***@127.0.0.1:{port}/x.git"
    assert task["params"]["remote"] == masked, task["params"]
    assert task["params"]["build_args"] == {"NPM_TOKEN": "••••••", "MODE": "prod"}
    # The engine's git still got the password: it travelled sealed beside the parameters.
    assert [base64.b64decode(value.split(" ", 1)[1]).decode() for value in GitAuthProbe.seen][:1] == ["user:tok"]

    events = client.http.get(client.url(f"/tasks/{task_id}/events"), stream=True, timeout=20)
    progress = "".join(line + "\n" for line in events.iter_lines(decode_unicode=True) if line is not None)
    audit = client.get("/audit-logs", params={"q": task_id, "page_size": 50}).json()
    build_rows = client.get("/audit-logs", params={"action": "image.build", "page_size": 5}).json()["items"]
    row = next(item for item in build_rows if item["params"].get("task") == task_id)
    assert row["params"]["source"] == masked, row
    answers = {
        "accepted": accepted.text,
        "task": client.get(f"/tasks/{task_id}").text,
        "task list": client.get("/tasks", params={"page_size": 20}).text,
        "events": progress,
        "audit": json.dumps(audit) + json.dumps(build_rows),
    }
    for where, text in answers.items():
        assert not re.search(r"\btok\b", text), f"the Git password shows in {where}"
        assert "npm-e2e-secret" not in text, f"a secret build argument shows in {where}"

    # A retry cannot reuse the sealed credentials (they are dropped when the task ends): it says so.
    retried = client.post(f"/tasks/{task_id}/retry")
    if retried.status_code == 202:
        again = finished(client, retried.json()["id"], timeout=60)
        assert again["state"] == "failed" and "not kept" in again["error"], again
    else:
        assert retried.status_code == 409, retried.text


def test_viewers_see_a_stacks_env_and_compose_secrets_masked_with_lines_kept(client):
    name = "sec" + uuid.uuid4().hex[:8]
    compose = (f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '1']\n    environment:\n"
               "      API_TOKEN: tok-e2e-1\n      DATABASE_URL: postgres://app:pw-e2e-2@db/x\n      MODE: plain-e2e\n")
    env = "# database\nDB_PASSWORD=hunter2-e2e-3\nGREETING=hello\n"
    assert client.post("/stacks", json={"name": name, "compose": compose, "env": env}).status_code == 201
    try:
        viewer = viewer_of(client, "viewer-secrets")
        response = viewer.get(f"/stacks/{name}")
        assert response.status_code == 200, response.text
        for secret in ("tok-e2e-1", "pw-e2e-2", "hunter2-e2e-3"):
            assert secret not in response.text, secret
        shown = response.json()
        assert "plain-e2e" in shown["compose"] and "GREETING=hello" in shown["env"] and "# database" in shown["env"]
        assert shown["compose"].count("\n") == compose.count("\n"), "line numbers of findings still point right"
        admin = client.get(f"/stacks/{name}").json()
        assert admin["compose"] == compose and admin["env"] == env
    finally:
        import os, shutil
        from conftest import DATA_DIR
        shutil.rmtree(os.path.join(DATA_DIR, "stacks", name), ignore_errors=True)
