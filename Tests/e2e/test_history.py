"""Resource history behind the charts: jarvis-sse records each container's and the host's
CPU, memory and network over time; the API serves a range from the store."""
import uuid

from conftest import Client, docker, wait_for


def test_a_busy_container_has_a_history_and_its_host_sums_it(client, container):
    cid, name = container("while true; do :; done")  # clearly above 0 % CPU

    def busy_points():
        body = client.get(f"/containers/{cid}/history", params={"range": "15m"}).json()
        points = [p for p in body["points"] if (p.get("cpu") or 0) > 20]
        return body if points else None
    history = wait_for("two stats samples in the history", busy_points, timeout=60)
    assert history["range"] == "15m" and history["step"] == 10 and history["sample_interval"] > 0
    assert history["to"] - history["from"] == 900
    point = next(p for p in history["points"] if (p.get("cpu") or 0) > 20)
    assert history["from"] - 10 < point["at"] <= history["to"]
    assert point["memory"] > 0 and point["memory_limit"] >= point["memory"]
    assert point["cpu_max"] >= point["cpu"]
    assert [p["at"] for p in history["points"]] == sorted(p["at"] for p in history["points"])
    # By name, by the host-scoped path, and in the longer tiers too.
    assert client.get(f"/containers/{name}/history").json()["range"] == "1h"
    assert client.get(f"/hosts/local/containers/{cid}/history", params={"range": "15m"}).status_code == 200
    for name_, step in (("24h", 60), ("7d", 600)):
        longer = client.get(f"/containers/{cid}/history", params={"range": name_}).json()
        assert longer["step"] == step and longer["points"], name_
    # The host's point sums its containers: at least this one's CPU at the same time.
    host = client.get("/system/history", params={"range": "15m"}).json()
    at_point = next((p for p in host["points"] if p["at"] == point["at"]), None)
    assert at_point is not None and at_point["cpu"] >= point["cpu"] - 0.01
    assert "memory_limit" not in at_point or at_point["memory_limit"] is None


def test_history_refuses_an_unknown_range_or_container_and_viewers_may_read_it(client, container):
    cid, _ = container()
    bad = client.get(f"/containers/{cid}/history", params={"range": "2h"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "range"
    assert client.get("/containers/no-such-container-" + uuid.uuid4().hex[:6] + "/history").status_code == 404
    viewer = "history-viewer-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": viewer, "password": "viewer-password-1", "role": "viewer"}).status_code == 201
    reader = Client()
    assert reader.login(viewer, "viewer-password-1").status_code == 200
    assert reader.get(f"/containers/{cid}/history").status_code == 200
    assert Client().get(f"/containers/{cid}/history").status_code == 401
