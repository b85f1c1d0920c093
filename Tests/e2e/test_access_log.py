"""nginx's access log never holds a terminal ticket (issue 14, finding 12): the browser's
WebSocket API cannot send headers, so the one-time ticket travels in the query."""
import os
import time
from urllib.parse import parse_qs, urlparse

from conftest import DATA_DIR
from test_terminal import open_terminal, read_until


def test_terminal_tickets_stay_out_of_the_access_log(client, container):
    cid, _ = container()
    grant, ws = open_terminal(client, cid)
    ticket = parse_qs(urlparse(grant["websocket_path"]).query)["token"][0]
    assert len(ticket) >= 16
    ws.send_binary(b"echo logged-$((6*7))\n")
    read_until(ws, b"logged-42")
    ws.close()
    time.sleep(0.5)  # nginx writes the line when the connection ends
    with open(os.path.join(DATA_DIR, "logs", "nginx-access.log"), encoding="utf-8", errors="replace") as log:
        text = log.read()
    assert f"/containers/{cid}/exec" in text, "the access log is written (the exec request is in it)"
    assert ticket not in text
    assert "/api/v1/ws/terminal" not in text
