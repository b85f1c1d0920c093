"""Log follow and engine events through nginx + jarvis-sse."""
import json
import time

import pytest

from conftest import data, docker, open_stream, wait_for


def test_follow_receives_lines_written_after_connecting(client, container):
    cid, _ = container("while [ ! -f /tmp/go ]; do sleep 0.1; done; echo after-1; echo after-2 >&2; sleep 600")
    stream = open_stream(client, f"/containers/{cid}/logs/follow?tail=all")
    docker("exec", cid, "touch", "/tmp/go")
    events = stream.events("log")
    got = [data(next(events)) for _ in range(2)]
    stream.close()
    assert {(e["line"], e["stream"]) for e in got} == {("after-1", "stdout"), ("after-2", "stderr")}
    assert all(e["time"].endswith("Z") for e in got)


def test_reconnect_with_last_event_id_loses_and_repeats_nothing(client, container):
    cid, _ = container("i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo n=$i; sleep 0.02; done; sleep 600")
    stream = open_stream(client, f"/containers/{cid}/logs/follow?tail=all")
    first = []
    for event in stream.events("log"):
        first.append(event)
        if len(first) == 25:
            break
    stream.close()
    last_id = first[-1]["id"]
    time.sleep(0.5)  # the container keeps writing while we are away
    resumed = open_stream(client, f"/containers/{cid}/logs/follow", headers={"Last-Event-ID": last_id})
    second = []
    for event in resumed.events("log"):
        second.append(event)
        if len(second) == 50:
            break
    resumed.close()
    numbers = [int(data(e)["line"].split("=")[1]) for e in first + second]
    assert numbers == list(range(1, 76)), numbers


def test_follow_continues_across_a_restart_and_ends_when_removed(client, container):
    cid, _ = container("echo run-$(cat /tmp/n 2>/dev/null || echo 1); echo 2 > /tmp/n; sleep 1")
    stream = open_stream(client, f"/containers/{cid}/logs/follow?tail=all", timeout=30)
    events = stream.events()
    seen = []
    for event in events:
        seen.append((event["event"], data(event).get("line") or data(event).get("state")))
        if seen[-1] == ("state", "stopped"):
            break
    assert seen == [("log", "run-1"), ("state", "stopped")]
    docker("start", cid)  # the same stream picks the container up again
    for event in events:
        seen.append((event["event"], data(event).get("line") or data(event).get("state")))
        if seen[-1] == ("state", "stopped") and len(seen) > 2:
            break
    assert seen[2:] == [("state", "running"), ("log", "run-2"), ("state", "stopped")], "no line lost or repeated"
    docker("rm", cid)
    last = next(events)
    assert last["event"] == "end" and data(last)["reason"] == "container removed"
    stream.close()


def test_bad_resume_position_and_unknown_container(client):
    bad = client.get("/containers/whatever/logs/follow", headers={"Last-Event-ID": "garbage"})
    assert bad.status_code == 400
    missing = client.get("/containers/no-such-container/logs/follow")
    assert missing.status_code == 404


def test_streams_need_a_session(anonymous):
    for path in ("/containers/x/logs/follow", "/events"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized", "the same error shape as the FastCGI side"


@pytest.mark.serial  # counts all of jarvis-sse's engine streams
def test_browser_going_away_releases_the_engine_stream(client, container):
    cid, _ = container("while true; do echo tick; sleep 0.2; done")
    def transfers():
        return client.get("/streams/health").json()["engine_transfers"]
    # jarvis-sse keeps one events stream per online host (its container mirror) and checks and samples briefly.
    mirrors = len([h for h in client.get("/hosts").json()["items"] if h["state"] == "online"])
    baseline = wait_for("a quiet baseline", lambda: [n for n in [transfers()] if n <= mirrors], timeout=20)[0]
    streams = [open_stream(client, f"/containers/{cid}/logs/follow?tail=1") for _ in range(5)]
    for s in streams:
        next(s.events("log"))
    assert transfers() >= baseline + 5
    for s in streams:
        s.close()
    # jarvis-sse sees the disconnect at its next write (a log line within 0.2 s).
    wait_for("engine transfers to be released", lambda: transfers() <= baseline, timeout=20)


def test_engine_events_are_relayed(client, container):
    cid, name = container()
    stream = open_stream(client, "/events")
    docker("stop", "-t", "1", cid)
    actions = []
    for event in stream.events("container"):
        payload = data(event)
        if payload["id"] == cid:
            actions.append(payload["action"])
            assert payload["name"] == name and event["id"] == str(payload["time_nano"])
        if "die" in actions and "stop" in actions:
            break
    stream.close()
    assert "die" in actions and "stop" in actions


def test_follow_filters_by_search_sent_form_encoded(client, container):
    cid, _ = container("echo 'keep me'; echo 'drop me'; echo 'keep+plus'; sleep 600")
    wait_for("lines", lambda: "keep+plus" in docker("logs", cid))
    # URLSearchParams writes a space as "+" and a plus as "%2B".
    stream = open_stream(client, f"/containers/{cid}/logs/follow?tail=all&q=keep+me")
    assert data(next(stream.events("log")))["line"] == "keep me"
    stream.close()
    stream = open_stream(client, f"/containers/{cid}/logs/follow?tail=all&q=keep%2Bplus")
    assert data(next(stream.events("log")))["line"] == "keep+plus"
    stream.close()
