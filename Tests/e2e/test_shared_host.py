"""jarvis-fcgi alone, started by the web server as on a classic shared host: Apache with
mod_fcgid and lighttpd, each with Jarvis's own config file from deploy/. No jarvis-sse:
logs are followed by polling, and tasks run from `jarvisctl tasks run-pending` (cron).
The engine is reached through a socket proxy on 127.0.0.1, as such a host would."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import DOCKER_HOST, docker, wait_healthy
from test_browser import browser  # noqa: F401 (fixture)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REGISTRY = os.environ.get("JARVIS_E2E_REGISTRY")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_port(port, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def engine_proxy():
    port = free_port()
    proxy = subprocess.Popen(["socat", f"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr",
                              "UNIX-CONNECT:" + DOCKER_HOST.removeprefix("unix://")])
    wait_port(port)
    yield f"tcp://127.0.0.1:{port}"
    proxy.terminate()
    proxy.wait(timeout=10)


@pytest.fixture
def home(engine_proxy):
    """A Jarvis folder as an operator lays it out on a shared host, owned by the web server's user."""
    path = tempfile.mkdtemp(prefix="jarvis-shared-", dir="/tmp")
    os.chmod(path, 0o755)
    os.makedirs(f"{path}/bin")
    for binary in ("jarvis-fcgi", "jarvisctl"):
        shutil.copy2(os.path.join(ROOT, ".build", "release", binary), f"{path}/bin/{binary}")
    shutil.copytree(os.path.join(ROOT, "public"), f"{path}/public")
    for folder in ("data", "run", "stacks", "logs"):
        os.makedirs(f"{path}/{folder}")
        shutil.chown(f"{path}/{folder}", "www-data", "www-data")
    with open(f"{path}/jarvis.conf", "w") as conf:
        conf.write(f"data_dir = {path}/data\ndocker_host = {engine_proxy}\nstacks_dir = {path}/stacks\n"
                   "secure_cookies = false\nlog_level = warning\n")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def site(name, home):
    return open(os.path.join(ROOT, "deploy", name, "jarvis.conf")).read().replace("@JARVIS_HOME@", home)


def start(command, port, log):
    server = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_port(port)
    return server


def exercise(base, home, container):
    """What an operator does on such a host: sign in, list, follow logs by polling, pull through cron."""
    http = requests.Session()
    http.trust_env = False
    wait_healthy(http, base, 20)  # the web server starts jarvis-fcgi on the first request
    assert "<jarvis-app>" in http.get(base + "/").text
    assert http.get(base + "/vendor/codemirror/codemirror.js").status_code == 200
    login = http.post(base + "/api/v1/auth/login", json={"username": "admin", "password": "shared host password"})
    assert login.status_code == 200, login.text
    auth = {"Authorization": "Bearer " + login.json()["access_token"]}
    assert http.get(base + "/api/v1/containers", headers=auth).json()["total"] >= 0
    # No stream endpoint here: the UI sees this and polls.
    assert http.get(base + "/api/v1/streams/health", headers=auth).status_code == 404

    # Logs by cursor: the lines after the newest one seen, nothing twice.
    cid, _ = container("i=0; while true; do i=$((i+1)); echo shared-line $i; sleep 0.2; done", network="none")
    time.sleep(1)
    first = http.get(base + f"/api/v1/containers/{cid}/logs?tail=3", headers=auth).json()["lines"]
    assert len(first) == 3
    time.sleep(1)
    later = http.get(base + f"/api/v1/containers/{cid}/logs", params={"since": first[-1]["time"], "tail": "1000"}, headers=auth).json()["lines"]
    fresh = [line for line in later if line["time"] > first[-1]["time"]]
    numbers = [int(line["line"].split()[-1]) for line in first + fresh]
    assert len(fresh) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))

    if REGISTRY:
        image = f"{REGISTRY}/jarvis/busybox"
        docker("rmi", f"{image}:1.0", check=False)
        queued = http.post(base + "/api/v1/images/pull", headers=auth, json={
            "image": image, "tag": "1.0",
            "auth": {"username": os.environ["JARVIS_E2E_REGISTRY_USER"], "password": os.environ["JARVIS_E2E_REGISTRY_PASSWORD"]}})
        assert queued.status_code == 202, queued.text
        task_id = queued.json()["task_id"]
        time.sleep(0.5)
        assert http.get(base + f"/api/v1/tasks/{task_id}", headers=auth).json()["state"] == "queued", "no runner but cron"
        cron = subprocess.run(["runuser", "-u", "www-data", "--", f"{home}/bin/jarvisctl", "tasks", "run-pending"],
                              env={"PATH": os.environ["PATH"], "JARVIS_CONFIG": f"{home}/jarvis.conf"},
                              capture_output=True, text=True, timeout=120)
        assert cron.returncode == 0 and "ran 1 task(s)" in cron.stdout, cron.stdout + cron.stderr
        assert http.get(base + f"/api/v1/tasks/{task_id}", headers=auth).json()["state"] == "succeeded"
        assert docker("image", "inspect", "-f", "{{.Id}}", f"{image}:1.0").startswith("sha256:")
        docker("rmi", f"{image}:1.0", check=False)


def bootstrap(home):
    """The first admin, made at the shell as the host's user would (the web server's user owns the data)."""
    made = subprocess.run(["runuser", "-u", "www-data", "--", f"{home}/bin/jarvisctl", "user", "add", "admin", "--role", "admin"],
                          input="shared host password\n", env={"PATH": os.environ["PATH"], "JARVIS_CONFIG": f"{home}/jarvis.conf"},
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr


def apache(home):
    """Apache on a free port with Jarvis's site; returns the server and its base URL."""
    port = free_port()
    with open(f"{home}/httpd.conf", "w") as conf:
        conf.write(f"""
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {home}/logs/httpd.pid
DefaultRuntimeDir {home}/logs
Mutex file:{home}/logs default
ErrorLog {home}/logs/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so
TypesConfig /etc/mime.types
FcgidIPCDir {home}/run
FcgidProcessTableFile {home}/logs/fcgid_shm
{site("apache", home)}
""")
    checked = subprocess.run(["apache2", "-t", "-f", f"{home}/httpd.conf"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    return start(["apache2", "-f", f"{home}/httpd.conf", "-DFOREGROUND"], port, f"{home}/logs/apache.out"), f"http://127.0.0.1:{port}"


def test_apache_with_mod_fcgid(home, container):
    bootstrap(home)
    server, base = apache(home)
    try:
        exercise(base, home, container)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not subprocess.run(["pgrep", "-f", f"{home}/bin/jarvis-fcgi"]).returncode == 0, "Apache stops the programs it started"


def test_lighttpd(home, container):
    bootstrap(home)
    port = free_port()
    with open(f"{home}/lighttpd.conf", "w") as conf:
        conf.write(f"""
server.port = {port}
server.bind = "127.0.0.1"
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "{home}/logs/lighttpd-error.log"
mimetype.assign = ( ".html" => "text/html", ".js" => "text/javascript", ".css" => "text/css", ".svg" => "image/svg+xml" )
{site("lighttpd", home)}
""")
    checked = subprocess.run(["lighttpd", "-tt", "-f", f"{home}/lighttpd.conf"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    server = start(["lighttpd", "-D", "-f", f"{home}/lighttpd.conf"], port, f"{home}/logs/lighttpd.out")
    try:
        exercise(f"http://127.0.0.1:{port}", home, container)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_browser_falls_back_to_polling_and_says_so(home, container, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    from test_browser import shot
    bootstrap(home)
    cid, name = container("i=0; while true; do i=$((i+1)); echo polled-line $i; sleep 0.3; done", name="shared-demo", network="none")
    server, base = apache(home)
    try:
        wait = WebDriverWait(browser, 20)
        browser.get(base + "/")
        wait.until(EC.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
        browser.find_element(By.NAME, "password").send_keys("shared host password")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))
        browser.get(base + "/#/containers")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "containers-view .live").text == "polling")
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f'tr[data-name="{name}"] button[data-action=logs]'))).click()
        output = lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=log-output]").text
        wait.until(lambda d: "live follow is not available on this server" in output(d) and "polled-line" in output(d))
        seen = max(int(n) for n in __import__("re").findall(r"polled-line (\d+)", output(browser)))
        wait.until(lambda d: f"polled-line {seen + 5}" in output(d))
        lines = __import__("re").findall(r"polled-line (\d+)", output(browser))
        assert len(lines) == len(set(lines)), "no line twice"
        shot(browser, "shared-host-polling")
    finally:
        server.terminate()
        server.wait(timeout=30)
