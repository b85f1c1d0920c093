"""Log search cannot stall the servers (issue 14, finding 7): a regular expression
with nested quantifiers against long lines used to hold jarvis-fcgi's threads
(NSRegularExpression backtracks without limit); now PCRE2 runs it under hard
limits, off the cooperative pool, and says when lines hit them."""
import statistics
import threading
import time

import requests

from conftest import data, open_stream, wait_for

PATHOLOGICAL = "(a+)+$"
LONG_LINES = 300

# 300 lines of 4096 "a" and a "!", then two ordinary lines; then the container idles.
SCRIPT = (
    "a=a; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do a=$a$a; done; "
    f"i=0; while [ $i -lt {LONG_LINES} ]; do echo \"$a!\"; i=$((i+1)); done; "
    "echo 'normal-line-42 ok'; echo 'Normal-Line-7 OK'; echo 'other line'; "
    "while true; do sleep 1; done"
)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def long_log_container(client, container):
    cid, _ = container(SCRIPT)
    wait_for("the log", lambda: "other line" in [line["line"] for line in
                                                 client.get(f"/containers/{cid}/logs", params={"tail": 5}).json()["lines"]],
             timeout=30)
    return cid


def test_pathological_searches_leave_health_answering(client, container):
    cid = long_log_container(client, container)
    path = f"/containers/{cid}/logs"

    started = time.monotonic()
    one = client.get(path, params={"q": PATHOLOGICAL, "regex": 1, "tail": 100}, timeout=30)
    single = time.monotonic() - started
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["lines"] == [], "no long line matches: each one hit the limits"
    assert body["search_limited_lines"] == 100 and body["search_truncated"] is True, body
    started = time.monotonic()
    simple = client.get(path, params={"q": "normal-line", "regex": 1, "tail": 100}, timeout=30)
    plain = time.monotonic() - started
    assert len(simple.json()["lines"]) == 2
    print(f"\none pathological search: {single * 1000:.0f} ms (stopped after 100 lines); "
          f"a simple regex over the whole log: {plain * 1000:.0f} ms")

    stop = threading.Event()
    searches = []
    errors = []

    def search():
        session = type(client)()
        session.http.cookies.update(client.http.cookies)
        while not stop.is_set():
            begin = time.monotonic()
            try:
                response = session.get(path, params={"q": PATHOLOGICAL, "regex": 1, "tail": 100}, timeout=60)
                if response.status_code != 200:
                    errors.append(response.text)
            except requests.RequestException as error:
                errors.append(str(error))
            searches.append(time.monotonic() - begin)

    workers = [threading.Thread(target=search) for _ in range(2)]
    for worker in workers:
        worker.start()
    latencies = []
    try:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            begin = time.monotonic()
            health = client.http.get(client.url("/health"), timeout=5)
            latencies.append(time.monotonic() - begin)
            assert health.status_code == 200
            time.sleep(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    print(f"health during 2 concurrent pathological searches: n={len(latencies)} p50={p50 * 1000:.1f} ms "
          f"p95={p95 * 1000:.1f} ms max={max(latencies) * 1000:.1f} ms; "
          f"{len(searches)} searches, median {statistics.median(searches) * 1000:.0f} ms")
    assert not errors, errors[:3]
    assert len(searches) >= 4, "the searches themselves finish quickly"
    assert max(latencies) < 1.0, f"health took {max(latencies):.2f} s"


def test_a_normal_regex_still_finds_its_lines_case_insensitively(client, container):
    cid = long_log_container(client, container)
    response = client.get(f"/containers/{cid}/logs", params={"q": r"^normal-line-\d+ ok$", "regex": 1, "tail": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [line["line"] for line in body["lines"]] == ["normal-line-42 ok", "Normal-Line-7 OK"]
    assert body["search_limited_lines"] == 0 and body["search_truncated"] is False
    # A substring search is literal and case-insensitive too.
    plain = client.get(f"/containers/{cid}/logs", params={"q": "LINE-4", "tail": 100}).json()
    assert [line["line"] for line in plain["lines"]] == ["normal-line-42 ok"]
    # Unsearched history has no search fields.
    assert "search_truncated" not in client.get(f"/containers/{cid}/logs", params={"tail": 1}).json()


def test_an_invalid_regex_is_a_400_naming_the_offset(client, container):
    cid, _ = container()
    response = client.get(f"/containers/{cid}/logs", params={"q": "ab(c", "regex": 1})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_regex" and "at character 4" in error["message"], error


def test_a_pathological_follow_stops_and_leaves_other_streams_flowing(client, container):
    cid = long_log_container(client, container)
    started = time.monotonic()
    stream = open_stream(client, f"/containers/{cid}/logs/follow?tail=all&regex=1&q=%28a%2B%29%2B%24", timeout=30)
    try:
        # Meanwhile another follow on jarvis-sse gets its lines at once.
        begin = time.monotonic()
        other = open_stream(client, f"/containers/{cid}/logs/follow?tail=3")
        first = next(other.events("log"))
        other_latency = time.monotonic() - begin
        other.close()
        end = next(stream.events("end"))
        info = data(end)
        assert info["search_limited_lines"] == 100 and "search stopped" in info["reason"], info
    finally:
        stream.close()
    print(f"\npathological follow ended after {(time.monotonic() - started) * 1000:.0f} ms; "
          f"another follow's first line took {other_latency * 1000:.0f} ms")
    assert data(first)["line"] in ("normal-line-42 ok", "Normal-Line-7 OK", "other line")
    assert other_latency < 1.0
