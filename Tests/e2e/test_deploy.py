"""The deploy files: systemd units verify, the nginx site passes nginx -t."""
import os
import shutil
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_systemd_units_verify_and_are_hardened():
    if not shutil.which("systemd-analyze"):
        raise AssertionError("systemd-analyze missing (Debian package systemd)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("jarvis-fcgi", "jarvis-sse"):
            text = open(os.path.join(ROOT, "deploy", "systemd", name + ".service")).read()
            for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/jarvis", "User=jarvis"):
                assert line in text, f"{name}: {line}"
            # verify insists the binary exists: point at the one just built.
            text = text.replace(f"/usr/local/bin/{name}", os.path.join(ROOT, ".build", "release", name))
            open(os.path.join(tmp, name + ".service"), "w").write(text)
        result = subprocess.run(["systemd-analyze", "verify", *[os.path.join(tmp, f) for f in os.listdir(tmp)]],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_nginx_site_template_passes_nginx_t():
    with tempfile.TemporaryDirectory() as tmp:
        site = open(os.path.join(ROOT, "deploy", "nginx", "jarvis.conf")).read()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t",
                        "-keyout", f"{tmp}/k.pem", "-out", f"{tmp}/c.pem"], check=True, capture_output=True)
        for key, value in {"@LISTEN@": "127.0.0.1:18999", "@SERVER_NAME@": "localhost", "@TLS_CERT@": f"{tmp}/c.pem",
                           "@TLS_KEY@": f"{tmp}/k.pem", "@PUBLIC_DIR@": os.path.join(ROOT, "public"),
                           "@FCGI_SOCKET@": f"{tmp}/f.sock", "@SSE_SOCKET@": f"{tmp}/s.sock", "@UPLOAD_MAX@": "20g"}.items():
            site = site.replace(key, value)
        open(f"{tmp}/site.conf", "w").write(site)
        open(f"{tmp}/nginx.conf", "w").write(
            f"pid {tmp}/nginx.pid; error_log stderr; events {{}}\n"
            f"http {{ include /etc/nginx/mime.types; client_body_temp_path {tmp}; include {tmp}/site.conf; }}\n")
        result = subprocess.run(["nginx", "-t", "-p", tmp, "-c", f"{tmp}/nginx.conf"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
