"""Image updates in a real browser: the containers list shows the update badge after a check, the
container page runs the update with its progress, the Updates page shows the attempt; and the page in
Chinese at desktop and phone width. Serial: it drives a browser (the registry comes from test_updates)."""
import time
import uuid

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, docker
from test_browser import browser, browser_zh, english_left, login_as_admin, shot, sign_in_as  # noqa: F401 (fixtures)
from test_updates import REPO, check, cli, push, registry, saved_login, state_of  # noqa: F401 (fixtures)


def test_the_badge_then_an_update_with_its_progress_then_the_history(browser, client, registry, saved_login):
    push(registry, "1.0", 1)
    name = f"upd-ui-{uuid.uuid4().hex[:6]}"
    cli("run", "-d", "--name", name, "--label", "jarvis.e2e=1", f"{REPO}:1.0")
    try:
        v2, _ = push(registry, "1.0", 2)
        check(client, container=name)
        found = state_of(client, name)
        assert found["state"] == "update_available", found
        wait = WebDriverWait(browser, 20)
        login_as_admin(browser, wait)
        browser.get(BASE + f"/#/containers?q={name}")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-name="{name}"] [data-testid=update-badge]')))
        browser.get(BASE + f"/#/containers/{name}")
        # The page redraws on the container's live events: click the button as it is now.
        for _ in range(10):
            try:
                wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=container-update]"))).click()
                break
            except StaleElementReferenceException:
                time.sleep(0.2)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".update-task task-progress")))
        # While the old container is set aside the name is briefly free: "no such container" means "not yet".
        WebDriverWait(browser, 90).until(lambda d: docker("inspect", "-f", "{{.Image}}", name, check=False) == v2)
        WebDriverWait(browser, 30).until(lambda d: "succeeded" in d.find_element(By.CSS_SELECTOR, ".update-task").text.lower()
                                         or d.find_elements(By.CSS_SELECTOR, ".update-task .state-succeeded"))
        shot(browser, "container-update")
        browser.get(BASE + "/#/updates")
        row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=history-row][data-result=updated]")))
        assert name in row.text
        shot(browser, "updates")
        browser.set_window_size(390, 844)
        browser.get(BASE + "/#/updates")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=history-row]")))
        time.sleep(0.5)
        shot(browser, "updates-phone")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 390, "nothing wider than the phone"
    finally:
        docker("rm", "-f", name, check=False)


def test_the_updates_page_reads_in_chinese(browser_zh, client):
    user = "zh-upd-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": user, "password": "zh-updates-pass-1", "role": "operator"}).status_code == 201
    wait = WebDriverWait(browser_zh, 20)
    sign_in_as(browser_zh, wait, user, "zh-updates-pass-1")
    for size, suffix in (((1360, 860), ""), ((390, 844), "-phone")):
        browser_zh.set_window_size(*size)
        browser_zh.get(BASE + "/#/updates")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=updates] table")))
        time.sleep(1)
        assert "镜像更新" in browser_zh.find_element(By.CSS_SELECTOR, "main").text
        assert english_left(browser_zh) == []
        shot(browser_zh, f"updates{suffix}-zh-CN")
        assert browser_zh.execute_script("return document.documentElement.scrollWidth") <= size[0]
