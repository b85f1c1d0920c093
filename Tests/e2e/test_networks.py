"""Networks on the private engine: list with attachments and filters, create with validated
IPAM (nothing created on a refusal), connect with an alias and a fixed address that another
container then reaches, disconnect, remove (refused while attached or predefined), prune
behind the confirmation, and the roles' limits."""
import random
import uuid

import pytest

from conftest import docker, wait_for
from test_host_boundary import user


def error_of(response):
    return response.json()["error"]


def unique():
    return "e2e-net-" + uuid.uuid4().hex[:6]


def subnet():
    """A /24 in 10.200-239.x.0 that no other test of this file picked."""
    return f"10.{random.randint(200, 239)}.{random.randint(0, 255)}.0/24"


def engine_networks():
    return set(docker("network", "ls", "--format", "{{.Name}}").split())


@pytest.fixture
def networks():
    """Networks made by a test, removed afterwards with whatever is still attached."""
    made = []
    yield made
    for name in made:
        for cid in docker("network", "inspect", name, "-f", "{{range $k, $v := .Containers}}{{$k}} {{end}}", check=False).split():
            docker("network", "disconnect", "-f", name, cid, check=False)
        docker("network", "rm", name, check=False)


@pytest.fixture
def viewer(client):
    return user(client, "viewer")


@pytest.fixture
def operator(client):
    return user(client, "operator")


def test_create_lists_and_inspects_a_dual_stack_network(client, networks, container):
    name, v4 = unique(), subnet()
    base = v4.rsplit(".", 1)[0]
    body = {"name": name, "labels": {"team": "web", "com.docker.compose.project": "shop"},
            "ipam": {"config": [{"subnet": v4, "gateway": base + ".1", "ip_range": base + ".128/25", "aux_addresses": {"router": base + ".2"}},
                                {"subnet": "fd00:%x::/64" % random.randint(1, 0xffff)}]}}
    created = client.post("/networks", json=body)
    assert created.status_code == 201, created.text
    networks.append(name)
    network = created.json()
    assert network["name"] == name and network["driver"] == "bridge" and network["scope"] == "local"
    assert network["ipv4"] == [{"subnet": v4, "gateway": base + ".1", "ip_range": base + ".128/25", "aux_addresses": {"router": base + ".2"}}]
    assert len(network["ipv6"]) == 1 and network["enable_ipv6"] is True
    assert network["stack"] == "shop" and network["labels"]["team"] == "web" and network["predefined"] is False
    assert docker("network", "inspect", name, "-f", "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}").startswith(f"true {v4}")

    cid, cname = container(start=False)
    docker("network", "connect", name, cid)
    listed = client.get("/networks", params={"q": name}).json()
    assert listed["total"] == 1 and listed["items"][0]["containers"][0]["name"] == cname
    assert client.get("/networks", params={"q": name, "stack": "shop"}).json()["total"] == 1
    assert client.get("/networks", params={"q": name, "stack": "other"}).json()["total"] == 0
    assert client.get("/networks", params={"q": name, "dangling": 1}).json()["total"] == 0, "a stopped container still counts as attached"
    assert client.get("/networks", params={"q": name, "driver": "macvlan"}).json()["total"] == 0
    assert client.get("/networks", params={"q": v4}).json()["items"][0]["name"] == name, "the text filter finds a subnet"
    everything = client.get("/networks", params={"sort": "name", "page_size": 500}).json()
    names = [n["name"] for n in everything["items"]]
    assert names == sorted(names) and {"bridge", "host", "none"} <= set(names)
    paged = client.get("/networks", params={"page_size": 1, "page": 2}).json()
    assert len(paged["items"]) == 1 and paged["page"] == 2 and paged["total"] >= 4  # other files make networks meanwhile
    assert client.get("/networks", params={"sort": "size"}).status_code == 400
    across = client.get("/networks", params={"host": "*", "q": name}).json()
    assert across["items"][0]["host"] and across["items"][0]["name"] == name
    assert client.get(f"/networks/{network['id']}").json()["name"] == name
    assert client.get(f"/networks/{name}").json()["id"] == network["id"]
    missing = client.get("/networks/no-such-network")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


@pytest.mark.parametrize("pool, field, text", [
    ({"subnet": "10.1.0/24"}, "ipam.config[0].subnet", 'ipam.config[0].subnet: invalid CIDR "10.1.0/24"'),
    ({"subnet": "10.241.0.0/24", "gateway": "10.242.0.1"}, "ipam.config[0].gateway", "outside the subnet"),
    ({"subnet": "10.241.0.0/24", "ip_range": "10.241.1.0/25"}, "ipam.config[0].ip_range", "outside the subnet"),
    ({"subnet": "fd00:99::/64", "gateway": "fd01::1"}, "ipam.config[0].gateway", "outside the subnet"),
])
def test_invalid_ipam_is_refused_with_the_field_and_nothing_is_created(client, pool, field, text):
    name = unique()
    refused = client.post("/networks", json={"name": name, "ipam": {"config": [pool]}})
    assert refused.status_code == 400, refused.text
    assert error_of(refused)["field"] == field and text in error_of(refused)["message"]
    assert name not in engine_networks()


def test_a_subnet_overlapping_another_network_of_the_host_is_refused(client, networks):
    first, v4 = unique(), subnet()
    assert client.post("/networks", json={"name": first, "ipam": {"config": [{"subnet": v4}]}}).status_code == 201
    networks.append(first)
    second = unique()
    inner = v4.replace(".0/24", ".128/25")
    refused = client.post("/networks", json={"name": second, "ipam": {"config": [{"subnet": inner}]}})
    assert refused.status_code == 400 and error_of(refused)["code"] == "subnet_overlap"
    assert error_of(refused)["field"] == "ipam.config[0].subnet" and first in error_of(refused)["message"]
    assert second not in engine_networks()
    again = client.post("/networks", json={"name": first})
    assert again.status_code == 409 and error_of(again)["code"] == "network_exists"
    unknown = client.post("/networks", json={"name": second, "mtu": 1400})
    assert unknown.status_code == 400 and error_of(unknown)["code"] == "unknown_field"
    # No IPv6 subnet and none left among the engine's default pools: a 400 on the field, not the engine's 404.
    no_pool = client.post("/networks", json={"name": second, "enable_ipv6": True})
    assert no_pool.status_code in (201, 400), no_pool.text
    if no_pool.status_code == 201:
        networks.append(second)
        second = unique()
    else:
        assert error_of(no_pool)["field"] == "enable_ipv6"
    overlay = client.post("/networks", json={"name": second, "driver": "overlay"})
    assert overlay.status_code == 409 and error_of(overlay)["code"] == "swarm_required" and "Swarm manager" in error_of(overlay)["message"]
    assert second not in engine_networks()


def test_connect_with_alias_and_fixed_address_is_reachable_by_alias(client, networks, container):
    name, v4 = unique(), subnet()
    base = v4.rsplit(".", 1)[0]
    network = client.post("/networks", json={"name": name, "ipam": {"config": [{"subnet": v4}]}}).json()
    networks.append(name)
    server, server_name = container()
    peer, _ = container()
    alias = "db-" + uuid.uuid4().hex[:4]
    connected = client.post(f"/networks/{name}/connect", json={"container": server_name, "aliases": [alias], "ipv4_address": base + ".50"})
    assert connected.status_code == 200, connected.text
    attached = next(c for c in connected.json()["containers"] if c["name"] == server_name)
    assert attached["ipv4_address"] == base + ".50" and alias in attached["aliases"]
    assert client.post(f"/networks/{name}/connect", json={"container": peer}).status_code == 200
    twice = client.post(f"/networks/{name}/connect", json={"container": peer})
    assert twice.status_code == 409 and error_of(twice)["code"] == "already_connected"
    # The peer resolves the alias through the engine's DNS and reaches the fixed address.
    answer = docker("exec", peer, "ping", "-c", "1", "-W", "3", alias)
    assert f"({base}.50)" in answer and "1 packets received" in answer

    outside = client.post(f"/networks/{name}/connect", json={"container": peer, "ipv4_address": "10.250.0.9"})
    assert outside.status_code == 400 and error_of(outside)["field"] == "ipv4_address"
    bad_alias = client.post(f"/networks/{name}/connect", json={"container": peer, "aliases": ["no way"]})
    assert bad_alias.status_code == 400 and error_of(bad_alias)["field"] == "aliases[0]"
    assert client.post("/networks/no-such-network/connect", json={"container": peer}).status_code == 404

    attached_removal = client.delete(f"/networks/{name}")
    assert attached_removal.status_code == 409 and error_of(attached_removal)["code"] == "network_in_use"
    assert server_name in error_of(attached_removal)["message"]
    assert name in engine_networks()

    left = client.post(f"/networks/{name}/disconnect", json={"container": server_name})
    assert left.status_code == 200 and server_name not in [c["name"] for c in left.json()["containers"]]
    assert name not in docker("inspect", server, "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}")
    forced = client.post(f"/networks/{name}/disconnect", json={"container": peer, "force": True})
    assert forced.status_code == 200 and forced.json()["containers"] == []
    assert client.delete(f"/networks/{network['id']}").status_code == 204
    assert name not in engine_networks()
    assert client.delete(f"/networks/{name}").status_code == 404


@pytest.mark.parametrize("predefined", ["bridge", "host", "none"])
def test_predefined_networks_cannot_be_removed(client, predefined):
    refused = client.delete(f"/networks/{predefined}")
    assert refused.status_code == 403 and error_of(refused)["code"] == "predefined_network"
    assert predefined in engine_networks()
    by_id = docker("network", "inspect", predefined, "-f", "{{.Id}}")
    assert client.delete(f"/networks/{by_id}").status_code == 403
    assert client.get(f"/networks/{predefined}").json()["predefined"] is True


def operator_name(session):
    return session.get("/auth/me").json()["username"]


def test_roles_viewer_refused_operator_kept_off_the_lan(client, viewer, operator, networks, container):
    name = unique()
    denied = viewer.post("/networks", json={"name": name})
    assert denied.status_code == 403 and name not in engine_networks()
    assert viewer.get("/networks").status_code == 200
    assert viewer.post("/networks/bridge/connect", json={"container": "x"}).status_code == 403
    assert viewer.post("/networks/bridge/disconnect", json={"container": "x"}).status_code == 403
    assert viewer.delete("/networks/bridge").status_code == 403
    assert viewer.post("/networks/prune").status_code == 403

    lan = operator.post("/networks", json={"name": name, "driver": "macvlan", "parent": "lo"})
    assert lan.status_code == 403 and error_of(lan)["code"] == "host_access_denied" and name not in engine_networks()
    # A bridge on a host bridge of the admin's choosing (one bridged to the LAN) is refused at the door.
    named = operator.post("/networks", json={"name": name, "options": {"com.docker.network.bridge.name": "docker0"}})
    assert named.status_code == 403 and "com.docker.network.bridge.name" in error_of(named)["message"] and name not in engine_networks()
    made = operator.post("/networks", json={"name": name, "ipam": {"config": [{"subnet": subnet()}]}})
    assert made.status_code == 201, made.text
    networks.append(name)
    # A LAN network an admin made (a dummy parent, so nothing of the host's LAN is touched); kernels
    # without macvlan and ipvlan leave the host network, which the same rule keeps from operators.
    lan_name, lan_driver = unique(), None
    for driver in ("macvlan", "ipvlan"):
        if docker("network", "create", "-d", driver, lan_name, check=False):
            lan_driver = driver
            networks.append(lan_name)
            break
    if lan_driver is None:
        lan_name, lan_driver = "host", "driver host"
    cid, cname = container(start=False)
    joined = operator.post(f"/networks/{lan_name}/connect", json={"container": cname})
    assert joined.status_code == 403 and error_of(joined)["code"] == "host_access_denied", joined.text
    assert lan_driver in error_of(joined)["message"]
    assert lan_name not in docker("inspect", cid, "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}")
    assert operator.post(f"/networks/{name}/connect", json={"container": cname}).status_code == 200
    if lan_name != "host":
        assert client.post(f"/networks/{lan_name}/connect", json={"container": cname}).status_code == 200, "admins may"

    rows = client.get("/audit-logs", params={"action": "network.connect", "q": lan_name}).json()["items"]
    assert any(r["result"] == "failure" and r["username"] == operator_name(operator) for r in rows), "the refused connect is audited"
    created = client.get("/audit-logs", params={"action": "network.create", "q": name}).json()["items"]
    assert {r["result"] for r in created} == {"success", "failure"}


@pytest.mark.serial  # prunes every unused network of the engine
def test_prune_needs_the_confirmation_and_reports_what_the_engine_removed(client, networks, container):
    unused = [unique(), unique()]
    for name in unused:
        assert client.post("/networks", json={"name": name}).status_code == 201
        networks.append(name)
    kept = unique()
    assert client.post("/networks", json={"name": kept}).status_code == 201
    networks.append(kept)
    cid, _ = container()
    docker("network", "connect", kept, cid)

    challenge = client.post("/networks/prune")
    assert challenge.status_code == 428
    confirmation = challenge.json()["confirmation"]
    assert all(name in confirmation["summary"] for name in unused) and kept not in confirmation["summary"]
    assert set(unused) <= engine_networks(), "nothing removed before the confirmation"
    forged = client.post("/networks/prune", headers={"X-Confirmation-Token": "forged"})
    assert forged.status_code == 403
    before = engine_networks()
    done = client.post("/networks/prune", headers={"X-Confirmation-Token": confirmation["token"]})
    assert done.status_code == 200, done.text
    after = engine_networks()
    assert sorted(done.json()["removed"]) == sorted(before - after), "the report is what the engine removed"
    assert set(unused) <= set(done.json()["removed"]) and kept in after and {"bridge", "host", "none"} <= after
    row = client.get("/audit-logs", params={"action": "network.prune"}).json()["items"][0]
    assert row["result"] == "success" and unused[0] in row["params"]["removed"]
