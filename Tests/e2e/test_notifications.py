"""Notifications (issue 21) against real peers on 127.0.0.1: an HTTP receiver that checks each
service's documented request format and signature and answers success or that service's error
format, and an SMTP server (aiosmtpd) with STARTTLS and AUTH. Events come from real containers in
the private engine. The stack runs with JARVIS_NOTIFY_RETRY_SECONDS=1 and JARVIS_NOTIFY_MAX_ATTEMPTS=3."""
import base64
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import pytest

from conftest import IMAGE, docker, wait_for

RECEIVER_PORT = 23510
SMTP_PORT = 23525
WEBHOOK_SECRET = "whsec-e2e-3f9a1c"
FEISHU_SECRET = "feishu-secret-e2e-77"
DINGTALK_SECRET = "SECdingtalk-e2e-91"
WECOM_KEY = "wecom-key-e2e-5521"
BAD_WECOM_KEY = "wecom-bad-key-e2e-0007"
TELEGRAM_TOKEN = "123456:telegram-token-e2e"
GOTIFY_TOKEN = "gotify-token-e2e-42"
SMTP_PASSWORD = "smtp-pass-e2e-8812"
SECRETS = [WEBHOOK_SECRET, FEISHU_SECRET, DINGTALK_SECRET, WECOM_KEY, BAD_WECOM_KEY, TELEGRAM_TOKEN, GOTIFY_TOKEN, SMTP_PASSWORD]


class Receiver(http.server.BaseHTTPRequestHandler):
    """Every chat service at once, told apart by path; records what it got and whether it was well-formed."""
    seen = []

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        self.do_POST()

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        raw_query = url.query
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = {"path": url.path, "query": query, "headers": dict(self.headers), "body": body, "raw": raw, "method": self.command}
        Receiver.seen.append(record)
        now = time.time()
        path = url.path
        if path.startswith("/hook/"):
            record["service"] = "webhook"
            timestamp = self.headers.get("X-Jarvis-Timestamp", "0")
            expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
            record["verified"] = (hmac.compare_digest(expected, self.headers.get("X-Jarvis-Signature", ""))
                                  and abs(now - int(timestamp)) < 300 and body["schema"] == "jarvis.notification.v1")
            return self.answer(200 if record["verified"] else 401, {"received": record["verified"]})
        if path == "/cgi-bin/webhook/send":
            # WeCom group robot: key in the query, msgtype text with content at most 2,048 bytes.
            record["service"] = "wecom"
            content = (body or {}).get("text", {}).get("content", "")
            record["verified"] = body.get("msgtype") == "text" and 0 < len(content.encode()) <= 2048
            if query.get("key") != WECOM_KEY:
                return self.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc]"})
            return self.answer(200, {"errcode": 0, "errmsg": "ok"} if record["verified"] else {"errcode": 40008, "errmsg": "invalid message type"})
        if path.startswith("/open-apis/bot/v2/hook/"):
            # Feishu: sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")), timestamp in seconds.
            record["service"] = "feishu"
            timestamp = (body or {}).get("timestamp", "0")
            sign = base64.b64encode(hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
            record["verified"] = (body.get("sign") == sign and abs(now - int(timestamp)) < 3600 and body.get("msg_type") == "text"
                                  and body["content"]["text"])
            if not record["verified"]:
                return self.answer(200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time", "data": {}})
            return self.answer(200, {"StatusCode": 0, "StatusMessage": "success", "code": 0, "msg": "success", "data": {}})
        if path == "/robot/send":
            # DingTalk: timestamp in ms; sign = urlencode(base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret))).
            record["service"] = "dingtalk"
            timestamp = query.get("timestamp", "0")
            sign = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()).decode()
            raw_sign = dict(part.split("=", 1) for part in raw_query.split("&")).get("sign", "")
            record["verified"] = (query.get("sign") == sign and raw_sign == urllib.parse.quote_plus(sign) and abs(now * 1000 - int(timestamp)) < 3600_000
                                  and body.get("msgtype") == "text" and body["text"]["content"])
            return self.answer(200, {"errcode": 0, "errmsg": "ok"} if record["verified"] else {"errcode": 310000, "errmsg": "sign not match"})
        if path.startswith("/slack/"):
            record["service"] = "slack"
            record["verified"] = bool((body or {}).get("text"))
            return self.answer(200 if record["verified"] else 400, b"ok" if record["verified"] else b"invalid_payload", "text/plain")
        if path.startswith("/discord/"):
            record["service"] = "discord"
            record["verified"] = 0 < len((body or {}).get("content", "")) <= 2000
            if not record["verified"]:
                return self.answer(400, {"message": "Cannot send an empty message", "code": 50006})
            self.send_response(204)
            self.end_headers()
            return
        if path == f"/bot{TELEGRAM_TOKEN}/sendMessage":
            record["service"] = "telegram"
            record["verified"] = (body or {}).get("chat_id") == "-100123" and bool(body.get("text"))
            return self.answer(200, {"ok": True, "result": {"message_id": 7}} if record["verified"]
                               else {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
        if path == "/ntfy/":
            record["service"] = "ntfy"
            record["verified"] = (body or {}).get("topic") == "jarvis-e2e" and bool(body.get("message")) and bool(body.get("title"))
            return self.answer(200 if record["verified"] else 400, {"id": "abc", "event": "message"} if record["verified"]
                               else {"code": 40001, "http": 400, "error": "invalid request"})
        if path == "/gotify/message":
            record["service"] = "gotify"
            record["verified"] = self.headers.get("X-Gotify-Key") == GOTIFY_TOKEN and bool((body or {}).get("message"))
            return self.answer(200 if record["verified"] else 401, {"id": 1} if record["verified"]
                               else {"error": "Unauthorized", "errorCode": 401, "errorDescription": "you need to provide a valid access token"})
        record["service"] = "unknown"
        return self.answer(404, {"error": "no such path"})


@pytest.fixture(scope="module")
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def made(client):
    """Channels and rules a test makes, removed afterwards."""
    things = {"channels": [], "rules": []}
    yield things
    for rule in things["rules"]:
        client.delete(f"/notifications/rules/{rule}")
    for channel in things["channels"]:
        client.delete(f"/notifications/channels/{channel}")


def channel(client, made, kind, config, name=None):
    response = client.post("/notifications/channels", json={"kind": kind, "name": name or f"{kind}-{uuid.uuid4().hex[:6]}", "config": config})
    assert response.status_code == 201, response.text
    made["channels"].append(response.json()["id"])
    return response.json()


def rule(client, made, events, channels, container=None, throttle=600, language="en"):
    body = {"name": f"rule-{uuid.uuid4().hex[:6]}", "events": events, "channels": channels, "throttle_seconds": throttle, "language": language}
    if container:
        body["filters"] = {"container": container}
    response = client.post("/notifications/rules", json=body)
    assert response.status_code == 201, response.text
    made["rules"].append(response.json()["id"])
    return response.json()


def received(receiver, predicate):
    return [r for r in list(receiver.seen) if predicate(r)]


def webhook_messages(receiver, name):
    return received(receiver, lambda r: r.get("service") == "webhook" and r["body"] and r["body"]["event"]["target"] == name)


def run(name, *args, script):
    return docker("run", "-d", "--name", name, "--label", "jarvis.e2e=1", *args, IMAGE, "sh", "-c", script)


def test_a_container_that_exits_3_sends_exactly_one_signed_message_with_its_code_and_last_lines(client, made, receiver):
    prefix = f"ntf-exit-{uuid.uuid4().hex[:6]}"
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/{prefix}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["container.died"], [hook["id"]], container=prefix + "*")
    name = prefix + "-a"
    try:
        run(name, script="echo starting; echo 'fatal: cannot reach db'; exit 3")
        messages = wait_for("the webhook message", lambda: webhook_messages(receiver, name), timeout=30)
        time.sleep(3)  # nothing else arrives for it
        messages = webhook_messages(receiver, name)
        assert len(messages) == 1, [m["body"] for m in messages]
        message = messages[0]
        assert message["verified"], "signature, timestamp or schema did not verify"
        event = message["body"]["event"]
        assert event["kind"] == "container.died" and event["fields"]["exit_code"] == "3"
        assert "fatal: cannot reach db" in event["fields"]["logs"] and event["host"]
        assert "Exit code: 3" in message["body"]["message"]["text"] and "fatal: cannot reach db" in message["body"]["message"]["text"]
        log = client.get("/notifications/deliveries", params={"channel_id": hook["id"]}).json()
        assert log["total"] == 1 and log["items"][0]["state"] == "sent" and log["items"][0]["attempts"] == 1
        # The bell sees the event too.
        events = client.get("/notifications/events", params={"limit": 50, "kind": "container.died"}).json()["items"]
        assert any(e["kind"] == "container.died" and e["target"] == name for e in events)
    finally:
        docker("rm", "-f", name, check=False)


def test_an_oom_killed_container_is_reported_as_oom(client, made, receiver):
    prefix = f"ntf-oom-{uuid.uuid4().hex[:6]}"
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/{prefix}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["container.oom", "container.died"], [hook["id"]], container=prefix + "*")
    name = prefix + "-a"
    try:
        run(name, "--memory", "8m", "--memory-swap", "8m", script="x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done")
        messages = wait_for("the OOM message", lambda: webhook_messages(receiver, name), timeout=40)
        kinds = [m["body"]["event"]["kind"] for m in messages]
        assert kinds == ["container.oom"], kinds
        assert messages[0]["body"]["event"]["fields"]["exit_code"] == "137"
    finally:
        docker("rm", "-f", name, check=False)


def test_a_restart_loop_is_throttled_into_one_message_then_one_with_a_repeat_count(client, made, receiver):
    prefix = f"ntf-loop-{uuid.uuid4().hex[:6]}"
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/{prefix}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["container.restart_loop"], [hook["id"]], container=prefix + "*", throttle=8)
    name = prefix + "-a"
    try:
        run(name, "--restart", "always", script="echo crash; exit 1")
        first = wait_for("the first restart-loop message", lambda: webhook_messages(receiver, name), timeout=30)
        assert first[0]["body"]["repeats"] == 0 and first[0]["body"]["event"]["kind"] == "container.restart_loop"
        time.sleep(4)
        assert len(webhook_messages(receiver, name)) == 1, "the loop was not throttled"
        messages = wait_for("the message with the repeat count", lambda: webhook_messages(receiver, name)[1:], timeout=40)
        assert messages[0]["body"]["repeats"] >= 1, messages[0]["body"]
        assert f"Repeated {messages[0]['body']['repeats']} more times" in messages[0]["body"]["message"]["text"]
    finally:
        docker("rm", "-f", name, check=False)


def test_a_channel_answering_an_error_code_is_retried_then_logged_failed_without_its_key(client, made, receiver):
    prefix = f"ntf-fail-{uuid.uuid4().hex[:6]}"
    wecom = channel(client, made, "wecom", {"key": BAD_WECOM_KEY, "base_url": f"http://127.0.0.1:{RECEIVER_PORT}"})
    rule(client, made, ["container.died"], [wecom["id"]], container=prefix + "*")
    name = prefix + "-a"
    try:
        run(name, script="exit 3")

        def failed():
            items = client.get("/notifications/deliveries", params={"channel_id": wecom["id"], "state": "failed"}).json()["items"]
            return items[0] if items else None
        delivery = wait_for("the failed delivery", failed, timeout=40)
        assert delivery["attempts"] == 3, delivery
        assert delivery["error"].startswith("errcode 93000: invalid webhook url"), delivery
        attempts = received(receiver, lambda r: r.get("service") == "wecom" and r["query"].get("key") == BAD_WECOM_KEY)
        assert len(attempts) == 3
        assert BAD_WECOM_KEY not in json.dumps(delivery)
    finally:
        docker("rm", "-f", name, check=False)


def test_send_test_reaches_every_chat_service_in_its_documented_format(client, made, receiver):
    base = f"http://127.0.0.1:{RECEIVER_PORT}"
    services = {
        "webhook": {"url": f"{base}/hook/test", "secret": WEBHOOK_SECRET, "headers": {"X-Team": "ops"}},
        "wecom": {"key": WECOM_KEY, "base_url": base},
        "feishu": {"token": "hook-e2e", "secret": FEISHU_SECRET, "base_url": base},
        "dingtalk": {"token": "ding-e2e", "secret": DINGTALK_SECRET, "base_url": base},
        "slack": {"url": f"{base}/slack/T000/B000/XXXX"},
        "discord": {"url": f"{base}/discord/123/abc"},
        "telegram": {"token": TELEGRAM_TOKEN, "chat_id": "-100123", "base_url": base},
        "ntfy": {"topic": "jarvis-e2e", "base_url": base + "/ntfy"},
        "gotify": {"token": GOTIFY_TOKEN, "base_url": base + "/gotify"},
    }
    for kind, config in services.items():
        saved = channel(client, made, kind, config)
        before = len(receiver.seen)
        answer = client.post(f"/notifications/channels/{saved['id']}/test", json={"language": "zh-CN"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["ok"] is True, (kind, answer.json())
        got = receiver.seen[before:]
        assert [r["service"] for r in got] == [kind] and got[0]["verified"], (kind, got)
        assert "Jarvis 测试消息" in got[0]["raw"].decode(), kind
    # A wrong Feishu secret gets Feishu's own error back through "send test".
    wrong = channel(client, made, "feishu", {"token": "hook-e2e", "secret": "not-the-secret", "base_url": base})
    answer = client.post(f"/notifications/channels/{wrong['id']}/test", json={}).json()
    assert answer["ok"] is False and answer["error"].startswith("code 19021: sign match fail"), answer
    assert "19021" in answer["answer"]


def make_certificate(folder):
    key, cert = os.path.join(folder, "key.pem"), os.path.join(folder, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return key, cert


def test_email_over_starttls_with_auth_to_several_recipients_with_text_and_html(client, made):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Mailbox:
        messages = []

        async def handle_DATA(self, server, session, envelope):
            Mailbox.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.authenticated))
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"jarvis" and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok)

    with tempfile.TemporaryDirectory() as folder:
        key, cert = make_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        controller = Controller(Mailbox(), hostname="127.0.0.1", port=SMTP_PORT, tls_context=context, require_starttls=True,
                                authenticator=authenticator, auth_require_tls=True)
        controller.start()
        try:
            config = {"host": "127.0.0.1", "port": SMTP_PORT, "security": "starttls", "username": "jarvis", "password": SMTP_PASSWORD,
                      "from": "jarvis@example.com", "to": ["ops@example.com", "oncall@example.com"], "ca_pem": open(cert).read()}
            mail = channel(client, made, "email", config)
            answer = client.post(f"/notifications/channels/{mail['id']}/test", json={"language": "en"}).json()
            assert answer["ok"] is True, answer
            sender, recipients, content, authenticated = Mailbox.messages[-1]
            assert sender == "jarvis@example.com" and recipients == ["ops@example.com", "oncall@example.com"] and authenticated
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert message["Subject"].startswith("[INFO] Jarvis test message")
            parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
            assert "Jarvis test message" in parts["text/plain"] and "<h3>" in parts["text/html"]
            # Without the CA (and verification on) the self-signed certificate is refused.
            unverified = dict(config)
            unverified.pop("ca_pem")
            strict = channel(client, made, "email", unverified)
            refused = client.post(f"/notifications/channels/{strict['id']}/test", json={}).json()
            assert refused["ok"] is False and "certificate" in refused["error"].lower(), refused
            # A wrong password is the server's refusal, logged without the password.
            wrong = channel(client, made, "email", dict(config, password="wrong-password"))
            assert client.post(f"/notifications/channels/{wrong['id']}/test", json={}).json()["ok"] is False
        finally:
            controller.stop()


def test_secrets_never_come_back_from_the_api_the_log_or_the_audit(client, made, receiver):
    base = f"http://127.0.0.1:{RECEIVER_PORT}"
    saved = channel(client, made, "dingtalk", {"token": "ding-token-e2e-secret", "secret": DINGTALK_SECRET, "base_url": base})
    assert saved["config"]["token"] == "********" and saved["config"]["secret"] == "********"
    client.post(f"/notifications/channels/{saved['id']}/test", json={})
    # A PUT that resends the masked values keeps them (the next test still signs correctly).
    saved["config"]["base_url"] = base + "/"
    updated = client.put(f"/notifications/channels/{saved['id']}", json={"kind": "dingtalk", "name": saved["name"], "config": saved["config"]})
    assert updated.status_code == 200, updated.text
    assert client.post(f"/notifications/channels/{saved['id']}/test", json={}).json()["ok"] is True
    texts = [client.get("/notifications/channels").text, client.get(f"/notifications/channels/{saved['id']}").text,
             client.get("/notifications/deliveries", params={"page_size": 500}).text,
             client.get("/audit-logs", params={"q": "notify", "page_size": 200}).text]
    for text in texts:
        for secret in SECRETS + ["ding-token-e2e-secret"]:
            assert secret not in text


def test_bad_input_is_a_400_naming_the_field_and_viewers_only_see_events(client, made):
    cases = [
        ({"kind": "pager", "name": "x", "config": {}}, "kind"),
        ({"kind": "wecom", "name": "x", "config": {}}, "config.key"),
        ({"kind": "webhook", "name": "x", "config": {"url": "ftp://example.com"}}, "config.url"),
        ({"kind": "email", "name": "x", "config": {"host": "h", "from": "a@b.c", "to": ["not-an-address"]}}, "config.to"),
        ({"kind": "webhook", "name": "", "config": {"url": "http://127.0.0.1/"}}, "name"),
    ]
    for body, field in cases:
        response = client.post("/notifications/channels", json=body)
        assert response.status_code == 400 and response.json()["error"]["field"] == field, (body, response.text)
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/x"})
    for body, field in [({"name": "r", "events": ["container.exploded"], "channels": [hook["id"]]}, "events"),
                        ({"name": "r", "events": ["container.died"], "channels": [999999]}, "channels"),
                        ({"name": "r", "events": ["container.died"], "channels": [hook["id"]], "template": "{{#a}}"}, "template"),
                        ({"name": "r", "events": ["container.died"], "channels": [hook["id"]], "filters": {"min_severity": "urgent"}},
                         "filters.min_severity")]:
        response = client.post("/notifications/rules", json=body)
        assert response.status_code == 400 and response.json()["error"]["field"] == field, (body, response.text)
    preview = client.post("/notifications/rules/preview", json={"kind": "container.died", "language": "zh-CN"}).json()
    assert preview["title"] == "[警告] 容器异常退出：web-1" and "退出码：3" in preview["body"]
    created = client.post("/users", json={"username": "notify-viewer", "password": "viewer-pass-1", "role": "viewer"})
    assert created.status_code in (201, 409)
    viewer = type(client)()
    assert viewer.login("notify-viewer", "viewer-pass-1").status_code == 200
    assert viewer.get("/notifications/events").status_code == 200
    unknown = viewer.get("/notifications/events", params={"kind": "container.exploded"})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "kind", unknown.text
    assert viewer.get("/notifications/channels").status_code == 403
    assert viewer.get("/notifications/deliveries").status_code == 403


def test_an_unhealthy_container_sends_its_failing_health_check_output(client, made, receiver):
    prefix = f"ntf-sick-{uuid.uuid4().hex[:6]}"
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/{prefix}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["container.unhealthy"], [hook["id"]], container=prefix + "*")
    name = prefix + "-a"
    try:
        run(name, "--health-cmd", "echo probe-says-db-down; exit 1", "--health-interval", "1s", "--health-retries", "1",
            "--health-timeout", "2s", script="sleep 600")
        messages = wait_for("the unhealthy message", lambda: webhook_messages(receiver, name), timeout=40)
        event = messages[0]["body"]["event"]
        assert event["kind"] == "container.unhealthy" and "probe-says-db-down" in event["fields"]["health_output"], event
        assert "Health check: probe-says-db-down" in messages[0]["body"]["message"]["text"]
    finally:
        docker("rm", "-f", name, check=False)


def test_a_failed_task_is_reported_with_its_error(client, made, receiver):
    registry = os.environ.get("JARVIS_E2E_REGISTRY")
    if not registry:
        pytest.skip("no private registry")
    tag = uuid.uuid4().hex[:8]
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/task-{tag}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["task.failed"], [hook["id"]])
    accepted = client.post("/images/pull", json={"image": f"{registry}/jarvis/ntf-missing-{tag}", "tag": "1",
                                                 "auth": {"username": "jarvis", "password": "not-the-password"}})
    assert accepted.status_code == 202, accepted.text
    task_id = accepted.json()["task_id"]
    messages = wait_for("the task message", lambda: received(
        receiver, lambda r: r.get("service") == "webhook" and r["path"] == f"/hook/task-{tag}" and r["body"]["event"]["fields"].get("task") == task_id),
        timeout=60)
    event = messages[0]["body"]["event"]
    assert event["kind"] == "task.failed" and event["fields"]["error"] and event["fields"]["task_kind"] == "image.pull", event
    assert "not-the-password" not in json.dumps(messages[0]["body"])


def test_a_host_going_offline_and_back_sends_both(client, made, receiver):
    import remote_hosts
    if not remote_hosts.directory():
        pytest.skip("no remote engines (scripts/e2e.sh starts them)")
    name = "t-ntf-far"
    listed = {h["name"] for h in client.get("/hosts").json()["items"]}
    if name not in listed:
        created = client.post("/hosts", json=remote_hosts.tls_host_body("far", name), timeout=60)
        assert created.status_code == 201, created.text
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/{name}", "secret": WEBHOOK_SECRET})
    made_rule = client.post("/notifications/rules", json={"name": f"hosts-{uuid.uuid4().hex[:6]}", "events": ["host.offline", "host.online"],
                                                          "channels": [hook["id"]], "filters": {"hosts": [name]}, "throttle_seconds": 0})
    assert made_rule.status_code == 201, made_rule.text
    made["rules"].append(made_rule.json()["id"])
    wait_for("the host online", lambda: client.get(f"/hosts/{name}").json()["state"] == "online", 30)
    remote_hosts.stop_engine("far")
    try:
        offline = wait_for("the offline message", lambda: [m for m in webhook_messages(receiver, name) if m["body"]["event"]["kind"] == "host.offline"], 30)
        assert offline[0]["body"]["event"]["host"] == name and offline[0]["verified"]
    finally:
        remote_hosts.start_engine("far")
    online = wait_for("the online message", lambda: [m for m in webhook_messages(receiver, name) if m["body"]["event"]["kind"] == "host.online"], 40)
    assert "answers again" in online[0]["body"]["event"]["summary"]
    asked = client.delete(f"/hosts/{name}")
    token = asked.json().get("confirmation", {}).get("token", "")
    client.delete(f"/hosts/{name}", headers={"X-Confirmation-Token": token})


# --- the producers added for jobs, certificates, disk use and the audit chain -------------------

def job_messages(receiver, path):
    return [r for r in received(receiver, lambda r: r.get("service") == "webhook" and r["path"] == path)]


def test_a_failing_job_sends_one_message_with_its_error_then_a_success_sends_the_recovery(client, made, receiver):
    tag = uuid.uuid4().hex[:6]
    path = f"/hook/job-{tag}"
    target = f"ntf-job-{tag}"  # no such container yet: the restart fails
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}{path}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["job.failed", "job.timed_out", "job.recovered"], [hook["id"]], throttle=0)
    created = client.post("/jobs", json={"name": f"ntf-job-{tag}", "kind": "container.restart",
                                         "trigger": {"type": "once", "at": "2099-01-01T00:00:00Z"}, "params": {"container": target}})
    assert created.status_code == 201, created.text
    job = created.json()
    try:
        assert client.post(f"/jobs/{job['id']}/run").status_code == 202
        failed = wait_for("the job.failed message", lambda: job_messages(receiver, path), timeout=40)
        time.sleep(2)
        failed = job_messages(receiver, path)
        assert len(failed) == 1, [m["body"] for m in failed]
        event = failed[0]["body"]["event"]
        assert failed[0]["verified"] and event["kind"] == "job.failed" and event["target"] == job["name"], event
        fields = event["fields"]
        assert fields["job"] == job["name"] and fields["job_kind"] == "container.restart" and fields["attempt"] == "1"
        assert target in fields["error"] and event["host"], fields
        assert job["name"] in failed[0]["body"]["message"]["text"]
        # The container exists now (it leaves on TERM at once, so the restart is quick): the next run succeeds.
        docker("run", "-d", "--name", target, "--label", "jarvis.e2e=1", IMAGE, "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done")
        assert client.post(f"/jobs/{job['id']}/run").status_code == 202
        recovered = wait_for("the job.recovered message", lambda: [m for m in job_messages(receiver, path)
                                                                  if m["body"]["event"]["kind"] == "job.recovered"], timeout=40)
        assert recovered[0]["body"]["event"]["fields"]["previous"] == "failed"
        assert "succeeded after a run that failed" in recovered[0]["body"]["event"]["summary"]
        # A second success in a row is not news.
        assert client.post(f"/jobs/{job['id']}/run").status_code == 202
        wait_for("the third run", lambda: len([r for r in client.get(f"/jobs/{job['id']}/runs").json()["items"] if r["state"] == "succeeded"]) == 2, 40)
        time.sleep(2)
        assert [m["body"]["event"]["kind"] for m in job_messages(receiver, path)] == ["job.failed", "job.recovered"]
    finally:
        client.delete(f"/jobs/{job['id']}")
        docker("rm", "-f", target, check=False)


def test_a_host_certificate_inside_the_warning_window_sends_exactly_one_message(client, made, receiver):
    import remote_hosts
    if not remote_hosts.directory():
        pytest.skip("no remote engines (scripts/e2e.sh starts them)")
    hosts = remote_hosts.load()
    name = "t-ntf-cert"
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook/{name}", "secret": WEBHOOK_SECRET})
    made_rule = client.post("/notifications/rules", json={"name": f"cert-{uuid.uuid4().hex[:6]}", "events": ["host.certificate_expiring"],
                                                          "channels": [hook["id"]], "filters": {"hosts": [name]}, "throttle_seconds": 0})
    assert made_rule.status_code == 201, made_rule.text
    made["rules"].append(made_rule.json()["id"])
    # The harness's client certificate that expires in 10 days: inside the default 30-day window.
    body = remote_hosts.add_body(remote_hosts.tls_probe_body("far", cert=hosts["expiring_client_cert"], key=hosts["expiring_client_key"]),
                                 name, remote_hosts.fingerprint("far", "tls"))
    created = client.post("/hosts", json=body, timeout=60)
    assert created.status_code == 201, created.text
    try:
        messages = wait_for("the certificate message", lambda: webhook_messages(receiver, name), timeout=30)
        # Health checks run every 2 s in the e2e stack: several more checks, no second message.
        checked = client.get(f"/hosts/{name}").json()["last_seen"]
        wait_for("three more checks", lambda: client.get(f"/hosts/{name}").json()["last_seen"] != checked, 20)
        time.sleep(6)
        messages = webhook_messages(receiver, name)
        assert len(messages) == 1, [m["body"]["event"] for m in messages]
        event = messages[0]["body"]["event"]
        assert event["kind"] == "host.certificate_expiring" and event["host"] == name and messages[0]["verified"]
        assert event["fields"]["certificate"] == "client" and event["fields"]["expires_at"] == client.get(f"/hosts/{name}").json()["certificate_expires_at"]
        assert int(event["fields"]["days_left"]) in (9, 10), event["fields"]
        assert "client certificate expires in" in event["summary"]
    finally:
        asked = client.delete(f"/hosts/{name}")
        token = asked.json().get("confirmation", {}).get("token", "")
        client.delete(f"/hosts/{name}", headers={"X-Confirmation-Token": token})


def test_disk_use_above_the_threshold_is_one_event_with_the_per_kind_figures(client):
    # scripts/e2e.sh sets notify_disk_bytes = 1: the local engine's images alone are above it.
    local = next(h for h in client.get("/hosts").json()["items"] if h["default"])

    def told():
        # By kind: the suite's container events can push an early event out of the newest 200.
        events = client.get("/notifications/events", params={"limit": 200, "kind": "host.disk_usage"}).json()["items"]
        assert all(e["kind"] == "host.disk_usage" for e in events), events
        return [e for e in events if e["host"] == local["name"]]
    first = wait_for("the disk-use event", told, timeout=30)
    fields = first[0]["fields"]
    parts = [int(fields[k]) for k in ("images_bytes", "containers_bytes", "volumes_bytes", "build_cache_bytes")]
    assert int(fields["total_bytes"]) == sum(parts) > int(fields["threshold_bytes"]) == 1, fields
    assert parts[0] > 0 and first[0]["severity"] == "warning"
    # More reports while still above: no second event.
    before = client.get("/system/disk-usage").json()["observed_at"]
    assert client.post("/system/disk-usage/refresh").status_code == 202
    wait_for("a fresh report", lambda: (client.get("/system/disk-usage").json()["observed_at"] or 0) > (before or 0), 30)
    assert len(told()) == 1


@pytest.mark.serial  # edits the audit chain that every request extends
def test_a_tampered_audit_chain_sends_security_audit_chain_broken_once_with_the_first_bad_row(client, made, receiver):
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    binary = os.path.join(root, os.environ.get("JARVIS_BIN", ".build/debug"), "jarvisctl")
    from conftest import DATA_DIR
    database = os.path.join(DATA_DIR, "jarvis.db")

    def jarvisctl(*args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")}
        env["JARVIS_CONFIG"] = os.path.join(DATA_DIR, "etc", "jarvis.conf")
        return subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=120)

    def sqlite(sql):
        return subprocess.run(["sqlite3", database, sql], check=True, capture_output=True, text=True, timeout=30).stdout.strip()

    path = f"/hook/audit-{uuid.uuid4().hex[:6]}"
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}{path}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["security.audit_chain_broken"], [hook["id"]], throttle=0)
    assert jarvisctl("audit", "verify").returncode == 0
    row_id, original = sqlite("SELECT id, result FROM audit_log ORDER BY id LIMIT 1 OFFSET 1").split("|")
    sqlite(f"UPDATE audit_log SET result = '{'failure' if original == 'success' else 'success'}' WHERE id = {row_id}")
    try:
        for _ in range(2):
            broken = jarvisctl("audit", "verify")
            assert broken.returncode == 1 and f"BROKEN at audit row {row_id}" in broken.stdout, broken.stdout + broken.stderr
        messages = wait_for("the audit-chain message", lambda: job_messages(receiver, path), timeout=30)
        time.sleep(2)
        messages = job_messages(receiver, path)
        assert len(messages) == 1, [m["body"]["event"] for m in messages]
        event = messages[0]["body"]["event"]
        assert event["kind"] == "security.audit_chain_broken" and event["severity"] == "critical" and messages[0]["verified"]
        assert event["fields"]["first_bad_id"] == row_id and "row content was changed" in event["fields"]["reason"], event
    finally:
        sqlite(f"UPDATE audit_log SET result = '{original}' WHERE id = {row_id}")
    assert jarvisctl("audit", "verify").returncode == 0


def test_a_job_run_that_times_out_sends_job_timed_out(client, made, receiver):
    tag = uuid.uuid4().hex[:6]
    path = f"/hook/job-slow-{tag}"
    name = f"ntf-slow-{tag}"
    hook = channel(client, made, "webhook", {"url": f"http://127.0.0.1:{RECEIVER_PORT}{path}", "secret": WEBHOOK_SECRET})
    rule(client, made, ["job.timed_out"], [hook["id"]], throttle=0)
    # PID 1 ignores SIGTERM, so the restart waits out the engine's 10 s grace period: past the 2 s timeout.
    docker("run", "-d", "--name", name, "--label", "jarvis.e2e=1", IMAGE, "sh", "-c", "while true; do sleep 1; done")
    created = client.post("/jobs", json={"name": name, "kind": "container.restart", "timeout_seconds": 2,
                                         "trigger": {"type": "once", "at": "2099-01-01T00:00:00Z"}, "params": {"container": name}})
    assert created.status_code == 201, created.text
    job = created.json()
    try:
        assert client.post(f"/jobs/{job['id']}/run").status_code == 202
        messages = wait_for("the job.timed_out message", lambda: job_messages(receiver, path), timeout=30)
        event = messages[0]["body"]["event"]
        assert event["kind"] == "job.timed_out" and event["fields"]["job"] == name, event
        assert "timed out after 2 s" in event["fields"]["error"] and "timed out on attempt 1" in event["summary"]
    finally:
        client.delete(f"/jobs/{job['id']}")
        docker("rm", "-f", name, check=False)
