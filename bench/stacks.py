"""Stack benchmark (imported by bench.py): `up` of a 10-service stack of images
already present, through Jarvis (POST /stacks/{name}/up, until its task ends)
vs Debian's `docker-compose up -d` on the same engine, each from nothing
(networks included) and taken down between rounds."""
import os
import statistics
import subprocess
import tempfile
import time


def compose_text(image, services):
    """Two independent roots with chains hanging off them: what parallel creation can use."""
    lines = ["services:"]
    for index in range(services):
        lines += [f"  s{index}:", f"    image: {image}", "    command: [sh, -c, 'trap \"exit 0\" TERM; while true; do sleep 1; done']",
                  "    stop_grace_period: 2s"]
        if index >= 2:
            lines += ["    depends_on:", f"      - s{index % 2}"]
    return "\n".join(lines) + "\n"


def timed_task(session, url, path, body=None):
    started = time.time()
    response = session.post(url + path, json=body or {})
    assert response.status_code == 202, response.text
    task_id = response.json()["task_id"]
    while True:
        task = session.get(f"{url}/api/v1/tasks/{task_id}").json()
        if task["state"] not in ("queued", "running"):
            assert task["state"] == "succeeded", task
            return time.time() - started
        time.sleep(0.02)


def cli(folder, project, *args):
    started = time.time()
    subprocess.run(["docker-compose", "-p", project, *args], cwd=folder, check=True, capture_output=True,
                   env=dict(os.environ, COMPOSE_INTERACTIVE_NO_CLI="1"))
    return time.time() - started


def bench_stack_up(ctx, services=10, rounds=3):
    session, url, image = ctx["session"], ctx["url"], ctx["image"]
    session.headers["X-CSRF-Token"] = session.cookies.get("jarvis_csrf", "")
    text = compose_text(image, services)
    name = f"bench{int(time.time())}"
    response = session.post(url + "/api/v1/stacks", json={"name": name, "compose": text})
    assert response.status_code == 201, response.text
    jarvis, raw = [], []
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        with open(os.path.join(folder, "docker-compose.yml"), "w") as out:
            out.write(text)
        project = name + "cli"
        for _ in range(rounds):
            jarvis.append(timed_task(session, url, f"/api/v1/stacks/{name}/up"))
            timed_task(session, url, f"/api/v1/stacks/{name}/down")
            raw.append(cli(folder, project, "up", "-d"))
            cli(folder, project, "down", "-t", "2")
    session.delete(f"{url}/api/v1/stacks/{name}")  # asks for a confirmation; the folder stays for a look
    ours, theirs = statistics.median(jarvis), statistics.median(raw)
    ratio = ours / theirs
    print(f"stack up, {services} services: Jarvis {ours:.2f} s (task, through nginx) vs docker-compose up -d {theirs:.2f} s  "
          f"ratio {ratio:.2f}   target <= 1.0: {'PASS' if ratio <= 1.0 else 'FAIL'}")
    print(f"  rounds: Jarvis {[round(x, 2) for x in jarvis]}  docker-compose {[round(x, 2) for x in raw]}")
    return {"services": services, "jarvis_s": round(ours, 3), "docker_compose_s": round(theirs, 3), "ratio": round(ratio, 3)}
