"""The REST API's behaviour beyond permissions: errors, idempotency, logs and outputs, uploads,
the OpenAPI document, and the browser session (cookie, CSRF, logout)."""

from __future__ import annotations

import subprocess
import uuid

import pytest
import requests

from tests.conftest import TEST_IMAGE
from tests.server.conftest import PASSWORDS, UPLOAD_LIMIT

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def test_errors_are_json_with_the_field_at_fault(server):
    missing = server.api("viewer", "GET", "/tasks/nope")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": {"message": "task 'nope' does not exist", "field": "task"}},
    )
    bad = server.api("owner", "POST", "/tasks", json={"name": "Bad Name", "image": TEST_IMAGE})
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "name")
    unknown = server.api("owner", "POST", "/tasks", json={"name": "x1", "image": TEST_IMAGE, "owner": "ada"})
    assert (unknown.status_code, unknown.json()["error"]) == (
        422,
        {"message": "unknown field", "field": "owner"},
    )
    task = server.create_task("owner")
    duplicate = server.api("owner", "POST", "/tasks", json={"name": task, "image": TEST_IMAGE})
    assert (duplicate.status_code, duplicate.json()["error"]["field"]) == (409, "name")
    bad_env = server.api("viewer", "POST", f"/tasks/{task}/runs", json={"env": {"1X": "y"}})
    assert (bad_env.status_code, bad_env.json()["error"]["field"]) == (422, "env")
    assert server.api("admin", "GET", f"/tasks/{task}/runs").json() == []
    token = server.api("anonymous", "GET", "/tasks")
    assert token.json()["error"]["message"] and token.headers["www-authenticate"].startswith("Bearer")


def test_a_retry_with_the_same_idempotency_key_returns_the_same_run(server):
    task = server.create_task("owner")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = server.api("viewer", "POST", f"/tasks/{task}/runs", json={"env": {"A": "1"}}, headers=key)
    again = server.api("viewer", "POST", f"/tasks/{task}/runs", json={"env": {"A": "1"}}, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["run_id"] == again.json()["run_id"]
    other = server.api("viewer", "POST", f"/tasks/{task}/runs", json={"env": {"A": "2"}}, headers=key)
    assert (other.status_code, other.json()["error"]["field"]) == (409, "Idempotency-Key")
    assert len(server.api("admin", "GET", f"/tasks/{task}/runs").json()) == 1


def test_status_logs_and_outputs_of_a_run(server):
    task = server.create_task(
        "owner",
        command=["sh", "-c", "echo line one; echo line two; echo -n data > $BGTASKS_OUTPUT_DIR/out.txt"],
    )
    run_id = server.start_run(
        "viewer", task, command=["sh", "-c", "echo override; echo -n x > $BGTASKS_OUTPUT_DIR/x.txt"]
    )
    view = server.wait_run(run_id, {"SUCCESS", "FAILURE"})
    assert (view["status"], view["exit_code"]) == ("SUCCESS", 0)
    assert view["duration_seconds"] > 0 and "peak_memory_bytes" in view
    assert [o["name"] for o in view["outputs"]] == ["x.txt"]
    logs = server.api("viewer", "GET", f"/runs/{run_id}/logs")
    assert logs.text == "override\n" and logs.headers["x-next-offset"] == str(len("override\n"))
    assert server.api("viewer", "GET", f"/runs/{run_id}/logs", params={"offset": 9}).text == ""
    assert server.api("viewer", "GET", f"/runs/{run_id}/outputs/x.txt").content == b"x"
    assert server.api("viewer", "GET", f"/runs/{run_id}/outputs/../../etc/passwd").status_code == 404
    assert server.api("viewer", "GET", "/runs/no-such-run").status_code == 404
    finished = server.api("viewer", "POST", f"/runs/{run_id}/terminate")
    assert (finished.status_code, finished.json()["error"]["field"]) == (409, "run_id")


def test_image_upload_is_streamed_with_a_size_limit_and_deleted_only_when_unused(server, tmp_path):
    archive = tmp_path / "image.tar"
    subprocess.run(["docker", "save", "bgtasks/busybox:1.35", "-o", str(archive)], check=True)
    assert archive.stat().st_size < UPLOAD_LIMIT
    refused = server.api("viewer", "POST", "/images", data=archive.read_bytes())
    assert refused.status_code == 403
    uploaded = server.api("editor", "POST", "/images", data=archive.read_bytes())
    assert uploaded.status_code == 201, uploaded.text
    assert [image["reference"] for image in uploaded.json()] == ["bgtasks/busybox:1.35"]

    def too_big():
        yield b"\0" * (UPLOAD_LIMIT + 1)

    streamed = server.api("editor", "POST", "/images", data=too_big())  # chunked: no Content-Length
    assert (streamed.status_code, streamed.json()["error"]["field"]) == (413, "archive")
    declared = server.api("editor", "POST", "/images", data=b"\0" * (UPLOAD_LIMIT + 1))
    assert declared.status_code == 413
    garbage = server.api("editor", "POST", "/images", data=b"not a tar")
    assert (garbage.status_code, garbage.json()["error"]["field"]) == (422, "archive")
    server.create_task("editor", image="bgtasks/busybox:1.35")
    in_use = server.api("editor", "DELETE", "/images/bgtasks/busybox:1.35")
    assert in_use.status_code == 409
    assert "bgtasks/busybox:1.35" in [i["reference"] for i in server.api("viewer", "GET", "/images").json()]


def test_the_openapi_document_lists_every_route(server):
    document = server.api("viewer", "GET", "/openapi.json").json()
    paths = set(document["paths"])
    assert {
        "/tasks",
        "/tasks/{name}",
        "/tasks/{name}/owner",
        "/tasks/{name}/runs",
        "/runs/{run_id}",
        "/runs/{run_id}/logs",
        "/runs/{run_id}/outputs/{name}",
        "/runs/{run_id}/terminate",
        "/templates",
        "/images",
        "/users",
        "/users/{name}/tokens",
        "/audit",
    } <= paths


def login(server, role: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        f"{server.url}/login",
        data={
            "username": {"owner": "olga", "viewer": "vic"}[role],
            "password": PASSWORDS[role],
            "next": "/runs",
        },
        headers={"Origin": server.url},
        allow_redirects=False,
        timeout=30,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/runs")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    return session


def test_browser_session_cookie_with_csrf_protection(server):
    session = login(server, "owner")
    assert session.get(f"{server.url}/api/me", timeout=30).json()["name"] == "olga"
    task = server.unique("cookie")
    body = {"name": task, "image": TEST_IMAGE}
    # state-changing requests with the cookie need our own Origin (or Referer)
    for headers in ({}, {"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}):
        refused = session.post(f"{server.url}/api/tasks", json=body, headers=headers, timeout=30)
        assert refused.status_code == 403, headers
    assert server.api("admin", "GET", f"/tasks/{task}").status_code == 404
    created = session.post(f"{server.url}/api/tasks", json=body, headers={"Origin": server.url}, timeout=30)
    assert created.status_code == 201
    via_referer = session.patch(
        f"{server.url}/api/tasks/{task}",
        json={"description": "r"},
        headers={"Referer": f"{server.url}/runs"},
        timeout=30,
    )
    assert via_referer.status_code == 200
    # a forged identity header is dropped: the request acts as the cookie's user
    forged = session.get(f"{server.url}/api/me", headers={"x-bgtasks-identity": "ada|0|x"}, timeout=30)
    assert forged.json()["name"] == "olga"
    out = session.post(
        f"{server.url}/logout", headers={"Origin": server.url}, allow_redirects=False, timeout=30
    )
    assert out.status_code == 303
    assert session.get(f"{server.url}/api/me", timeout=30).status_code == 401


def test_login_page_redirects_only_to_this_server(server):
    response = requests.post(
        f"{server.url}/login",
        data={"username": "vic", "password": PASSWORDS["viewer"], "next": "//evil.example/"},
        headers={"Origin": server.url},
        allow_redirects=False,
        timeout=30,
    )
    assert response.headers["location"] == "/"
