"""Lists and questions in a real browser: the app dialog instead of native ones, per-tag
image removal, "used by" counts that link to a filtered containers list kept in the URL,
and a containers table updated in place (focus stays while containers restart)."""
import urllib.parse
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, IMAGE, Client, docker
from test_browser import browser, login_as_admin, shot, state_of  # noqa: F401 (browser is a fixture)


def sign_in_as(browser, wait, username, password):
    browser.get(BASE + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))


def commit_image(reference):
    base = docker("create", IMAGE, "true")
    image_id = docker("commit", base, reference)
    docker("rm", base)
    return image_id


def test_kill_asks_in_the_app_dialog_and_cancel_changes_nothing(browser, container):
    cid, name = container(name="dialog-kill-" + uuid.uuid4().hex[:6], network="none")
    wait = WebDriverWait(browser, 15)
    login_as_admin(browser, wait)
    browser.get(BASE + "/#/containers")
    wait.until(lambda d: state_of(d, name) == "running")
    button = browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{name}"] button[data-action=kill]')
    button.click()
    dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=app-dialog]")))
    assert name in dialog.text and "SIGKILL" in dialog.text
    # A dangerous question starts on Cancel: Enter alone does not kill.
    assert browser.switch_to.active_element.get_attribute("data-testid") == "dialog-cancel"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=app-dialog]"))
    assert docker("inspect", "-f", "{{.State.Running}}", cid) == "true"
    browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{name}"] button[data-action=kill]').click()
    dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=app-dialog]")))
    shot(browser, "dialog-kill")
    dialog.find_element(By.CSS_SELECTOR, "[data-testid=dialog-confirm]").click()
    wait.until(lambda d: state_of(d, name) == "exited")
    assert docker("inspect", "-f", "{{.State.Running}}", cid) == "false"


def test_each_tag_is_removed_by_its_own_button_and_a_used_name_asks_first(browser, client):
    repository = "jarvis-test/ui-tags-" + uuid.uuid4().hex[:6]
    image_id = commit_image(f"{repository}:used")
    docker("tag", f"{repository}:used", f"{repository}:spare")
    user = "ui-tags-user-" + uuid.uuid4().hex[:6]
    docker("create", "--name", user, f"{repository}:used", "true")
    try:
        wait = WebDriverWait(browser, 15)
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/images?q=" + repository)
        row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-id="{image_id}"]')))
        assert not row.find_elements(By.CSS_SELECTOR, "button[data-action=remove]"), "no remove that picks a tag for you"
        row.find_element(By.CSS_SELECTOR, f'button[data-action=untag][data-ref="{repository}:spare"]').click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'[data-tag="{repository}:spare"]'))
        assert docker("image", "inspect", "-f", "{{.RepoTags}}", image_id) == f"[{repository}:used]"
        # Now the last tag: the image goes, but a container uses it, so the server asks (and names it).
        docker("tag", f"{repository}:used", f"{repository}:spare")
        browser.refresh()
        row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-id="{image_id}"] [data-tag="{repository}:spare"]')))
        browser.find_element(By.CSS_SELECTOR, f'button[data-action=untag][data-ref="{repository}:used"]').click()
        dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=confirm-dialog]")))
        assert f"remove the tag {repository}:used" in dialog.text and user in dialog.text
        shot(browser, "images-untag-confirm")
        dialog.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'[data-tag="{repository}:used"]'))
        assert docker("image", "inspect", "-f", "{{.RepoTags}}", image_id) == f"[{repository}:spare]"
    finally:
        docker("rm", "-f", user, check=False)
        docker("rmi", "-f", image_id, check=False)


def test_used_by_shows_a_count_that_opens_the_filtered_list_and_a_reload_keeps_it(browser, client):
    reference = "jarvis-test/ui-users-" + uuid.uuid4().hex[:6] + ":1"
    image_id = commit_image(reference)
    tag = uuid.uuid4().hex[:6]
    users = [f"ui-user-{tag}-{i}" for i in range(5)]
    for name in users:
        docker("create", "--name", name, reference, "true")
    other = f"ui-user-{tag}-other"
    docker("create", "--name", other, IMAGE, "true")
    try:
        wait = WebDriverWait(browser, 15)
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/images")
        row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-id="{image_id}"]')))
        assert len(row.find_elements(By.CSS_SELECTOR, ".used-by a.badge")) == 3, "the first few, not every user"
        link = row.find_element(By.CSS_SELECTOR, "[data-testid=image-users]")
        assert "5" in link.text
        link.click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-testid=container-row]")) == 5)
        assert image_id in urllib.parse.unquote(browser.current_url)
        assert sorted(r.get_attribute("data-name") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-testid=container-row]")) == users
        chip = browser.find_element(By.CSS_SELECTOR, "[data-testid=image-filter]")
        assert image_id[7:19] in chip.text
        # State filter and sort join the URL; a reload shows the same list.
        browser.find_element(By.CSS_SELECTOR, "button[data-sort=name]").click()
        wait.until(lambda d: "order=desc" in d.current_url)
        browser.refresh()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-testid=container-row]")) == 5)
        names = [r.get_attribute("data-name") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-testid=container-row]")]
        assert names == sorted(users, reverse=True)
        chip = browser.find_element(By.CSS_SELECTOR, "[data-testid=image-filter]")
        chip.find_element(By.CSS_SELECTOR, "button").click()
        wait.until(lambda d: "image=" not in d.current_url)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-name="{other}"]'))
    finally:
        for name in users + [other]:
            docker("rm", "-f", name, check=False)
        docker("rmi", "-f", image_id, check=False)


def test_rows_update_in_place_so_focus_stays_while_another_container_restarts(browser, container):
    tag = uuid.uuid4().hex[:6]
    _, steady = container(name=f"live-a-{tag}", network="none")
    busy_id, busy = container(name=f"live-b-{tag}", network="none")
    wait = WebDriverWait(browser, 15)
    login_as_admin(browser, wait)
    browser.get(BASE + f"/#/containers?q=live-&state=running")
    wait.until(lambda d: state_of(d, steady) == "running" and state_of(d, busy) == "running")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "containers-view .live").get_attribute("data-state") == "live")
    logs = browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{steady}"] button[data-action=logs]')
    browser.execute_script("arguments[0].focus(); arguments[0].closest('tr').probe = 'kept';", logs)
    docker("stop", "-t", "1", busy_id)
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'tr[data-name="{busy}"]'))  # filtered out: state=running
    docker("start", busy_id)
    wait.until(lambda d: state_of(d, busy) == "running")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{steady}"]')
    assert browser.execute_script("return arguments[0].probe", row) == "kept", "the row was re-rendered, not updated in place"
    assert browser.switch_to.active_element == logs, "focus left the button"


def test_the_container_page_charts_its_history_with_a_text_alternative(browser, client, container):
    cid, name = container("while true; do :; done", name="charts-busy-" + uuid.uuid4().hex[:6], network="none")
    def recorded():
        points = client.get(f"/containers/{cid}/history", params={"range": "15m"}).json()["points"]
        return len([p for p in points if p.get("cpu") is not None]) >= 2
    deadline_wait = WebDriverWait(browser, 70, poll_frequency=2)
    deadline_wait.until(lambda _: recorded())
    wait = WebDriverWait(browser, 20)
    login_as_admin(browser, wait)
    browser.get(BASE + f"/#/containers/{cid}")
    charts = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "container-details resource-charts")))
    wait.until(lambda d: int(charts.get_attribute("data-points") or 0) >= 2)
    cpu = charts.find_element(By.CSS_SELECTOR, "[data-chart=cpu]")
    assert "average" in cpu.find_element(By.CSS_SELECTOR, "[data-testid=chart-summary]").text
    canvas = cpu.find_element(By.CSS_SELECTOR, "canvas")
    assert "CPU" in canvas.get_attribute("aria-label") and "peak" in canvas.get_attribute("aria-label")
    # Chart.js drew something: the canvas is not blank.
    drawn = browser.execute_script("""
        const c = arguments[0]; const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true; return false;""", canvas)
    assert drawn, "the CPU chart is blank"
    assert charts.find_element(By.CSS_SELECTOR, ".charts-note").get_attribute("hidden") is not None, "no error or missing-library note"
    browser.execute_script("arguments[0].scrollIntoView()", charts)
    shot(browser, "container-charts")
    charts.find_element(By.CSS_SELECTOR, "[data-range='24h']").click()
    wait.until(lambda d: charts.find_element(By.CSS_SELECTOR, "[data-range='24h']").get_attribute("aria-pressed") == "true")
    wait.until(lambda d: int(charts.get_attribute("data-points") or 0) >= 1)
    browser.get(BASE + "/#/dashboard")
    host = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=host-charts]")))
    wait.until(lambda d: int(host.get_attribute("data-points") or 0) >= 1)
    assert not host.find_elements(By.CSS_SELECTOR, "[data-chart=memory] [data-testid=chart-summary]")[0].text.count("limit")
    shot(browser, "dashboard-charts")


def test_a_viewer_is_told_what_a_page_needs_and_object_pages_name_the_object(browser, client, container):
    cid, name = container(name="titled-" + uuid.uuid4().hex[:6], network="none")
    viewer = "lists-viewer-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": viewer, "password": "viewer-password-1", "role": "viewer"}).status_code == 201
    wait = WebDriverWait(browser, 15)
    sign_in_as(browser, wait, viewer, "viewer-password-1")
    for page, needs in (("#/users", "admin"), ("#/audit", "admin"), ("#/containers/new", "operator")):
        browser.get(BASE + "/" + page)
        refusal = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=not-allowed]")))
        assert f"the {needs} role" in refusal.text and "viewer" in refusal.text, refusal.text
        assert browser.title.startswith("Not allowed")
    browser.get(BASE + f"/#/containers/{cid}")
    wait.until(lambda d: d.title == f"{name} · Containers · Jarvis")


def test_the_theme_is_chosen_per_user_and_a_wrong_password_shows_under_its_field(browser, client):
    user = "theme-user-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": user, "password": "theme-password-1", "role": "viewer"}).status_code == 201
    wait = WebDriverWait(browser, 15)

    sign_in_as(browser, wait, user, "theme-password-1")
    browser.get(BASE + "/#/account")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=theme-dark]"))).click()
    wait.until(lambda d: d.execute_script("return document.documentElement.dataset.theme") == "dark")
    background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 21, 28)", background
    shot(browser, "account-dark")
    # Remembered for the user, not only in this browser: a fresh browser profile signs in dark.
    wait.until(lambda d: theme_of(user) == "dark")
    browser.execute_script("localStorage.clear()")
    browser.delete_all_cookies()
    sign_in_as(browser, wait, user, "theme-password-1")
    wait.until(lambda d: d.execute_script("return document.documentElement.dataset.theme") == "dark")
    browser.get(BASE + "/#/account")
    form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.password")))
    form.find_element(By.NAME, "current_password").send_keys("not my password")
    form.find_element(By.NAME, "new_password").send_keys("a brand new password 1")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "form.password .field-error")))
    assert "current password" in error.text.lower()
    assert form.find_element(By.NAME, "current_password").get_attribute("aria-invalid") == "true"
    assert browser.switch_to.active_element == form.find_element(By.NAME, "current_password")


def theme_of(username):
    """The theme the server keeps for a user (through a session of their own)."""
    c = Client()
    assert c.login(username, "theme-password-1").status_code == 200
    return c.get("/auth/me/preferences").json().get("theme")


def test_on_a_phone_the_pages_fold_behind_one_menu_button(browser):
    wait = WebDriverWait(browser, 15)
    login_as_admin(browser, wait)
    browser.set_window_size(390, 844)
    browser.get(BASE + "/#/dashboard")
    toggle = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=nav-toggle]")))
    nav = browser.find_element(By.CSS_SELECTOR, ".topbar nav")
    assert not nav.is_displayed() and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    wait.until(lambda d: nav.is_displayed())
    assert toggle.get_attribute("aria-expanded") == "true"
    shot(browser, "nav-phone-open")
    nav.find_element(By.CSS_SELECTOR, "a[href$='/images']").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "main > images-view")))
    assert not browser.find_element(By.CSS_SELECTOR, ".topbar nav").is_displayed(), "the next page starts folded"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= browser.execute_script(
        "return document.documentElement.clientWidth")
    browser.set_window_size(1360, 860)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".topbar nav").is_displayed())
    assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=nav-toggle]").is_displayed()
