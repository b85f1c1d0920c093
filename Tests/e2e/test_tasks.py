"""The task center with image pull, build, load and save against the private
engine and a private registry (Debian's docker-registry with htpasswd)."""
import io
import json
import os
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid

import pytest
import requests

from conftest import DATA_DIR, IMAGE, data, docker, open_stream, wait_for

REGISTRY = os.environ.get("JARVIS_E2E_REGISTRY", "")
REGISTRY_USER = os.environ.get("JARVIS_E2E_REGISTRY_USER", "")
REGISTRY_PASSWORD = os.environ.get("JARVIS_E2E_REGISTRY_PASSWORD", "")
needs_registry = pytest.mark.skipif(not REGISTRY, reason="no private registry (scripts/test.sh starts one)")


def finished(client, task_id, timeout=60):
    def done():
        task = client.get(f"/tasks/{task_id}").json()
        return task if task["state"] not in ("queued", "running") else None
    return wait_for(f"task {task_id}", done, timeout)


def context_tar(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            raw = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def build(client, files, tags, **options):
    return client.post("/images/build", files={"file": ("context.tar", context_tar(files), "application/x-tar")},
                       data={"options": json.dumps({"tags": tags, **options})})


def upload_load(client, body, filename):
    return client.post("/images/load", params={"filename": filename}, data=body,
                       headers={"Content-Type": "application/octet-stream"})


def uploads():
    path = os.path.join(DATA_DIR, "uploads")
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


@pytest.fixture
def no_new_uploads():
    """Fails the test if it leaves upload files behind (interrupted tasks' uploads from before are fine)."""
    before = uploads()
    yield lambda: uploads() == before
    assert uploads() == before, "uploads are removed once their task ends"


@needs_registry
def test_pull_with_credentials_reports_layers_and_a_wrong_password_fails_cleanly(client):
    image = f"{REGISTRY}/jarvis/busybox"
    docker("rmi", f"{image}:1.0", check=False)
    accepted = client.post("/images/pull", json={"image": image, "tag": "1.0",
                                                 "auth": {"username": REGISTRY_USER, "password": REGISTRY_PASSWORD}})
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["Location"] == f"/api/v1/tasks/{accepted.json()['task_id']}"
    task = finished(client, accepted.json()["task_id"])
    assert task["state"] == "succeeded", task
    assert task["result"]["image"] == f"{image}:1.0" and task["result"]["id"].startswith("sha256:")
    assert REGISTRY_PASSWORD not in json.dumps(task), "the password never comes back"
    assert docker("image", "inspect", "-f", "{{.Id}}", f"{image}:1.0") == task["result"]["id"]
    # A finished task replays its progress and ends with the task itself.
    stream = open_stream(client, f"/tasks/{task['id']}/events")
    events = list(stream.events())
    kinds = [e["event"] for e in events]
    assert kinds[0] == "state" and data(events[0])["state"] == "running"
    assert "layers" in kinds, kinds
    layer = data(next(e for e in events if e["event"] == "layers"))["layers"][0]
    assert layer["status"] in ("Already exists", "Pull complete", "Download complete", "Waiting", "Pulling fs layer"), layer
    assert kinds[-1] == "end" and data(events[-1])["state"] == "succeeded"
    assert data(events[-2]) == {"type": "state", "state": "succeeded"}
    # Resuming after an id sends only what follows it.
    resumed = list(open_stream(client, f"/tasks/{task['id']}/events", headers={"Last-Event-ID": events[1]["id"]}).events())
    assert [e["id"] for e in resumed if e["id"]] == [e["id"] for e in events[2:] if e["id"]]

    wrong = client.post("/images/pull", json={"image": image, "tag": "1.0",
                                              "auth": {"username": REGISTRY_USER, "password": "not-the-password"}})
    failed = finished(client, wrong.json()["task_id"])
    assert failed["state"] == "failed" and "unauthorized" in failed["error"].lower(), failed
    audit = client.get("/audit-logs", params={"action": "image.pull"}).json()["items"]
    assert audit and audit[0]["action"] == "image.pull"
    assert "not-the-password" not in json.dumps(audit) and REGISTRY_PASSWORD not in json.dumps(audit)
    # The one-time password was not kept: a retry must say so rather than pull anonymously.
    retry = client.post(f"/tasks/{failed['id']}/retry")
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "credentials_gone"


@needs_registry
def test_a_saved_credential_is_used_for_its_registry_and_never_shown(client):
    saved = client.post("/registries", json={"registry": REGISTRY, "username": REGISTRY_USER, "password": REGISTRY_PASSWORD})
    assert saved.status_code == 201, saved.text
    try:
        listed = client.get("/registries").json()["items"]
        assert [c["registry"] for c in listed] == [REGISTRY] and "password" not in json.dumps(listed)
        missing = finished(client, client.post("/images/pull", json={"image": f"{REGISTRY}/jarvis/busybox", "tag": "no-such-tag"}).json()["task_id"])
        assert missing["state"] == "failed" and ("not found" in missing["error"] or "unknown" in missing["error"]), missing
        docker("rmi", f"{REGISTRY}/jarvis/busybox:1.0", check=False)
        task = finished(client, client.post("/images/pull", json={"image": f"{REGISTRY}/jarvis/busybox:1.0"}).json()["task_id"])
        assert task["state"] == "succeeded", task
        log = [e["event"].get("text", "") for e in client.get(f"/tasks/{task['id']}/progress").json()["events"]]
        assert any("saved credential" in line for line in log)
    finally:
        assert client.delete(f"/registries/{saved.json()['id']}").status_code == 204
    anonymous = finished(client, client.post("/images/pull", json={"image": f"{REGISTRY}/jarvis/busybox:1.0"}).json()["task_id"])
    assert anonymous["state"] == "failed", "without the credential the registry refuses"


def test_save_download_and_load_round_trip_keeps_the_image_id(client, no_new_uploads):
    tag = f"jarvis-test/roundtrip:{uuid.uuid4().hex[:6]}"
    base = docker("create", IMAGE, "true")
    image_id = docker("commit", "-c", "LABEL purpose=roundtrip", base, tag)
    docker("rm", base)
    for gzip in (False, True):
        task = finished(client, client.post("/images/save", json={"images": [tag], "gzip": gzip}).json()["task_id"])
        assert task["state"] == "succeeded", task
        download = client.get(f"/tasks/{task['id']}/artifact")
        assert download.status_code == 200 and int(download.headers["Content-Length"]) == len(download.content)
        name = download.headers["Content-Disposition"]
        assert name.endswith('.tar.gz"' if gzip else '.tar"'), name
        part = client.get(f"/tasks/{task['id']}/artifact", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == download.content[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(download.content)}"
        assert client.get(f"/tasks/{task['id']}/artifact", headers={"Range": "bytes=999999999-"}).status_code == 416
        docker("rmi", tag)
        loaded = upload_load(client, download.content, "archive.tar.gz" if gzip else "archive.tar")
        assert loaded.status_code == 202, loaded.text
        result = finished(client, loaded.json()["task_id"])
        assert result["state"] == "succeeded" and tag in result["result"]["images"], result
        assert docker("image", "inspect", "-f", "{{.Id}}", tag) == image_id
    docker("rmi", tag)
    assert no_new_uploads()


def test_bad_archives_are_refused_before_the_engine_or_fail_the_task(client, no_new_uploads):
    wrong_name = upload_load(client, b"x" * 1024, "image.zip")
    assert wrong_name.status_code == 415
    not_tar = upload_load(client, b"x" * 4096, "image.tar")
    assert not_tar.status_code == 415 and "not a tar" in not_tar.json()["error"]["message"]
    not_gzip = upload_load(client, b"x" * 4096, "image.tar.gz")
    assert not_gzip.status_code == 415
    no_name = client.post("/images/load", data=b"x", headers={"Content-Type": "application/octet-stream"})
    assert no_name.status_code == 400 and no_name.json()["error"]["code"] == "missing_filename"
    as_json = client.post("/images/load", json={"file": "x"})
    assert as_json.status_code == 415
    # A tar whose content is not an image: the engine's own message fails the task.
    corrupt = upload_load(client, context_tar({"hello.txt": "not an image"}), "corrupt.tar")
    assert corrupt.status_code == 202
    task = finished(client, corrupt.json()["task_id"])
    assert task["state"] == "failed" and task["error"], task
    assert no_new_uploads()
    # Cut-off multipart bodies never become tasks.
    cut = client.post("/images/load", data=b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.tar\"\r\n\r\n" + b"\0" * 600,
                      headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert cut.status_code in (400, 415) and uploads() == []


class HeldBody:
    """A request body with a declared length that stops halfway until `gate` is set;
    with `cut` it then breaks off instead, like a client that went away."""

    def __init__(self, content, cut=False):
        self.content, self.cut, self.position = content, cut, 0
        self.halfway = len(content) // 2
        self.gate = threading.Event()

    def __len__(self):
        return len(self.content)

    def read(self, size=-1):
        if self.position >= self.halfway:
            assert self.gate.wait(60)
            if self.cut:
                raise ConnectionAbortedError("the client gives up halfway")
        end = self.halfway if self.position < self.halfway else len(self.content)
        chunk = self.content[self.position:min(end, self.position + (size if size > 0 else 65536))]
        self.position += len(chunk)
        return chunk


def held_upload(client, body, filename, answers):
    """Posts `body` to /images/load from a thread; its answer (or error) lands in `answers`."""
    def send():
        try:
            answers.append(requests.post(client.url("/images/load"), params={"filename": filename}, data=body,
                                         headers={"X-CSRF-Token": client.csrf, "Content-Type": "application/octet-stream"},
                                         cookies=client.http.cookies, verify=client.http.verify, timeout=60))
        except Exception as error:  # noqa: BLE001 - the cut upload ends in a connection error by design
            answers.append(error)
    thread = threading.Thread(target=send)
    thread.start()
    return thread


def running_load(client, known):
    tasks = client.get("/tasks", params={"kind": "image.load"}).json()["items"]
    fresh = [t for t in tasks if t["id"] not in known]
    return fresh[0] if fresh and fresh[0]["state"] == "running" else None


def test_a_load_runs_while_the_archive_still_arrives_and_a_cut_upload_fails_its_task(client, no_new_uploads):
    tag = f"jarvis-test/streamed:{uuid.uuid4().hex[:6]}"
    base = docker("create", IMAGE, "true")
    image_id = docker("commit", "-c", "LABEL purpose=streamed", base, tag)
    docker("rm", base)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "image.tar")
        docker("save", "-o", path, tag)
        with open(path, "rb") as archive:
            content = archive.read()
    docker("rmi", tag)
    known = {t["id"] for t in client.get("/tasks", params={"kind": "image.load", "page_size": 500}).json()["items"]}

    # Half the archive is in: the task already runs, the engine reading along.
    body, answers = HeldBody(content), []
    thread = held_upload(client, body, "streamed.tar", answers)
    task = wait_for("a running load while the upload is held", lambda: running_load(client, known), 20)
    assert not answers, "the answer comes once the whole body is in"
    body.gate.set()
    thread.join(60)
    assert answers[0].status_code == 202 and answers[0].json()["task_id"] == task["id"], answers
    result = finished(client, task["id"])
    assert result["state"] == "succeeded" and tag in result["result"]["images"], result
    assert docker("image", "inspect", "-f", "{{.Id}}", tag) == image_id
    docker("rmi", tag)
    known.add(task["id"])

    # The client goes away halfway: the task fails naming the upload, nothing is loaded, no file stays.
    body, answers = HeldBody(content, cut=True), []
    thread = held_upload(client, body, "cut.tar", answers)
    task = wait_for("a running load while the upload is held", lambda: running_load(client, known), 20)
    body.gate.set()
    thread.join(60)
    result = finished(client, task["id"])
    assert result["state"] == "failed" and "upload did not complete" in result["error"], result
    assert docker("image", "inspect", tag, check=False) in ("", "[]")
    wait_for("the partial upload to go", no_new_uploads, 10)


def test_oversize_uploads_are_refused(client, no_new_uploads):
    limit = int(os.environ.get("JARVIS_E2E_UPLOAD_MAX", "0"))
    if not limit:
        pytest.skip("the stack runs with the default 20 GiB limit")
    body = context_tar({"a": "x"})
    too_big = upload_load(client, body + b"\0" * (limit + 1024 - len(body)), "big.tar")
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "payload_too_large"
    assert no_new_uploads()


def test_build_from_a_tar_context_with_args_and_target_and_a_failing_step(client):
    tag = f"jarvis-test/built:{uuid.uuid4().hex[:6]}"
    dockerfile = ("FROM jarvis-test/busybox AS base\nARG GREETING=none\nRUN echo \"$GREETING\" > /greeting\n"
                  "FROM base AS final\nRUN echo final > /stage\n")
    accepted = build(client, {"Dockerfile": dockerfile}, [tag], build_args={"GREETING": "hello-jarvis"}, target="base")
    assert accepted.status_code == 202, accepted.text
    task = finished(client, accepted.json()["task_id"])
    assert task["state"] == "succeeded", task
    out = docker("run", "--rm", "--network", "none", tag, "cat", "/greeting")
    assert out == "hello-jarvis"
    assert docker("run", "--rm", "--network", "none", tag, "sh", "-c", "test -e /stage && echo yes || echo no") == "no", "target stops at base"
    steps = [e["event"] for e in client.get(f"/tasks/{task['id']}/progress").json()["events"] if e["event"]["type"] == "progress"]
    assert steps and all(step["label"].startswith(f"Step {step['current']}/") for step in steps)
    docker("rmi", tag)

    failing = build(client, {"Dockerfile": "FROM jarvis-test/busybox\nRUN echo about to fail && exit 3\n"}, [tag])
    task = finished(client, failing.json()["task_id"])
    assert task["state"] == "failed" and "Step 2/2" in task["error"] and "3" in task["error"], task
    assert docker("image", "inspect", tag, check=False) in ("", "[]")


def test_build_request_errors_name_the_field(client, no_new_uploads):
    no_tags = build(client, {"Dockerfile": "FROM x\n"}, [])
    assert no_tags.status_code == 400 and no_tags.json()["error"]["field"] == "tags"
    bad_tag = build(client, {"Dockerfile": "FROM x\n"}, ["Bad Name!"])
    assert bad_tag.json()["error"]["field"] == "tags[0]"
    traversal = build(client, {"Dockerfile": "FROM x\n"}, ["a:1"], dockerfile="../../etc/passwd")
    assert traversal.json()["error"]["field"] == "dockerfile"
    file_url = client.post("/images/build", json={"tags": ["a:1"], "remote": "file:///etc"})
    assert file_url.status_code == 400 and file_url.json()["error"]["field"] == "remote"
    nothing = client.post("/images/build", json={"tags": ["a:1"]})
    assert nothing.status_code == 400
    assert client.post("/images/pull", json={"image": "UPPER/Case"}).json()["error"]["field"] == "image"
    assert client.post("/images/pull", json={"image": "../etc"}).status_code == 400
    assert client.post("/images/save", json={"images": ["no-such/image:1"]}).status_code == 404
    assert client.post("/images/save", json={"images": []}).status_code == 400
    assert client.get("/tasks/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/tasks/not-a-task-id").status_code == 404
    assert client.get("/tasks", params={"state": "sleeping"}).status_code == 400
    assert no_new_uploads()


def test_build_from_a_git_url_with_ref_and_subfolder(client, tmp_path):
    repo = tmp_path / "app.git"
    work = tmp_path / "work"
    os.makedirs(work / "service")
    (work / "service" / "Dockerfile").write_text("FROM jarvis-test/busybox\nCOPY message /message\n")
    (work / "service" / "message").write_text("from git\n")
    git = lambda *args, cwd=work: subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)
    git("init", "-q", "-b", "main")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "app")
    git("tag", "v1")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(repo)], check=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={tmp_path}",
                               "--listen=127.0.0.1", f"--port={port}", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for("git daemon", listening, 10)
        tag = f"jarvis-test/from-git:{uuid.uuid4().hex[:6]}"
        accepted = client.post("/images/build", json={"tags": [tag], "remote": f"git://127.0.0.1:{port}/app.git",
                                                      "git_ref": "v1", "git_subdir": "service"})
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["task"]["params"]["remote"] == f"git://127.0.0.1:{port}/app.git#v1:service"
        task = finished(client, accepted.json()["task_id"], timeout=90)
        assert task["state"] == "succeeded", task
        assert docker("run", "--rm", "--network", "none", tag, "cat", "/message") == "from git"
        docker("rmi", tag)
    finally:
        daemon.terminate()
        daemon.wait()


def test_cancel_a_running_build_and_a_queued_one(client, no_new_uploads):
    tag = f"jarvis-test/slow:{uuid.uuid4().hex[:6]}"
    running = build(client, {"Dockerfile": "FROM jarvis-test/busybox\nRUN sleep 60\n"}, [tag]).json()["task_id"]
    # Same target: the second waits for the first.
    queued = build(client, {"Dockerfile": "FROM jarvis-test/busybox\nRUN sleep 61\n"}, [tag]).json()["task_id"]
    wait_for("the build to start", lambda: client.get(f"/tasks/{running}").json()["state"] == "running", 10)
    time.sleep(1.5)
    assert client.get(f"/tasks/{queued}").json()["state"] == "queued", "tasks on one target run one at a time"
    canceled_queued = client.post(f"/tasks/{queued}/cancel")
    assert canceled_queued.status_code == 202 and canceled_queued.json()["state"] == "canceled"
    started = time.time()
    assert client.post(f"/tasks/{running}/cancel").status_code == 202
    task = finished(client, running, timeout=20)
    assert task["state"] == "canceled" and time.time() - started < 10, task
    assert client.post(f"/tasks/{running}/cancel").status_code == 409
    wait_for("the build container to go", lambda: "sleep 60" not in docker("ps", "-a", "--no-trunc", "--format", "{{.Command}}"), 15)
    assert docker("image", "inspect", tag, check=False) in ("", "[]")
    assert no_new_uploads()
    listed = client.get("/tasks", params={"state": "canceled", "kind": "image.build"}).json()
    assert {running, queued} <= {t["id"] for t in listed["items"]} and listed["counts"]["canceled"] >= 2


def sse_pid():
    """The running jarvis-sse (its supervisor rewrites the file on restart)."""
    text = open(os.path.join(DATA_DIR, "run", "jarvis-sse.pid")).read().strip()
    return int(text) if text else 0


@pytest.mark.serial  # kills jarvis-sse
def test_a_task_running_when_jarvis_sse_dies_is_interrupted_and_a_retry_succeeds(client, no_new_uploads):
    tag = f"jarvis-test/interrupted:{uuid.uuid4().hex[:6]}"
    task_id = build(client, {"Dockerfile": "FROM jarvis-test/busybox\nRUN sleep 4\n"}, [tag]).json()["task_id"]
    wait_for("the build to start", lambda: client.get(f"/tasks/{task_id}").json()["state"] == "running", 10)
    old_pid = sse_pid()
    os.kill(old_pid, signal.SIGKILL)
    wait_for("jarvis-sse to come back", lambda: sse_pid() not in (0, old_pid), 15)
    task = finished(client, task_id, timeout=20)
    assert task["state"] == "interrupted" and "retry" in task["error"], task
    assert not no_new_uploads(), "an interrupted task keeps its upload for the retry"
    retry = client.post(f"/tasks/{task_id}/retry")
    assert retry.status_code == 202 and retry.json()["retry_of"] == task_id
    done = finished(client, retry.json()["id"], timeout=60)
    assert done["state"] == "succeeded", done
    assert docker("image", "inspect", "-f", "{{.Id}}", tag) == done["result"]["id"]
    assert client.post(f"/tasks/{done['id']}/retry").status_code == 409
    assert no_new_uploads()
    docker("rmi", tag)
    # The stream endpoint is back too.
    wait_for("streams", lambda: client.get("/streams/health").status_code == 200, 10)
