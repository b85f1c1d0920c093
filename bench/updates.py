#!/usr/bin/env python3
"""Update-check benchmark of issue 19, run by `scripts/bench.sh updates` against the stack it started
and the harness's registry (Debian's docker-registry with htpasswd, which the stack may speak HTTP to).

500 containers (created, not started) using 50 distinct images pushed to the registry, with a saved
credential; then one check of the host through the API (`POST /api/v1/updates/check`, a task):
wall time from the request to the task's end, and the registry requests it made (its own count, and
the registry's access log when JARVIS_BENCH_REGISTRY_LOG names it). Baseline in the same run: the
least any checker must send, one authenticated HEAD per distinct image and tag with curl (reusing one
connection), and what a user would do instead, `docker pull` of each image. Prints a table.

Environment: JARVIS_BENCH_URL, JARVIS_BENCH_PASSWORD, JARVIS_BENCH_REGISTRY(_USER, _PASSWORD), DOCKER_HOST.
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time

import requests

URL = os.environ["JARVIS_BENCH_URL"]
REGISTRY = os.environ["JARVIS_BENCH_REGISTRY"]
USER = os.environ["JARVIS_BENCH_REGISTRY_USER"]
PASSWORD = os.environ["JARVIS_BENCH_REGISTRY_PASSWORD"]
LOG = os.environ.get("JARVIS_BENCH_REGISTRY_LOG", "")


def docker(*args, stdin=None, config=None):
    env = dict(os.environ)
    if config:
        env["DOCKER_CONFIG"] = config
    done = subprocess.run(["docker", *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def session():
    http = requests.Session()
    http.verify = os.path.join(os.environ["JARVIS_BENCH_DATA_DIR"], "etc", "tls.crt")
    http.trust_env = False
    assert http.post(URL + "/api/v1/auth/login", json={"username": "admin", "password": os.environ["JARVIS_BENCH_PASSWORD"]}).ok
    http.headers["X-CSRF-Token"] = http.cookies.get("jarvis_csrf", "")
    return http


def log_count(pattern):
    if not LOG or not os.path.exists(LOG):
        return None
    with open(LOG) as log:
        return len(re.findall(pattern, log.read()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--containers", type=int, default=500)
    args = parser.parse_args()
    config = tempfile.mkdtemp(prefix="jv-bench-cli.")
    docker("login", "-u", USER, "--password-stdin", REGISTRY, stdin=PASSWORD, config=config)
    references = []
    started = time.time()
    for index in range(args.images):
        reference = f"{REGISTRY}/bench-upd/app{index}:1.0"
        docker("build", "-q", "-t", reference, "-", stdin=f"FROM jarvis-test/busybox:latest\nRUN echo {index} > /which\n")
        docker("push", "-q", reference, config=config)
        references.append(reference)
    made = []
    for index in range(args.containers):
        made.append(docker("create", "--label", "jarvis.bench=updates", references[index % len(references)], "true"))
    print(f"set-up: {args.images} images pushed, {len(made)} containers created in {time.time() - started:.0f} s")

    http = session()
    saved = http.post(URL + "/api/v1/registries", json={"registry": REGISTRY, "username": USER, "password": PASSWORD})
    assert saved.ok, saved.text
    try:
        heads_before = log_count(r'"HEAD /v2/bench-upd/[^"]*" 200 ')
        gets_before = log_count(r'"GET /v2/bench-upd/[^"]*manifests')
        started = time.time()
        queued = http.post(URL + "/api/v1/updates/check", json={}).json()
        while True:
            task = http.get(URL + "/api/v1/tasks/" + queued["task_id"]).json()
            if task["state"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        jarvis_seconds = time.time() - started
        assert task["state"] == "succeeded", task
        summary = task["result"]
        heads = None if heads_before is None else log_count(r'"HEAD /v2/bench-upd/[^"]*" 200 ') - heads_before
        gets = None if gets_before is None else log_count(r'"GET /v2/bench-upd/[^"]*manifests') - gets_before

        # Baseline 1: the least any checker sends, one authenticated HEAD per distinct image and tag, one connection.
        raw = requests.Session()
        raw.trust_env = False
        raw.auth = (USER, PASSWORD)
        started = time.time()
        for reference in references:
            name, tag = reference[len(REGISTRY) + 1:].rsplit(":", 1)
            answer = raw.head(f"http://{REGISTRY}/v2/{name}/manifests/{tag}",
                              headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
            assert answer.status_code == 200 and answer.headers.get("Docker-Content-Digest"), answer.status_code
        raw_seconds = time.time() - started
        # Baseline 2: what a user does by hand, `docker pull` of each image (the images are present: only manifests move).
        started = time.time()
        for reference in references:
            docker("pull", "-q", reference, config=config)
        pull_seconds = time.time() - started

        print()
        print("| measure | figure |")
        print("| --- | --- |")
        print(f"| containers checked / distinct images | {summary['containers']} / {summary['images']} |")
        print(f"| Jarvis check, request to task end | {jarvis_seconds:.2f} s |")
        print(f"| registry requests by Jarvis (its count: HEAD / GET incl. token) | {summary['head_requests']} / {summary['get_requests']} |")
        if heads is not None:
            print(f"| registry access log: answered manifest HEADs / manifest GETs | {heads} / {gets} |")
        print(f"| baseline: {len(references)} HEADs with one keep-alive connection | {raw_seconds:.2f} s (ratio {jarvis_seconds / raw_seconds:.1f}) |")
        print(f"| baseline: `docker pull` of each image | {pull_seconds:.2f} s (ratio {jarvis_seconds / pull_seconds:.2f}) |")
        print(f"| states: up to date / update / unknown | {summary['up_to_date']} / {summary['update_available']} / {summary['unknown']} |")
    finally:
        http.delete(URL + f"/api/v1/registries/{saved.json()['id']}")
        for container in made:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True)


if __name__ == "__main__":
    main()
