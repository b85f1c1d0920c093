"""Scheduled jobs on the private engine: the scheduler in jarvis-sse fires, retries, skips overlaps,
runs on request and keeps every attempt; `jarvisctl schedule tick` does it without jarvis-sse."""
import datetime
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import DATA_DIR, docker, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REGISTRY = os.environ.get("JARVIS_E2E_REGISTRY", "")
FAR = {"type": "once", "at": "2099-01-01T00:00:00Z"}  # never fires in a test: runs come from "run now"


def user(client, role):
    name = f"{role[:2]}-{uuid.uuid4().hex[:6]}"
    password = "jobs-pass-" + uuid.uuid4().hex[:8]
    assert client.post("/users", json={"username": name, "password": password, "role": role}).status_code == 201
    session = type(client)()
    assert session.login(name, password).status_code == 200
    return session


@pytest.fixture
def jobs(client):
    made = []

    def make(kind, trigger, session=None, **fields):
        body = {"name": f"e2e-{kind}-{uuid.uuid4().hex[:6]}", "kind": kind, "trigger": trigger, **fields}
        response = (session or client).post("/jobs", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return response.json()

    yield make
    for job in made:
        client.delete(f"/jobs/{job}")


def runs(client, job):
    response = client.get(f"/jobs/{job}/runs", params={"page_size": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_preview_shows_the_next_five_fires_and_names_the_bad_field(client):
    ok = client.post("/schedules/preview", json={"trigger": {"type": "cron", "expression": "30 2 * * *",
                                                             "timezone": "Europe/Berlin"}})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert len(body["fires"]) == 5 and body["timezone"] == "Europe/Berlin"
    assert all(fire.endswith("Z") for fire in body["fires"])
    assert all("T02:30:00+0" in local or "T03:00:00+02:00" in local for local in body["local_fires"]), body
    bad = client.post("/schedules/preview", json={"trigger": {"type": "cron", "expression": "61 * * * *"}})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["field"] == "trigger.expression" and "minute: 61 is out of range 0-59" in error["message"], error
    zone = client.post("/schedules/preview", json={"trigger": {"type": "cron", "expression": "* * * * *", "timezone": "Mars/Base"}})
    assert zone.status_code == 400 and zone.json()["error"]["field"] == "trigger.timezone"
    typo = client.post("/schedules/preview", json={"trigger": {"type": "interval", "every": 5}})
    assert typo.status_code == 400 and "every" in typo.json()["error"]["message"]


def test_a_restart_job_every_2_seconds_runs_and_records_its_runs(client, container, jobs):
    cid, name = container()
    before = docker("inspect", "-f", "{{.State.StartedAt}}", cid)
    job = jobs("container.restart", {"type": "interval", "every_seconds": 2}, params={"container": name})
    assert job["next_fire_at"] and job["enabled"] is True
    done = wait_for("two succeeded runs", lambda: [r for r in runs(client, job["id"]) if r["state"] == "succeeded"][1:] and
                    [r for r in runs(client, job["id"]) if r["state"] == "succeeded"], 30)
    first = done[-1]
    assert first["trigger"] == "schedule" and first["attempt"] == 1 and first["scheduled_for"]
    assert first["result"]["name"] == name and first["result"]["running"] is True
    assert first["duration_ms"] is not None and first["duration_ms"] >= 0
    assert docker("inspect", "-f", "{{.State.StartedAt}}", cid) != before
    listed = {j["id"]: j for j in client.get("/jobs").json()["items"]}
    assert listed[job["id"]]["last_run"]["state"] in ("succeeded", "running")
    off = client.post(f"/jobs/{job['id']}/disable")
    assert off.status_code == 200 and off.json()["enabled"] is False and off.json().get("next_fire_at") is None
    time.sleep(1)
    count = len(runs(client, job["id"]))
    time.sleep(4)
    assert len(runs(client, job["id"])) == count, "a disabled job does not fire"


@pytest.mark.serial  # queues pull tasks, which task-listing tests count
def test_a_failing_pull_retries_with_backoff_and_ends_failed(client, jobs):
    image = f"{REGISTRY}/e2e/missing-{uuid.uuid4().hex[:6]}:nope"
    job = jobs("image.pull", FAR, params={"image": image},
               retries={"count": 2, "delay_seconds": 1, "backoff": 2, "max_delay_seconds": 60})
    run = client.post(f"/jobs/{job['id']}/run")
    assert run.status_code == 202 and run.json()["trigger"] == "manual" and run.json()["triggered_by"] == "admin"
    attempts = wait_for("three attempts ending failed", lambda: (lambda rs: rs if len(rs) == 3 and rs[0]["state"] == "failed" else None)(
        runs(client, job["id"])), 60)
    attempts.reverse()
    assert [r["state"] for r in attempts] == ["retrying", "retrying", "failed"], attempts
    assert [r["attempt"] for r in attempts] == [1, 2, 3]
    assert [r["trigger"] for r in attempts] == ["manual", "retry", "retry"]
    assert attempts[1]["retry_of"] == attempts[0]["id"] and attempts[2]["retry_of"] == attempts[1]["id"]
    assert all(r["task_id"] and r["error"] for r in attempts), attempts
    # Backoff: 1 s, then 2 s between the end of one attempt and the start of the next.
    gap1 = ts(attempts[1]["started_at"]) - ts(attempts[0]["finished_at"])
    gap2 = ts(attempts[2]["started_at"]) - ts(attempts[1]["finished_at"])
    assert 0.9 <= gap1 < 5 and 1.9 <= gap2 < 7, (gap1, gap2)
    task = client.get(f"/tasks/{attempts[2]['task_id']}").json()
    assert task["state"] == "failed" and task["kind"] == "image.pull"


def test_overlap_skip_records_skipped_runs_and_a_timeout_ends_timed_out(client, container, jobs):
    # PID 1 ignores SIGTERM, so each restart waits out the engine's 10 s grace period.
    cid, name = container()
    slow = jobs("container.restart", {"type": "interval", "every_seconds": 1}, params={"container": name}, overlap="skip")
    skipped = wait_for("skipped runs", lambda: [r for r in runs(client, slow["id"]) if r["state"] == "skipped"][1:], 30)
    assert all(r["result"]["reason"] == "overlap" for r in skipped)
    assert any(r["state"] == "running" for r in runs(client, slow["id"]))
    assert client.post(f"/jobs/{slow['id']}/disable").status_code == 200
    timed = jobs("container.restart", FAR, params={"container": name}, timeout_seconds=2)
    wait_for("the slow job to end", lambda: not any(r["state"] == "running" for r in runs(client, slow["id"])), 30)
    started = time.time()
    assert client.post(f"/jobs/{timed['id']}/run").status_code == 202
    ended = wait_for("timed_out", lambda: [r for r in runs(client, timed["id"]) if r["state"] == "timed_out"], 20)
    assert time.time() - started < 8 and "timed out after 2 s" in ended[0]["error"]


def test_run_now_answers_the_run_and_is_audited(client, container, jobs):
    cid, name = container()
    job = jobs("container.restart", FAR, params={"container": name})
    response = client.post(f"/jobs/{job['id']}/run")
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["state"] == "queued" and run["job_id"] == job["id"] and run["attempt"] == 1
    done = wait_for("the run", lambda: (lambda r: r if r["state"] == "succeeded" else None)(client.get(f"/job-runs/{run['id']}").json()), 30)
    assert done["result"]["id"] == cid and done["triggered_by"] == "admin"
    rows = client.get("/audit-logs", params={"resource_type": "job", "page_size": 200}).json()["items"]
    actions = {(row["action"], row.get("resource_id")) for row in rows}
    assert ("job.create", str(job["id"])) in actions and ("job.run", str(job["id"])) in actions, rows[:5]
    assert client.get("/job-runs/999999999").status_code == 404
    assert client.post("/jobs/999999999/run").status_code == 404


def test_an_operator_cannot_create_a_prune_job_and_a_viewer_only_reads(client, container, jobs):
    operator = user(client, "operator")
    refused = operator.post("/jobs", json={"name": "e2e-prune-" + uuid.uuid4().hex[:6], "kind": "image.prune", "trigger": FAR})
    assert refused.status_code == 403 and "admin" in refused.json()["error"]["message"]
    _, name = container()
    mine = jobs("container.restart", FAR, session=operator, params={"container": name})
    assert mine["created_by"].startswith("op-")
    admin_prune = jobs("image.prune", FAR)
    assert operator.post(f"/jobs/{admin_prune['id']}/run").status_code == 403
    assert operator.put(f"/jobs/{admin_prune['id']}", json={"name": "x", "kind": "image.prune", "trigger": FAR}).status_code == 403
    viewer = user(client, "viewer")
    assert viewer.get(f"/jobs/{mine['id']}").status_code == 200
    assert viewer.post("/jobs", json={"name": "v", "kind": "container.restart", "trigger": FAR,
                                      "params": {"container": name}}).status_code == 403
    assert viewer.post(f"/jobs/{mine['id']}/run").status_code == 403


def test_bad_job_bodies_name_the_field(client, jobs):
    def refused(body):
        response = client.post("/jobs", json={"name": "e2e-bad", "kind": "container.restart", "trigger": FAR,
                                              "params": {"container": "c"}, **body})
        assert response.status_code == 400, response.text
        return response.json()["error"]["field"]
    assert refused({"kind": "container.explode"}) == "kind"
    assert refused({"trigger": {"type": "cron", "expression": "0 25 * * *"}}) == "trigger.expression"
    assert refused({"overlap": "sometimes"}) == "overlap"
    assert refused({"params": {}}) == "params.container"
    assert refused({"params": {"container": "c", "image": "x"}}) == "params.image"
    assert refused({"retries": {"count": 101, "delay_seconds": 1, "backoff": 2, "max_delay_seconds": 5}}) == "retries.count"
    assert refused({"max_concurrent": 3}) == "max_concurrent"
    job = jobs("container.restart", FAR, params={"container": "c"})
    again = client.post("/jobs", json={"name": job["name"].upper(), "kind": "container.restart", "trigger": FAR, "params": {"container": "c"}})
    assert again.status_code == 409 and again.json()["error"]["field"] == "name"


def jarvisctl(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")}
    env["JARVIS_CONFIG"] = os.path.join(DATA_DIR, "etc", "jarvis.conf")
    binary = os.path.join(ROOT, os.environ.get("JARVIS_BIN", ".build/release"), "jarvisctl")
    return subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.serial  # stops jarvis-sse for a few seconds
def test_jarvisctl_schedule_tick_fires_a_due_job_without_jarvis_sse(client, container, jobs):
    _, name = container()
    pid = int(open(os.path.join(DATA_DIR, "run", "jarvis-sse.pid")).read().strip())
    os.kill(pid, signal.SIGSTOP)
    try:
        at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        job = jobs("container.restart", {"type": "once", "at": at}, params={"container": name})
        time.sleep(3.5)
        assert runs(client, job["id"]) == [], "nothing fires while jarvis-sse is stopped"
        result = jarvisctl("schedule", "tick")
        assert result.returncode == 0, result.stderr
        assert "ran 1 run(s)" in result.stdout and "fired" in result.stdout, result.stdout
        done = runs(client, job["id"])
        assert [r["state"] for r in done] == ["succeeded"] and done[0]["result"]["name"] == name
        assert client.get(f"/jobs/{job['id']}").json().get("next_fire_at") is None
        again = jarvisctl("schedule", "tick")
        assert "fired 0 job(s), ran 0 run(s)" in again.stdout, again.stdout
    finally:
        os.kill(pid, signal.SIGCONT)


def chrome(lang=None):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    import shutil
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors", "--window-size=1360,860"]:
        options.add_argument(arg)
    if lang:
        options.add_argument(f"--lang={lang}")
        options.add_experimental_option("prefs", {"intl.accept_languages": f"{lang},zh"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


@pytest.mark.serial  # drives a browser
def test_browser_creates_a_job_with_the_live_preview_and_runs_it(client, container):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    from conftest import BASE
    from test_browser import shot, text_of
    password = "jobs-browser-" + uuid.uuid4().hex[:8]
    _, target = container(network="none")  # no veth: Chromium drops requests when interfaces change
    job_name = "nightly-" + uuid.uuid4().hex[:4]
    for lang in (None, "zh-CN"):
        # A user per language: the first sign-in remembers the browser's language for that user.
        name = f"ad-{uuid.uuid4().hex[:6]}"
        assert client.post("/users", json={"username": name, "password": password, "role": "admin"}).status_code == 201
        driver = chrome(lang)
        try:
            wait = WebDriverWait(driver, 15)
            driver.get(BASE + "/")
            # The first page of a fresh Chromium on a busy machine can take a while.
            WebDriverWait(driver, 40).until(EC.presence_of_element_located((By.NAME, "username")))
            driver.find_element(By.NAME, "username").send_keys(name)
            driver.find_element(By.NAME, "password").send_keys(password)
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))
            suffix = "-zh-CN" if lang else ""
            if lang is None:
                driver.get(BASE + "/#/jobs/new")
                wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=job-name]"))).send_keys(job_name)
                driver.find_element(By.CSS_SELECTOR, "[data-testid=job-container]").send_keys(target)
                expression = driver.find_element(By.CSS_SELECTOR, "[data-testid=trigger-expression]")
                expression.clear()
                expression.send_keys("61 * * * *")
                wait.until(lambda d: "minute: 61 is out of range 0-59" in (text_of(d, "[data-testid=preview-error]") or ""))
                expression.clear()
                expression.send_keys("*/5 * * * *")
                wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=preview-fires] li")) == 5)
                assert not driver.find_element(By.CSS_SELECTOR, "[data-testid=preview-error]").is_displayed()
                assert text_of(driver, "[data-testid=trigger-words]").startswith("every 5 minutes")
                shot(driver, "jobs-form")
                driver.find_element(By.CSS_SELECTOR, "[data-testid=job-save]").click()
                wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=run-now]"))).click()
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=run-row][data-state=succeeded]"))
                job_hash = driver.execute_script("return location.hash")
                shot(driver, "job-page")
            else:
                driver.get(BASE + "/" + job_hash)
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=run-row][data-state=succeeded]"))
                assert "立即运行" in driver.find_element(By.CSS_SELECTOR, "[data-testid=run-now]").text
                shot(driver, "job-page-zh-CN")
                driver.get(BASE + "/#/jobs/new")
                wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=preview-fires] li")) == 5)
                assert "每天 02:30" in text_of(driver, "[data-testid=trigger-words]")
                shot(driver, "jobs-form-zh-CN")
            driver.get(BASE + "/#/jobs")
            wait.until(lambda d: job_name in (text_of(d, "table.jobs") or ""))
            words = text_of(driver, "table.jobs")
            assert ("every 5 minutes" in words) if lang is None else ("每 5 分钟" in words and "计划任务" in driver.find_element(By.TAG_NAME, "nav").text)
            shot(driver, "jobs" + suffix)
            driver.set_window_size(390, 844)
            time.sleep(0.5)
            shot(driver, "jobs-phone" + suffix)
            driver.get(BASE + "/#/jobs/new")
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=preview-fires] li")) == 5)
            shot(driver, "jobs-form-phone" + suffix)
        finally:
            driver.quit()
    job = next(j for j in client.get("/jobs").json()["items"] if j["name"] == job_name)
    client.delete(f"/jobs/{job['id']}")
