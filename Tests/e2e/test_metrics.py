"""Prometheus metrics through nginx: each process reports its own; open on this host, admins elsewhere."""
import os
import re
import subprocess

from conftest import BASE, DATA_DIR, IMAGE, PASSWORD, open_stream
from test_tasks import finished


def scrape(client, path):
    response = client.http.get(BASE + path)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.text


def value(text, pattern):
    match = re.search(r"^" + pattern + r" ([0-9.e+-]+)$", text, re.M)
    return float(match.group(1)) if match else None


def test_fcgi_metrics_count_requests_engine_calls_and_tasks(client, anonymous):
    before = scrape(anonymous, "/metrics")
    label = 'jarvis_http_requests_total{route="/api/v1/images",method="GET",status="200"}'
    count = value(before, re.escape(label)) or 0
    for _ in range(3):
        assert client.get("/images").status_code == 200
    after = scrape(anonymous, "/metrics")
    assert value(after, re.escape(label)) == count + 3
    assert value(after, r'jarvis_http_request_duration_seconds_count\{route="/api/v1/images",method="GET"\}') >= 3
    assert value(after, r'jarvis_engine_request_duration_seconds_count\{method="GET",endpoint="images"\}') >= 3
    # Tasks come from the store, whichever process ran them.
    task = finished(client, client.post("/images/save", json={"images": [IMAGE]}).json()["task_id"])
    tasks = scrape(anonymous, "/metrics")
    assert value(tasks, r'jarvis_tasks\{kind="image.save",state="%s"\}' % task["state"]) >= 1
    assert PASSWORD not in tasks and "Bearer" not in tasks, "no secret in metrics"


def test_sse_metrics_count_open_streams_and_ask_strangers_for_an_admin(client, anonymous):
    reader = open_stream(client, "/events")
    try:
        assert value(scrape(anonymous, "/metrics/sse"), "jarvis_sse_clients") >= 1
    finally:
        reader.close()
    socket = os.path.join(DATA_DIR, "run", "jarvis-sse.sock")
    stranger = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket,
                               "-H", "X-Forwarded-For: 203.0.113.9", "http://localhost/metrics"], capture_output=True, text=True)
    assert stranger.stdout == "401"
