"""The web terminal: exec ticket from jarvis-fcgi, WebSocket on jarvis-sse, bytes both ways."""
import json
import os
import time

import pytest

import websocket

from conftest import BASE, DATA_DIR, wait_for


def open_terminal(client, cid, cmd=None):
    grant = client.post(f"/containers/{cid}/exec", json={"cmd": cmd or ["/bin/sh"]})
    assert grant.status_code == 201, grant.text
    return grant.json(), connect(client, grant.json()["websocket_path"])


def connect(client, path):
    cookie = "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())
    return websocket.create_connection(BASE.replace("https://", "wss://") + path, timeout=10,
                                       sslopt={"ca_certs": f"{DATA_DIR}/etc/tls.crt"}, header=[f"Cookie: {cookie}"])


def control_messages_until_closed(ws):
    """The JSON text frames the server sends until it closes the terminal."""
    messages = []
    while True:
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketConnectionClosedException:
            return messages
        if opcode == websocket.ABNF.OPCODE_TEXT:
            messages.append(json.loads(data))
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return messages


def read_until(ws, needle, seconds=10):
    output, deadline = b"", time.time() + seconds
    while needle not in output and time.time() < deadline:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_BINARY:
            output += data
    assert needle in output, output
    return output


def test_terminal_runs_commands_resizes_and_reports_the_exit_code(client, container):
    cid, name = container()
    grant, ws = open_terminal(client, cid)
    assert grant["container"] == name
    ws.send(json.dumps({"type": "resize", "rows": 33, "cols": 111}))
    time.sleep(0.2)
    ws.send_binary(b"echo hello-$((6*7)); stty size\n")
    output = read_until(ws, b"33 111")
    assert b"hello-42" in output
    ws.send_binary(b"exit 3\n")
    messages = control_messages_until_closed(ws)
    assert {"type": "exit", "code": 3} in messages
    # jarvis-sse writes the close row just after the socket closes.
    def audited():
        found = client.get("/audit-logs", params={"resource_type": "container", "q": cid}).json()["items"]
        return found if {"container.exec", "terminal.open", "terminal.close"} <= {r["action"] for r in found} else None
    rows = wait_for("the terminal's audit rows", audited, timeout=10)
    closed = next(r for r in rows if r["action"] == "terminal.close")
    assert closed["params"]["reason"] == "process exited" and int(closed["params"]["bytes_in"]) > 0


def test_a_terminal_ticket_works_once_and_only_for_its_user(client, container, anonymous):
    cid, _ = container()
    grant, ws = open_terminal(client, cid)
    ws.close()
    try:
        connect(client, grant["websocket_path"])
        raise AssertionError("a used ticket opened a terminal")
    except websocket.WebSocketBadStatusException as refused:
        assert refused.status_code in (400, 403)
    fresh = client.post(f"/containers/{cid}/exec", json={}).json()
    try:
        connect(anonymous, fresh["websocket_path"])
        raise AssertionError("a ticket opened a terminal without the session")
    except websocket.WebSocketBadStatusException as refused:
        assert refused.status_code in (400, 403)


def test_exec_is_refused_for_stopped_containers_and_viewers(client, container):
    cid, _ = container(start=False)
    response = client.post(f"/containers/{cid}/exec", json={"cmd": ["/bin/sh"]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "container_not_running"
    assert client.post("/containers/no-such-container/exec", json={}).status_code == 404
    assert client.post(f"/containers/{cid}/exec", json={"cmd": []}).status_code == 400
    client.post("/users", json={"username": "viewer-term", "password": "viewer-pass-1", "role": "viewer"})
    viewer = type(client)()
    assert viewer.login("viewer-term", "viewer-pass-1").status_code == 200
    assert viewer.post(f"/containers/{cid}/exec", json={}).status_code == 403


def test_an_idle_terminal_is_closed_and_the_close_audited(client, container):
    idle = int(os.environ.get("JARVIS_E2E_TERMINAL_IDLE", "0"))
    if not idle:
        pytest.skip("the stack runs with the default idle limit (make test sets 10 s)")
    cid, _ = container()
    _, ws = open_terminal(client, cid)
    read_until(ws, b"# ")
    started = time.time()
    ws.settimeout(idle + 10)
    messages = control_messages_until_closed(ws)
    assert idle <= time.time() - started < idle + 5
    assert any(m.get("type") == "closed" and "idle" in m.get("reason", "") for m in messages), messages
    rows = client.get("/audit-logs", params={"action": "terminal.close", "q": cid}).json()["items"]
    assert rows and rows[0]["params"]["reason"] == "idle timeout"
