#!/usr/bin/env python3
"""N TLS "engines" that answer every request Jarvis's health checks and idle watchers make,
so none reaches a real engine and bench/hosts.py's health round measures Jarvis alone.

bench/hosts_tls_endpoints.py --answer answers /_ping, /version and /info only until a
connection carries any other request and relays the rest of it to one dockerd; Jarvis's
connection pool serves checks and watchers alike, so checks end up at that one engine.
Here every request of a connection is answered: /_ping, /version, /info from one snapshot
of the engine (each endpoint's /info names an engine of its own, as there), empty lists
for /containers/json and /images/json, an events stream that stays silent, 404 otherwise.

    bench/hosts_fake_engines.py start N --hosts DIR/hosts.json --state FILE  -> prints the state JSON
    bench/hosts_fake_engines.py stop --state FILE

Same certificates (near's server certificate, a client certificate from the test CA
required) and the same state file keys as bench/hosts_tls_endpoints.py.
"""
import argparse
import asyncio
import json
import os
import re
import resource
import signal
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hosts_tls_endpoints as endpoints  # noqa: E402  (snapshot, answers, stop)

EMPTY = {"/containers/json": b"[]\n", "/images/json": b"[]\n"}
CONTENT_LENGTH = re.compile(r"(?im)^content-length:\s*(\d+)")


def response(status, body):
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def handle(reader, writer, answers):
    buffer = b""
    try:
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                data = await reader.read(65536)
                if not data:
                    return
                buffer += data
                continue
            head, buffer = buffer[:end].decode("latin-1"), buffer[end + 4:]
            length = CONTENT_LENGTH.search(head)
            need = int(length.group(1)) if length else 0
            while len(buffer) < need:  # a request body is read and ignored
                data = await reader.read(65536)
                if not data:
                    return
                buffer += data
            buffer = buffer[need:]
            method, target = (head.split("\r\n", 1)[0].split(" ") + ["", ""])[:2]
            path = target.split("?", 1)[0]
            match = endpoints.VERSIONED.match(path)
            path = match.group(1) if match else path
            if path in answers:
                status, body = answers[path]
                writer.write(status + (body if method == "GET" else b""))
            elif path == "/events":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                await writer.drain()
                while await reader.read(65536):  # silent until the client goes
                    pass
                return
            elif path in EMPTY:
                writer.write(response("200 OK", EMPTY[path]))
            else:
                writer.write(response("404 Not Found", b'{"message":"not answered by the fake engine"}\n'))
            await writer.drain()
    except (ConnectionError, OSError, ssl.SSLError):
        writer.transport.abort()
    finally:
        writer.close()


async def serve(args):
    hosts = json.load(open(args.hosts))
    tls = os.path.join(hosts["dir"], "tls")
    engine_socket = hosts["hosts"]["near"]["unix"].removeprefix("unix://")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(tls, "near-server.pem"), os.path.join(tls, "near-server.key"))
    context.load_verify_locations(os.path.join(tls, "ca.pem"))
    context.verify_mode = ssl.CERT_REQUIRED
    context.num_tickets = 0
    snapped = endpoints.snapshot(engine_socket)

    def handler(index):
        answers = endpoints.answers_for(snapped, index)
        return lambda reader, writer: handle(reader, writer, answers)

    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    servers = [await asyncio.start_server(handler(i), "127.0.0.1", 0, ssl=context, backlog=256, ssl_handshake_timeout=10)
               for i in range(args.count)]
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    state = {"pid": os.getpid(), "ports": ports, "endpoints": [f"tcp://127.0.0.1:{p}" for p in ports], "engine": "fake",
             "server_name": hosts["hosts"]["near"]["server_name"], "fingerprint": hosts["hosts"]["near"]["server_sha256"],
             "answer": "all", "state": args.state}
    with open(args.state + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(args.state + ".tmp", args.state)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "serve"])
    parser.add_argument("count", type=int, nargs="?", default=200)
    parser.add_argument("--hosts", default=os.path.join(os.environ.get("JARVIS_REMOTE_ENGINES", ""), "hosts.json"))
    parser.add_argument("--state", required=True)
    args = parser.parse_args()
    args.hosts, args.state = os.path.abspath(args.hosts), os.path.abspath(args.state)
    if args.command == "serve":
        asyncio.run(serve(args))
    elif args.command == "stop":
        endpoints.stop(args.state)
    else:
        endpoints.stop(args.state)
        log = open(args.state + ".log", "w")
        process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", str(args.count), "--hosts", args.hosts,
                                    "--state", args.state], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(args.state):
                print(open(args.state).read())
                return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        process.kill()
        sys.exit("fake engines did not start:\n" + open(args.state + ".log").read())


if __name__ == "__main__":
    main()
