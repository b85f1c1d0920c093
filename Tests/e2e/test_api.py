"""The short-request API through real nginx + jarvis-fcgi + the private engine."""
import base64
import hashlib
import hmac
import json
import os
import time

import pytest

from conftest import BASE, DATA_DIR, Client, docker, wait_for


def error_of(response):
    return response.json()["error"]


def test_health_reports_store_and_engine(anonymous):
    response = anonymous.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"]["ok"] is True
    assert body["engine"]["ok"] is True and body["engine"]["api_version"] >= "1.41"


def test_security_headers_and_request_id_on_every_response(anonymous):
    response = anonymous.get("/containers")
    assert response.status_code == 401
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 32
    assert error_of(response)["request_id"] == request_id, "nginx's id reaches the error body"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in response.headers["Strict-Transport-Security"]
    page = anonymous.http.get(BASE + "/")  # the UI shell
    assert page.status_code == 200 and "<jarvis-app>" in page.text


def test_login_errors_do_not_reveal_which_part_was_wrong(anonymous):
    wrong_password = anonymous.login("admin", "not the password")
    unknown_user = anonymous.login("nobody-here", "whatever")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert error_of(wrong_password)["message"] == error_of(unknown_user)["message"]
    assert "jarvis_access" not in anonymous.http.cookies


def test_malformed_and_non_json_bodies_are_rejected(anonymous):
    response = anonymous.http.post(anonymous.url("/auth/login"), data='{"username": "admin"',
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_json"
    form = anonymous.http.post(anonymous.url("/auth/login"), data="username=admin&password=x")
    assert form.status_code == 415


def test_list_filter_and_page_containers(client, container):
    ids = [container(name=f"e2e-list-{i}")[0] for i in range(3)]
    stopped, _ = container(name="e2e-list-stopped", start=False)
    # Made with the CLI, behind Jarvis's back: the mirror learns of them from engine events.
    wait_for("the mirror", lambda: client.get("/containers", params={"q": "e2e-list-"}).json()["total"] == 4, timeout=5)
    body = client.get("/containers", params={"q": "e2e-list-"}).json()
    assert body["total"] == 4 and body["page"] == 1 and body["page_size"] == 50
    item = next(i for i in body["items"] if i["id"] == ids[0])
    assert set(item) >= {"id", "name", "image", "state", "status", "ports", "created"}
    assert item["name"] == "e2e-list-0" and item["state"] == "running" and item["image"] == "jarvis-test/busybox:latest"
    running = client.get("/containers", params={"q": "e2e-list-", "state": "running"}).json()
    assert {i["id"] for i in running["items"]} == set(ids)
    created = client.get("/containers", params={"q": "e2e-list-", "state": "created"}).json()
    assert [i["id"] for i in created["items"]] == [stopped]
    page2 = client.get("/containers", params={"q": "e2e-list-", "page": 2, "page_size": 3}).json()
    assert page2["total"] == 4 and len(page2["items"]) == 1
    assert client.get("/containers", params={"page_size": 0}).status_code == 400
    running_only = client.get("/containers", params={"q": "e2e-list-", "all": "0"}).json()
    assert stopped not in {i["id"] for i in running_only["items"]} and running_only["total"] == 3
    assert client.get("/containers", params={"all": "maybe"}).status_code == 400


def test_details_and_unknown_id(client, container):
    cid, name = container()
    details = client.get(f"/containers/{cid[:12]}").json()
    assert details["id"] == cid and details["name"] == name and details["state"]["running"] is True
    missing = client.get("/containers/does-not-exist")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


def audit_rows(client, **params):
    return client.get("/audit-logs", params=params).json()["items"]


@pytest.mark.serial  # reads the newest container.stop audit row
def test_stop_and_start_change_state_and_write_audit_rows(client, container):
    cid, name = container("trap 'exit 0' TERM; while true; do sleep 1; done")
    stop = client.post(f"/containers/{name}/stop", json={"timeout": 5})
    assert stop.status_code == 200, stop.text
    assert stop.json()["state"]["running"] is False
    assert docker("inspect", "-f", "{{.State.Running}}", cid) == "false"
    row = audit_rows(client, action="container.stop")[0]
    assert row["resource_id"] == cid and row["resource_name"] == name and row["result"] == "success"
    assert row["username"] == "admin" and row["ip"] == "127.0.0.1" and row["request_id"] == stop.headers["X-Request-Id"]
    assert row["params"] == {"timeout": "5", "host": "local"}, "an engine action names its host"

    start = client.post(f"/containers/{cid}/start")
    assert start.status_code == 200 and start.json()["state"]["running"] is True
    again = client.post(f"/containers/{cid}/start")
    assert again.status_code == 200, "starting a running container is not an error"
    restart = client.post(f"/containers/{cid}/restart", json={"timeout": 1})
    assert restart.status_code == 200
    kill = client.post(f"/containers/{cid}/kill", json={"signal": "SIGKILL"})
    assert kill.status_code == 200 and kill.json()["state"]["running"] is False


@pytest.mark.serial  # reads the newest container.stop audit row
def test_missing_csrf_header_is_refused_and_changes_nothing(client, container):
    cid, _ = container()
    response = client.post(f"/containers/{cid}/stop", csrf=False)
    assert response.status_code == 403 and error_of(response)["code"] == "csrf_failed"
    assert docker("inspect", "-f", "{{.State.Running}}", cid) == "true"
    row = audit_rows(client, action="container.stop")[0]
    assert row["result"] == "failure" and "CSRF" in row["error"]


@pytest.mark.serial  # reads the newest container.restart audit row
def test_unknown_container_action_is_404_and_audited(client):
    response = client.post("/containers/no-such-container/restart")
    assert response.status_code == 404
    row = audit_rows(client, action="container.restart")[0]
    assert row["result"] == "failure" and row["resource_id"] == "no-such-container"


def test_bearer_clients_need_no_csrf(container):
    cid, _ = container()
    c = Client()
    tokens = c.login().json()
    bare = Client()
    response = bare.http.post(bare.url(f"/containers/{cid}/stop"), json={"timeout": 1},
                              headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert response.status_code == 200


def sign(claims):
    """An HS256 token signed with the stack's own key (to make an expired one)."""
    key = open(os.path.join(DATA_DIR, "keys", "jwt-signing.key"), "rb").read()
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = enc(json.dumps(claims).encode())
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{enc(signature)}"


def test_expired_and_forged_tokens_are_refused(client):
    me = client.get("/auth/me").json()
    claims = {"sub": str(me["id"]), "name": "admin", "role": "admin", "sid": "x", "csrf": "y",
              "iat": int(time.time()) - 3600, "exp": int(time.time()) - 60}
    expired = client.http.get(client.url("/auth/me"), headers={"Authorization": "Bearer " + sign(claims)})
    assert expired.status_code == 401 and error_of(expired)["code"] == "token_expired"
    forged = sign(dict(claims, exp=int(time.time()) + 600))[:-4] + "AAAA"
    refused = client.http.get(client.url("/auth/me"), headers={"Authorization": "Bearer " + forged})
    assert refused.status_code == 401 and error_of(refused)["code"] == "invalid_token"


def test_refresh_rotates_and_a_replayed_token_revokes_the_session(anonymous):
    first = anonymous.login().json()
    second = anonymous.http.post(anonymous.url("/auth/refresh"), json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    replay = anonymous.http.post(anonymous.url("/auth/refresh"), json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and error_of(replay)["code"] == "token_reused"
    after = anonymous.http.get(anonymous.url("/auth/me"), headers={"Authorization": "Bearer " + rotated["access_token"]})
    assert after.status_code == 401, "the whole family died with the replay"


def test_cookie_refresh_needs_csrf_and_logout_revokes(client):
    assert client.post("/auth/refresh", csrf=False).status_code == 403
    refreshed = client.post("/auth/refresh")
    assert refreshed.status_code == 200
    assert client.get("/auth/me").status_code == 200
    assert client.post("/auth/logout").status_code == 204
    assert client.get("/auth/me").status_code == 401
    row = audit_rows(Client_logged_in(), action="auth.logout")[0]
    assert row["result"] == "success"


def Client_logged_in():
    c = Client()
    c.login()
    return c


def test_ids_that_could_change_the_engine_path_are_rejected(client):
    for bad in ["x" * 300, "..", "a%2F..%2Fimages"]:
        response = client.get("/containers/" + bad)
        assert response.status_code in (400, 404), bad
        assert error_of(response)["code"] in ("bad_request", "not_found")


def test_oversize_body_is_a_json_413_and_changes_nothing(client, container):
    cid, _ = container()
    big = '{"timeout": 1, "pad": "' + "x" * (2 << 20) + '"}'
    response = client.post(f"/containers/{cid}/stop", data=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert error_of(response)["request_id"] == response.headers["X-Request-Id"]
    assert docker("inspect", "-f", "{{.State.Running}}", cid) == "true"


def test_audit_export_streams_through_fastcgi_and_nginx(client):
    client.post("/containers/export-probe/start")
    total = client.get("/audit-logs").json()["total"]
    csv = client.get("/audit-logs/export", params={"format": "csv"})
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "Content-Length" not in csv.headers or int(csv.headers["Content-Length"]) == len(csv.content)
    lines = csv.text.strip().split("\n")
    assert lines[0].startswith("id,at,username") and len(lines) - 1 >= total
    assert any("export-probe" in line for line in lines)
    rows = client.get("/audit-logs/export", params={"format": "json", "q": "export-probe"}).json()
    assert [r["resource_id"] for r in rows] == ["export-probe"]


def test_sessions_are_listed_with_the_current_one_marked(client):
    body = client.get("/auth/sessions").json()
    assert sum(1 for s in body["items"] if s["current"]) == 1
    current = next(s for s in body["items"] if s["current"])
    assert current["ip"] == "127.0.0.1" and current["user_agent"].startswith("python-requests")
