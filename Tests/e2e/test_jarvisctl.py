"""jarvisctl against the running stack's store; roles enforced on the server."""
import os
import subprocess
import uuid

import pytest

from conftest import DATA_DIR, Client

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def jarvisctl(*args, stdin=""):
    # Only the stack's config file: JARVIS_* variables would override its keys.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")}
    env["JARVIS_CONFIG"] = os.path.join(DATA_DIR, "etc", "jarvis.conf")
    return subprocess.run([os.path.join(ROOT, ".build", "release", "jarvisctl"), *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=60)


def test_migrate_lists_applied_migrations():
    result = jarvisctl("migrate")
    assert result.returncode == 0, result.stderr
    assert "001_users_tokens_audit_tasks_settings" in result.stdout


def test_user_added_at_the_shell_can_log_in_with_its_role_enforced(container):
    name = "viewer-" + uuid.uuid4().hex[:6]
    added = jarvisctl("user", "add", name, "--role", "viewer", stdin="viewer password 123\n")
    assert added.returncode == 0, added.stderr
    assert name in jarvisctl("user", "list").stdout
    viewer = Client()
    assert viewer.login(name, "viewer password 123").status_code == 200
    assert viewer.get("/containers").status_code == 200
    cid, _ = container()
    refused = viewer.post(f"/containers/{cid}/stop")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert viewer.get("/audit-logs").status_code == 403

    changed = jarvisctl("user", "passwd", name, stdin="another password 456\n")
    assert changed.returncode == 0, changed.stderr
    assert viewer.get("/auth/me").status_code == 401, "a password change ends existing sessions"
    assert Client().login(name, "another password 456").status_code == 200

    disabled = jarvisctl("user", "disable", name)
    assert disabled.returncode == 0, disabled.stderr
    assert Client().login(name, "another password 456").status_code == 401
    assert jarvisctl("user", "enable", name).returncode == 0
    assert Client().login(name, "another password 456").status_code == 200


def test_bad_input_at_the_shell_is_refused():
    assert jarvisctl("user", "add", "x" + uuid.uuid4().hex[:6], "--role", "root", stdin="long enough password\n").returncode != 0
    assert jarvisctl("user", "add", "y" + uuid.uuid4().hex[:6], stdin="short\n").returncode != 0
    assert jarvisctl("user", "passwd", "no-such-user", stdin="long enough password\n").returncode != 0


def sqlite(sql):
    return subprocess.run(["sqlite3", os.path.join(DATA_DIR, "jarvis.db"), sql], check=True,
                          capture_output=True, text=True, timeout=30).stdout.strip()


@pytest.mark.serial  # edits the audit chain that every request extends
def test_audit_verify_detects_tampering_with_the_live_trail(client):
    client.post("/containers/no-such-one/start")  # at least a few rows exist
    intact = jarvisctl("audit", "verify")
    assert intact.returncode == 0 and intact.stdout.startswith("ok:"), intact.stdout + intact.stderr
    row_id, original = sqlite("SELECT id, result FROM audit_log ORDER BY id LIMIT 1 OFFSET 1").split("|")
    forged = "failure" if original == "success" else "success"
    sqlite(f"UPDATE audit_log SET result = '{forged}' WHERE id = {row_id}")
    try:
        broken = jarvisctl("audit", "verify")
        assert broken.returncode == 1
        assert f"BROKEN at audit row {row_id}: row content was changed" in broken.stdout
    finally:
        sqlite(f"UPDATE audit_log SET result = '{original}' WHERE id = {row_id}")
    assert jarvisctl("audit", "verify").returncode == 0


def test_backup_while_serving_and_restore_only_when_stopped(client, tmp_path):
    copy = tmp_path / "live.db"
    taken = jarvisctl("backup", str(copy))
    assert taken.returncode == 0, taken.stderr
    assert oct(os.stat(copy).st_mode & 0o777) == "0o600" and "audit row(s)" in taken.stdout
    assert subprocess.run(["sqlite3", str(copy), "PRAGMA integrity_check"], capture_output=True, text=True).stdout.strip() == "ok"
    # The stack's processes hold the store: a restore under them is refused and changes nothing.
    refused = jarvisctl("restore", str(copy))
    assert refused.returncode != 0 and "stop jarvis-fcgi and jarvis-sse" in refused.stderr
    assert client.get("/auth/me").status_code == 200

    # A store of its own that nothing serves: back up, change, restore, and the change is gone; the old file is kept.
    conf = tmp_path / "jarvis.conf"
    conf.write_text(f"data_dir = {tmp_path}/data\nbackup_dir = {tmp_path}/rotated\nbackup_keep = 2\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")}
    env["JARVIS_CONFIG"] = str(conf)

    def ctl(*args, stdin=""):
        return subprocess.run([os.path.join(ROOT, ".build", "release", "jarvisctl"), *args], input=stdin, env=env,
                              capture_output=True, text=True, timeout=60)
    assert ctl("user", "add", "first", "--role", "admin", stdin="a long enough passphrase 1\n").returncode == 0
    assert ctl("backup").returncode == 0 and len(os.listdir(tmp_path / "rotated")) == 1
    assert ctl("user", "add", "second", stdin="a long enough passphrase 2\n").returncode == 0
    backup = tmp_path / "rotated" / os.listdir(tmp_path / "rotated")[0]
    restored = ctl("restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    users = ctl("user", "list").stdout
    assert "first" in users and "second" not in users
    assert [f for f in os.listdir(tmp_path / "data") if ".before-restore-" in f]
    (tmp_path / "junk.db").write_bytes(b"\0" * 4096)
    junk = ctl("restore", str(tmp_path / "junk.db"))
    assert junk.returncode != 0 and "first" in ctl("user", "list").stdout
