"""The Volumes pages in a browser: create → browse → upload → download → remove, and
screenshots of the list, the details with the file browser and the disk-use page in English
and Chinese at desktop and phone width."""
import os
import shutil
import tarfile
import tempfile
import time
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, IMAGE, docker
from selenium.common.exceptions import TimeoutException

from conftest import PASSWORD
from test_browser import shot, sign_in

DOWNLOADS = tempfile.mkdtemp(prefix="jv-volume-downloads-")


def chrome(lang="en"):
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                "--window-size=1360,860", f"--lang={lang}"]:
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang, "download.default_directory": DOWNLOADS,
                                              "download.prompt_for_download": False})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


@pytest.fixture
def browser():
    driver = chrome()
    yield driver
    driver.quit()


def login_as_admin(browser, wait):
    """Signs in as admin; once more when the login form was drawn again while it was being filled
    (the page loads its language after the first paint)."""
    for attempt in range(2):
        browser.get(BASE + "/")
        wait.until(EC.presence_of_element_located((By.NAME, "username")))
        time.sleep(0.3)
        sign_in(browser, PASSWORD)
        try:
            WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))
            return
        except TimeoutException:
            if attempt:
                raise


def click(wait, css):
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()


def confirm(wait):
    click(wait, "dialog[data-testid=confirm-dialog] button[value=confirm]")


def test_create_browse_upload_download_remove(browser):
    wait = WebDriverWait(browser, 15)
    name = f"e2e-bv-{uuid.uuid4().hex[:6]}"
    login_as_admin(browser, wait)
    browser.get(BASE + "/#/volumes")
    click(wait, "[data-testid=show-volume-create]")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=volume-name]").send_keys(name)
    browser.find_element(By.NAME, "labels").send_keys("team=blue")
    click(wait, "[data-testid=volume-create-submit]")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-name="{name}"]')))
    try:
        docker("run", "--rm", "--network", "none", "-v", f"{name}:/d", IMAGE, "sh", "-c", "mkdir -p /d/conf /d/logs && echo old > /d/logs/a.log")
        browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{name}"] a').click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-testid=volume-title]"), name))
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-testid=file-row][data-name="conf"]')))
        assert "team" in browser.find_element(By.CSS_SELECTOR, ".volume-tables").text.lower()
        # Into conf/ through the listing, then upload a file there.
        browser.find_element(By.CSS_SELECTOR, 'tr[data-name="conf"] button[data-path]').click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-testid=breadcrumbs]"), "conf"))
        local = os.path.join(DOWNLOADS, "settings.ini")
        with open(local, "w") as handle:
            handle.write("answer = 42\n")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=upload-file]").send_keys(local)
        click(wait, "[data-testid=upload-submit]")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-testid=file-row][data-name="settings.ini"]')))
        assert docker("run", "--rm", "--network", "none", "-v", f"{name}:/d", IMAGE, "cat", "/d/conf/settings.ini") == "answer = 42"
        shot(browser, "volume-details")
        # Back to the root by the breadcrumb; download the logs folder as a tar.
        browser.find_element(By.CSS_SELECTOR, "[data-testid=breadcrumbs] button[data-path='/']").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-testid=file-row][data-name="logs"]')))
        browser.find_element(By.CSS_SELECTOR, 'tr[data-name="logs"] [data-testid=download-entry]').click()
        target = os.path.join(DOWNLOADS, f"{name}-logs.tar")
        deadline = time.time() + 15
        while not os.path.exists(target) and time.time() < deadline:
            time.sleep(0.2)
        assert os.path.exists(target), os.listdir(DOWNLOADS)
        with tarfile.open(target) as tar:
            assert tar.extractfile("logs/a.log").read() == b"old\n"
        click(wait, "[data-testid=volume-remove]")
        confirm(wait)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "volumes-view")))
        assert docker("volume", "ls", "-q", "--filter", f"name=^{name}$") == ""
    finally:
        docker("volume", "rm", "-f", name, check=False)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_screenshots_in_both_languages_at_desktop_and_phone_width(lang):
    driver = chrome(lang)
    name = f"e2e-shot-{uuid.uuid4().hex[:6]}"
    docker("volume", "create", "--label", "com.docker.compose.project=shop", name)
    docker("run", "--rm", "--network", "none", "-v", f"{name}:/d", IMAGE, "sh", "-c",
           "mkdir -p /d/uploads/2026 && echo hi > /d/README.txt && ln -s /etc /d/etc-link && dd if=/dev/zero of=/d/uploads/big bs=1K count=300 2>/dev/null")
    try:
        wait = WebDriverWait(driver, 15)
        login_as_admin(driver, wait)
        # The admin's remembered language wins over the browser's: choose it in the top bar.
        Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=language-switch]")).select_by_value(lang)
        wait.until(lambda d: d.execute_script("return document.documentElement.lang") == lang)
        suffix = "" if lang == "en" else "-zh-CN"
        for width, height, tag in ((1360, 860, ""), (390, 844, "-phone")):
            driver.set_window_size(width, height)
            driver.get(BASE + "/#/volumes")
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-name="{name}"]')))
            if lang != "en":
                assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
                assert "数据卷" in driver.find_element(By.CSS_SELECTOR, "volumes-view h2").text
            overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"the page is {overflow}px wider than the window at {width}px"
            shot(driver, f"volumes{suffix}{tag}")
            driver.get(BASE + f"/#/volumes/{name}")
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-testid=file-row][data-name="etc-link"]')))
            overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"the details page is {overflow}px wider than the window at {width}px"
            shot(driver, f"volume-files{suffix}{tag}")
            driver.get(BASE + "/#/disk")
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-testid=disk-row]")))
            shot(driver, f"disk-use{suffix}{tag}")
    finally:
        if lang != "en":
            Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=language-switch]")).select_by_value("en")
            time.sleep(0.5)
        driver.quit()
        docker("volume", "rm", "-f", name, check=False)
