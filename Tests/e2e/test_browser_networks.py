"""The Networks pages in a real browser: create with an IPAM row → details → connect a container
with an alias and a fixed address → disconnect → remove, and the pages in Chinese at desktop and
phone width. Serial: it drives a browser."""
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest
from selenium import webdriver

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, docker
from test_browser import english_left, login_as_admin, shot, sign_in_as

STACK_PORT = int(urllib.parse.urlsplit(BASE).port)


@contextlib.contextmanager
def isolated_chromium(*extra):
    """Chromium and chromedriver in a loopback-only network namespace: creating and removing
    networks adds and drops bridges on the host, and a Chromium that sees them cancels its
    requests (ERR_NETWORK_CHANGED). Two socat pairs over unix sockets carry the stack's port in
    and chromedriver's port out."""
    folder = tempfile.mkdtemp(prefix="jv-net-browser-")
    stack_sock, driver_sock = os.path.join(folder, "stack.sock"), os.path.join(folder, "driver.sock")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        driver_port = probe.getsockname()[1]
    outside = [subprocess.Popen(["socat", f"UNIX-LISTEN:{stack_sock},fork", f"TCP:127.0.0.1:{STACK_PORT}"]),
               subprocess.Popen(["socat", f"TCP-LISTEN:{driver_port},bind=127.0.0.1,fork,reuseaddr", f"UNIX-CONNECT:{driver_sock}"])]
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    inside = subprocess.Popen(["unshare", "-n", "sh", "-c",
                               "ip link set lo up && "
                               f"socat TCP-LISTEN:{STACK_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:{stack_sock} & "
                               f"socat UNIX-LISTEN:{driver_sock},fork TCP:127.0.0.1:9515 & "
                               f"exec {driver} --port=9515 --allowed-ips=127.0.0.1"], start_new_session=True)
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                "--window-size=1360,860", *extra]:
        options.add_argument(arg)
    if "--lang=zh-CN" in extra:
        options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = None
    try:
        deadline = time.time() + 20
        while session is None:
            try:
                session = webdriver.Remote(command_executor=f"http://127.0.0.1:{driver_port}", options=options)
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        yield session
    finally:
        if session is not None:
            session.quit()
        os.killpg(inside.pid, signal.SIGTERM)
        for process in outside:
            process.terminate()
        for process in [inside, *outside]:
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def browser():
    with isolated_chromium() as session:
        yield session


@pytest.fixture
def browser_zh():
    with isolated_chromium("--lang=zh-CN") as session:
        yield session


def sign_in(browser, wait):
    """Signs in as admin; once more when the first page load was cancelled (the prune before this
    file removes bridges, and Chromium drops requests when host interfaces change)."""
    try:
        login_as_admin(browser, wait)
    except TimeoutException:
        login_as_admin(browser, wait)


def attached(driver):
    """The names in the attached-containers table, or None while it is being re-rendered."""
    try:
        return [row.get_attribute("data-name") for row in driver.find_elements(By.CSS_SELECTOR, "[data-testid=attached-row]")]
    except StaleElementReferenceException:
        return None


def test_create_connect_details_disconnect_remove(browser, container):
    name = "ui-net-" + uuid.uuid4().hex[:6]
    third = random.randint(0, 255)
    # Created, not started: connecting it adds no host interface (Chromium drops requests when one appears).
    cid, cname = container(start=False, name="ui-net-peer-" + uuid.uuid4().hex[:6])
    wait = WebDriverWait(browser, 15)
    try:
        sign_in(browser, wait)
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
        row_text = browser.find_element(By.CSS_SELECTOR, "[data-testid=attached-row]").text
        assert f"10.243.{third}.40" in row_text, "a stopped container shows the fixed address it will get"
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
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=network-remove-dialog] [data-testid=dialog-confirm]"))).click()
        banner = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "network-details .banner")))
        assert cname in banner.text

        browser.find_element(By.CSS_SELECTOR, "[data-testid=disconnect]").click()
        wait.until(lambda d: attached(d) == [])
        assert name not in docker("inspect", cid, "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=network-remove]").click()
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=network-remove-dialog] [data-testid=dialog-confirm]"))).click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "networks-view [data-testid=network-row]")))
        assert name not in docker("network", "ls", "--format", "{{.Name}}").split()
        browser.find_element(By.NAME, "q").send_keys(name)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=network-count]").text == "0")
        shot(browser, "networks")
        browser.set_window_size(390, 844)
        browser.get(BASE + "/#/networks")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "networks-view [data-testid=network-row]")))
        shot(browser, "networks-phone")
    finally:
        docker("network", "disconnect", "-f", name, cid, check=False)
        docker("network", "rm", name, check=False)


def test_networks_pages_read_in_chinese(browser_zh, client):
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
