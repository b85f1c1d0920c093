#!/usr/bin/env python3
"""Jarvis benchmarks, run by `make bench` against a private engine and a stack
it started. Every figure is measured in the same run as its raw-engine baseline.

1. GET /api/v1/containers (first page) through nginx + jarvis-fcgi vs
   GET /containers/json?all=1 on the engine socket, at 100 and 1,000 containers.
2. Log follow: bytes/s through nginx + jarvis-sse vs a raw follow on the socket,
   for a container writing as fast as it can; latency line written -> SSE event.
3. Resident memory of jarvis-sse idle and with 200 concurrent log follows.
4. CPU of jarvis-sse while it samples stats of 100 running containers.
5. Image load, save and pull of a large image (bench/image_tasks.py).
6. `up` of a 10-service stack vs `docker-compose up -d` (bench/stacks.py).
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import requests

URL = os.environ["JARVIS_BENCH_URL"]
PASSWORD = os.environ["JARVIS_BENCH_PASSWORD"]
DATA = os.environ["JARVIS_BENCH_DATA_DIR"]
DOCKER_HOST = os.environ["DOCKER_HOST"]
SOCKET = DOCKER_HOST.removeprefix("unix://")
IMAGE = "jarvis-test/busybox:latest"
HOST, PORT = URL.removeprefix("https://").split(":")
CA = os.path.join(DATA, "etc", "tls.crt")
results = {}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path=SOCKET, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def engine(method, path, body=None):
    connection = UnixConnection()
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers={"Content-Type": "application/json"} if body is not None else {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    assert response.status < 300 or response.status == 304, (path, response.status, data[:200])
    return json.loads(data) if data else None


def docker(*args):
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True,
                          env=dict(os.environ, DOCKER_HOST=DOCKER_HOST)).stdout.strip()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def pid_of(name):
    return open(os.path.join(DATA, "run", f"{name}.pid")).read().strip()


def rss_mb(name):
    for line in open(f"/proc/{pid_of(name)}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(name):
    fields = open(f"/proc/{pid_of(name)}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def session():
    s = requests.Session()
    s.verify = CA
    s.trust_env = False
    r = s.post(URL + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    r.raise_for_status()
    return s


def token():
    return session().post(URL + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).json()["access_token"]


def populate(running, total):
    """`running` busybox containers that idle, the rest created but not started (no shim each)."""
    have = engine("GET", "/containers/json?all=1&filters=" + urllib.parse.quote(json.dumps({"label": ["jarvis.bench=1"]})))
    names = {c["Names"][0][1:] for c in have}

    def make(i):
        name = f"bench-{i:04d}"
        if name in names:
            return
        created = engine("POST", f"/containers/create?name={name}", {
            "Image": IMAGE, "Cmd": ["sh", "-c", "while true; do sleep 5; done"], "Labels": {"jarvis.bench": "1"},
            "HostConfig": {"NetworkMode": "none"}})
        if i < running:
            engine("POST", f"/containers/{created['Id']}/start")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(total)))


def get(connection, path, headers=None):
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    return body


def list_latency(requests_count):
    """Both sides through http.client with a kept connection, so the client
    library costs the same on each; the Jarvis side adds TLS, nginx, FastCGI."""
    api = http.client.HTTPSConnection(HOST, int(PORT), context=ssl.create_default_context(cafile=CA))
    auth = {"Authorization": "Bearer " + token()}
    raw = UnixConnection()
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
    page = json.loads(body)
    return api_times, raw_times, page["total"], page.get("source")


def bench_list(counts, requests_count):
    print(f"\n1. GET /api/v1/containers (first page of 50) vs raw GET /containers/json?all=1, {requests_count} requests each")
    print(f"{'containers':>10} {'source':>7} {'raw p50':>8} {'api p50':>8} {'raw p95':>8} {'api p95':>8} {'p50 ratio':>9}")
    for total in counts:
        populate(min(100, total), total)
        # The mirror resyncs every 15 s and follows events; wait until it lists them all.
        s = session()
        deadline = time.time() + 60
        while s.get(URL + "/api/v1/containers", params={"label": "jarvis.bench=1"}).json()["total"] < total and time.time() < deadline:
            time.sleep(0.5)
        api_times, raw_times, listed, source = list_latency(requests_count)
        p50_api, p95_api, p50_raw, p95_raw = (percentile(api_times, 50), percentile(api_times, 95),
                                              percentile(raw_times, 50), percentile(raw_times, 95))
        ratio = p50_api / p50_raw
        print(f"{listed:>10} {source:>7} {p50_raw:8.2f} {p50_api:8.2f} {p95_raw:8.2f} {p95_api:8.2f} {ratio:9.2f}"
              f"   target <= 1.25: {'PASS' if ratio <= 1.25 else 'FAIL'}")
        results[f"list_{total}"] = {"p50_ms": [round(p50_api, 2), round(p50_raw, 2)], "p50_ratio": round(ratio, 3),
                                    "p95_ratio": round(p95_api / p95_raw, 3), "source": source}


FLOOD_LINE = "jarvis log follow benchmark line: the quick brown fox jumps over the lazy dog 0123456789"


def count_for(response, seconds, marker):
    """Occurrences of `marker` read from `response` during `seconds` (a cheap client on both sides,
    so the Python reader is never the bottleneck)."""
    seen, tail, started = 0, b"", time.perf_counter()
    keep = len(marker) - 1  # a marker split across two reads is counted once
    while time.perf_counter() - started < seconds:
        chunk = response.read1(1 << 16)
        if not chunk:
            break
        data = tail + chunk
        seen += data.count(marker)
        tail = data[len(data) - keep:] if keep else b""
    return seen / (time.perf_counter() - started)


def raw_follow_lines(container, seconds):
    """Lines per second of a raw follow on the engine socket (each frame's payload ends in a newline)."""
    connection = UnixConnection(timeout=5)
    connection.request("GET", f"/containers/{container}/logs?follow=1&stdout=1&stderr=1&tail=0")
    rate = count_for(connection.getresponse(), seconds, b"\n")
    connection.close()
    return rate


def sse_follow_lines(container, seconds):
    """`log` events per second through nginx (TLS) + jarvis-sse."""
    connection = http.client.HTTPSConnection(HOST, int(PORT), context=ssl.create_default_context(cafile=CA), timeout=5)
    connection.request("GET", f"/api/v1/containers/{container}/logs/follow?tail=0", headers={"Authorization": "Bearer " + token()})
    response = connection.getresponse()
    assert response.status == 200
    rate = count_for(response, seconds, b"\nevent: log\n")
    connection.close()
    return rate


def bench_follow(seconds):
    print(f"\n2. Log follow of a container writing as fast as it can, {seconds} s each side")
    name = "bench-flood"
    docker("rm", "-f", name)
    docker("run", "-d", "--name", name, "--network", "none", "--log-opt", "max-size=64m", "--log-opt", "max-file=2",
           IMAGE, "sh", "-c", f"yes '{FLOOD_LINE}'")
    time.sleep(2)
    rates = []
    for _ in range(2):  # alternate, so the engine's speed at the time hits both
        rates.append((raw_follow_lines(name, seconds), sse_follow_lines(name, seconds)))
    bench_download(name)
    docker("rm", "-f", name)
    raw = sum(r for r, _ in rates) / len(rates)
    sse = sum(s for _, s in rates) / len(rates)
    ratio = sse / raw
    line_bytes = len(FLOOD_LINE) + 1
    print(f"raw engine follow: {raw:9.0f} lines/s = {raw * line_bytes / 1e6:6.2f} MB/s of log payload")
    print(f"Jarvis SSE follow: {sse:9.0f} lines/s = {sse * line_bytes / 1e6:6.2f} MB/s   ratio {ratio:.2f}"
          f"   target >= 0.8: {'PASS' if ratio >= 0.8 else 'FAIL'}")
    results["follow_ratio"] = round(ratio, 3)
    results["follow_mb_s"] = [round(sse * line_bytes / 1e6, 2), round(raw * line_bytes / 1e6, 2)]

    docker("rm", "-f", "bench-ticker")
    docker("run", "-d", "--name", "bench-ticker", "--network", "none", IMAGE, "sh", "-c",
           "sleep 2; i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo tick $i; sleep 0.02; done; sleep 600")
    s = session()
    response = s.get(URL + "/api/v1/containers/bench-ticker/logs/follow?tail=0", stream=True, timeout=30)
    delays = []
    for line in response.iter_lines():
        if line.startswith(b"data: "):
            event = json.loads(line[6:])
            stamp = event["time"]
            seconds_part, fraction = stamp[:19], stamp[20:-1]
            written = time.mktime(time.strptime(seconds_part, "%Y-%m-%dT%H:%M:%S")) - time.timezone + float("0." + fraction)
            delays.append((time.time() - written) * 1000)
            if len(delays) == 300:
                break
    response.close()
    docker("rm", "-f", "bench-ticker")
    p50, p95 = percentile(delays, 50), percentile(delays, 95)
    print(f"latency line written (engine timestamp) -> SSE event received: p50 {p50:.1f} ms, p95 {p95:.1f} ms"
          f"   target p50 <= 50: {'PASS' if p50 <= 50 else 'FAIL'}")
    results["follow_latency_ms"] = {"p50": round(p50, 1), "p95": round(p95, 1)}


def bench_download(container):
    """The whole (large) log as a download through nginx + jarvis-fcgi: memory must stay flat."""
    docker("pause", container)  # a fixed size to compare with the engine's own answer
    bearer = {"Authorization": "Bearer " + token()}  # before sampling: a login's scrypt takes 32 MiB for a moment
    time.sleep(0.5)
    idle, peak, stop = rss_mb("jarvis-fcgi"), [0.0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb("jarvis-fcgi"))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    connection = http.client.HTTPSConnection(HOST, int(PORT), context=ssl.create_default_context(cafile=CA), timeout=60)
    started = time.perf_counter()
    connection.request("GET", f"/api/v1/containers/{container}/logs/download?timestamps=0", headers=bearer)
    response = connection.getresponse()
    received = 0
    while chunk := response.read1(1 << 16):
        received += len(chunk)
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    connection.close()
    docker("unpause", container)
    print(f"log download: {received / 1e6:.0f} MB in {elapsed:.1f} s ({received / 1e6 / elapsed:.1f} MB/s); "
          f"jarvis-fcgi RSS idle {idle:.1f} MB, peak {peak[0]:.1f} MB (+{peak[0] - idle:.1f})")
    results["download"] = {"mb": round(received / 1e6), "seconds": round(elapsed, 1), "fcgi_rss_growth_mb": round(peak[0] - idle, 1)}


def hold_follows(count, container):
    """Opens `count` log follows through nginx (one connection each) and waits until each got a line."""
    bearer = {"Authorization": "Bearer " + token()}
    context = ssl.create_default_context(cafile=CA)
    ready = threading.Semaphore(0)
    stop = threading.Event()

    def follow():
        connection = http.client.HTTPSConnection(HOST, int(PORT), context=context, timeout=60)
        connection.request("GET", f"/api/v1/containers/{container}/logs/follow?tail=1", headers=bearer)
        response = connection.getresponse()
        seen = b""
        while b"data:" not in seen:
            seen += response.read1(4096)
        ready.release()
        stop.wait()
        connection.close()

    threads = [threading.Thread(target=follow, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire(timeout=60)
    return stop, threads


def bench_memory(follows):
    print("\n3. jarvis-sse resident memory (MB)")
    print(f"idle: {rss_mb('jarvis-sse'):.1f}")
    docker("rm", "-f", "bench-talker")
    docker("run", "-d", "--name", "bench-talker", "--network", "none", IMAGE, "sh", "-c",
           "while true; do echo talk; sleep 1; done")
    for count in follows:
        stop, threads = hold_follows(count, "bench-talker")
        transfers = session().get(URL + "/api/v1/streams/health").json()["engine_transfers"]
        rss = rss_mb("jarvis-sse")
        verdict = f"   target <= 64: {'PASS' if rss <= 64 else 'FAIL'}" if count >= 200 else ""
        print(f"with {count} concurrent log follows: {rss:.1f} (engine transfers open: {transfers}){verdict}")
        results[f"sse_rss_{count}_follows_mb"] = round(rss, 1)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        started = time.time()
        while session().get(URL + "/api/v1/streams/health").json()["engine_transfers"] > 2 and time.time() - started < 30:
            time.sleep(0.5)
        print(f"  clients gone: transfers back to {session().get(URL + '/api/v1/streams/health').json()['engine_transfers']}"
              f" in {time.time() - started:.1f} s, RSS {rss_mb('jarvis-sse'):.1f}")
    docker("rm", "-f", "bench-talker")


def bench_stats_cpu(seconds):
    running = len(engine("GET", "/containers/json"))
    print(f"\n4. jarvis-sse CPU while sampling stats of {running} running containers (interval 10 s), over {seconds} s")
    before, started = cpu_seconds("jarvis-sse"), time.time()
    time.sleep(seconds)
    share = (cpu_seconds("jarvis-sse") - before) / (time.time() - started) * 100
    s = session()
    sampled = sum(1 for c in s.get(URL + "/api/v1/containers", params={"all": 0, "page_size": 500}).json()["items"]
                  if c.get("cpu_percent") is not None)
    print(f"jarvis-sse used {share:.2f} % of one core (everything it does, sampling included); "
          f"{sampled} containers have a CPU figure   target <= 5: {'PASS' if share <= 5 else 'FAIL'}")
    results["stats_cpu_percent_of_core"] = round(share, 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--follow-seconds", type=int, default=8)
    parser.add_argument("--follows", type=int, nargs="*", default=[100, 200])
    parser.add_argument("--stats-seconds", type=int, default=60)
    parser.add_argument("--image-mb", type=int, default=1024, help="size of the image for load and save")
    parser.add_argument("--pull-mb", type=int, default=256)
    parser.add_argument("--only", nargs="*", default=["list", "follow", "memory", "stats", "load", "save", "pull", "stack"])
    parser.add_argument("--stack-services", type=int, default=10)
    args = parser.parse_args()
    print(f"engine {DOCKER_HOST}")
    if "list" in args.only:
        bench_list(args.counts, args.requests)
    if "follow" in args.only:
        bench_follow(args.follow_seconds)
    if "memory" in args.only:
        bench_memory(args.follows)
    if "stats" in args.only:
        if "list" not in args.only:
            populate(100, 100)
        bench_stats_cpu(args.stats_seconds)
    if {"load", "save", "pull"} & set(args.only):
        import image_tasks
        ctx = {"docker": docker, "session": session(), "url": URL, "ca": CA, "socket": SOCKET, "token": token(), "rss_mb": rss_mb}
        if "load" in args.only or "save" in args.only:
            results["load"] = image_tasks.bench_load(ctx, args.image_mb)
        if "save" in args.only:
            results["save"] = image_tasks.bench_save(ctx)
        if "pull" in args.only and os.environ.get("JARVIS_BENCH_REGISTRY"):
            results["pull"] = image_tasks.bench_pull(ctx, args.pull_mb, os.environ["JARVIS_BENCH_REGISTRY"],
                                                     os.environ["JARVIS_BENCH_REGISTRY_USER"], os.environ["JARVIS_BENCH_REGISTRY_PASSWORD"])
    if "stack" in args.only:
        import stacks
        results["stack_up"] = stacks.bench_stack_up({"session": session(), "url": URL, "image": IMAGE}, args.stack_services)
    print("\n" + json.dumps(results))


if __name__ == "__main__":
    main()
