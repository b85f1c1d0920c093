"""Volumes: list with users and sizes, inspect, create (helpers, bind for admins only), remove
(409 while in use, no force), prune behind the confirmation; the file browser without an
agent (a created-never-started helper and the archive API); the disk-use card and clean-ups."""
import io
import os
import tarfile
import threading
import time
import uuid

import pytest

from conftest import DATA_DIR, IMAGE, Client, docker, wait_for


def error_of(response):
    return response.json()["error"]


def new_name(prefix="e2e-vol"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def volume(client):
    made = []

    def make(name=None, **body):
        name = name or new_name()
        response = client.post("/volumes", json={"name": name, **body})
        assert response.status_code == 201, response.text
        made.append(name)
        return name

    yield make
    for name in made:
        docker("rm", "-f", *[c for c in docker("ps", "-aq", "--filter", f"volume={name}").split()], check=False)
        docker("volume", "rm", "-f", name, check=False)


def user(client, role):
    name = f"{role[:2]}-{uuid.uuid4().hex[:6]}"
    assert client.post("/users", json={"username": name, "password": "volumes-pass-1", "role": role}).status_code == 201
    other = Client()
    assert other.login(name, "volumes-pass-1").status_code == 200
    return other


def run_in(volume_name, script):
    """A throwaway container with the volume at /d (the busybox image has a shell, the helper has none)."""
    return docker("run", "--rm", "--network", "none", "-v", f"{volume_name}:/d", IMAGE, "sh", "-c", script)


def helpers():
    return docker("ps", "-aq", "--filter", "label=io.jarvis.volume-browser").split()


def confirmed(client, method, path, **kw):
    first = getattr(client, method)(path, **kw)
    assert first.status_code == 428, first.text
    challenge = first.json()["confirmation"]
    headers = dict(kw.pop("headers", {}), **{"X-Confirmation-Token": challenge["token"]})
    return challenge, getattr(client, method)(path, headers=headers, **kw)


def test_create_inspect_list_and_filters(client, volume):
    name = volume(labels={"team": "blue"})
    details = client.get(f"/volumes/{name}").json()
    assert details["driver"] == "local" and details["labels"] == {"team": "blue"} and details["used_by"] == []
    assert details["dangling"] is True and details["mountpoint"].endswith(f"/{name}/_data")
    listed = client.get("/volumes", params={"q": name}).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == name
    assert client.get("/volumes", params={"q": name, "label": "team=blue"}).json()["total"] == 1
    assert client.get("/volumes", params={"q": name, "label": "team=red"}).json()["total"] == 0
    assert client.get("/volumes", params={"q": name, "driver": "nfs-plugin"}).json()["total"] == 0
    assert client.get("/volumes", params={"q": name, "dangling": "false"}).json()["total"] == 0
    assert client.get("/volumes", params={"sort": "colour"}).status_code == 400
    paged = client.get("/volumes", params={"page_size": 1, "sort": "name", "order": "desc"}).json()
    assert len(paged["items"]) == 1 and paged["total"] >= 1
    assert client.get(f"/hosts/local/volumes/{name}").json()["name"] == name, "host-scoped form"


def test_unhappy_create_and_unknown_names(client, volume):
    name = volume()
    bad = client.post("/volumes", json={"name": "../etc"})
    assert bad.status_code == 400 and error_of(bad)["field"] == "name"
    again = client.post("/volumes", json={"name": name})
    assert again.status_code == 409 and error_of(again)["field"] == "name"
    helper = client.post("/volumes", json={"name": new_name(), "mount": {"type": "tmpfs", "size": "lots"}})
    assert helper.status_code == 400 and error_of(helper)["field"] == "mount.size"
    both = client.post("/volumes", json={"name": new_name(), "mount": {"type": "tmpfs"}, "driver_opts": {"type": "tmpfs"}})
    assert both.status_code == 400 and error_of(both)["field"] == "mount"
    assert client.post("/volumes", json={"name": new_name(), "colour": "red"}).status_code == 400
    assert client.get("/volumes/no-such-volume-xyz").status_code == 404
    assert client.delete("/volumes/no-such-volume-xyz").status_code == 404
    assert client.get("/volumes/no-such-volume-xyz/files").status_code == 404


def test_local_helpers_fill_in_the_driver_options(client, volume):
    tmpfs = volume(mount={"type": "tmpfs", "size": "16m", "mode": "1777"})
    assert client.get(f"/volumes/{tmpfs}").json()["options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=16m,mode=1777"}
    nfs = volume(mount={"type": "nfs", "address": "10.9.8.7", "path": "/export/data", "options": "nfsvers=4,soft"})
    assert client.get(f"/volumes/{nfs}").json()["options"] == {"type": "nfs", "o": "addr=10.9.8.7,nfsvers=4,soft", "device": ":/export/data"}
    cifs = volume(mount={"type": "cifs", "share": "//files.example/share", "username": "ann", "password": "s3cret"})
    options = client.get(f"/volumes/{cifs}").json()["options"]
    assert options["device"] == "//files.example/share" and "username=ann" in options["o"]
    assert "s3cret" not in str(options), "the password is masked in every view"
    rows = client.get("/audit-logs", params={"action": "volume.create", "q": cifs}).json()["items"]
    assert rows and "s3cret" not in str(rows), "nor audited"


def test_operators_may_not_bind_host_folders(client, volume):
    operator = user(client, "operator")
    helper = operator.post("/volumes", json={"name": new_name(), "mount": {"type": "bind", "path": "/etc"}})
    assert helper.status_code == 403 and error_of(helper)["field"] == "mount"
    raw = operator.post("/volumes", json={"name": new_name(), "driver_opts": {"type": "none", "o": "bind", "device": "/etc"}})
    assert raw.status_code == 403
    # Not a bind by name, but still the host's: the engine door (host-access policy) refuses it.
    device = operator.post("/volumes", json={"name": new_name(), "driver_opts": {"type": "ext4", "device": "/dev/sda1"}})
    assert device.status_code == 403 and error_of(device)["code"] == "host_access_denied", device.text
    assert operator.post("/volumes", json={"name": new_name("e2e-op"), "mount": {"type": "tmpfs"}}).status_code == 201
    folder = f"/tmp/jv-e2e-bind-{uuid.uuid4().hex[:6]}"
    os.makedirs(folder)
    bound = volume(mount={"type": "bind", "path": folder})
    assert client.get(f"/volumes/{bound}").json()["options"]["device"] == folder, "an admin may"
    for leftover in client.get("/volumes", params={"q": "e2e-op"}).json()["items"]:
        docker("volume", "rm", "-f", leftover["name"], check=False)


def test_remove_refuses_while_used_names_the_users_and_has_no_force(client, volume, container):
    name = volume()
    cid, cname = container()
    docker("rm", "-f", cid)
    docker("run", "-d", "--name", cname, "--label", "jarvis.e2e=1", "-v", f"{name}:/data", IMAGE, "sleep", "300")
    try:
        details = client.get(f"/volumes/{name}").json()
        assert details["used_by"][0]["name"] == cname and details["used_by"][0]["running"] is True and not details["dangling"]
        listed = client.get("/volumes", params={"q": cname}).json()
        assert name in [v["name"] for v in listed["items"]], "found by the name of a container using it"
        refused = client.delete(f"/volumes/{name}")
        assert refused.status_code == 409 and cname in error_of(refused)["message"] and "running" in error_of(refused)["message"]
        forced = client.delete(f"/volumes/{name}", params={"force": 1})
        assert forced.status_code == 400 and error_of(forced)["field"] == "force"
    finally:
        docker("rm", "-f", cname)
    challenge, removed = confirmed(client, "delete", f"/volumes/{name}")
    assert name in challenge["summary"] and removed.status_code == 204
    assert docker("volume", "ls", "-q", "--filter", f"name=^{name}$") == ""
    rows = client.get("/audit-logs", params={"action": "volume.remove", "q": name}).json()["items"]
    assert any(r["result"] == "success" for r in rows)


def test_upload_a_file_then_a_container_reads_it_back(client, volume):
    name = volume()
    run_in(name, "mkdir -p /d/conf")
    response = client.post(f"/volumes/{name}/files", params={"path": "/conf", "filename": "app.ini"},
                           data=b"[server]\nport = 8080\n", headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    assert run_in(name, "cat /d/conf/app.ini") == "[server]\nport = 8080"
    listing = client.get(f"/volumes/{name}/files", params={"path": "/conf"}).json()
    assert [(e["name"], e["type"], e["size"]) for e in listing["entries"]] == [("app.ini", "file", 21)]
    rows = client.get("/audit-logs", params={"action": "volume.upload", "q": name}).json()["items"]
    assert rows and rows[0]["params"]["path"] == "/conf" and rows[0]["params"]["file"] == "app.ini"
    assert helpers() == [], "the helper container goes after each operation"


def test_upload_a_tar_unpacks_it_and_refuses_members_that_climb_out(client, volume):
    name = volume()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for member, text in (("site/index.html", b"<h1>hi</h1>"), ("site/css/a.css", b"body{}")):
            info = tarfile.TarInfo(member)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
    files = {"file": ("site.tar", archive.getvalue(), "application/x-tar")}
    response = client.post(f"/volumes/{name}/files", params={"path": "/", "extract": 1}, files=files)
    assert response.status_code == 201, response.text
    assert run_in(name, "cat /d/site/index.html /d/site/css/a.css") == "<h1>hi</h1>body{}"
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    refused = client.post(f"/volumes/{name}/files", params={"path": "/", "extract": 1},
                          files={"file": ("evil.tar", evil.getvalue(), "application/x-tar")})
    assert refused.status_code == 400 and error_of(refused)["code"] == "path_outside_volume"
    link = io.BytesIO()
    with tarfile.open(fileobj=link, mode="w") as tar:
        info = tarfile.TarInfo("etc")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc"
        tar.addfile(info)
    assert client.post(f"/volumes/{name}/files", params={"path": "/", "extract": 1},
                       files={"file": ("link.tar", link.getvalue(), "application/x-tar")}).status_code == 400
    not_tar = client.post(f"/volumes/{name}/files", params={"path": "/", "extract": 1}, files={"file": ("a.txt", b"plain", "text/plain")})
    assert not_tar.status_code == 415


def test_paths_stay_inside_the_volume_and_symlinks_are_shown_not_followed(client, volume):
    name = volume()
    run_in(name, "mkdir -p /d/data && echo secret-of-the-volume > /d/data/a.txt && ln -s /etc /d/etc-link && ln -s ../.. /d/data/up")
    for path in ("../etc", "/data/../../etc", "data/./a.txt", "/.."):
        refused = client.get(f"/volumes/{name}/files", params={"path": path})
        assert refused.status_code == 400 and error_of(refused)["field"] == "path", (path, refused.text)
        assert client.get(f"/volumes/{name}/files/download", params={"path": path}).status_code == 400
    root = client.get(f"/volumes/{name}/files", params={"path": "/"}).json()
    entries = {e["name"]: e for e in root["entries"]}
    assert entries["etc-link"]["type"] == "symlink" and entries["etc-link"]["link_target"] == "/etc"
    assert entries["data"]["type"] == "directory" and entries["data"]["size"] == len("secret-of-the-volume\n")
    for path in ("/etc-link", "/etc-link/passwd", "/data/up/etc"):
        refused = client.get(f"/volumes/{name}/files", params={"path": path})
        assert refused.status_code == 400 and error_of(refused)["code"] == "path_is_symlink", (path, refused.text)
        assert client.get(f"/volumes/{name}/files/download", params={"path": path}).status_code == 400
    assert client.get(f"/volumes/{name}/files", params={"path": "/nothing-here"}).status_code == 404
    assert client.get(f"/volumes/{name}/files", params={"path": "/data/a.txt"}).status_code == 400, "a file is downloaded, not listed"
    assert helpers() == []


def test_viewers_browse_and_download_but_may_not_upload(client, volume):
    name = volume()
    run_in(name, "echo hello > /d/greeting.txt")
    viewer = user(client, "viewer")
    assert [e["name"] for e in viewer.get(f"/volumes/{name}/files").json()["entries"]] == ["greeting.txt"]
    download = viewer.get(f"/volumes/{name}/files/download", params={"path": "/greeting.txt"})
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        assert tar.extractfile("greeting.txt").read() == b"hello\n"
    refused = viewer.post(f"/volumes/{name}/files", params={"path": "/", "filename": "x.txt"}, data=b"x",
                          headers={"Content-Type": "application/octet-stream"})
    assert refused.status_code == 403
    assert run_in(name, "ls /d") == "greeting.txt"
    assert viewer.post("/volumes", json={"name": new_name()}).status_code == 403
    assert viewer.delete(f"/volumes/{name}").status_code == 403


def test_the_helper_goes_after_an_engine_error_too(client, volume):
    name = volume()
    run_in(name, "mkdir -p /d/taken")
    # A file where a folder is: the engine refuses the unpack after the helper was created.
    failed = client.post(f"/volumes/{name}/files", params={"path": "/", "filename": "taken"}, data=b"x",
                         headers={"Content-Type": "application/octet-stream"})
    assert failed.status_code >= 400 and failed.status_code != 403, failed.text
    assert helpers() == []
    assert client.get(f"/volumes/{name}/files", params={"path": "/taken"}).json()["entries"] == []


def fcgi_rss():
    pid = int(open(os.path.join(DATA_DIR, "run", "jarvis-fcgi.pid")).read().strip())
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.mark.serial  # measures jarvis-fcgi's memory
def test_a_200_mib_folder_downloads_as_a_stream_with_flat_memory(client, volume):
    name = volume()
    run_in(name, "mkdir -p /d/big && dd if=/dev/zero of=/d/big/one bs=1M count=100 2>/dev/null"
                 " && dd if=/dev/zero of=/d/big/two bs=1M count=100 2>/dev/null && echo tail > /d/big/last.txt")
    before = fcgi_rss()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], fcgi_rss())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    total = 0
    try:
        with client.get(f"/volumes/{name}/files/download", params={"path": "/big"}, stream=True) as response:
            assert response.status_code == 200
            assert "big.tar" in response.headers["Content-Disposition"]
            members = []
            with tarfile.open(fileobj=response.raw, mode="r|") as tar:
                for member in tar:
                    members.append((member.name, member.size))
                    if member.isfile():
                        data = tar.extractfile(member)
                        while chunk := data.read(1 << 20):
                            total += len(chunk)
    finally:
        done.set()
        sampler.join()
    assert ("big/one", 100 << 20) in members and ("big/last.txt", 5) in members
    assert total == (200 << 20) + 5
    growth = peak[0] - before
    print(f"jarvis-fcgi RSS before {before >> 20} MiB, peak {peak[0] >> 20} MiB, growth {growth >> 20} MiB for {total >> 20} MiB")
    assert growth < 48 << 20, f"jarvis-fcgi grew by {growth >> 20} MiB while streaming 200 MiB"
    wait_for("the helper to go", lambda: helpers() == [], 10)


def disk_usage_after_refresh(client):
    before = client.get("/system/disk-usage").json().get("observed_at") or 0
    assert client.post("/system/disk-usage/refresh").status_code == 202
    wait_for("a fresh disk-use report", lambda: (client.get("/system/disk-usage").json().get("observed_at") or 0) > before
             or not client.get("/system/disk-usage").json()["refreshing"], 30)
    return client.get("/system/disk-usage").json()


@pytest.mark.serial  # prunes every unused volume of the engine
def test_prune_lists_what_goes_and_reports_the_bytes_the_engine_reclaimed(client, volume):
    names = [volume(), volume()]
    for index, name in enumerate(names):
        run_in(name, f"dd if=/dev/zero of=/d/blob bs=1K count={64 * (index + 1)} 2>/dev/null")
    time.sleep(1.1)  # reports are stamped in seconds
    usage = disk_usage_after_refresh(client)
    assert usage["volumes"]["reclaimable_count"] >= 2 and usage["volumes"]["reclaimable"] >= 192 * 1024
    sizes = {v["name"]: v["size"] for v in client.get("/volumes", params={"q": "e2e-vol", "page_size": 500}).json()["items"]}
    assert sizes[names[0]] == 64 * 1024 and sizes[names[1]] == 128 * 1024, sizes
    unused = {v["name"]: v["size"] or 0 for v in client.get("/volumes", params={"dangling": 1, "page_size": 500}).json()["items"]}
    challenge, pruned = confirmed(client, "post", "/volumes/prune")
    assert set(names) <= set(challenge["targets"]) and "KiB" in challenge["summary"] or "MiB" in challenge["summary"]
    assert pruned.status_code == 200, pruned.text
    body = pruned.json()
    assert set(names) <= set(body["deleted"])
    assert body["space_reclaimed"] == sum(unused[n] for n in body["deleted"] if n in unused), (body, unused)
    rows = client.get("/audit-logs", params={"action": "volume.prune"}).json()["items"]
    assert rows[0]["params"]["reclaimed_bytes"] == str(body["space_reclaimed"])


@pytest.mark.serial  # cleans up the whole engine's stopped containers and build cache
def test_disk_use_card_and_clean_up_per_kind(client):
    usage = disk_usage_after_refresh(client)
    for kind in ("images", "containers", "volumes", "build_cache"):
        assert {"count", "size", "reclaimable", "reclaimable_count"} <= set(usage[kind]), usage
    cid = docker("create", "--label", "jarvis.e2e=1", IMAGE, "true")
    challenge, pruned = confirmed(client, "post", "/system/prune/containers")
    assert cid in challenge["targets"] and pruned.status_code == 200 and cid in pruned.json()["deleted"]
    assert docker("ps", "-aq", "--no-trunc", "--filter", f"id={cid}") == ""
    challenge, cache = confirmed(client, "post", "/system/prune/build-cache")
    assert cache.status_code == 200 and cache.json()["kind"] == "build-cache"
    assert client.post("/system/prune/everything").status_code == 404
    viewer = user(client, "viewer")
    assert viewer.get("/system/disk-usage").status_code == 200
    assert viewer.post("/system/prune/images").status_code == 403

