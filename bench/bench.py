#!/usr/bin/env python3
"""Jarvis benchmarks, run by `make bench` against a private engine and a stack
it started. Every figure is measured in the same run as its raw-engine baseline.

1. GET /api/v1/containers through nginx + jarvis-fcgi vs GET /containers/json
   on the engine socket, with N running containers: p50/p95 and their ratio.
2. Resident memory of jarvis-fcgi (whole pool) and jarvis-sse idle and with
   concurrent log follows through nginx.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import threading
import time

import ssl

import requests

URL = os.environ["JARVIS_BENCH_URL"]
PASSWORD = os.environ["JARVIS_BENCH_PASSWORD"]
DATA = os.environ["JARVIS_BENCH_DATA_DIR"]
DOCKER_HOST = os.environ["DOCKER_HOST"]
SOCKET = DOCKER_HOST.removeprefix("unix://")
IMAGE = "jarvis-test/busybox:latest"


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def docker(*args):
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True,
                          env=dict(os.environ, DOCKER_HOST=DOCKER_HOST)).stdout.strip()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rss_mb(name):
    pid = open(os.path.join(DATA, "run", f"{name}.pid")).read().strip()
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def session():
    s = requests.Session()
    s.verify = os.path.join(DATA, "etc", "tls.crt")
    s.trust_env = False
    r = s.post(URL + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    r.raise_for_status()
    return s


def ensure_containers(count):
    existing = docker("ps", "-q", "--filter", "label=jarvis.bench=1").split()
    for i in range(len(existing), count):
        docker("run", "-d", "--name", f"bench-{i:04d}", "--label", "jarvis.bench=1", IMAGE,
               "sh", "-c", "while true; do echo bench $(date +%s); sleep 5; done")
    return count


def list_latency(requests_count):
    """Both sides through http.client with a kept connection, so the client
    library costs the same on each; the Jarvis side adds TLS, nginx, FastCGI."""
    token = session().post(URL + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).json()["access_token"]
    host, port = URL.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=os.path.join(DATA, "etc", "tls.crt"))
    api = http.client.HTTPSConnection(host, int(port), context=context)
    auth = {"Authorization": "Bearer " + token}
    raw = UnixConnection(SOCKET)
    version = json.loads(get(raw, "/version"))["ApiVersion"]
    api_times, raw_times = [], []
    for _ in range(20):  # warm both paths
        get(raw, f"/v{version}/containers/json?all=1")
        get(api, "/api/v1/containers", auth)
    for _ in range(requests_count):  # interleaved, so drift hits both equally
        start = time.perf_counter()
        get(raw, f"/v{version}/containers/json?all=1")
        raw_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        body = get(api, "/api/v1/containers", auth)
        api_times.append((time.perf_counter() - start) * 1000)
    total = json.loads(body)["total"]
    return api_times, raw_times, total


def get(connection, path, headers=None):
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    return body


def hold_follows(count, container):
    """Opens `count` log follows through nginx and waits until each got a line."""
    api = session()
    ready = threading.Semaphore(0)
    stop = threading.Event()
    responses = []

    def follow():
        r = api.get(URL + f"/api/v1/containers/{container}/logs/follow?tail=1", stream=True, timeout=60)
        responses.append(r)
        for line in r.iter_lines(decode_unicode=True):
            if line and line.startswith("data:"):
                break
        ready.release()
        stop.wait()
        r.close()

    threads = [threading.Thread(target=follow, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire(timeout=60)
    return stop, threads


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--follows", type=int, nargs="*", default=[100, 200])
    args = parser.parse_args()

    print(f"engine {DOCKER_HOST}; creating {args.containers} running containers ...", flush=True)
    ensure_containers(args.containers)
    idle = {name: rss_mb(name) for name in ("jarvis-fcgi", "jarvis-sse")}

    api_times, raw_times, total = list_latency(args.requests)
    p50_api, p95_api = percentile(api_times, 50), percentile(api_times, 95)
    p50_raw, p95_raw = percentile(raw_times, 50), percentile(raw_times, 95)
    print(f"\nGET /api/v1/containers (first page of {total}) vs raw GET /containers/json?all=1, {args.requests} requests each")
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'raw engine (unix socket)':28} {p50_raw:8.2f} {p95_raw:8.2f}")
    print(f"{'Jarvis (nginx TLS + FastCGI)':28} {p50_api:8.2f} {p95_api:8.2f}")
    ratio50, ratio95 = p50_api / p50_raw, p95_api / p95_raw
    print(f"{'ratio':28} {ratio50:8.2f} {ratio95:8.2f}   target p50 <= 1.5: {'PASS' if ratio50 <= 1.5 else 'FAIL'}")

    busy_fcgi = rss_mb("jarvis-fcgi")
    print("\nresident memory (MB)")
    print(f"jarvis-fcgi (whole pool): idle {idle['jarvis-fcgi']:.1f}, after the latency run {busy_fcgi:.1f}")
    print(f"jarvis-sse: idle {idle['jarvis-sse']:.1f}")
    container = docker("ps", "-q", "--filter", "label=jarvis.bench=1").split()[0]
    for count in args.follows:
        stop, threads = hold_follows(count, container)
        transfers = session().get(URL + "/api/v1/streams/health").json()["engine_transfers"]
        print(f"jarvis-sse with {count} concurrent log follows: {rss_mb('jarvis-sse'):.1f} (engine transfers open: {transfers})")
        stop.set()
        for t in threads:
            t.join(timeout=30)
        # jarvis-sse notices a gone client at its next write (a log line or the 15 s heartbeat).
        started = time.time()
        while session().get(URL + "/api/v1/streams/health").json()["engine_transfers"] > 0 and time.time() - started < 30:
            time.sleep(0.5)
        left = session().get(URL + "/api/v1/streams/health").json()["engine_transfers"]
        print(f"  after the clients left: {left} engine transfers open ({time.time() - started:.1f} s), RSS {rss_mb('jarvis-sse'):.1f}")
    print(json.dumps({"list_p50_ratio": round(ratio50, 3), "list_p95_ratio": round(ratio95, 3),
                      "p50_ms": [round(p50_api, 2), round(p50_raw, 2)], "containers": total}))


if __name__ == "__main__":
    main()
