"""Runs last: stops the private engine and checks that Jarvis says so clearly, then restarts it."""
import os
import subprocess

from conftest import wait_for

ENGINE_DIR = os.environ.get("JARVIS_E2E_ENGINE_DIR", "")
SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "sandbox-engine.sh")


def test_a_stopped_engine_is_a_clear_503_and_recovery_is_automatic(client):
    assert ENGINE_DIR.startswith("/tmp/"), "needs the private engine's directory"
    subprocess.run([SCRIPT, "stop", ENGINE_DIR], check=True, timeout=60)
    try:
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["engine"]["ok"] is False
        # Until the next health check the engine is asked (and answers nothing); then the host is offline.
        assert client.get("/containers/anything").json()["error"]["code"] in ("engine_unavailable", "host_offline")
        local = wait_for("local offline", lambda: (lambda h: h if h["state"] == "offline" else None)(client.get("/hosts/local").json()), 20)
        assert local["last_error"]
        listing = client.get("/containers")
        assert listing.status_code == 200 and listing.json()["source"] == "last_known", "the last known rows, marked"
        assert all(row["stale"] for row in listing.json()["items"])
        action = client.post("/containers/anything/start")
        assert action.status_code == 503 and action.json()["error"]["code"] == "host_offline"
        assert client.get("/auth/me").status_code == 200, "the store still answers"
    finally:
        subprocess.run([SCRIPT, "start", ENGINE_DIR], check=True, timeout=120, capture_output=True)
    wait_for("the API to reach the engine again", lambda: client.get("/containers").json().get("source") == "mirror", timeout=30)
