"""The Templates page in a real browser: search, pick a template, fill the form with one
mistake (shown beside its field), deploy, watch the task's progress, open the new stack.
The test template's container runs with network_mode none (Chromium drops requests when
containers add network interfaces)."""
import os
import shutil
import uuid

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, DATA_DIR, IMAGE, docker
from test_browser import browser, login_as_admin, shot  # noqa: F401 (browser is a fixture)
from test_tasks import finished

TEMPLATE = """\
x-jarvis:
  title: Browser demo {tag}
  description: A quiet busybox for the browser test
  categories: [e2ebrowser]
  fields:
    - name: greeting
      label: Greeting
      default: hello
      required: true
      regex: "[a-z]+"
    - name: secret
      type: random
      length: 24
services:
  app:
    image: {image}
    network_mode: none
    command: ["sh", "-c", "exec sleep 600"]
    environment:
      GREETING: ${{GREETING}}
      SECRET: ${{SECRET}}
"""


def test_pick_fill_with_a_mistake_deploy_and_open_the_stack(browser, client):
    tag = uuid.uuid4().hex[:8]
    name = "tbrowser" + tag
    folder = os.path.join(DATA_DIR, "templates", name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "compose.yaml"), "w") as handle:
        handle.write(TEMPLATE.format(tag=tag, image=IMAGE))
    stack = "tbs" + tag
    try:
        wait = WebDriverWait(browser, 20)
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/templates")
        search = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=template-search]")))
        search.send_keys("Browser demo " + tag)
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: [card.get_attribute("data-id") for card in d.find_elements(By.CSS_SELECTOR, "[data-testid=template-card]")]
            == [f"local.{name}"])
        shot(browser, "templates-list")

        def open_card(driver):
            # The list is drawn again as the search settles: find the card afresh until a click lands.
            try:
                driver.find_element(By.CSS_SELECTOR, f'[data-testid=template-card][data-id="local.{name}"]').click()
                return True
            except (StaleElementReferenceException, NoSuchElementException):
                return False
        wait.until(open_card)
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-testid=template-title]"), "Browser demo"))
        stack_input = browser.find_element(By.CSS_SELECTOR, "[data-testid=deploy-stack]")
        stack_input.clear()
        stack_input.send_keys(stack)
        greeting = browser.find_element(By.CSS_SELECTOR, "[data-testid=field-greeting]")
        greeting.clear()
        greeting.send_keys("Hello!")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=deploy]").click()
        error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".template-form .field-error")))
        assert "pattern" in error.text
        assert greeting.get_attribute("aria-invalid") == "true"
        assert not os.path.exists(os.path.join(DATA_DIR, "stacks", stack)), "a refused deploy writes nothing"
        shot(browser, "templates-field-error")
        greeting.clear()
        greeting.send_keys("hi")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=deploy]").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=task-progress]")))
        WebDriverWait(browser, 90).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=task-progress]").get_attribute("data-state") in ("succeeded", "failed"))
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=task-progress]").get_attribute("data-state") == "succeeded"
        shot(browser, "templates-deployed")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=deployed-stack]").click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-testid=stack-title]"), stack))
        assert docker("inspect", "-f", "{{.State.Running}}", f"{stack}-app-1") == "true"
    finally:
        response = client.post(f"/stacks/{stack}/down", json={})
        if response.status_code == 202:
            finished(client, response.json()["task_id"], timeout=60)
        response = client.delete(f"/stacks/{stack}")
        if response.status_code == 428:
            client.delete(f"/stacks/{stack}", headers={"X-Confirmation-Token": response.json()["confirmation"]["token"]})
        shutil.rmtree(folder, ignore_errors=True)
