"""The Networks pages in a real browser: create with an IPAM row → details → connect a container
with an alias and a fixed address → disconnect → remove, and the pages in Chinese at desktop and
phone width. Serial: it drives a browser."""
import random
import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, docker
from test_browser import browser, browser_zh, english_left, login_as_admin, shot, sign_in_as  # noqa: F401 (fixtures)


def attached(driver):
    return [row.get_attribute("data-name") for row in driver.find_elements(By.CSS_SELECTOR, "[data-testid=attached-row]")]


def test_create_connect_details_disconnect_remove(browser, container):  # noqa: F811
    name = "ui-net-" + uuid.uuid4().hex[:6]
    third = random.randint(0, 255)
    # Created, not started: connecting it adds no host interface (Chromium drops requests when one appears).
    cid, cname = container(start=False, name="ui-net-peer-" + uuid.uuid4().hex[:6])
    wait = WebDriverWait(browser, 15)
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/networks")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=network-row]")))
        browser.find_element(By.CSS_SELECTOR, "[data-testid=network-new]").click()
        form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.network-create")))
        form.find_element(By.NAME, "name").send_keys(name)
        browser.find_element(By.CSS_SELECTOR, "[data-testid=ipam-add-v4]").click()
        row = form.find_element(By.CSS_SELECTOR, ".ipam-rows tbody tr")
        # A wrong subnet first: the server's message names the field, and nothing is created.
        row.find_element(By.NAME, "subnet").send_keys(f"10.{third}.0/24")
        form.find_element(By.CSS_SELECTOR, "[data-testid=network-create-submit]").click()
        error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=network-create-error]")))
        assert "ipam.config[0].subnet" in error.text and "invalid CIDR" in error.text
        assert name not in docker("network", "ls", "--format", "{{.Name}}").split()
        Select(form.find_element(By.NAME, "driver")).select_by_value("macvlan")
        assert form.find_element(By.NAME, "parent").is_displayed(), "macvlan shows its parent interface"
        Select(form.find_element(By.NAME, "driver")).select_by_value("bridge")
        row.find_element(By.NAME, "subnet").clear()
        row.find_element(By.NAME, "subnet").send_keys(f"10.243.{third}.0/24")
        row.find_element(By.NAME, "gateway").send_keys(f"10.243.{third}.1")
        shot(browser, "network-create")
        form.find_element(By.CSS_SELECTOR, "[data-testid=network-create-submit]").click()

        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=network-title]").text == name)
        assert docker("network", "inspect", name, "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}") == f"10.243.{third}.1"
        wait.until(lambda d: cname in [o.get_attribute("value") for o in d.find_elements(By.CSS_SELECTOR, "[data-testid=connect-container] option")])
        Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=connect-container]")).select_by_value(cname)
        browser.find_element(By.CSS_SELECTOR, "[data-testid=connect-aliases]").send_keys("cache, cache.local")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=connect-ipv4]").send_keys(f"10.243.{third}.40")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=connect-submit]").click()
        wait.until(lambda d: attached(d) == [cname])
        aliases = browser.find_element(By.CSS_SELECTOR, "[data-testid=attached-aliases]").text
        assert "cache" in aliases and "cache.local" in aliases
        inspected = docker("inspect", cid, "-f", "{{(index .NetworkSettings.Networks \"%s\").IPAMConfig.IPv4Address}}" % name)
        assert inspected == f"10.243.{third}.40"
        shot(browser, "network-details")
        browser.set_window_size(390, 844)
        time.sleep(0.5)
        shot(browser, "network-details-phone")
        browser.set_window_size(1360, 860)

        # Remove while attached: the server's 409 names the container.
        browser.find_element(By.CSS_SELECTOR, "[data-testid=network-remove]").click()
        browser.switch_to.alert.accept()
        banner = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "network-details .banner")))
        assert cname in banner.text

        browser.find_element(By.CSS_SELECTOR, "[data-testid=disconnect]").click()
        wait.until(lambda d: attached(d) == [])
        assert name not in docker("inspect", cid, "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=network-remove]").click()
        browser.switch_to.alert.accept()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "networks-view [data-testid=network-row]")))
        assert name not in docker("network", "ls", "--format", "{{.Name}}").split()
        browser.find_element(By.NAME, "q").send_keys(name)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=network-count]").text == "0")
        shot(browser, "networks")
        browser.set_window_size(390, 844)
        browser.find_element(By.NAME, "q").clear()
        time.sleep(1)
        shot(browser, "networks-phone")
    finally:
        docker("network", "disconnect", "-f", name, cid, check=False)
        docker("network", "rm", name, check=False)


def test_networks_pages_read_in_chinese(browser_zh, client):  # noqa: F811
    user = "zh-net-" + uuid.uuid4().hex[:6]
    assert client.post("/users", json={"username": user, "password": "zh-net-password-1", "role": "admin"}).status_code == 201
    name = "zh-net-" + uuid.uuid4().hex[:6]
    third = random.randint(0, 255)
    made = client.post("/networks", json={"name": name, "labels": {"team": "web"},
                                          "ipam": {"config": [{"subnet": f"10.244.{third}.0/24", "gateway": f"10.244.{third}.1"},
                                                              {"subnet": "fd00:%x::/64" % random.randint(1, 0xffff)}]}})
    assert made.status_code == 201, made.text
    wait = WebDriverWait(browser_zh, 15)
    try:
        sign_in_as(browser_zh, wait, user, "zh-net-password-1")
        assert "网络" in browser_zh.find_element(By.CSS_SELECTOR, ".topbar nav").text
        left, wide = {}, {}
        for size, suffix in (((1360, 860), ""), ((390, 844), "-phone")):
            browser_zh.set_window_size(*size)
            for page, path in (("networks", "#/networks"), ("network-details", f"#/networks/{name}"), ("network-create", "#/networks/new")):
                browser_zh.get(BASE + "/" + path)
                wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "main > *")))
                if page == "network-create":
                    browser_zh.find_element(By.CSS_SELECTOR, "[data-testid=ipam-add-v4]").click()
                time.sleep(1.2)
                shot(browser_zh, f"{page}{suffix}-zh-CN")
                if english_left(browser_zh):
                    left[page + suffix] = english_left(browser_zh)
                width = browser_zh.execute_script("return document.documentElement.scrollWidth")
                if width > size[0]:
                    wide[page + suffix] = width
        assert left == {}, "English left on Chinese pages"
        assert wide == {}, "pages wider than the window"
    finally:
        docker("network", "rm", name, check=False)
