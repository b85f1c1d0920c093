"""Images: list with the containers that use them, delete (refused while in use,
force behind the server's confirmation), tag, prune of dangling images."""
import urllib.parse
import uuid

import pytest

from conftest import IMAGE, docker


def error_of(response):
    return response.json()["error"]


def path_of(reference):
    return "/images/" + urllib.parse.quote(reference, safe="")


def test_list_shows_tags_sizes_and_the_containers_using_each_image(client, container):
    cid, name = container()
    body = client.get("/images", params={"q": "jarvis-test/busybox"}).json()
    image = next(i for i in body["items"] if IMAGE in i["tags"])
    assert image["id"].startswith("sha256:") and image["size"] > 0 and image["dangling"] is False
    assert {"id": cid, "name": name, "state": "running", "image": IMAGE} in image["containers"]
    assert client.get("/images", params={"dangling": 1}).json()["items"] == [] or \
        all(i["dangling"] for i in client.get("/images", params={"dangling": 1}).json()["items"])
    assert client.get(path_of(IMAGE)).json()["id"] == image["id"], "a name with / and : works when encoded"
    assert client.get(path_of("no-such/image:1")).status_code == 404
    assert client.get("/images", params={"dangling": "perhaps"}).status_code == 400


def test_delete_refuses_an_image_in_use_and_force_needs_confirmation(client):
    # An image of its own (one tag), used by a stopped container.
    tag = f"jarvis-test/in-use:{uuid.uuid4().hex[:6]}"
    base = docker("create", IMAGE, "true")
    image_id = docker("commit", "-c", "LABEL purpose=in-use-test", base, tag)
    docker("rm", base)
    name = "e2e-user-" + uuid.uuid4().hex[:6]
    user = docker("create", "--name", name, tag, "true")
    try:
        refused = client.delete(path_of(tag))
        assert refused.status_code == 409 and error_of(refused)["code"] == "image_in_use"
        assert name in error_of(refused)["message"]
        assert docker("image", "inspect", tag, "-f", "{{.Id}}") == image_id, "nothing removed"
        first = client.delete(path_of(tag), params={"force": 1})
        assert first.status_code == 428 and name in first.json()["confirmation"]["summary"]
        token = first.json()["confirmation"]["token"]
        removed = client.delete(path_of(tag), params={"force": 1}, headers={"X-Confirmation-Token": token})
        assert removed.status_code == 200 and tag in removed.json()["untagged"]
        assert client.get(path_of(tag)).status_code == 404
        assert docker("image", "inspect", IMAGE, "-f", "{{.Id}}"), "other images are untouched"
    finally:
        docker("rm", "-f", user, check=False)
        docker("rmi", "-f", image_id, check=False)


def test_tag_then_untag_an_unused_name(client):
    repository = f"jarvis-test/tagged-{uuid.uuid4().hex[:6]}"
    created = client.post(path_of(IMAGE) + "/tag", json={"repository": repository, "tag": "v1"})
    assert created.status_code == 201 and f"{repository}:v1" in created.json()["tags"]
    bad = client.post(path_of(IMAGE) + "/tag", json={"repository": "Upper/Case", "tag": "v1"})
    assert bad.status_code == 400 and error_of(bad)["field"] == "repository"
    bad = client.post(path_of(IMAGE) + "/tag", json={"repository": repository, "tag": "-x"})
    assert bad.status_code == 400 and error_of(bad)["field"] == "tag"
    removed = client.delete(path_of(f"{repository}:v1"))
    assert removed.status_code == 200 and removed.json()["untagged"] == [f"{repository}:v1"]
    assert removed.json()["deleted"] == [], "the image itself stays: another tag points at it"


def test_untagging_a_name_containers_were_created_from_needs_a_confirmation_naming_them(client):
    """The first-hour defect: a shared image lost the tag its containers were created from, unasked."""
    repository = f"jarvis-test/untag-{uuid.uuid4().hex[:6]}"
    base = docker("create", IMAGE, "true")
    image_id = docker("commit", base, f"{repository}:v1")
    docker("rm", base)
    docker("tag", f"{repository}:v1", f"{repository}:v2")
    user = "e2e-untag-user-" + uuid.uuid4().hex[:6]
    docker("create", "--name", user, f"{repository}:v1", "true")
    try:
        # v2 was not used to create anything: it goes at once, the image stays.
        other = client.delete(path_of(f"{repository}:v2"))
        assert other.status_code == 200 and other.json() == {"untagged": [f"{repository}:v2"], "deleted": []}
        docker("tag", f"{repository}:v1", f"{repository}:v2")
        asked = client.delete(path_of(f"{repository}:v1"))
        assert asked.status_code == 428, asked.text
        summary = asked.json()["confirmation"]["summary"]
        assert f"{repository}:v1" in summary and user in summary and f"{repository}:v2" in summary, summary
        assert f"{repository}:v1" in docker("image", "inspect", "-f", "{{.RepoTags}}", image_id), "nothing changed before the confirmation"
        token = asked.json()["confirmation"]["token"]
        done = client.delete(path_of(f"{repository}:v1"), headers={"X-Confirmation-Token": token})
        assert done.status_code == 200 and done.json()["untagged"] == [f"{repository}:v1"], done.text
        assert docker("image", "inspect", "-f", "{{.Id}}", f"{repository}:v2") == image_id, "the image itself stays"
    finally:
        docker("rm", "-f", user, check=False)
        docker("rmi", "-f", image_id, check=False)


@pytest.mark.serial  # prunes every dangling image of the engine
def test_prune_needs_confirmation_and_reports_what_it_removed(client):
    # Two commits under one tag: the first image loses its tag and dangles.
    tag = f"jarvis-test/dangling:{uuid.uuid4().hex[:6]}"
    ids = []
    for n in (1, 2):
        cid = docker("create", IMAGE, "true")
        ids.append(docker("commit", "-c", f"LABEL generation={n}", cid, tag))
        docker("rm", cid)
    try:
        dangling = [i["id"] for i in client.get("/images", params={"dangling": 1}).json()["items"]]
        assert ids[0] in dangling and ids[1] not in dangling
        first = client.post("/images/prune")
        assert first.status_code == 428 and ids[0] in first.json()["confirmation"]["targets"]
        token = first.json()["confirmation"]["token"]
        pruned = client.post("/images/prune", headers={"X-Confirmation-Token": token})
        assert pruned.status_code == 200 and ids[0] in pruned.json()["deleted"]
        assert ids[0] not in [i["id"] for i in client.get("/images", params={"dangling": 1}).json()["items"]]
        assert client.get(path_of(tag)).status_code == 200, "tagged images are kept"
    finally:
        docker("rmi", tag, check=False)
