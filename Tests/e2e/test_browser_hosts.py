"""Many hosts in a real browser (headless Chromium via Selenium): adding a host through the
form (probe, what identifies the engine, save), the host switcher and the URL that carries
the host, the all-hosts views, an offline host shown as last known, and a viewer's rights.
The remote engines come from scripts/remote-engines.sh (JARVIS_REMOTE_ENGINES, hosts.json;
Tests/e2e/remote_hosts.py reads it)."""
import os
import subprocess
import time
import uuid

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

import remote_hosts
from conftest import BASE, IMAGE
from remote_hosts import remote_engines  # noqa: F401 (fixture: skips without remote engines)
from test_browser import browser, login_as_admin, shot, text_of  # noqa: F401 (the browser fixture)

PHONE = (375, 812)
DESKTOP = (1366, 860)
OPTIONS = "return [...document.querySelectorAll('[data-testid=host-switcher] option')].map((o) => o.value)"


def run_on(engine, name):
    """A sleeping busybox container on a remote engine (the image copied from the local test engine when missing)."""
    if not remote_hosts.docker(engine, "images", "-q", IMAGE):
        local = dict(os.environ, DOCKER_HOST=os.environ["JARVIS_E2E_DOCKER_HOST"])
        saved = subprocess.run(["docker", "save", IMAGE], env=local, capture_output=True, timeout=120, check=True).stdout
        subprocess.run(["docker", "load"], input=saved, env=dict(os.environ, DOCKER_HOST=remote_hosts.host(engine)["unix"]),
                       capture_output=True, timeout=120, check=True)
    return remote_hosts.docker(engine, "run", "-d", "--network", "none", "--name", name, "--label", "jarvis.e2e=1", IMAGE,
                               "sh", "-c", "while true; do sleep 1; done")


def socket_body(engine, name):
    """POST /api/v1/hosts body for a remote engine reached by its unix socket (nothing to fingerprint)."""
    return {"endpoint": remote_hosts.host(engine)["unix"], "name": name, "display_name": name.title()}


def add_host(client, body):
    saved = client.post("/hosts", json=body)
    assert saved.status_code == 201, saved.text
    return saved.json()


def delete_host(client, name):
    response = client.delete(f"/hosts/{name}")
    if response.status_code == 428:  # the server's confirmation, as the UI's dialog sends it
        response = client.delete(f"/hosts/{name}", headers={"X-Confirmation-Token": response.json()["confirmation"]["token"]})
    assert response.status_code in (204, 404), response.text


def require_transport(client, body):
    """Skips while this build cannot reach the transport yet (501 transport_unavailable); returns the probe."""
    probe = client.post("/hosts/probe", json=body)
    if probe.status_code == 501:
        pytest.skip(probe.json()["error"]["message"])
    assert probe.status_code == 200, probe.text
    return probe.json()


def pem_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def open_add_form(browser, wait):
    browser.get(BASE + "/#/hosts")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid=host-row][data-host="local"]'))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=add-host]").click()
    form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "host-form form")))
    assert hash_of(browser) == "#/hosts/new"
    return form


def type_into(form, name, text):
    field = form.find_element(By.NAME, name)
    field.clear()
    field.send_keys(text)


def pick_pem(browser, form, tmp_path, field, key, text):
    """Chooses a PEM file for `field`: the browser reads it into the text field."""
    form.find_element(By.CSS_SELECTOR, f'input[type=file][data-into="{field}"]').send_keys(pem_file(tmp_path, key + ".pem", text))
    WebDriverWait(browser, 5).until(lambda d: form.find_element(By.NAME, field).get_attribute("value").strip() == text.strip())


def save_button(browser):
    return browser.find_element(By.CSS_SELECTOR, "[data-testid=save-host]")


def severe_errors(browser, allowed=()):
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"
            and "auth/me" not in e["message"] and "ERR_NETWORK_CHANGED" not in e["message"]
            and not any(a in e["message"] for a in allowed)]


def switcher_value(browser):
    try:
        return Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=host-switcher]")).first_selected_option.get_attribute("value")
    except StaleElementReferenceException:
        return None


def hash_of(browser):
    return browser.execute_script("return location.hash")


def row_names(browser):
    return set(browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=container-row]')].map((r) => r.dataset.name)"))


def test_admin_adds_a_host_through_the_form_and_switches_to_it(browser, client, remote_engines, container):
    """Probe shows the engine's facts; Save stays off until what identifies it is confirmed; the
    switcher moves to the new host, the URL carries it, a reload and an old link keep it."""
    name = "near-ui-" + uuid.uuid4().hex[:4]
    on_near = "near-only-" + uuid.uuid4().hex[:6]
    near = remote_hosts.host("near")
    run_on("near", on_near)
    _, on_local = container(name="local-only-" + uuid.uuid4().hex[:6], network="none")
    wait = WebDriverWait(browser, 20)
    browser.set_window_size(*DESKTOP)
    try:
        login_as_admin(browser, wait)
        form = open_add_form(browser, wait)
        assert not save_button(browser).is_enabled(), "nothing is saved before a probe"

        # A mistyped socket first: the refusal is shown at the endpoint field.
        form.find_element(By.CSS_SELECTOR, "[data-testid=transport-unix]").click()
        type_into(form, "endpoint", near["unix"] + ".missing")
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-error-for="endpoint"]')))
        assert error.text and "invalid" in form.find_element(By.NAME, "endpoint").get_attribute("class")
        assert not save_button(browser).is_enabled()

        # The right socket: the engine's facts as the API's probe reports them.
        expected = client.post("/hosts/probe", json={"endpoint": near["unix"]}).json()
        type_into(form, "endpoint", near["unix"])
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        result = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=probe-result]")))
        assert expected["engine"]["version"] in result.text and expected["engine"]["kernel"] in result.text
        assert not browser.find_element(By.CSS_SELECTOR, '[data-error-for="endpoint"]').is_displayed()
        assert form.find_element(By.NAME, "name").get_attribute("value") == "near", "a name suggested from the socket path"
        assert not save_button(browser).is_enabled(), "what identifies the engine is confirmed first"
        form.find_element(By.CSS_SELECTOR, "[data-testid=trust-fingerprint]").click()
        assert save_button(browser).is_enabled()
        # Changing the connection after the probe needs a new probe.
        form.find_element(By.NAME, "endpoint").send_keys("x")
        wait.until(lambda d: not save_button(d).is_enabled())
        type_into(form, "endpoint", near["unix"])
        wait.until(lambda d: save_button(d).is_enabled())
        type_into(form, "name", name)
        form.find_element(By.NAME, "display_name").send_keys("Near (UI)")
        form.find_element(By.NAME, "labels").send_keys("env=test")
        browser.execute_script("arguments[0].scrollIntoView()", result)
        shot(browser, "hosts-add-probed")
        browser.set_window_size(*PHONE)
        browser.execute_script("arguments[0].scrollIntoView()", result)
        shot(browser, "hosts-add-probed-phone")
        browser.set_window_size(*DESKTOP)
        save_button(browser).click()

        # Saved: the details page, and the API has it.
        wait.until(lambda d: hash_of(d) == f"#/hosts/{name}")
        wait.until(lambda d: text_of(d, "[data-testid=host-title]") == "Near (UI)")
        saved = client.get(f"/hosts/{name}").json()
        assert saved["endpoint"] == near["unix"] and saved["labels"] == {"env": "test"}

        # The switcher lists it; choosing it opens its dashboard with the host in the URL.
        wait.until(lambda d: name in d.execute_script(OPTIONS))
        Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=host-switcher]")).select_by_value(name)
        wait.until(lambda d: hash_of(d) == f"#/h/{name}/dashboard")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=dashboard] [data-testid=host-card]")))
        cards = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid=overview-host][data-host="{name}"]'))
        assert "current" in cards[0].get_attribute("class")
        assert browser.find_elements(By.CSS_SELECTOR, '[data-testid=overview-host][data-host="local"]')
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=host-dot]").get_attribute("data-state") == "online")
        shot(browser, "hosts-dashboard-overview")

        # That host's containers, not the local one's.
        browser.find_element(By.CSS_SELECTOR, ".topbar nav a[href$='/containers']").click()
        wait.until(lambda d: hash_of(d) == f"#/h/{name}/containers")
        wait.until(lambda d: on_near in row_names(d))
        assert on_local not in row_names(browser)
        shot(browser, "hosts-switched-containers")

        # A reload keeps the host (it is in the URL); an old link without it opens on the remembered host.
        browser.refresh()
        wait.until(lambda d: on_near in row_names(d))
        assert hash_of(browser) == f"#/h/{name}/containers" and switcher_value(browser) == name
        browser.get(BASE + "/#/containers")
        wait.until(lambda d: hash_of(d) == f"#/h/{name}/containers")
        wait.until(lambda d: on_near in row_names(d))
        # A link to the local host opens the local host.
        browser.get(BASE + "/#/h/local/containers")
        wait.until(lambda d: on_local in row_names(d))
        assert switcher_value(browser) == "local" and on_near not in row_names(browser)

        # The Hosts page, the switcher and the overview at phone width, without sideways scrolling.
        browser.get(BASE + "/#/hosts")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"]'))
        shot(browser, "hosts-page")
        browser.set_window_size(*PHONE)
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=host-switcher]").is_displayed()
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        shot(browser, "hosts-page-phone")
        browser.get(BASE + f"/#/h/{name}/dashboard")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=overview-host]"))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=dashboard] [data-testid=host-card]"))
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        shot(browser, "hosts-dashboard-overview-phone")
        # The mistyped socket's 422 is the only refusal on the console.
        assert severe_errors(browser, allowed=("hosts/probe - Failed to load resource: the server responded with a status of 422",)) == []
    finally:
        browser.set_window_size(*DESKTOP)
        remote_hosts.docker("near", "rm", "-f", on_near, check=False)
        delete_host(client, name)


def test_a_tls_host_shows_its_certificate_fingerprint_and_a_wrong_ca_at_the_ca_field(browser, client, remote_engines, tmp_path):
    """TLS: PEM files read in the browser; a wrong CA is refused next to the CA field; the probe shows
    the server certificate's SHA-256, and Save sends exactly that fingerprint."""
    expected = require_transport(client, remote_hosts.tls_probe_body("near"))
    name = "near-tls-" + uuid.uuid4().hex[:4]
    near = remote_hosts.host("near")
    wait = WebDriverWait(browser, 20)
    try:
        login_as_admin(browser, wait)
        form = open_add_form(browser, wait)
        form.find_element(By.CSS_SELECTOR, "[data-testid=transport-tls]").click()
        type_into(form, "endpoint", near["tls_endpoint"])
        type_into(form, "server_name", near["server_name"])
        pick_pem(browser, form, tmp_path, "ca", "bad_ca", remote_engines["bad_ca"])
        pick_pem(browser, form, tmp_path, "cert", "client_cert", remote_engines["client_cert"])
        pick_pem(browser, form, tmp_path, "key", "client_key", remote_engines["client_key"])
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-error-for="ca"]')))
        assert error.get_attribute("data-code") == "tls_untrusted", error.text
        assert "invalid" in form.find_element(By.NAME, "ca").get_attribute("class")
        shot(browser, "hosts-add-wrong-ca")

        pick_pem(browser, form, tmp_path, "ca", "ca", remote_engines["ca"])
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        result = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=probe-result]")))
        fingerprint = result.find_element(By.CSS_SELECTOR, "[data-testid=probe-fingerprint]")
        assert fingerprint.get_attribute("data-fingerprint") == expected["fingerprint"] == remote_hosts.fingerprint("near")
        assert expected["tls"]["server"]["subject"] in result.text
        form.find_element(By.CSS_SELECTOR, "[data-testid=trust-fingerprint]").click()
        type_into(form, "name", name)
        shot(browser, "hosts-add-tls-probed")
        save_button(browser).click()
        wait.until(lambda d: hash_of(d) == f"#/hosts/{name}")
        assert client.get(f"/hosts/{name}").json()["transport"] == "tls"
    finally:
        delete_host(client, name)


def test_an_ssh_host_shows_its_host_key_and_is_deleted_from_the_hosts_page(browser, client, remote_engines):
    """SSH: the probe shows the host key's fingerprint (what ssh-keygen -l prints); delete goes through the server's confirmation."""
    require_transport(client, remote_hosts.ssh_probe_body("near"))
    near = remote_hosts.host("near")
    name = "near-ssh-" + uuid.uuid4().hex[:4]
    wait = WebDriverWait(browser, 30)
    try:
        login_as_admin(browser, wait)
        form = open_add_form(browser, wait)
        form.find_element(By.CSS_SELECTOR, "[data-testid=transport-ssh]").click()
        assert not form.find_element(By.NAME, "ca").is_displayed() and form.find_element(By.NAME, "private_key").is_displayed()
        type_into(form, "endpoint", near["ssh_endpoint"])
        type_into(form, "socket", near["ssh_socket"])
        browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
                               form.find_element(By.NAME, "private_key"), near["ssh_key"])
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        fingerprint = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=probe-fingerprint]")))
        assert fingerprint.get_attribute("data-fingerprint") == near["ssh_host_key"]
        form.find_element(By.CSS_SELECTOR, "[data-testid=trust-fingerprint]").click()
        type_into(form, "name", name)
        save_button(browser).click()
        wait.until(lambda d: hash_of(d) == f"#/hosts/{name}")
        facts = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=host-facts]")))
        wait.until(lambda d: near["ssh_host_key"] in facts.text)
        assert client.get(f"/hosts/{name}").json()["transport"] == "ssh"

        browser.get(BASE + "/#/hosts")
        row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"]'))
        row.find_element(By.CSS_SELECTOR, "[data-testid=delete-host]").click()
        dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=confirm-dialog]")))
        assert name in dialog.text
        dialog.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"]'))
        assert client.get(f"/hosts/{name}").status_code == 404
        wait.until(lambda d: name not in d.execute_script(OPTIONS))
    finally:
        delete_host(client, name)


def test_search_all_hosts_lists_each_hosts_containers_with_their_host(browser, client, remote_engines, container):
    name = "far-all-" + uuid.uuid4().hex[:4]
    on_far = "far-only-" + uuid.uuid4().hex[:6]
    _, on_local = container(name="local-only-" + uuid.uuid4().hex[:6], network="none")
    run_on("far", on_far)
    add_host(client, socket_body("far", name))
    wait = WebDriverWait(browser, 30)
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/h/local/containers")
        wait.until(lambda d: on_local in row_names(d))
        assert on_far not in row_names(browser)
        assert not browser.find_element(By.CSS_SELECTOR, "th.host-col").is_displayed()
        browser.find_element(By.CSS_SELECTOR, "[data-testid=all-hosts]").click()
        # The new host's mirror fills after its first sync: wait for both.
        wait.until(lambda d: {on_local, on_far} <= row_names(d))
        assert browser.find_element(By.CSS_SELECTOR, "th.host-col").is_displayed()
        host_of = browser.execute_script("""return Object.fromEntries([...document.querySelectorAll('[data-testid=container-row]')]
            .map((r) => [r.dataset.name, [r.dataset.host, r.querySelector('[data-testid=container-host]').textContent.trim()]]))""")
        assert host_of[on_far] == [name, name.title()] and host_of[on_local][0] == "local", host_of
        link = browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{on_far}"] [data-testid=container-link]')
        assert f"#/h/{name}/containers/" in link.get_attribute("href")
        shot(browser, "hosts-all-containers")
        link.click()
        wait.until(lambda d: text_of(d, "[data-testid=details-title]") == on_far)
        assert switcher_value(browser) == name
    finally:
        remote_hosts.docker("far", "rm", "-f", on_far, check=False)
        delete_host(client, name)


def test_an_offline_host_turns_offline_live_and_its_rows_are_last_known(browser, client, remote_engines):
    """Stopping the engine: the switcher's dot turns offline without a reload (a `host` event),
    its containers show as last known with actions disabled; starting it brings it back."""
    name = "far-off-" + uuid.uuid4().hex[:4]
    on_far = "far-stale-" + uuid.uuid4().hex[:6]
    run_on("far", on_far)
    add_host(client, socket_body("far", name))
    wait = WebDriverWait(browser, 60)
    stopped = False
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + f"/#/h/{name}/containers")
        wait.until(lambda d: on_far in row_names(d))
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=host-dot]").get_attribute("data-state") == "online")
        # Last known rows need a mirror that has synced once; until then the list comes from the engine.
        deadline = time.time() + 60
        while client.get(f"/hosts/{name}/containers", params={"all": 1}).json().get("source") != "mirror":
            assert time.time() < deadline, "the new host's mirror never synced"
            time.sleep(0.5)
        remote_hosts.stop_engine("far")
        stopped = True
        checked = client.post(f"/hosts/{name}/check")  # "check now" instead of waiting for the interval
        assert checked.status_code == 200 and checked.json()["state"] == "offline", checked.text
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=host-dot]").get_attribute("data-state") == "offline")
        row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'tr.stale[data-name="{on_far}"]'))
        assert "last seen" in row.find_element(By.CSS_SELECTOR, "[data-testid=status]").text
        buttons = row.find_elements(By.CSS_SELECTOR, "button[data-action]")
        assert buttons and all(not b.is_enabled() for b in buttons)
        banner = browser.find_element(By.CSS_SELECTOR, "[data-testid=stale-banner]")
        assert banner.is_displayed() and "offline" in banner.text
        shot(browser, "hosts-offline-stale")
        browser.get(BASE + "/#/hosts")
        wait.until(lambda d: text_of(d, f'[data-testid=host-row][data-host="{name}"] [data-testid=host-state]') == "offline")
        remote_hosts.start_engine("far")
        stopped = False
        # "Check now" on the offline host, from its row: it comes back without a reload.
        browser.find_element(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"] [data-testid=check-host]').click()
        wait.until(lambda d: text_of(d, f'[data-testid=host-row][data-host="{name}"] [data-testid=host-state]') == "online")
        assert not browser.find_element(By.CSS_SELECTOR, "hosts-view .banner").is_displayed(), \
            browser.find_element(By.CSS_SELECTOR, "hosts-view .banner").text
    finally:
        if stopped:
            remote_hosts.start_engine("far")
        remote_hosts.docker("far", "rm", "-f", on_far, check=False)
        delete_host(client, name)


def test_a_viewer_reads_the_hosts_page_without_add_check_or_delete(browser, client, remote_engines):
    client.post("/users", json={"username": "ui-hosts-viewer", "password": "viewer-password-1", "role": "viewer"})
    wait = WebDriverWait(browser, 15)
    browser.get(BASE + "/")
    wait.until(EC.presence_of_element_located((By.NAME, "username")))
    for field, value in (("username", "ui-hosts-viewer"), ("password", "viewer-password-1")):
        browser.find_element(By.NAME, field).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=current-user]")))
    browser.get(BASE + "/#/hosts")
    row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=host-row][data-host="local"]'))
    assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=add-host]").is_displayed()
    visible = [b.text for b in row.find_elements(By.CSS_SELECTOR, "button, a.button") if b.is_displayed()]
    assert visible == ["open"], visible
    # The add form is not offered to a viewer (the server refuses the probe anyway): the page says what it needs.
    browser.get(BASE + "/#/hosts/new")
    refusal = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=not-allowed]"))
    assert "the admin role" in refusal.text
    assert not browser.find_elements(By.CSS_SELECTOR, "host-form")
    assert severe_errors(browser) == []
