"""A real browser (headless Chromium via Selenium) against the real stack."""
import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, PASSWORD, Client, docker

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


def state_of(driver, name):
    rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-name="{name}"] [data-testid=state]')
    return rows[0].text if rows else None


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
    client.post("/containers/audit-ui-probe/restart")
    wait = WebDriverWait(browser, 15)
    login_as_admin(browser, wait)
    browser.get(BASE + "/#/audit")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=audit-row]")))
    browser.find_element(By.CSS_SELECTOR, "audit-view input[name=q]").send_keys("audit-ui-probe")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=audit-count]").text == "1")
    row = browser.find_element(By.CSS_SELECTOR, "[data-testid=audit-row]")
    assert "container.restart" in row.text and "failure" in row.text
    href = browser.find_element(By.CSS_SELECTOR, "audit-view a[data-format=csv]").get_attribute("href")
    assert "q=audit-ui-probe" in href and "format=csv" in href
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
