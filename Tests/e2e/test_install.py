"""`make install` into a staging root: the files, owners and modes an operator gets,
units that verify, a site nginx accepts, and the installed binaries serving a login
behind the installed site with the command lines the units use."""
import grp
import hashlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import requests

from conftest import DOCKER_HOST, wait_healthy

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make(*args):
    result = subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def owner_mode(path):
    info = os.lstat(path)
    return pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name, stat.S_IMODE(info.st_mode)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_install_into_a_staging_root_then_serve_from_it():
    work = tempfile.mkdtemp(prefix="jarvis-install-", dir="/tmp")
    os.chmod(work, 0o755)  # nginx's workers (www-data) walk through it
    stage = os.path.join(work, "root")
    processes = []
    try:
        out = make("install", f"DESTDIR={stage}")
        assert "installed into" in out
        s = lambda path: os.path.join(stage, path)
        expected = {
            "usr/local/bin/jarvis-fcgi": ("root", "root", 0o755),
            "usr/local/bin/jarvis-sse": ("root", "root", 0o755),
            "usr/local/bin/jarvisctl": ("root", "root", 0o755),
            "usr/local/share/jarvis/public/index.html": ("root", "root", 0o644),
            "usr/local/share/jarvis/public/lib/generated/xterm.js": ("root", "root", 0o644),
            "usr/local/share/jarvis/templates/postgres/compose.yaml": ("root", "root", 0o644),
            "usr/local/share/doc/jarvis/install.md": ("root", "root", 0o644),
            "etc/jarvis": ("root", "jarvis", 0o750),
            "etc/jarvis/jarvis.conf": ("root", "jarvis", 0o640),
            "etc/jarvis/tls.key": ("root", "root", 0o600),
            "etc/jarvis/tls.crt": ("root", "root", 0o644),
            "etc/systemd/system/jarvis-fcgi.service": ("root", "root", 0o644),
            "etc/systemd/system/jarvis-sse.service": ("root", "root", 0o644),
            "etc/nginx/sites-available/jarvis": ("root", "root", 0o644),
            "var/lib/jarvis": ("jarvis", "jarvis", 0o750),
            "var/lib/jarvis/backups": ("jarvis", "jarvis", 0o750),
            "var/lib/jarvis/keys": ("jarvis", "jarvis", 0o700),
            "var/lib/jarvis/keys/jwt-signing.key": ("jarvis", "jarvis", 0o600),
            "var/lib/jarvis/keys/secrets.key": ("jarvis", "jarvis", 0o600),
            "opt/stacks": ("jarvis", "jarvis", 0o750),
        }
        for path, want in expected.items():
            assert os.path.exists(s(path)), path
            assert owner_mode(s(path)) == want, (path, owner_mode(s(path)))
        assert os.path.getsize(s("var/lib/jarvis/keys/jwt-signing.key")) == 32
        assert os.readlink(s("etc/nginx/sites-enabled/jarvis")) == "../sites-available/jarvis"
        assert "jarvis" in grp.getgrnam("docker").gr_mem and "www-data" in grp.getgrnam("jarvis").gr_mem
        assert "ExecStart=/usr/local/bin/jarvis-fcgi" in open(s("etc/systemd/system/jarvis-fcgi.service")).read()

        # The units verify (ExecStart pointed at the staged binaries: verify insists they exist).
        units = os.path.join(work, "units")
        os.makedirs(units)
        for name in ("jarvis-fcgi", "jarvis-sse"):
            text = open(s(f"etc/systemd/system/{name}.service")).read().replace("/usr/local/bin/", s("usr/local/bin/"))
            open(os.path.join(units, name + ".service"), "w").write(text)
        verified = subprocess.run(["systemd-analyze", "verify", *[os.path.join(units, f) for f in os.listdir(units)]],
                                  capture_output=True, text=True)
        assert verified.returncode == 0, verified.stderr

        # The installed site, its paths moved into the staging root, under nginx -t and then serving.
        run = os.path.join(work, "run")
        os.makedirs(run)
        shutil.chown(run, "jarvis", "jarvis")
        os.chmod(run, 0o750)
        port = free_port()
        site = open(s("etc/nginx/sites-available/jarvis")).read()
        assert "listen 443 ssl http2;" in site
        site = (site.replace("listen 443 ", f"listen 127.0.0.1:{port} ").replace("/etc/jarvis/", s("etc/jarvis/"))
                .replace("/usr/local/share/jarvis/", s("usr/local/share/jarvis/")).replace("/run/jarvis/", run + "/"))
        ngx = os.path.join(work, "nginx")
        os.makedirs(ngx)
        open(os.path.join(ngx, "site.conf"), "w").write(site)
        open(os.path.join(ngx, "nginx.conf"), "w").write(
            f"user www-data; worker_processes 1; pid {ngx}/nginx.pid; error_log {ngx}/error.log; events {{}}\n"
            f"http {{ include /etc/nginx/mime.types; access_log off; client_body_temp_path {ngx}/body;"
            f" fastcgi_temp_path {ngx}/fcgi; proxy_temp_path {ngx}/proxy; include {ngx}/site.conf; }}\n")
        tested = subprocess.run(["nginx", "-t", "-p", ngx, "-c", f"{ngx}/nginx.conf"], capture_output=True, text=True)
        assert tested.returncode == 0, tested.stderr

        # The units' command lines: the binary, JARVIS_CONFIG, as user jarvis. Paths of this staging root as overrides.
        env = {"PATH": os.environ["PATH"], "JARVIS_CONFIG": s("etc/jarvis/jarvis.conf"), "JARVIS_DATA_DIR": s("var/lib/jarvis"),
               "JARVIS_FCGI_SOCKET": f"{run}/jarvis-fcgi.sock", "JARVIS_SSE_SOCKET": f"{run}/jarvis-sse.sock",
               "JARVIS_DOCKER_HOST": DOCKER_HOST, "JARVIS_STACKS_DIR": s("opt/stacks"),
               "JARVIS_ADMIN_PASSWORD": "installed admin password"}
        for name in ("jarvis-fcgi", "jarvis-sse"):
            log = open(os.path.join(work, name + ".log"), "w")
            processes.append(subprocess.Popen(["runuser", "-u", "jarvis", "--", s(f"usr/local/bin/{name}")],
                                              env=env, stdout=log, stderr=subprocess.STDOUT))
        for _ in range(100):
            if os.path.exists(f"{run}/jarvis-fcgi.sock") and os.path.exists(f"{run}/jarvis-sse.sock"):
                break
            time.sleep(0.1)
        processes.append(subprocess.Popen(["nginx", "-p", ngx, "-c", f"{ngx}/nginx.conf", "-g", "daemon off;"]))
        http = requests.Session()
        http.verify = s("etc/jarvis/tls.crt")  # the installed certificate names 127.0.0.1
        http.trust_env = False
        base = f"https://127.0.0.1:{port}"
        wait_healthy(http, base, 20)
        login = http.post(base + "/api/v1/auth/login", json={"username": "admin", "password": "installed admin password"})
        assert login.status_code == 200, (login.text, open(os.path.join(work, "jarvis-fcgi.log")).read())
        assert http.get(base + "/api/v1/containers").status_code == 200, "the jarvis user reaches the engine"
        assert "<jarvis-app>" in http.get(base + "/").text
        assert owner_mode(s("var/lib/jarvis/jarvis.db"))[:2] == ("jarvis", "jarvis")
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        processes.clear()

        # Again: idempotent, the operator's edit and the keys stay, the data too.
        with open(s("etc/jarvis/jarvis.conf"), "a") as conf:
            conf.write("# an operator's note\n")
        key = digest(s("var/lib/jarvis/keys/jwt-signing.key"))
        site_before = digest(s("etc/nginx/sites-available/jarvis"))
        out = make("install", f"DESTDIR={stage}")
        assert "created" not in out and "kept your" in out and "jarvis.conf" in out
        assert "# an operator's note" in open(s("etc/jarvis/jarvis.conf")).read()
        assert os.path.exists(s("etc/jarvis/jarvis.conf.dist"))
        assert digest(s("var/lib/jarvis/keys/jwt-signing.key")) == key
        assert digest(s("etc/nginx/sites-available/jarvis")) == site_before
        assert not os.path.exists(s("etc/nginx/sites-available/jarvis.dist"))

        # Uninstall removes the program and keeps data and config unless purged.
        make("uninstall", f"DESTDIR={stage}")
        for gone in ("usr/local/bin/jarvis-fcgi", "usr/local/share/jarvis", "etc/systemd/system/jarvis-sse.service",
                     "etc/nginx/sites-enabled/jarvis"):
            assert not os.path.lexists(s(gone)), gone
        assert os.path.exists(s("var/lib/jarvis/jarvis.db")) and os.path.exists(s("etc/jarvis/jarvis.conf"))
        make("uninstall", f"DESTDIR={stage}", "PURGE=1")
        assert not os.path.exists(s("var/lib/jarvis")) and not os.path.exists(s("etc/jarvis"))
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
