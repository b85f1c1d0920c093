"""Many hosts in a real browser (headless Chromium via Selenium): adding a host through the
form (probe, fingerprint, save), the host switcher and the URL that carries the host, the
all-hosts views, and an offline host shown as last known. The remote engines come from
scripts/remote-engines.sh (JARVIS_REMOTE_ENGINES names its directory, with hosts.json)."""
import json
import os
import subprocess
import uuid

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, IMAGE
from test_browser import browser, login_as_admin, shot, text_of  # noqa: F401 (the browser fixture)

REMOTE = os.environ.get("JARVIS_REMOTE_ENGINES", "")
pytestmark = pytest.mark.skipif(not REMOTE, reason="JARVIS_REMOTE_ENGINES is unset (no remote test engines)")
PHONE = (375, 812)
DESKTOP = (1366, 860)


@pytest.fixture(scope="module")
def remote():
    """hosts.json of the remote engines: CA, client certificate and key, and per host its endpoints."""
    with open(os.path.join(REMOTE, "hosts.json")) as f:
        return json.load(f)


def remote_docker(engine, *args, check=True, **kw):
    """The docker CLI against one remote engine's own socket (the test's back door, as an operator's shell)."""
    env = dict(os.environ, DOCKER_HOST=engine["unix"])
    result = subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=120, **kw)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} on {engine['unix']} failed: {result.stderr}")
    return result.stdout.strip()


def run_on(engine, name):
    """A sleeping busybox container on a remote engine (the image copied from the local test engine)."""
    if not remote_docker(engine, "images", "-q", IMAGE):
        saved = subprocess.run(["docker", "save", IMAGE], env=dict(os.environ, DOCKER_HOST=os.environ["JARVIS_E2E_DOCKER_HOST"]),
                               capture_output=True, timeout=120, check=True).stdout
        subprocess.run(["docker", "load"], input=saved, env=dict(os.environ, DOCKER_HOST=engine["unix"]),
                       capture_output=True, timeout=120, check=True)
    return remote_docker(engine, "run", "-d", "--network", "none", "--name", name, "--label", "jarvis.e2e=1", IMAGE,
                         "sh", "-c", "while true; do sleep 1; done")


def tls_body(remote, host):
    return {"endpoint": remote["hosts"][host]["tls_endpoint"],
            "tls": {"ca": remote["ca"], "cert": remote["client_cert"], "key": remote["client_key"],
                    "server_name": remote["hosts"][host]["server_name"]}}


def add_host(client, remote, engine, name):
    """Adds a TLS host through the API (probe, then save with the fingerprint it showed)."""
    body = tls_body(remote, engine)
    probe = client.post("/hosts/probe", json=body)
    assert probe.status_code == 200, probe.text
    saved = client.post("/hosts", json={**body, "name": name, "display_name": name.title(), "fingerprint": probe.json()["fingerprint"]})
    assert saved.status_code == 201, saved.text
    return saved.json()


def delete_host(client, name):
    response = client.delete(f"/hosts/{name}")
    if response.status_code == 428:  # the server's confirmation, as the UI's dialog sends it
        token = response.json()["confirmation"]["token"]
        response = client.delete(f"/hosts/{name}", headers={"X-Confirmation-Token": token})
    assert response.status_code in (204, 404), response.text


def pem_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def fill_tls_form(browser, tmp_path, remote, engine, ca_key="ca"):
    """The add form with TLS settings: endpoint and server name typed, the PEMs picked as files (read in the browser)."""
    form = browser.find_element(By.CSS_SELECTOR, "host-form form")
    form.find_element(By.CSS_SELECTOR, "[data-testid=transport-tls]").click()
    endpoint = form.find_element(By.NAME, "endpoint")
    endpoint.clear()
    endpoint.send_keys(remote["hosts"][engine]["tls_endpoint"])
    server_name = form.find_element(By.NAME, "server_name")
    server_name.clear()
    server_name.send_keys(remote["hosts"][engine]["server_name"])
    for field, key in (("ca", ca_key), ("cert", "client_cert"), ("key", "client_key")):
        form.find_element(By.CSS_SELECTOR, f'input[type=file][data-into="{field}"]').send_keys(pem_file(tmp_path, f"{key}.pem", remote[key]))
        WebDriverWait(browser, 5).until(lambda d: "-----BEGIN" in form.find_element(By.NAME, field).get_attribute("value"))
    return form


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
    try:
        return {r.get_attribute("data-name") for r in browser.find_elements(By.CSS_SELECTOR, "[data-testid=container-row]")}
    except StaleElementReferenceException:
        return set()


def test_admin_adds_a_tls_host_through_the_form_and_switches_to_it(browser, client, remote, tmp_path, container):
    """Probe shows the engine and its certificate fingerprint; Save sends that fingerprint; the
    switcher moves to the host, the URL carries it, a reload and an old link keep it."""
    name = "near-ui-" + uuid.uuid4().hex[:4]
    on_near = "near-only-" + uuid.uuid4().hex[:6]
    near = remote["hosts"]["near"]
    run_on(near, on_near)
    _, on_local = container(name="local-only-" + uuid.uuid4().hex[:6], network="none")
    wait = WebDriverWait(browser, 20)
    browser.set_window_size(*DESKTOP)
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/hosts")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid=host-row][data-host="local"]'))
        browser.find_element(By.CSS_SELECTOR, "[data-testid=add-host]").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "host-form form")))
        assert hash_of(browser) == "#/hosts/new"
        save = browser.find_element(By.CSS_SELECTOR, "[data-testid=save-host]")
        assert not save.is_enabled(), "nothing is saved before a probe"

        # The wrong CA first: the refusal is shown at the CA field, with its code.
        form = fill_tls_form(browser, tmp_path, remote, "near", ca_key="bad_ca")
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        error = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-error-for="ca"]')))
        assert error.get_attribute("data-code") == "tls_untrusted", error.text
        assert "invalid" in form.find_element(By.NAME, "ca").get_attribute("class")
        assert not save.is_enabled()

        # The right CA: the engine's facts and the certificate's fingerprint, as the API's probe reports them.
        expected = client.post("/hosts/probe", json=tls_body(remote, "near")).json()
        form.find_element(By.CSS_SELECTOR, 'input[type=file][data-into="ca"]').send_keys(pem_file(tmp_path, "ca.pem", remote["ca"]))
        wait.until(lambda d: form.find_element(By.NAME, "ca").get_attribute("value").strip() == remote["ca"].strip())
        assert not save.is_enabled(), "new settings need a new probe"
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        result = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=probe-result]")))
        fingerprint = result.find_element(By.CSS_SELECTOR, "[data-testid=probe-fingerprint]")
        assert fingerprint.get_attribute("data-fingerprint") == expected["fingerprint"]
        assert expected["engine"]["version"] in result.text and expected["tls"]["server"]["subject"] in result.text
        assert not browser.find_element(By.CSS_SELECTOR, '[data-error-for="ca"]').is_displayed()
        assert not save.is_enabled(), "the fingerprint must be confirmed first"
        form.find_element(By.CSS_SELECTOR, "[data-testid=trust-fingerprint]").click()
        assert save.is_enabled()
        field = form.find_element(By.NAME, "name")
        field.clear()
        field.send_keys(name)
        form.find_element(By.NAME, "display_name").send_keys("Near (UI)")
        form.find_element(By.NAME, "labels").send_keys("env=test")
        result.location_once_scrolled_into_view
        shot(browser, "hosts-add-probed")
        browser.set_window_size(*PHONE)
        result.location_once_scrolled_into_view
        shot(browser, "hosts-add-probed-phone")
        browser.set_window_size(*DESKTOP)
        save.click()

        # Saved with that fingerprint: the details page, and the API has the host as TLS.
        wait.until(lambda d: hash_of(d) == f"#/hosts/{name}")
        wait.until(lambda d: text_of(d, "[data-testid=host-title]") == "Near (UI)")
        saved = client.get(f"/hosts/{name}").json()
        assert saved["transport"] == "tls" and saved["labels"] == {"env": "test"}

        # The switcher lists it; choosing it opens its dashboard with the host in the URL.
        wait.until(lambda d: name in d.execute_script(
            "return [...document.querySelectorAll('[data-testid=host-switcher] option')].map((o) => o.value)"))
        Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=host-switcher]")).select_by_value(name)
        wait.until(lambda d: hash_of(d) == f"#/h/{name}/dashboard")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=dashboard] [data-testid=host-card]")))
        cards = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid=overview-host][data-host="{name}"]'))
        assert "current" in cards[0].get_attribute("class")
        assert browser.find_elements(By.CSS_SELECTOR, '[data-testid=overview-host][data-host="local"]')
        shot(browser, "hosts-dashboard-overview")

        # Containers of that host, not the local one's.
        browser.find_element(By.CSS_SELECTOR, ".topbar nav a[href$='/containers']").click()
        wait.until(lambda d: hash_of(d) == f"#/h/{name}/containers")
        wait.until(lambda d: on_near in row_names(d))
        local_names = {c["name"] for c in client.get("/containers?page_size=500").json()["items"]}
        assert not (row_names(browser) & local_names), "only the chosen host's containers"
        shot(browser, "hosts-switched-containers")

        # A reload keeps the host (it is in the URL); an old link without it opens on the remembered host.
        browser.refresh()
        wait.until(lambda d: on_near in row_names(d))
        assert hash_of(browser) == f"#/h/{name}/containers" and switcher_value(browser) == name
        browser.get(BASE + "/#/containers")
        wait.until(lambda d: hash_of(d) == f"#/h/{name}/containers")
        wait.until(lambda d: on_near in row_names(d))
        # And a link to the local host opens the local host.
        browser.get(BASE + "/#/h/local/containers")
        wait.until(lambda d: switcher_value(d) == "local")
        wait.until(lambda d: on_local in row_names(d))
        assert on_near not in row_names(browser)

        # The Hosts page and the switcher at phone width.
        browser.get(BASE + "/#/hosts")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"]'))
        shot(browser, "hosts-page")
        browser.set_window_size(*PHONE)
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=host-switcher]").is_displayed()
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0] + 1, "no sideways scrolling"
        shot(browser, "hosts-page-phone")
        browser.get(BASE + f"/#/h/{name}/dashboard")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=overview-host]"))
        shot(browser, "hosts-dashboard-overview-phone")
        assert severe_errors(browser, allowed=("status of 422",)) == []
    finally:
        browser.set_window_size(*DESKTOP)
        remote_docker(near, "rm", "-f", on_near, check=False)
        delete_host(client, name)


def test_admin_adds_an_ssh_host_and_sees_its_host_key(browser, client, remote):
    """SSH: the probe shows the pinned host key's fingerprint (what ssh-keygen -l prints)."""
    near = remote["hosts"]["near"]
    if not near.get("ssh_endpoint"):
        pytest.skip("the near engine has no SSH endpoint")
    name = "near-ssh-" + uuid.uuid4().hex[:4]
    wait = WebDriverWait(browser, 30)
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/hosts/new")
        form = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "host-form form")))
        form.find_element(By.CSS_SELECTOR, "[data-testid=transport-ssh]").click()
        assert not form.find_element(By.NAME, "ca").is_displayed() and form.find_element(By.NAME, "private_key").is_displayed()
        form.find_element(By.NAME, "endpoint").send_keys(near["ssh_endpoint"])
        browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
                               form.find_element(By.NAME, "private_key"), near["ssh_key"])
        form.find_element(By.CSS_SELECTOR, "[data-testid=probe]").click()
        fingerprint = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=probe-fingerprint]")))
        assert fingerprint.get_attribute("data-fingerprint") == near["ssh_host_key"]
        form.find_element(By.CSS_SELECTOR, "[data-testid=trust-fingerprint]").click()
        form.find_element(By.NAME, "name").clear()
        form.find_element(By.NAME, "name").send_keys(name)
        form.find_element(By.CSS_SELECTOR, "[data-testid=save-host]").click()
        wait.until(lambda d: hash_of(d) == f"#/hosts/{name}")
        facts = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=host-facts]")))
        wait.until(lambda d: near["ssh_host_key"] in facts.text)
        assert client.get(f"/hosts/{name}").json()["transport"] == "ssh"

        # Deleted from the Hosts page, through the server's confirmation.
        browser.get(BASE + "/#/hosts")
        row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"]'))
        row.find_element(By.CSS_SELECTOR, "[data-testid=delete-host]").click()
        dialog = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=confirm-dialog]")))
        assert name in dialog.text
        dialog.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"]'))
        assert client.get(f"/hosts/{name}").status_code == 404
        wait.until(lambda d: name not in d.execute_script(
            "return [...document.querySelectorAll('[data-testid=host-switcher] option')].map((o) => o.value)"))
    finally:
        delete_host(client, name)


def test_search_all_hosts_lists_each_hosts_containers_with_their_host(browser, client, remote, container):
    name = "far-all-" + uuid.uuid4().hex[:4]
    far = remote["hosts"]["far"]
    on_far = "far-only-" + uuid.uuid4().hex[:6]
    _, on_local = container(name="local-only-" + uuid.uuid4().hex[:6], network="none")
    run_on(far, on_far)
    add_host(client, remote, "far", name)
    wait = WebDriverWait(browser, 30)
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + "/#/h/local/containers")
        wait.until(lambda d: on_local in row_names(d))
        assert on_far not in row_names(browser)
        assert not browser.find_element(By.CSS_SELECTOR, "th.host-col").is_displayed()
        browser.find_element(By.CSS_SELECTOR, "[data-testid=all-hosts]").click()
        # The far host's mirror fills after its first check: wait for both.
        wait.until(lambda d: {on_local, on_far} <= row_names(d))
        hosts = {r.get_attribute("data-name"): r.find_element(By.CSS_SELECTOR, "[data-testid=container-host]").text
                 for r in browser.find_elements(By.CSS_SELECTOR, "[data-testid=container-row]")
                 if r.get_attribute("data-name") in (on_local, on_far)}
        assert hosts[on_far] == name.title() and hosts[on_local] != name.title(), hosts
        link = browser.find_element(By.CSS_SELECTOR, f'tr[data-name="{on_far}"] [data-testid=container-link]')
        assert link.get_attribute("href").endswith(f"#/h/{name}/containers/" + link.get_attribute("href").rsplit("/", 1)[1])
        shot(browser, "hosts-all-containers")
    finally:
        remote_docker(far, "rm", "-f", on_far, check=False)
        delete_host(client, name)


def test_an_offline_host_turns_grey_live_and_its_rows_are_last_known(browser, client, remote):
    """Stopping the engine: the switcher's dot turns offline without a reload (a `host` event),
    its containers show as last known with actions disabled; starting it brings it back."""
    name = "far-off-" + uuid.uuid4().hex[:4]
    far = remote["hosts"]["far"]
    on_far = "far-stale-" + uuid.uuid4().hex[:6]
    run_on(far, on_far)
    add_host(client, remote, "far", name)
    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "remote-engines.sh")
    wait = WebDriverWait(browser, 90)
    stopped = False
    try:
        login_as_admin(browser, wait)
        browser.get(BASE + f"/#/h/{name}/containers")
        wait.until(lambda d: on_far in row_names(d))
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=host-dot]").get_attribute("data-state") == "online")
        subprocess.run([script, "stop-engine", REMOTE, "far"], check=True, capture_output=True, timeout=60)
        stopped = True
        client.post(f"/hosts/{name}/check")  # "check now" instead of waiting for the interval
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=host-dot]").get_attribute("data-state") == "offline")
        row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'tr.stale[data-name="{on_far}"]'))
        assert "last seen" in row.find_element(By.CSS_SELECTOR, "[data-testid=status]").text
        assert all(not b.is_enabled() for b in row.find_elements(By.CSS_SELECTOR, "button[data-action]"))
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=stale-banner]").is_displayed()
        shot(browser, "hosts-offline-stale")
        browser.get(BASE + "/#/hosts")
        state = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid=host-row][data-host="{name}"] [data-testid=host-state]'))
        assert state.text == "offline"
        subprocess.run([script, "start-engine", REMOTE, "far"], check=True, capture_output=True, timeout=60)
        stopped = False
        client.post(f"/hosts/{name}/check")
        # The row changes in place from the `host` event.
        wait.until(lambda d: text_of(d, f'[data-testid=host-row][data-host="{name}"] [data-testid=host-state]') == "online")
    finally:
        if stopped:
            subprocess.run([script, "start-engine", REMOTE, "far"], capture_output=True, timeout=60)
        remote_docker(far, "rm", "-f", on_far, check=False)
        delete_host(client, name)


def test_a_viewer_reads_the_hosts_page_without_add_check_or_delete(browser, client):
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
    # The add form itself is not offered to a viewer (the server refuses the probe anyway).
    browser.get(BASE + "/#/hosts/new")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main > hosts-view [data-testid=host-row]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "host-form")
    assert severe_errors(browser) == []
