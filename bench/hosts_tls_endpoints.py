#!/usr/bin/env python3
"""N TLS "hosts" for the health-check benchmark (issue 16): ONE asyncio process
listening on N loopback ports, each a Docker engine endpoint as `dockerd --tlsverify`
presents it (the test CA's server certificate of the remote engine, SAN 127.0.0.1;
a client certificate from the test CA required), relaying to that engine's socket.

    bench/hosts_tls_endpoints.py start N --hosts DIR/hosts.json [--engine near] [--answer] [--api-version 1.40]
        -> prints {"pid", "ports", "endpoints", "server_name", "fingerprint", "state"} as JSON
    bench/hosts_tls_endpoints.py stop --hosts DIR/hosts.json

--answer: /_ping, /version and /info are answered from one copy taken from the
engine at start (so the figure measures Jarvis, not dockerd's /info; each endpoint's
/info names its own engine, bench-INDEX); everything else, and any request after it
on the same connection, is relayed. --api-version V (implies --answer) reports
engine API version V in /_ping's Api-Version header and /version: an engine
too old for Jarvis (below 1.41), for the engine_too_old probe error.
The state file (default DIR/tls-endpoints.json) holds the pid and ports.
"""
import argparse
import asyncio
import http.client
import json
import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import sys
import time

ANSWERED = {"/_ping", "/version", "/info"}
VERSIONED = re.compile(r"^/v[0-9.]+(/.*)$")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def snapshot(path):
    """Raw responses of the answered routes, fetched once from the engine."""
    answers = {}
    for route in sorted(ANSWERED):
        connection = UnixConnection(path)
        connection.request("GET", route)
        response = connection.getresponse()
        body = response.read()
        skip = {"date", "content-length", "connection", "transfer-encoding"}
        headers = "".join(f"{k}: {v}\r\n" for k, v in response.getheaders() if k.lower() not in skip)
        answers[route] = (f"HTTP/1.1 {response.status} {response.reason}\r\n{headers}", body)
        connection.close()
    return answers


def answers_for(snapshot, index, api_version=None):
    """The snapshot as endpoint `index` answers it: /info names an engine of its own
    (Name bench-INDEX, an ID suffix), so 200 endpoints are 200 distinct engines;
    api_version, when given, replaces the engine's API version (an engine too old)."""
    answers = {}
    for route, (head, body) in snapshot.items():
        if route == "/info":
            info = json.loads(body)
            info["Name"] = f"bench-{index}"
            info["ID"] = f"{info.get('ID', 'BENCH')}:{index:04d}"
            body = json.dumps(info).encode() + b"\n"
        if api_version and route == "/version":
            version = json.loads(body)
            version["ApiVersion"] = api_version
            version["MinAPIVersion"] = min(version.get("MinAPIVersion", api_version), api_version)
            for component in version.get("Components") or []:
                if "ApiVersion" in component.get("Details", {}):
                    component["Details"]["ApiVersion"] = api_version
            body = json.dumps(version).encode() + b"\n"
        if api_version:
            head = re.sub(r"(?im)^api-version: .*$", lambda _: f"Api-Version: {api_version}\r", head)
        answers[route] = (f"{head}Content-Length: {len(body)}\r\n\r\n".encode(), body)
    return answers


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.transport.abort()


async def relay(reader, writer, engine_socket, pending=b""):
    try:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(engine_socket)
    except OSError:
        writer.transport.abort()
        return
    if pending:
        upstream_writer.write(pending)
    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer), return_exceptions=True)
    upstream_writer.close()
    writer.close()


async def answer(reader, writer, engine_socket, answers):
    """Answers the snapshot routes on a kept-alive connection; relays from the first other request."""
    buffer = b""
    try:
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                data = await reader.read(65536)
                if not data:
                    writer.close()
                    return
                buffer += data
                continue
            head = buffer[:end].decode("latin-1")
            method, target, _ = (head.split("\r\n", 1)[0].split(" ") + ["", ""])[:3]
            path = target.split("?", 1)[0]
            match = VERSIONED.match(path)
            path = match.group(1) if match else path
            has_body = re.search(r"(?im)^(content-length:\s*[1-9]|transfer-encoding:)", head)
            if method not in ("GET", "HEAD") or path not in answers or has_body:
                await relay(reader, writer, engine_socket, buffer)
                return
            buffer = buffer[end + 4:]
            status, body = answers[path]
            writer.write(status + (body if method == "GET" else b""))
            await writer.drain()
    except (ConnectionError, OSError, ssl.SSLError):
        writer.transport.abort()


async def serve(args):
    hosts = json.load(open(args.hosts))
    tls = os.path.join(hosts["dir"], "tls")
    engine_socket = hosts["hosts"][args.engine]["unix"].removeprefix("unix://")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(tls, f"{args.engine}-server.pem"), os.path.join(tls, f"{args.engine}-server.key"))
    context.load_verify_locations(os.path.join(tls, "ca.pem"))
    context.verify_mode = ssl.CERT_REQUIRED
    # No TLS 1.3 session tickets: each costs an encryption and a write per handshake,
    # and a health check does not resume sessions.
    context.num_tickets = 0
    snapped = snapshot(engine_socket) if args.answer else None

    def handler(index):
        answers = answers_for(snapped, index, args.api_version) if snapped else None

        async def handle(reader, writer):
            if answers is None:
                await relay(reader, writer, engine_socket)
            else:
                await answer(reader, writer, engine_socket, answers)
        return handle

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    servers = [await asyncio.start_server(handler(index), "127.0.0.1", 0, ssl=context, backlog=256,
                                          ssl_handshake_timeout=10) for index in range(args.count)]
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    state = {"pid": os.getpid(), "ports": ports, "endpoints": [f"tcp://127.0.0.1:{p}" for p in ports],
             "engine": args.engine, "server_name": hosts["hosts"][args.engine]["server_name"],
             "fingerprint": hosts["hosts"][args.engine]["server_sha256"], "answer": bool(args.answer),
             "state": args.state}
    with open(args.state + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(args.state + ".tmp", args.state)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "serve"])
    parser.add_argument("count", type=int, nargs="?", default=200)
    parser.add_argument("--hosts", default=os.path.join(os.environ.get("JARVIS_REMOTE_ENGINES", ""), "hosts.json"))
    parser.add_argument("--engine", default="near", choices=["near", "far"])
    parser.add_argument("--answer", action="store_true", help="answer /_ping, /version, /info from a snapshot")
    parser.add_argument("--api-version", help="with --answer: report this engine API version (e.g. 1.40, too old)")
    parser.add_argument("--state", help="state file (default: tls-endpoints.json beside hosts.json)")
    args = parser.parse_args()
    args.answer = args.answer or bool(args.api_version)
    args.hosts = os.path.abspath(args.hosts)
    args.state = os.path.abspath(args.state or os.path.join(os.path.dirname(args.hosts), "tls-endpoints.json"))

    if args.command == "serve":
        asyncio.run(serve(args))
    elif args.command == "start":
        stop(args.state)
        log = open(args.state + ".log", "w")
        command = [sys.executable, os.path.abspath(__file__), "serve", str(args.count), "--hosts", args.hosts,
                   "--engine", args.engine, "--state", args.state] + (["--answer"] if args.answer else []) \
            + (["--api-version", args.api_version] if args.api_version else [])
        process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(args.state):
                with open(args.state) as f:
                    print(f.read())
                return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        process.kill()
        sys.exit("tls endpoints did not start:\n" + open(args.state + ".log").read())
    else:
        stop(args.state)


def stop(state_file):
    """Stops the process of a state file, if it runs; removes the file."""
    try:
        with open(state_file) as f:
            pid = json.load(f)["pid"]
    except (OSError, ValueError, KeyError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.remove(state_file)


def alive(pid):
    """Running and not a zombie (the serving process outlives `start`; init reaps it late)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


if __name__ == "__main__":
    main()
