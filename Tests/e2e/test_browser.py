"""A real browser (headless Chromium via Selenium) against the real stack."""
import os
import shutil
import time
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, IMAGE, PASSWORD, Client, docker

SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                "--window-size=1360,860"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def shot(driver, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))


def text_of(driver, css):
    """The element's text, or None while it is missing or being re-rendered."""
    try:
        return driver.find_element(By.CSS_SELECTOR, css).text
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def state_of(driver, name):
    try:
        rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-name="{name}"] [data-testid=state]')
        return rows[0].text if rows else None
    except StaleElementReferenceException:
        return "re-rendering"


def test_login_then_see_state_change_live_and_follow_logs(browser, container):
    cid, name = container("trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo browser-line $i; sleep 0.3; done",
                          name="browser-demo", network="none")
    wait = WebDriverWait(browser, 15)
    browser.get(BASE + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    shot(browser, "login")
    sign_in(browser, "wrong password")
    error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".login .error")))
    assert "invalid username or password" in error.text
    sign_in(browser, PASSWORD)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=dashboard] [data-testid=host-card]")))
    browser.get(BASE + "/#/containers")
    wait.until(lambda d: state_of(d, name) == "running")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "containers-view .live").get_attribute("data-state") == "live")

    # Changed behind the page's back (as another operator would): the page follows without a reload.
    docker("stop", "-t", "2", cid)
    wait.until(lambda d: state_of(d, name) == "exited")
    docker("start", cid)
    wait.until(lambda d: state_of(d, name) == "running")

    # Logs panel follows new lines.
    browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{name}"] button[data-action=logs]').click()
    wait.until(lambda d: "browser-line" in d.find_element(By.CSS_SELECTOR, "[data-testid=log-output]").text)
    shot(browser, "containers")

    # Stop from the UI's own button.
    browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{name}"] button[data-action=stop]').click()
    wait.until(lambda d: state_of(d, name) == "exited")
    assert docker("inspect", "-f", "{{.State.Running}}", cid) == "false"
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "/auth/me" not in e["message"]
              and "status of 401" not in e["message"]]
    assert severe == [], severe


def sign_in(browser, password):
    """Fills the login form as admin and submits it."""
    for name, value in (("username", "admin"), ("password", password)):
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def login_as_admin(browser, wait):
    browser.get(BASE + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    sign_in(browser, PASSWORD)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))


def test_admin_creates_and_deletes_a_user_through_the_confirmation_dialog(browser, client):
    wait = WebDriverWait(browser, 15)
    login_as_admin(browser, wait)
    browser.get(BASE + "/#/users")
    form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.create-user")))
    form.find_element(By.NAME, "username").send_keys("ui-made-user")
    form.find_element(By.NAME, "password").send_keys("short")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    banner = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "users-view .banner")))
    assert "12 characters" in banner.text
    form.find_element(By.NAME, "password").clear()
    form.find_element(By.NAME, "password").send_keys("a long enough ui password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-name="ui-made-user"]')))
    row.find_element(By.CSS_SELECTOR, "button[data-action=password]").click()
    reset = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "tr.password-row input[name=password]")))
    reset.send_keys("a password set by the admin")
    browser.find_element(By.CSS_SELECTOR, "tr.password-row button[type=submit]").click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "tr.password-row"))
    assert Client().login("ui-made-user", "a password set by the admin").status_code == 200
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-name="ui-made-user"]')
    row.find_element(By.CSS_SELECTOR, "button[data-action=delete]").click()
    dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=confirm-dialog]")))
    assert "delete user ui-made-user" in dialog.text
    shot(browser, "users-confirm")
    dialog.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, 'tr[data-name="ui-made-user"]'))
    assert all(u["username"] != "ui-made-user" for u in client.get("/users").json()["items"])


def test_audit_page_filters_rows(browser, client):
    probe = "audit-ui-probe-" + uuid.uuid4().hex[:6]
    client.post(f"/containers/{probe}/restart")
    wait = WebDriverWait(browser, 15)
    login_as_admin(browser, wait)
    browser.get(BASE + "/#/audit")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=audit-row]")))
    browser.find_element(By.CSS_SELECTOR, "audit-view input[name=q]").send_keys(probe)
    wait.until(lambda d: text_of(d, "[data-testid=audit-count]") == "1")
    row = browser.find_element(By.CSS_SELECTOR, "[data-testid=audit-row]")
    assert "container.restart" in row.text and "failure" in row.text
    href = browser.find_element(By.CSS_SELECTOR, "audit-view a[data-format=csv]").get_attribute("href")
    assert f"q={probe}" in href and "format=csv" in href
    shot(browser, "audit")


def test_account_page_lists_sessions_and_ends_another(browser, client):
    wait = WebDriverWait(browser, 15)
    login_as_admin(browser, wait)
    browser.get(BASE + "/#/account")
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=session-row]"))
    assert any("this session" in r.text and "Chrome on Linux" in r.text for r in rows)
    before = len(rows)
    other = [r for r in rows if "this session" not in r.text]
    assert other, "the pytest client's session is listed too"
    other[0].find_element(By.CSS_SELECTOR, "button[data-session]").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=session-row]")) == before - 1)
    shot(browser, "account")


def test_create_from_the_form_then_logs_search_terminal_and_removal(browser, client):
    """The operator's path through a container: create, watch it start, read and search
    its logs, run a command in its terminal, remove it through the server's confirmation."""
    wait = WebDriverWait(browser, 20)
    login_as_admin(browser, wait)
    shot(browser, "dashboard")
    name = "ui-created"
    docker("rm", "-f", name, check=False)
    try:
        browser.get(BASE + "/#/containers/new")
        form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=create-form]")))
        form.find_element(By.NAME, "image").send_keys("jarvis-test/busybox:latest")
        form.find_element(By.NAME, "name").send_keys(name)
        form.find_element(By.NAME, "command").send_keys(
            "sh -c 'i=0; while true; do i=$((i+1)); echo \"tick $i\"; printf \"\\033[32mgreen $i\\033[0m\\n\"; sleep 0.5; done'")
        form.find_element(By.NAME, "network").send_keys("none")  # no veth: Chromium aborts requests on interface changes
        form.find_element(By.NAME, "memory").send_keys("lots")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "container-create .field-error")))
        assert "is not a size" in error.text, "beside its field, without the field's name in front"
        assert form.find_element(By.NAME, "memory").get_attribute("aria-invalid") == "true"
        shot(browser, "create-invalid")
        form.find_element(By.NAME, "memory").clear()
        form.find_element(By.NAME, "memory").send_keys("32m")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        title = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=details-title]")))
        wait.until(lambda d: title.text == name)
        wait.until(lambda d: text_of(d, "container-details [data-testid=state]") == "running")
        assert "32 MiB" in browser.find_element(By.CSS_SELECTOR, "[data-testid=details-overview]").text
        shot(browser, "container-details")

        # Logs: live lines with ANSI colours rendered, then a server-side search with highlights.
        browser.find_element(By.CSS_SELECTOR, 'container-details [data-tab="logs"]').click()
        output = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "container-details [data-testid=log-output]")))
        wait.until(lambda d: "tick 3" in output.text)
        assert output.find_elements(By.CSS_SELECTOR, 'span.fg-green'), "ANSI colours become spans"
        search = browser.find_element(By.CSS_SELECTOR, "container-details [data-testid=log-search]")
        search.send_keys("tick 2")
        wait.until(lambda d: output.find_elements(By.CSS_SELECTOR, "mark"))
        wait.until(lambda d: all("tick 2" in line for line in output.text.splitlines() if line.strip()))
        href = browser.find_element(By.CSS_SELECTOR, "container-details [data-testid=log-download]").get_attribute("href")
        assert "/logs/download?" in href and "q=tick+2" in href
        shot(browser, "logs")

        # Terminal: xterm.js over the WebSocket; run echo and see its output.
        browser.find_element(By.CSS_SELECTOR, 'container-details [data-tab="terminal"]').click()
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=terminal-connect]"))).click()
        wait.until(lambda d: text_of(d, "[data-testid=terminal-state]") == "connected")
        transcript = "return document.querySelector('terminal-panel').transcript"  # the screen is a canvas
        wait.until(lambda d: "# " in d.execute_script(transcript))  # the prompt
        browser.switch_to.active_element.send_keys("echo jarvis-$((40+2))\n")
        wait.until(lambda d: "\njarvis-42" in d.execute_script(transcript).replace("\r", ""))
        shot(browser, "terminal")

        # Remove through the confirmation dialog (the server's summary is shown).
        browser.find_element(By.CSS_SELECTOR, 'container-details [data-tab="overview"]').click()
        browser.find_element(By.CSS_SELECTOR, "container-details [data-testid=remove]").click()
        dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=confirm-dialog]")))
        assert f"remove container {name}" in dialog.text and "killed" in dialog.text
        dialog.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
        wait.until(lambda d: d.execute_script("return location.hash") == "#/h/local/containers")
        wait.until(lambda d: state_of(d, name) is None)
        assert docker("ps", "-aq", "--filter", f"name=^{name}$") == ""
    finally:
        docker("rm", "-f", name, check=False)
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "status of 4" not in e["message"]]
    assert severe == [], severe


def test_a_viewer_sees_containers_without_the_controls_it_cannot_use(browser, client, container):
    _, name = container(name="viewer-sees-" + uuid.uuid4().hex[:6], network="none")
    client.post("/users", json={"username": "ui-viewer", "password": "viewer-password-1", "role": "viewer"})
    wait = WebDriverWait(browser, 15)
    browser.get(BASE + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    for field, value in (("username", "ui-viewer"), ("password", "viewer-password-1")):
        browser.find_element(By.NAME, field).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))
    browser.get(BASE + "/#/containers")
    wait.until(lambda d: state_of(d, name) == "running")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{name}"]')
    visible = [b.text for b in row.find_elements(By.CSS_SELECTOR, "button") if b.is_displayed()]
    assert visible == ["logs"], visible
    assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=new-container]").is_displayed()


def test_images_page_removes_an_image_in_use_only_after_both_confirmations(browser, client):
    tag = "jarvis-test/ui-image:" + uuid.uuid4().hex[:6]
    base = docker("create", "jarvis-test/busybox:latest", "true")
    image_id = docker("commit", base, tag)
    docker("rm", base)
    user = docker("create", "--name", "ui-image-user-" + uuid.uuid4().hex[:6], tag, "true")
    try:
        wait = WebDriverWait(browser, 15)
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/images")
        row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-ref="{tag}"]')))
        assert "ui-image-user-" in row.text, "the containers using it are listed"
        shot(browser, "images")
        row.find_element(By.CSS_SELECTOR, "button[data-action=remove]").click()
        question = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=app-dialog]")))
        assert "used by 1 container" in question.text
        question.find_element(By.CSS_SELECTOR, "[data-testid=dialog-confirm]").click()
        dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=confirm-dialog]")))
        assert "force-remove image" in dialog.text
        dialog.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'tr[data-ref="{tag}"]'))
        assert client.get("/images/" + tag.replace("/", "%2F").replace(":", "%3A")).status_code == 404
    finally:
        docker("rm", "-f", user, check=False)
        docker("rmi", "-f", image_id, check=False)


@pytest.mark.skipif(not os.environ.get("JARVIS_E2E_REGISTRY"), reason="no private registry")
def test_pull_an_image_and_watch_its_progress_finish(browser, client):
    registry = os.environ["JARVIS_E2E_REGISTRY"]
    image = f"{registry}/jarvis/busybox"
    docker("rmi", f"{image}:1.0", check=False)
    wait = WebDriverWait(browser, 30)
    login_as_admin(browser, wait)
    browser.get(BASE + "/#/images")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=show-pull]"))).click()
    form = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "form[data-form=pull]")))
    form.find_element(By.NAME, "image").send_keys(image)
    form.find_element(By.NAME, "tag").send_keys("1.0")
    form.find_element(By.NAME, "username").send_keys(os.environ["JARVIS_E2E_REGISTRY_USER"])
    form.find_element(By.NAME, "password").send_keys(os.environ["JARVIS_E2E_REGISTRY_PASSWORD"])
    form.find_element(By.CSS_SELECTOR, "[data-testid=pull-start]").click()
    progress = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=task-progress]")))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=task-progress]").get_attribute("data-state") == "succeeded")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=layer]"), "a bar per layer"
    assert "Downloaded newer image" in browser.find_element(By.CSS_SELECTOR, "[data-testid=task-log]").text
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-ref="{image}:1.0"]')))
    shot(browser, "image-pull")
    assert docker("image", "inspect", "-f", "{{.Id}}", f"{image}:1.0").startswith("sha256:")
    # The task center lists it; its page replays the finished task.
    browser.get(BASE + "/#/tasks")
    link = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=task-row] a")))
    assert f"Pull {image}:1.0" in link.text
    link.click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tasks-view [data-testid=task-progress][data-state=succeeded]"))
    shot(browser, "tasks")
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "auth/me" not in e["message"]]


def test_edit_a_stack_see_its_plan_run_up_and_watch_it(browser, client):
    from test_stacks import cleanup, free_port, stack_name
    name, port = stack_name(), free_port()
    good = (f"services:\n  web:\n    image: {IMAGE}\n"
            "    command: [sh, -c, 'mkdir -p /www && echo hi > /www/index.html && echo web-up && exec httpd -f -v -p 8080 -h /www']\n"
            "    ports: ['127.0.0.1:${WEB_PORT}:8080']\n"
            f"  worker:\n    image: {IMAGE}\n"
            "    command: [sh, -c, 'while true; do echo worker-tick; sleep 1; done']\n"
            "    depends_on: [web]\n")
    wait = WebDriverWait(browser, 30)
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/stacks")
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=new-stack]"))).click()
        browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-name]").send_keys(name)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-create .CodeMirror"))
        browser.execute_script("document.querySelector('stack-create .CodeMirror').CodeMirror.setValue(arguments[0])",
                               "services:\n  web:\n    image: busybox\n")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=new-stack-env]").send_keys(f"WEB_PORT={port}")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-create]").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-page .CodeMirror"))
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-title]").text == name

        # A mistake is shown at its line, in the list and in the editor's gutter, before saving.
        editor = "document.querySelector('stack-page .CodeMirror').CodeMirror"
        broken = good.replace("'127.0.0.1:${WEB_PORT}:8080'", "'127.0.0.1:${WEB_PORT}:80xx'")
        browser.execute_script(f"{editor}.setValue(arguments[0])", broken)
        wait.until(lambda d: "1 error" in d.find_element(By.CSS_SELECTOR, "[data-testid=validity]").text)
        issue = browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-issues] li.error")
        assert "compose.yaml:5" in issue.text and "services.web.ports[0]" in issue.text
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".CodeMirror-lint-marker-error"))
        shot(browser, "stack-editor-error")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-save]").click()
        wait.until(lambda d: "Not saved" in d.find_element(By.CSS_SELECTOR, "stack-page .banner").text)
        assert "busybox\n" in open(os.path.join(os.environ["JARVIS_E2E_DATA_DIR"], "stacks", name, "compose.yaml")).read()

        # Fixed: Up saves, then shows the plan; Run queues the task and its progress is followed to the end.
        browser.execute_script(f"{editor}.setValue(arguments[0])", good)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=validity]").text.startswith("valid"))
        browser.find_element(By.CSS_SELECTOR, "[data-testid=op-up]").click()
        plan = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=plan-text]")))
        assert f"create network {name}_default" in plan.text and f"create {name}-web-1" in plan.text
        assert "80xx" not in open(os.path.join(os.environ["JARVIS_E2E_DATA_DIR"], "stacks", name, "compose.yaml")).read()
        shot(browser, "stack-plan")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=plan-run]").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-page [data-testid=task-progress][data-state=succeeded]"))
        assert f"Up stack {name}" in browser.find_element(By.CSS_SELECTOR, "stack-page .task-title").text
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=stack-status]").text.startswith("running"))

        # Services with their containers, then the merged log with both services in it.
        browser.find_element(By.CSS_SELECTOR, "stack-page [data-tab=services]").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=service-state]")) == 2)
        assert {e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=service-state]")} == {"running"}
        assert f"127.0.0.1:{port}→8080/tcp" in browser.find_element(By.CSS_SELECTOR, 'tr[data-service="web"]').text
        shot(browser, "stack-services")
        browser.find_element(By.CSS_SELECTOR, "stack-page [data-tab=logs]").click()
        wait.until(lambda d: "worker-tick" in d.find_element(By.CSS_SELECTOR, "[data-testid=stack-log]").text
                   and "web-up" in d.find_element(By.CSS_SELECTOR, "[data-testid=stack-log]").text)
        assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=stack-log] .svc")
        shot(browser, "stack-logs")
        browser.find_element(By.CSS_SELECTOR, "stack-page [data-tab=history]").click()
        wait.until(lambda d: f"Up stack {name}" in d.find_element(By.CSS_SELECTOR, "stack-page .history").text)
        # Starting containers adds host interfaces; Chromium then drops open streams once (ERR_NETWORK_CHANGED) and they reconnect.
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "auth/me" not in e["message"]
                  and "status of 422" not in e["message"] and "ERR_NETWORK_CHANGED" not in e["message"]]
        assert severe == [], severe
    finally:
        cleanup(name)


def test_an_external_stack_is_not_shown_until_an_admin_adopts_it(browser, client, tmp_path):
    from test_stacks import cleanup, stack_name
    name = stack_name()
    folder = tmp_path / name
    folder.mkdir()
    (folder / "compose.yaml").write_text(f"services:\n  app:\n    image: {IMAGE}\n    command: [sleep, '600']\n")
    cid = docker("create", "--label", f"com.docker.compose.project={name}", "--label", "com.docker.compose.service=app",
                 "--label", f"com.docker.compose.project.working_dir={folder}", IMAGE, "sleep", "1")
    wait = WebDriverWait(browser, 30)
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + f"/#/stacks/{name}")
        notice = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "stack-page .notice.external")))
        assert "does not read or deploy files it does not manage" in notice.text
        shot(browser, "stack-external")
        notice.find_element(By.CSS_SELECTOR, "[data-testid=stack-adopt]").click()
        wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, "stack-page .notice.external")))
        wait.until(lambda d: "sleep" in (text_of(d, "stack-page .CodeMirror") or ""))
        assert browser.find_element(By.CSS_SELECTOR, "stack-page [data-op=up]").is_displayed()
    finally:
        docker("rm", "-f", cid, check=False)
        cleanup(name)
        shutil.rmtree(os.path.join(os.environ.get("JARVIS_E2E_DATA_DIR", ""), "stacks", name), ignore_errors=True)


@pytest.fixture
def browser_zh():
    """A browser whose language is Simplified Chinese (navigator.languages starts with zh-CN)."""
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                "--window-size=1360,860", "--lang=zh-CN"]:
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def sign_in_as(browser, wait, username, password):
    browser.get(BASE + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    for field, value in (("username", username), ("password", password)):
        browser.find_element(By.NAME, field).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))


def english_left(browser):
    """English catalog messages (two words or more, translated in zh-CN) still on screen."""
    from test_i18n_catalogs import catalog
    en, zh = catalog("en"), catalog("zh-CN")
    shown = browser.execute_script("return document.body.innerText")
    left = []
    for key, value in en.items():
        for form, text in (value.items() if isinstance(value, dict) else [("other", value)]):
            if "{" in text or len(text.split()) < 2 or text == (zh[key].get(form) if isinstance(zh[key], dict) else zh[key]):
                continue
            if text in shown and not key.startswith("errors."):
                left.append(text)
    return left


def test_every_page_reads_in_chinese_at_desktop_and_phone_width(browser_zh, client, container):
    """The browser says zh-CN: the sign-in page, every page and the server-remembered choice are Chinese."""
    browser = browser_zh
    cid, _ = container(name="zh-demo-" + uuid.uuid4().hex[:6], network="none")
    user = "zh-admin-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": user, "password": "zh-admin-password-1", "role": "admin"}).status_code == 201
    wait = WebDriverWait(browser, 15)
    browser.get(BASE + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    assert browser.find_element(By.CSS_SELECTOR, "button[type=submit]").text == "登录"
    shot(browser, "login-zh-CN")
    sign_in_as(browser, wait, user, "zh-admin-password-1")
    nav = browser.find_element(By.CSS_SELECTOR, ".topbar nav").text
    assert "容器" in nav and "镜像" in nav and "Containers" not in nav
    pages = {"dashboard": "#/dashboard", "containers": "#/containers", "container-details": f"#/containers/{cid}",
             "logs": f"#/containers/{cid}/logs", "create": "#/containers/new", "images": "#/images", "stacks": "#/stacks",
             "tasks": "#/tasks", "updates": "#/updates", "audit": "#/audit", "users": "#/users", "account": "#/account",
             # With one engine these open the dashboard; with remote engines, the host pages.
             "hosts": "#/hosts", "host-details": "#/hosts/local", "host-form": "#/hosts/new"}
    left, wide = {}, {}
    for size, suffix in (((1360, 860), ""), ((390, 844), "-phone")):
        browser.set_window_size(*size)
        for name, path in pages.items():
            browser.get(BASE + "/" + path)
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "main > *")))
            time.sleep(1.2)  # the page's first load and its live badge
            assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
            assert browser.title.endswith("· Jarvis") and not browser.title.startswith(("Dashboard", "Containers"))
            shot(browser, f"{name}{suffix}-zh-CN")
            if english_left(browser):
                left[name + suffix] = english_left(browser)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            if width > size[0]:
                wide[name + suffix] = width
    assert left == {}, "English left on Chinese pages"
    print("pages wider than the window:", wide)
    # Nothing was chosen by hand: the browser's language was remembered for the user.
    me = Client()
    me.login(user, "zh-admin-password-1")
    assert me.get("/auth/me/preferences").json() == {"language": "zh-CN"}


def test_the_language_switch_redraws_the_page_and_is_remembered_for_the_user(browser, client):
    user = "switcher-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": user, "password": "switcher-password-1", "role": "viewer"}).status_code == 201
    wait = WebDriverWait(browser, 15)
    sign_in_as(browser, wait, user, "switcher-password-1")
    assert "Containers" in browser.find_element(By.CSS_SELECTOR, ".topbar nav").text
    browser.get(BASE + "/#/containers")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "containers-view")))
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=language-switch]")).select_by_value("zh-CN")
    wait.until(lambda d: d.execute_script("return document.documentElement.lang") == "zh-CN")
    wait.until(lambda d: "容器" in d.find_element(By.CSS_SELECTOR, ".topbar nav").text)
    assert browser.find_element(By.CSS_SELECTOR, "containers-view h2").text.startswith("容器")
    me = Client()
    me.login(user, "switcher-password-1")
    wait.until(lambda d: me.get("/auth/me/preferences").json().get("language") == "zh-CN")
    # Another browser (nothing in localStorage) opens in the user's language once signed in.
    browser.execute_script("localStorage.clear()")
    browser.refresh()
    wait.until(lambda d: "容器" in (text_of(d, ".topbar nav") or ""))
    shot(browser, "language-switch-zh-CN")
    Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=language-switch]")).select_by_value("en")
    wait.until(lambda d: "Containers" in (text_of(d, ".topbar nav") or ""))
    assert browser.execute_script("return document.documentElement.lang") == "en"
