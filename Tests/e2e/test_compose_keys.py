"""Compose keys Jarvis used to read and ignore (issue 15, sections 1 and 2), deployed on the
private engine and compared with `docker inspect`: resources, DNS, extra hosts in every form,
links, namespaces, hooks, build options; the engine's own refusals where it cannot do a key
(this engine speaks API 1.41, has runc only and no GPU); and the operator refusal of `pid: host`."""
import json
import os
import pwd
import shutil
import uuid

from conftest import DATA_DIR, IMAGE, docker
from test_stacks import project_containers, run_op, stack, stack_name  # noqa: F401 (stack is a fixture)

LOOP = '["sh", "-c", "trap exit TERM; while true; do sleep 1; done"]'


def inspect(container):
    return json.loads(docker("inspect", container))[0]


def test_applied_keys_reach_the_created_containers(client, stack):
    home_dir = f"jarvis-e2e-{uuid.uuid4().hex[:8]}"
    # `~` is the home folder of the user owning the stacks folder (here the data folder's owner).
    home = pwd.getpwuid(os.stat(DATA_DIR).st_uid).pw_dir
    compose = f"""\
services:
  db:
    image: {IMAGE}
    command: {LOOP}
    networks: [front]
  app:
    image: {IMAGE}
    command: {LOOP}
    dns_search: [example.com, example.org]
    dns_opt: ["ndots:2"]
    group_add: ["1234", 4321]
    oom_score_adj: 300
    mem_limit: 64m
    memswap_limit: 128m
    cpu_shares: 512
    cpu_quota: 50000
    cpu_period: 100000
    cpuset: "0"
    restart: on-failure:5
    ulimits:
      nproc: 4096
      nofile: {{soft: 1024, hard: 2048}}
    extra_hosts:
      - "somehost=162.242.195.82"
      - "otherhost:50.31.209.229"
      - "myhostv6=[::1]"
    mac_address: "02:42:ac:11:00:42"
    links: ["db:database"]
    platform: linux/amd64
    attach: false
    volumes:
      - "~/{home_dir}:/home-data"
      - type: tmpfs
        target: /scratch
        tmpfs: {{size: 64m, mode: 1777}}
      - type: bind
        source: ./ro
        target: /ro
        bind: {{recursive: disabled, create_host_path: false}}
    networks:
      front:
        ipv4_address: 172.29.7.10
        link_local_ips: [169.254.8.8]
    post_start:
      - command: ["sh", "-c", "echo $$WHO > /tmp/started"]
        environment: {{WHO: jarvis}}
    pre_stop:
      - command: ["touch", "/tmp/stopping"]
  mapped:
    image: {IMAGE}
    command: {LOOP}
    extra_hosts:
      several: ["10.0.0.1", "10.0.0.2"]
    pid: host
    ipc: host
    uts: host
    cgroup: host
    runtime: runc
    device_cgroup_rules: ["c 1:3 mr"]
networks:
  front:
    ipam:
      options: {{com.example.ipam: "on"}}
      config: [{{subnet: 172.29.7.0/24}}]
"""
    name, _ = stack(compose=compose, env="")
    os.makedirs(os.path.join(DATA_DIR, "stacks", name, "ro"), exist_ok=True)
    try:
        run_op(client, name, "up")
        app = inspect(f"{name}-app-1")
        host = app["HostConfig"]
        assert host["DnsSearch"] == ["example.com", "example.org"]
        assert host["DnsOptions"] == ["ndots:2"]
        assert host["GroupAdd"] == ["1234", "4321"]
        assert host["OomScoreAdj"] == 300
        assert host["Memory"] == 64 << 20 and host["MemorySwap"] == 128 << 20
        assert (host["CpuShares"], host["CpuQuota"], host["CpuPeriod"], host["CpusetCpus"]) == (512, 50000, 100000, "0")
        assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 5}
        assert sorted(host["Ulimits"], key=lambda u: u["Name"]) == [{"Name": "nofile", "Soft": 1024, "Hard": 2048},
                                                                    {"Name": "nproc", "Soft": 4096, "Hard": 4096}]
        assert host["ExtraHosts"] == ["somehost:162.242.195.82", "otherhost:50.31.209.229", "myhostv6:::1"]
        hosts = docker("exec", f"{name}-app-1", "cat", "/etc/hosts")
        assert "162.242.195.82\tsomehost" in hosts and "::1\tmyhostv6" in hosts
        # API 1.41: the service's MAC address is the container's; links go to the primary network's endpoint.
        assert app["Config"]["MacAddress"] == "02:42:ac:11:00:42"
        endpoint = app["NetworkSettings"]["Networks"][f"{name}_front"]
        assert endpoint["MacAddress"] == "02:42:ac:11:00:42"
        assert endpoint["IPAMConfig"]["IPv4Address"] == "172.29.7.10" and endpoint["IPAddress"] == "172.29.7.10"
        assert endpoint["IPAMConfig"]["LinkLocalIPs"] == ["169.254.8.8"]
        assert f"{name}-db-1:database" in endpoint["Links"]
        assert docker("exec", f"{name}-app-1", "ping", "-c", "1", "-W", "2", "database").count("1 packets received") == 1
        assert host["Binds"] == [f"{home}/{home_dir}:/home-data:rw"], "~ is the home folder of the stacks folder's owner"
        mounts = {m["Target"]: m for m in host["Mounts"]}
        assert mounts["/scratch"]["TmpfsOptions"] == {"SizeBytes": 64 << 20, "Mode": 0o1777}
        assert mounts["/ro"]["BindOptions"] == {"NonRecursive": True}
        assert docker("exec", f"{name}-app-1", "cat", "/tmp/started") == "jarvis", "post_start ran in the container"
        network = json.loads(docker("network", "inspect", f"{name}_front"))[0]
        assert network["IPAM"]["Options"] == {"com.example.ipam": "on"}

        mapped = inspect(f"{name}-mapped-1")["HostConfig"]
        assert mapped["ExtraHosts"] == ["several:10.0.0.1", "several:10.0.0.2"]
        assert (mapped["PidMode"], mapped["IpcMode"], mapped["UTSMode"], mapped["CgroupnsMode"], mapped["Runtime"]) == \
            ("host", "host", "host", "host", "runc")
        assert mapped["DeviceCgroupRules"] == ["c 1:3 mr"]

        run_op(client, name, "stop")
        # pre_stop ran before the stop: the file is in the stopped container's filesystem.
        assert docker("cp", f"{name}-app-1:/tmp/stopping", "-") != ""
    finally:
        shutil.rmtree(os.path.join(home, home_dir), ignore_errors=True)


def test_keys_the_engine_cannot_satisfy_are_created_as_written_or_refused_clearly(client, stack):
    # No GPU here: the container is created with the device request, and the start fails with the engine's reason.
    name, _ = stack(compose=f"services:\n  gpu:\n    image: {IMAGE}\n    command: {LOOP}\n"
                            "    deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]}}}\n", env="")
    task = run_op(client, name, "up", expect="failed")
    assert "could not select device driver" in task["error"] and "nvidia" in task["error"], task["error"]
    requests = inspect(f"{name}-gpu-1")["HostConfig"]["DeviceRequests"]
    assert requests == [{"Driver": "nvidia", "Count": 1, "DeviceIDs": None, "Capabilities": [["gpu"]], "Options": {}}]

    # A hook that fails fails the step, naming the service and the command.
    name, _ = stack(compose=f"services:\n  app:\n    image: {IMAGE}\n    command: {LOOP}\n"
                            "    post_start: [{command: [sh, -c, 'exit 3']}]\n", env="")
    task = run_op(client, name, "up", expect="failed")
    assert "post_start hook of service app (sh -c exit 3) exited with code 3" in task["error"], task["error"]

    # API 1.41 has no annotations and no image mounts: refused before anything is created, saying what is missing.
    name, _ = stack(compose=f"services:\n  app:\n    image: {IMAGE}\n    annotations: {{a: b}}\n"
                            f"    volumes: [{{type: image, source: {IMAGE}, target: /img}}]\n", env="")
    task = run_op(client, name, "up", expect="failed")
    assert "service app: annotations is not supported on this engine: it needs Engine API 1.43, this engine speaks API 1.41" in task["error"]
    assert "a volume of type image is not supported on this engine: it needs Engine API 1.47" in task["error"]
    assert project_containers(name) == {}


def test_build_keys_reach_the_classic_builder(client, stack):
    tag = f"jarvis-test/built-{uuid.uuid4().hex[:8]}"
    compose = f"""\
services:
  app:
    image: {tag}:latest
    command: {LOOP}
    build:
      context: .
      dockerfile_inline: |
        FROM {IMAGE}
        RUN cat /etc/hosts > /build-hosts && df -k /dev/shm | tail -1 > /build-shm
      tags: ["{tag}:extra"]
      labels: {{com.example.built: "yes"}}
      extra_hosts: ["buildhost=10.1.1.1"]
      shm_size: 96m
      cache_from: ["{IMAGE}"]
      network: none
      isolation: default
      platforms: [linux/amd64]
"""
    classic = f"""\
services:
  classic:
    image: {tag}-classic:latest
    build:
      context: .
      secrets: [token]
secrets:
  token:
    environment: TOKEN
"""
    name, _ = stack(compose=compose, env="")
    try:
        run_op(client, name, "up", timeout=180)
        image = json.loads(docker("image", "inspect", f"{tag}:latest"))[0]
        assert image["Config"]["Labels"]["com.example.built"] == "yes"
        assert f"{tag}:extra" in image["RepoTags"]
        assert "10.1.1.1\tbuildhost" in docker("exec", f"{name}-app-1", "cat", "/build-hosts")
        assert docker("exec", f"{name}-app-1", "cat", "/build-shm").split()[1] == str(96 * 1024)

        other, _ = stack(compose=classic, env="TOKEN=x\n")
        task = run_op(client, other, "up", expect="failed")
        assert "build of service classic uses secrets, which the engine's classic builder" in task["error"], task["error"]
    finally:
        docker("rmi", "-f", f"{tag}:latest", f"{tag}:extra", check=False)


def test_an_operator_cannot_deploy_pid_host(client, stack):
    client.post("/users", json={"username": "op-keys", "password": "operator-pass-1", "role": "operator"})
    operator = type(client)()
    assert operator.login("op-keys", "operator-pass-1").status_code == 200
    for setting, expected in {"pid: host": "host's pid namespace", "gpus: all": "passes host GPUs",
                              "cgroup_parent: jarvis.slice": "host cgroup jarvis.slice",
                              "external_links: [other-db-1]": "links to container other-db-1, outside this stack",
                              "annotations: {a: b}": "sets OCI annotations"}.items():
        name = stack_name()
        response = operator.post("/stacks", json={"name": name, "compose": f"services:\n  app:\n    image: {IMAGE}\n    {setting}\n"})
        assert response.status_code == 403 and response.json()["error"]["code"] == "admin_required", response.text
        assert expected in response.json()["error"]["message"], response.text
    # network_mode: host spelled as a network, and another stack's file pulled in by extends.
    other, _ = stack(compose=f"services:\n  db:\n    image: {IMAGE}\n    environment: {{PASSWORD: hunter2}}\n", env="")
    for compose, expected in {
        f"services:\n  app:\n    image: {IMAGE}\n    networks: [outside]\nnetworks:\n  outside: {{external: true, name: host}}\n": "host network",
        f"services:\n  app:\n    extends: {{file: ../{other}/compose.yaml, service: db}}\n": f"{other}/compose.yaml, outside the stack's folder",
    }.items():
        response = operator.post("/stacks", json={"name": stack_name(), "compose": compose})
        assert response.status_code == 403 and response.json()["error"]["code"] == "admin_required", response.text
        assert expected in response.json()["error"]["message"], response.text
    # An admin's stack with pid: host is the admin's to deploy, never the operator's.
    name, _ = stack(compose=f"services:\n  app:\n    image: {IMAGE}\n    command: {LOOP}\n    pid: host\n", env="")
    refused = operator.post(f"/stacks/{name}/up", json={})
    assert refused.status_code == 403 and "services.app.pid" in refused.json()["error"]["message"], refused.text
    assert project_containers(name) == {}


def test_a_hook_that_never_ends_is_cut_off_at_the_wait_timeout(client, stack):
    name, _ = stack(compose=f"services:\n  app:\n    image: {IMAGE}\n    command: {LOOP}\n"
                            "    post_start: [{command: [sleep, '600']}]\n", env="")
    task = run_op(client, name, "up", body={"wait_timeout": 3}, expect="failed", timeout=60)
    assert "post_start hook of service app (sleep 600) did not finish within 3 s" in task["error"], task["error"]
    # A pre_stop hook that never ends cannot keep the service running: down stops and removes it anyway.
    name, _ = stack(compose=f"services:\n  app:\n    image: {IMAGE}\n    command: {LOOP}\n"
                            "    pre_stop: [{command: [sleep, '600']}]\n", env="")
    run_op(client, name, "up")
    run_op(client, name, "down", body={"wait_timeout": 3}, timeout=60)
    assert project_containers(name) == {}


def test_refresh_pull_policies_pull_only_an_image_older_than_the_interval(client, stack):
    # The offline test image was loaded (tagged) when this engine started: younger than 12 hours, older than a second.
    name, _ = stack(compose=f"services:\n  app:\n    image: {IMAGE}\n    command: {LOOP}\n    pull_policy: every_12h\n", env="")
    plan = client.get(f"/stacks/{name}/plan").json()["text"]
    assert "pull image" not in plan, plan
    run_op(client, name, "up")
    name, _ = stack(compose=f"services:\n  app:\n    image: {IMAGE}\n    command: {LOOP}\n    pull_policy: every_1s\n", env="")
    plan = client.get(f"/stacks/{name}/plan").json()["text"]
    assert f"pull image {IMAGE} (pull_policy every_1s)" in plan, plan
