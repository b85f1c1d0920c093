"""Forms in a real browser: the container form marks every field the server refuses at
once, offers to pull a missing image and creates the container once it is in, and
duplicates an existing container; the New stack editor validates as you type, flags
${VAR}s the .env does not set, and warns before unsaved work is left behind."""
import json
import os
import time
import uuid

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, IMAGE, PASSWORD, docker
from test_browser import browser, browser_zh, shot  # noqa: F401 (fixtures)

DESKTOP, PHONE = (1366, 860), (376, 844)


def at_widths(browser, name):
    """Screenshots at desktop and phone width; returns the page's widths that overflow the window."""
    wide = {}
    for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        browser.set_window_size(*size)
        time.sleep(0.4)
        shot(browser, name + suffix)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        if width > browser.execute_script("return window.innerWidth"):
            wide[suffix or "desktop"] = width
    browser.set_window_size(*DESKTOP)
    return wide


def signed_in(browser, username, password):
    """Signs in, again when Chromium dropped the request (ERR_NETWORK_CHANGED while other stacks add interfaces)."""
    wait = WebDriverWait(browser, 12)
    for attempt in range(3):
        browser.get(BASE + "/")
        wait.until(lambda d: d.find_elements(By.NAME, "username") or d.find_elements(By.CSS_SELECTOR, "[data-testid=current-user]"))
        if not browser.find_elements(By.CSS_SELECTOR, "[data-testid=current-user]"):
            for field, value in (("username", username), ("password", password)):
                browser.find_element(By.NAME, field).clear()
                browser.find_element(By.NAME, field).send_keys(value)
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        try:
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))
            return
        except TimeoutException:
            if attempt == 2:
                raise


def reload_until(browser, css, attempts=3):
    """Reloads the page until `css` shows (a reload whose first request the network change dropped shows the sign-in)."""
    for attempt in range(attempts):
        browser.refresh()
        try:
            return WebDriverWait(browser, 12).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            if attempt == attempts - 1:
                raise


def open_in(request, language):
    """A signed-in browser in `language`: Chinese signs in a new admin (the admin's own choice may be remembered as English)."""
    browser = request.getfixturevalue("browser" if language == "en" else "browser_zh")
    wait = WebDriverWait(browser, 20)
    if language == "en":
        signed_in(browser, "admin", PASSWORD)
    else:
        client = request.getfixturevalue("client")
        user, password = "zh-forms-" + uuid.uuid4().hex[:6], "zh-forms-password-1"
        assert client.post("/users", json={"username": user, "password": password, "role": "admin"}).status_code == 201
        signed_in(browser, user, password)
        assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    return browser, wait


def submit_until(browser, form, done, attempts=3):
    """Submits the create form until `done(driver)`; a POST that Chromium dropped (the banner says the connection was interrupted) is sent again."""
    for attempt in range(attempts):
        form.find_element(By.CSS_SELECTOR, "[data-testid=create-submit]").click()
        WebDriverWait(browser, 30).until(lambda d: done(d) or d.find_element(By.CSS_SELECTOR, "[data-testid=create-error]").is_displayed())
        if done(browser):
            return
        assert "interrupted" in browser.find_element(By.CSS_SELECTOR, "[data-testid=create-error]").text, "a refusal, not a dropped request"


def field_errors(browser):
    """{input name: its error text} for every field the form marked."""
    notes = {}
    for field in browser.find_elements(By.CSS_SELECTOR, "container-create .field"):
        inputs = field.find_elements(By.CSS_SELECTOR, "[aria-invalid=true]")
        errors = field.find_elements(By.CSS_SELECTOR, ".field-error")
        if inputs and errors:
            notes[inputs[0].get_attribute("name")] = errors[0].text
    return notes


def fill(form, values):
    for name, value in values.items():
        element = form.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)


def created_names():
    return set(docker("ps", "-a", "--format", "{{.Names}}").split())


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_refused_field_is_marked_at_once_beside_it(request, language):
    browser, wait = open_in(request, language)
    name = "ui-form-" + uuid.uuid4().hex[:6]
    browser.get(BASE + "/#/containers/new")
    form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=create-form]")))
    before = created_names()
    fill(form, {"image": IMAGE, "name": name, "network": "none", "ports": "8080:80\n80:xx", "env": "A=1\nNOVALUE",
                "memory": "lots", "cpus": "0", "working_dir": "relative"})
    for _attempt in range(3):  # a POST that Chromium dropped (ERR_NETWORK_CHANGED) is sent again
        form.find_element(By.CSS_SELECTOR, "[data-testid=create-submit]").click()
        wait.until(lambda d: len(field_errors(d)) >= 5 or d.find_element(By.CSS_SELECTOR, "[data-testid=create-error]").is_displayed())
        if len(field_errors(browser)) >= 5:
            break
    notes = field_errors(browser)
    assert set(notes) == {"ports", "env", "memory", "cpus", "working_dir"}, notes
    line = "line 2" if language == "en" else "第 2 行"
    assert notes["ports"].startswith(line) and notes["env"].startswith(line), notes
    assert browser.switch_to.active_element.get_attribute("name") == "ports", "the first refused field has focus"
    assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=create-error]").is_displayed(), "no banner for field errors"
    assert created_names() == before
    wide = at_widths(browser, f"create-invalid-{language}" if language != "en" else "create-invalid")
    assert wide == {}, wide
    # Fixed: the marks go and the container is made.
    fill(form, {"ports": "", "env": "A=1", "memory": "32m", "cpus": "0.5", "working_dir": "/tmp", "command": "sleep 300"})
    form.find_element(By.CSS_SELECTOR, "[data-testid=create-submit]").click()
    try:
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=details-title]")
                   and d.find_element(By.CSS_SELECTOR, "[data-testid=details-title]").text == name)
        assert docker("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}", name) == f"{32 << 20} 500000000"
    finally:
        docker("rm", "-f", name, check=False)


@pytest.mark.skipif(not os.environ.get("JARVIS_E2E_REGISTRY"), reason="no private registry")
def test_a_missing_image_is_pulled_from_the_form_and_then_the_container_is_created(browser, client):
    registry = os.environ["JARVIS_E2E_REGISTRY"]
    image = f"{registry}/jarvis/busybox:1.0"
    docker("rmi", image, check=False)
    saved = client.post("/registries", json={"registry": registry, "username": os.environ["JARVIS_E2E_REGISTRY_USER"],
                                             "password": os.environ["JARVIS_E2E_REGISTRY_PASSWORD"]})
    assert saved.status_code in (200, 201), saved.text
    name = "ui-pulled-" + uuid.uuid4().hex[:6]
    try:
        wait = WebDriverWait(browser, 60)
        signed_in(browser, "admin", PASSWORD)
        browser.get(BASE + "/#/containers/new")
        form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=create-form]")))
        fill(form, {"image": image, "name": name, "network": "none", "command": "sleep 300"})
        form.find_element(By.CSS_SELECTOR, "[data-testid=create-submit]").click()
        offer = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=pull-offer]")))
        assert field_errors(browser) == {"image": f"{image} is not on this host."}
        assert image in offer.text
        shot(browser, "create-image-missing")
        offer.click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=create-pull] [data-testid=task-progress]")))
        # The pull's task shows, and when it succeeds the create runs by itself.
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=details-title]")
                   and d.find_element(By.CSS_SELECTOR, "[data-testid=details-title]").text == name)
        assert docker("inspect", "-f", "{{.Config.Image}} {{.State.Running}}", name) == f"{image} true"
    finally:
        docker("rm", "-f", name, check=False)
        docker("rmi", image, check=False)
        if saved.status_code in (200, 201):
            client.delete(f"/registries/{saved.json()['id']}")


def test_duplicate_starts_the_form_from_the_container_and_leaves_the_original(browser, client):
    tag = uuid.uuid4().hex[:6]
    source = f"ui-dup-{tag}"
    docker("volume", "create", f"ui-dup-data-{tag}")
    docker("create", "--name", source, "--network", "none", "-e", "GREETING=hello world", "--label", "team=blue",
           "--label", "com.docker.compose.project=other", "-m", "48m", "--cpus", "0.5", "--restart", "unless-stopped",
           "-v", f"ui-dup-data-{tag}:/data:ro", "-w", "/data", IMAGE, "sh", "-c", "echo 'a b' && sleep 300")
    copy = f"{source}-copy"
    try:
        wait = WebDriverWait(browser, 20)
        signed_in(browser, "admin", PASSWORD)
        browser.get(BASE + f"/#/containers/{source}")
        # The page redraws its actions on live events: click the link as it is now.
        wait.until(lambda d: d.execute_script(
            "const link = document.querySelector('container-details [data-testid=duplicate]'); link?.click(); return Boolean(link);"))
        form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=create-form]")))
        wait.until(lambda d: form.find_element(By.NAME, "image").get_attribute("value") == IMAGE)
        value = lambda field: form.find_element(By.NAME, field).get_attribute("value")  # noqa: E731
        assert value("name") == copy and value("network") == "none" and value("memory") == "48m" and value("cpus") == "0.5"
        assert value("restart_policy") == "unless-stopped" and value("working_dir") == "/data"
        assert value("command") == "sh -c 'echo '\\''a b'\\'' && sleep 300'"
        assert "GREETING=hello world" in value("env").split("\n")
        assert value("labels") == "team=blue", "Compose's labels stay with the original"
        assert value("volumes") == f"ui-dup-data-{tag}:/data:ro"
        notice = browser.find_element(By.CSS_SELECTOR, "[data-testid=duplicate-notice]")
        assert source in notice.text and source in browser.title
        assert at_widths(browser, "create-duplicate") == {}
        submit_until(browser, form, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=details-title]")
                     and d.find_element(By.CSS_SELECTOR, "[data-testid=details-title]").text == copy)
        same = ["{{.HostConfig.Memory}}", "{{.HostConfig.NanoCpus}}", "{{.HostConfig.RestartPolicy.Name}}", "{{json .Config.Cmd}}",
                "{{json .Config.Env}}", "{{json .Mounts}}", "{{.Config.WorkingDir}}", "{{.HostConfig.NetworkMode}}"]
        for fmt in same:
            assert docker("inspect", "-f", fmt, copy) == docker("inspect", "-f", fmt, source), fmt
        labels = json.loads(docker("inspect", "-f", "{{json .Config.Labels}}", copy))
        assert labels.get("team") == "blue" and not any(key.startswith("com.docker.compose") for key in labels)
        assert docker("inspect", "-f", "{{.State.Status}}", source) == "created", "the original is untouched"
    finally:
        docker("rm", "-f", source, copy, check=False)
        docker("volume", "rm", "-f", f"ui-dup-data-{tag}", check=False)


CODEMIRROR = "document.querySelector('stack-create .CodeMirror').CodeMirror"


def unload_is_held(browser):
    """Whether the page's beforeunload handler asks the browser to hold the unload."""
    return browser.execute_script("const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented;")


def new_stack_issues(browser):
    return [li.text for li in browser.find_elements(By.CSS_SELECTOR, "[data-testid=new-stack-issue]")]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_new_stack_editor_checks_as_you_type_flags_unset_variables_and_asks_before_leaving(request, language):
    import shutil
    browser, wait = open_in(request, language)
    name = "st" + uuid.uuid4().hex[:8]
    browser.get(BASE + "/#/stacks")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=new-stack]"))).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-create .CodeMirror"))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-name]").send_keys(name)
    validity = lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=new-stack-validity]").text  # noqa: E731
    # A mistake: the server's finding shows at its line while typing, before Create.
    browser.execute_script(f"{CODEMIRROR}.setValue(arguments[0])", f"services:\n  web:\n    image: {IMAGE}\n    ports: ['80xx']\n")
    wait.until(lambda d: validity(d) in ("1 error", "1 个错误"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-create .CodeMirror-lint-marker-error"))
    assert any(("line 4" if language == "en" else "4") in text and "ports" in text for text in new_stack_issues(browser))
    # A variable .env does not set is a warning with its line; one with a default is not.
    text = (f"services:\n  web:\n    image: {IMAGE}\n    command: [sleep, '300']\n    environment:\n"
            "      PORT: ${WEB_PORT}\n      MODE: ${MODE:-quiet}\n      PRICE: $$5\n")
    browser.execute_script(f"{CODEMIRROR}.setValue(arguments[0])", text)
    wait.until(lambda d: len(new_stack_issues(d)) == 1 and "WEB_PORT" in new_stack_issues(d)[0])
    assert ("line 6" if language == "en" else "6") in new_stack_issues(browser)[0] and "MODE" not in new_stack_issues(browser)[0]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-create .CodeMirror-lint-marker-warning"))
    suffix = "" if language == "en" else "-zh-CN"
    assert at_widths(browser, "stack-new-warnings" + suffix) == {}
    browser.find_element(By.CSS_SELECTOR, "[data-testid=new-stack-env]").send_keys("WEB_PORT=8080")
    wait.until(lambda d: new_stack_issues(d) == [])
    assert validity(browser) in ("valid", "有效")

    # Unsaved: another page asks; staying keeps the address and the text.
    assert unload_is_held(browser), "a reload or a closed tab asks the browser's question"
    browser.find_element(By.CSS_SELECTOR, ".topbar nav a[href$='/containers']").click()
    dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=unsaved-dialog]")))
    shot(browser, "stack-new-unsaved" + suffix)
    dialog.find_element(By.CSS_SELECTOR, "[data-testid=dialog-cancel]").click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=unsaved-dialog]"))
    assert browser.execute_script("return location.hash").endswith("/stacks")
    assert "WEB_PORT" in browser.execute_script(f"return {CODEMIRROR}.getValue()")
    browser.find_element(By.CSS_SELECTOR, ".topbar nav a[href$='/containers']").click()
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=unsaved-dialog] [data-testid=dialog-confirm]"))).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main > containers-view"))
    assert not unload_is_held(browser), "the left form no longer holds the page"

    # Created: nothing is unsaved any more, the stack page opens without a question.
    browser.get(BASE + "/#/stacks")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=new-stack]"))).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-create .CodeMirror"))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-name]").send_keys(name)
    browser.execute_script(f"{CODEMIRROR}.setValue(arguments[0])", text)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=new-stack-env]").send_keys("WEB_PORT=8080")
    try:
        browser.find_element(By.CSS_SELECTOR, "[data-testid=stack-create]").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "stack-page .CodeMirror"))
        assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=unsaved-dialog]")
        # The stack page flags the same thing once .env loses the variable, and asks before its edit is left.
        browser.execute_script("document.querySelector('stack-page .CodeMirror').CodeMirror.setValue(arguments[0])",
                               text.replace("${WEB_PORT}", "${WEB_PORTS}"))
        wait.until(lambda d: "WEB_PORTS" in d.find_element(By.CSS_SELECTOR, "[data-testid=stack-issues]").text)
        assert unload_is_held(browser)
        browser.find_element(By.CSS_SELECTOR, "stack-page [data-tab=history]").click()
        time.sleep(0.5)
        assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=unsaved-dialog]"), "a tab of the same stack is not leaving"
        browser.find_element(By.CSS_SELECTOR, ".topbar nav a[href$='/dashboard']").click()
        wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=unsaved-dialog] [data-testid=dialog-confirm]"))).click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main > dashboard-view"))
    finally:
        shutil.rmtree(os.path.join(os.environ["JARVIS_E2E_DATA_DIR"], "stacks", name), ignore_errors=True)


# Holds or fails the browser's requests whose address contains `part` (set on window.__hold).
HOLD_FETCH = """
if (!window.__realFetch) {
  window.__realFetch = window.fetch;
  window.fetch = async (url, options) => {
    const rule = window.__hold && String(url).includes(window.__hold.part) ? window.__hold : null;
    if (rule && rule.fail) throw new TypeError('Failed to fetch');
    if (rule && rule.delay) await new Promise((resolve) => setTimeout(resolve, rule.delay));
    return window.__realFetch(url, options);
  };
}
window.__hold = arguments[0];
"""


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_lists_show_skeletons_while_loading_and_retry_after_a_failure_and_banners_close(request, language):
    browser, wait = open_in(request, language)
    suffix = "" if language == "en" else "-zh-CN"
    browser.get(BASE + "/#/dashboard")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "main > dashboard-view")))
    # Slow: skeleton rows, the pager off, then the rows.
    browser.execute_script(HOLD_FETCH, {"part": "/images?", "delay": 2500})
    browser.execute_script("location.hash = '#/h/local/images'")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "images-view [data-testid=list-skeleton]"))
    assert browser.find_element(By.CSS_SELECTOR, "images-view .pager [data-page='1']").get_attribute("disabled") is not None
    assert browser.find_element(By.CSS_SELECTOR, "images-view table.images").get_attribute("aria-busy") == "true"
    shot(browser, "list-loading" + suffix)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "images-view [data-testid=image-row]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "images-view [data-testid=list-skeleton]")
    # Failed: a row with Retry, and the banner with the reason.
    browser.execute_script(HOLD_FETCH, {"part": "/volumes?", "fail": True})
    browser.execute_script("location.hash = '#/h/local/volumes'")
    retry = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "volumes-view [data-testid=list-retry]")))
    banner = browser.find_element(By.CSS_SELECTOR, "volumes-view .banner")
    assert banner.is_displayed()
    assert at_widths(browser, "list-failed" + suffix) == {}
    # The banner closes, and the same banner on the same page stays closed for the session.
    banner.find_element(By.CSS_SELECTOR, "[data-testid=banner-close]").click()
    assert not banner.is_displayed()
    browser.execute_script("location.hash = '#/h/local/networks'")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main > networks-view"))
    browser.execute_script("location.hash = '#/h/local/volumes'")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "volumes-view [data-testid=list-retry]"))
    time.sleep(0.3)
    assert not browser.find_element(By.CSS_SELECTOR, "volumes-view .banner").is_displayed(), "closed for the session"
    # Back online: Retry loads the list.
    browser.execute_script(HOLD_FETCH, None)
    browser.find_element(By.CSS_SELECTOR, "volumes-view [data-testid=list-retry]").click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "volumes-view [data-testid=list-failed]"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "volumes-view table.volumes tbody tr"))


def hash_query(browser):
    import urllib.parse
    fragment = browser.execute_script("return location.hash")
    return dict(urllib.parse.parse_qsl(fragment.split("?", 1)[1])) if "?" in fragment else {}


def test_the_other_lists_keep_filters_and_page_in_the_url_through_a_reload(browser, client):
    wait = WebDriverWait(browser, 20)
    signed_in(browser, "admin", PASSWORD)
    tag = uuid.uuid4().hex[:6]
    volume = f"ui-url-{tag}"
    docker("volume", "create", volume)
    try:
        cases = [
            ("images", "images-view", {"q": "jarvis-test"}, {"dangling": "1"}),
            ("volumes", "volumes-view", {"q": volume}, {"dangling": "1", "sort": "size"}),
            ("networks", "networks-view", {"q": "none"}, {"sort": "created"}),
            ("tasks", "tasks-view", {}, {"state": "failed"}),
            ("audit", "audit-view", {"action": "container."}, {"result": "failure"}),
        ]
        for page, view, typed, chosen in cases:
            browser.get(BASE + f"/#/{page}")
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"{view} tbody tr")))
            for name, value in typed.items():
                browser.find_element(By.CSS_SELECTOR, f"{view} [name={name}]").send_keys(value)
            for name, value in chosen.items():
                browser.execute_script("const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));"
                                       "s.dispatchEvent(new Event('input', {bubbles: true}));",
                                       browser.find_element(By.CSS_SELECTOR, f"{view} [name={name}]"), value)
            wanted = {**typed, **chosen}
            wait.until(lambda d: hash_query(d) == wanted, message=f"{page}: {hash_query(browser)}")
            reload_until(browser, f"{view} tbody tr")
            for name, value in wanted.items():
                assert browser.find_element(By.CSS_SELECTOR, f"{view} [name={name}]").get_attribute("value") == value, (page, name)
            assert hash_query(browser) == wanted, page
        # The filter really applies after the reload: only the new (unused) volume.
        browser.get(BASE + f"/#/volumes?q={volume}&dangling=1")
        wait.until(lambda d: [r.get_attribute("data-name") for r in d.find_elements(By.CSS_SELECTOR, "[data-testid=volume-row]")] == [volume])
    finally:
        docker("volume", "rm", "-f", volume, check=False)


def test_select_all_matching_reaches_beyond_the_page_with_one_confirmation(browser, client):
    tag = uuid.uuid4().hex[:6]
    names = [f"ui-bulk-{tag}-{i:02d}" for i in range(57)]
    for name in names:
        docker("create", "--name", name, "--network", "none", "--label", "jarvis.e2e=1", IMAGE, "true")
    try:
        wait = WebDriverWait(browser, 30)
        signed_in(browser, "admin", PASSWORD)
        browser.get(BASE + f"/#/containers?q=ui-bulk-{tag}")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-testid=container-row]")) == 50)
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=container-count]").text == "57"
        browser.find_element(By.CSS_SELECTOR, "containers-view [name=all]").click()
        matching = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=select-matching]")))
        assert "57" in matching.text
        assert "50" in browser.find_element(By.CSS_SELECTOR, "[data-testid=bulk-bar] .selected-count").text
        matching.click()
        wait.until(lambda d: "57" in d.find_element(By.CSS_SELECTOR, "[data-testid=bulk-bar] .selected-count").text)
        assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=select-matching]").is_displayed()
        shot(browser, "containers-select-matching")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=bulk-bar] [data-bulk=remove]").click()
        dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=confirm-dialog]")))
        assert "remove 57 containers" in dialog.text
        dialog.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=container-count]").text == "0")
        assert not [n for n in docker("ps", "-a", "--format", "{{.Names}}").split() if n.startswith(f"ui-bulk-{tag}")]
    finally:
        for name in names:
            docker("rm", "-f", name, check=False)
