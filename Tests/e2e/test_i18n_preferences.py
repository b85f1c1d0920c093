"""The UI language is remembered per user on the server: GET/PUT /api/v1/auth/me/preferences."""
import uuid

from conftest import Client
from test_openapi import check

PATH = "/api/v1/auth/me/preferences"


def new_user(admin, role):
    name = f"pref-{role}-{uuid.uuid4().hex[:6]}"
    created = admin.post("/users", json={"username": name, "password": "preference-password-1", "role": role})
    assert created.status_code == 201, created.text
    user = Client()
    assert user.login(name, "preference-password-1").status_code == 200
    return user


def test_a_viewer_sets_their_own_language_and_it_outlives_the_session(client):
    viewer = new_user(client, "viewer")
    unset = viewer.get("/auth/me/preferences")
    check(unset, PATH)
    assert unset.json().get("language") is None, "nothing is chosen before the user chooses"
    saved = viewer.put("/auth/me/preferences", json={"language": "zh-CN"})
    check(saved, PATH, "put")
    assert saved.json() == {"language": "zh-CN"}
    # Another sign-in (another browser) reads the same choice; another user's stays their own.
    again = Client()
    assert again.login(viewer_name(viewer), "preference-password-1").status_code == 200
    assert again.get("/auth/me/preferences").json() == {"language": "zh-CN"}
    other = new_user(client, "operator")
    assert other.get("/auth/me/preferences").json().get("language") is None
    # A body without the field keeps what is stored.
    assert viewer.put("/auth/me/preferences", json={}).json() == {"language": "zh-CN"}


def viewer_name(user):
    return user.get("/auth/me").json()["username"]


def test_an_unknown_language_is_refused_naming_the_field(client):
    user = new_user(client, "viewer")
    refused = user.put("/auth/me/preferences", json={"language": "klingon"})
    check(refused, PATH, "put")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid_field" and error["field"] == "language" and "zh-CN" in error["message"]
    assert user.get("/auth/me/preferences").json().get("language") is None


def test_signed_out_callers_and_writes_without_the_csrf_header_are_refused(anonymous, client):
    check(anonymous.get("/auth/me/preferences"), PATH)
    assert anonymous.get("/auth/me/preferences").status_code == 401
    forged = client.http.put(client.url("/auth/me/preferences"), json={"language": "zh-CN"})
    assert forged.status_code == 403, forged.text
