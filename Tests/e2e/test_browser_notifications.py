"""The notifications page in a real browser: an admin adds a webhook channel, sends a test (the
receiver on 127.0.0.1 checks the signature), adds a rule with the event picker and a preview, and
sees the delivery log and the bell; screenshots in English and Chinese, desktop and phone width."""
import http.server
import threading
import time
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, PASSWORD
from test_browser import browser, browser_zh, english_left, shot, sign_in_as  # noqa: F401 (fixtures)
from test_notifications import WEBHOOK_SECRET, Receiver

PORT = 23511


@pytest.fixture(scope="module")
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Receiver
    server.shutdown()
    server.server_close()


def fill(form, name, value):
    field = form.find_element(By.CSS_SELECTOR, f'[name="{name}"]')
    field.clear()
    field.send_keys(value)


def test_create_a_channel_and_a_rule_send_a_test_and_see_the_log(browser, client, receiver):
    wait = WebDriverWait(browser, 20)
    sign_in_as(browser, wait, "admin", PASSWORD)
    browser.get(BASE + "/#/notifications")
    form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=channel-form]")))
    name = "browser-hook-" + uuid.uuid4().hex[:6]
    Select(form.find_element(By.NAME, "kind")).select_by_value("webhook")
    fill(form, "name", name)
    fill(form, "url", f"http://127.0.0.1:{PORT}/hook/browser")
    fill(form, "secret", WEBHOOK_SECRET)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    row = wait.until(EC.presence_of_element_located((By.XPATH, f"//tr[@data-testid='channel-row'][.//strong[text()='{name}']]")))
    before = len(receiver.seen)
    row.find_element(By.CSS_SELECTOR, "button[data-action=test]").click()
    wait.until(lambda d: "accepted" in d.find_element(By.CSS_SELECTOR, "[data-testid=test-answer]").text)
    assert receiver.seen[before]["verified"], "the browser's test message was not signed correctly"
    # A rule: pick an event and the channel, preview the default message, save.
    rule_form = browser.find_element(By.CSS_SELECTOR, "[data-testid=rule-form]")
    rule_name = "browser-rule-" + uuid.uuid4().hex[:6]
    fill(rule_form, "name", rule_name)
    rule_form.find_element(By.CSS_SELECTOR, 'input[name=events][value="container.died"]').click()
    channel_id = row.get_attribute("data-id")
    rule_form.find_element(By.CSS_SELECTOR, f'input[name=channels][value="{channel_id}"]').click()
    fill(rule_form, "container", "browser-*")
    rule_form.find_element(By.CSS_SELECTOR, "button[data-action=preview]").click()
    wait.until(lambda d: "Exit code: 3" in d.find_element(By.CSS_SELECTOR, "[data-testid=rule-preview]").text)
    rule_form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.XPATH, f"//tr[@data-testid='rule-row'][.//strong[text()='{rule_name}']]")))
    wait.until(lambda d: any(name in r.text for r in d.find_elements(By.CSS_SELECTOR, "[data-testid=delivery-row]")))
    saved = client.get("/notifications/rules").json()["items"]
    rule = next(r for r in saved if r["name"] == rule_name)
    assert rule["events"] == ["container.died"] and rule["filters"]["container"] == "browser-*" and rule["channels"] == [int(channel_id)]
    browser.find_element(By.CSS_SELECTOR, "notify-bell .bell").click()
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "notify-bell .bell-panel")))
    shot(browser, "notifications")
    browser.find_element(By.CSS_SELECTOR, ".notify-rules h2").click()
    assert not browser.find_element(By.CSS_SELECTOR, "notify-bell .bell-panel").is_displayed(), "a click elsewhere did not close the bell"
    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=channel-row]")))
    time.sleep(1)
    shot(browser, "notifications-phone")
    client.delete(f"/notifications/rules/{rule['id']}")
    client.delete(f"/notifications/channels/{channel_id}")


def test_the_notifications_page_and_bell_read_in_chinese(browser_zh, client):
    browser = browser_zh
    user = "zh-notify-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": user, "password": "zh-notify-password-1", "role": "admin"}).status_code == 201
    channel = client.post("/notifications/channels", json={"kind": "dingtalk", "name": "钉钉-" + uuid.uuid4().hex[:4],
                                                           "config": {"token": "t-zh", "secret": "SECzh"}}).json()
    wait = WebDriverWait(browser, 20)
    try:
        sign_in_as(browser, wait, user, "zh-notify-password-1")
        for size, suffix in (((1360, 860), ""), ((390, 844), "-phone")):
            browser.set_window_size(*size)
            browser.get(BASE + "/#/notifications")
            browser.refresh()
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=channel-row]")))
            time.sleep(1)
            assert "通知渠道" in browser.find_element(By.TAG_NAME, "main").text
            picker = browser.find_element(By.CSS_SELECTOR, "[data-testid=rule-form]").text
            for label in ("计划任务运行失败", "计划任务失败后恢复成功", "主机证书即将过期", "主机磁盘占用超过阈值", "审计日志链校验失败"):
                assert label in picker, f"the event picker lacks {label}"
            assert english_left(browser) == []
            shot(browser, f"notifications{suffix}-zh-CN")
            browser.find_element(By.CSS_SELECTOR, "notify-bell .bell").click()
            panel = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "notify-bell .bell-panel")))
            assert "最新事件" in panel.text
            shot(browser, f"notifications-bell{suffix}-zh-CN")
            browser.find_element(By.TAG_NAME, "body").send_keys("\ue00c")  # Escape closes it
            width = browser.execute_script("return document.documentElement.scrollWidth")
            wider = browser.execute_script(
                "return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)"
                ".slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")
            assert width <= size[0] + 1, f"the page is {width} px wide at {size[0]} px: {wider}"
    finally:
        client.delete(f"/notifications/channels/{channel['id']}")
