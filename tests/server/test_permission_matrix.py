"""The permission matrix over real HTTP against a running ``bgtasks serve``.

Every role (admin, TASK_EDITOR owner, TASK_EDITOR non-owner, no task permission, anonymous,
revoked token) times every action, on every path that can reach it. Each cell asserts the exact
status, and for a denial that nothing changed. GraphQL has no mutation that creates, updates or
takes ownership of a task, or manages templates and users: those actions have no GraphQL cells.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
import requests
import sqlalchemy as sa
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import PROJECT_ROOT, TEST_IMAGE
from tests.server.conftest import BIN, NAMES, ROLES, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

AUTHENTICATED = ("admin", "owner", "editor", "viewer")
DAGSTER = BIN / "dagster"


def expect(allowed: set[str], ok: int, denied: int = 403) -> dict[str, int]:
    statuses = {role: ok if role in allowed else denied for role in AUTHENTICATED}
    return {**statuses, "anonymous": 401, "revoked": 401}


EVERYONE = set(AUTHENTICATED)
EDITORS = {"admin", "owner", "editor"}
OWNERS = {"admin", "owner"}
ADMINS = {"admin"}

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""
TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) { __typename ... on TerminateRunFailure { message } }
}"""


def launch_params(task: str, **tags: str) -> dict:
    return {
        "selector": {
            "repositoryLocationName": "bgtasks",
            "repositoryName": "__repository__",
            "jobName": "background_task",
        },
        "runConfigData": {},
        "executionMetadata": {
            "tags": [{"key": k, "value": v} for k, v in {"dagster/partition": task, **tags}.items()]
        },
    }


def run_count(server, task: str) -> int:
    return len(server.api("admin", "GET", f"/tasks/{task}/runs", params={"limit": 1000}).json())


@pytest.fixture(scope="module")
def quick(server) -> str:
    return server.create_task(
        name="quick", command=["sh", "-c", "echo quick; echo -n out > $BGTASKS_OUTPUT_DIR/o.txt"]
    )


@pytest.fixture(scope="module")
def slow(server) -> str:
    return server.create_task(name="slow", command=["sleep", "120"])


# REST


@pytest.mark.parametrize("role", ROLES)
def test_rest_list_and_view(server, quick, role):
    expected = expect(EVERYONE, 200)[role]
    assert server.api(role, "GET", "/tasks").status_code == expected
    response = server.api(role, "GET", f"/tasks/{quick}")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["owner"] == "olga"
    assert server.api(role, "GET", "/tasks/prebuilt.ecb_mfi").status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_rest_create(server, role):
    name = server.unique("created")
    response = server.api(role, "POST", "/tasks", json={"name": name, "image": TEST_IMAGE})
    assert response.status_code == expect(EDITORS, 201)[role], response.text
    stored = server.api("admin", "GET", f"/tasks/{name}")
    if response.status_code == 201:
        assert stored.json()["owner"] == NAMES[role]
    else:
        assert stored.status_code == 404
        assert response.json()["error"]["message"]


@pytest.mark.parametrize("role", ROLES)
def test_rest_update(server, role):
    task = server.create_task()
    response = server.api(role, "PATCH", f"/tasks/{task}", json={"description": f"by {role}"})
    assert response.status_code == expect(OWNERS, 200)[role], response.text
    stored = server.api("admin", "GET", f"/tasks/{task}").json()
    if response.status_code == 200:
        assert (stored["description"], stored["revision"]) == (f"by {role}", 2)
    else:
        assert (stored["description"], stored["revision"]) == ("", 1)


@pytest.mark.parametrize("role", ROLES)
def test_rest_delete(server, role):
    task = server.create_task()
    response = server.api(role, "DELETE", f"/tasks/{task}")
    assert response.status_code == expect(OWNERS, 204)[role], response.text
    assert server.api("admin", "GET", f"/tasks/{task}").status_code == (
        404 if response.status_code == 204 else 200
    )


@pytest.mark.parametrize("role", ROLES)
def test_rest_take_ownership(server, role):
    task = server.create_task()
    response = server.api(role, "PUT", f"/tasks/{task}/owner")
    assert response.status_code == expect(EDITORS, 200)[role], response.text
    owner = server.api("admin", "GET", f"/tasks/{task}").json()["owner"]
    assert owner == (NAMES[role] if response.status_code == 200 else "olga")


@pytest.mark.parametrize("role", ROLES)
def test_rest_run(server, quick, role):
    before = run_count(server, quick)
    response = server.api(role, "POST", f"/tasks/{quick}/runs", json={"env": {"EXTRA": "1"}})
    assert response.status_code == expect(EVERYONE, 201)[role], response.text
    if response.status_code == 201:
        view = server.wait_run(response.json()["run_id"], {"SUCCESS", "FAILURE"})
        assert (view["status"], view["launched_by"], view["exit_code"]) == ("SUCCESS", NAMES[role], 0)
    else:
        assert run_count(server, quick) == before


@pytest.mark.parametrize("role", ROLES)
def test_rest_terminate_a_run_launched_by_the_admin(server, slow, role):
    run_id = server.start_run("admin", slow)
    server.wait_run(run_id, {"STARTED"})
    response = server.api(role, "POST", f"/runs/{run_id}/terminate")
    assert response.status_code == expect(OWNERS, 202)[role], response.text
    if response.status_code == 202:
        assert server.wait_run(run_id, {"CANCELED"})["status"] == "CANCELED"
    else:
        assert server.run(run_id)["status"] == "STARTED"
        assert server.api("admin", "POST", f"/runs/{run_id}/terminate").status_code == 202
        server.wait_run(run_id, {"CANCELED"})


def test_rest_a_user_without_task_permissions_terminates_a_run_they_launched(server, slow):
    run_id = server.start_run("viewer", slow)
    server.wait_run(run_id, {"STARTED"})
    assert server.api("editor", "POST", f"/runs/{run_id}/terminate").status_code == 403
    assert server.api("viewer", "POST", f"/runs/{run_id}/terminate").status_code == 202
    assert server.wait_run(run_id, {"CANCELED"})["status"] == "CANCELED"


@pytest.mark.parametrize("role", ROLES)
def test_rest_manage_templates(server, role):
    name = server.unique("tpl")
    body = {"name": name, "cpus": 0.5, "memory_mib": 64, "max_processes": 16, "time_limit_seconds": 60}
    response = server.api(role, "POST", "/templates", json=body)
    assert response.status_code == expect(ADMINS, 201)[role], response.text
    assert server.api("admin", "GET", f"/templates/{name}").status_code == (200 if response.ok else 404)
    assert server.api(role, "DELETE", "/templates/small").status_code == expect(ADMINS, 409)[role]


@pytest.mark.parametrize("role", ROLES)
def test_rest_manage_users(server, role):
    name = server.unique("user")
    response = server.api(role, "POST", "/users", json={"name": name, "roles": ["TASK_EDITOR"]})
    assert response.status_code == expect(ADMINS, 201)[role], response.text
    assert server.api("admin", "GET", f"/users/{name}").status_code == (200 if response.ok else 404)
    assert server.api(role, "GET", "/users").status_code == expect(ADMINS, 200)[role]
    assert server.api(role, "GET", "/audit").status_code == expect(ADMINS, 200)[role]


# GraphQL, JSON POST


@pytest.mark.parametrize("role", ROLES)
def test_graphql_list(server, role):
    response = server.graphql(role, "{ runsOrError(limit: 1) { __typename } }")
    assert response.status_code == expect(EVERYONE, 200)[role]


@pytest.mark.parametrize("role", ROLES)
def test_graphql_run(server, quick, role):
    before = run_count(server, quick)
    response = server.graphql(role, LAUNCH, {"params": launch_params(quick)})
    assert response.status_code == expect(EVERYONE, 200)[role], response.text
    if response.status_code == 200:
        result = response.json()["data"]["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        view = server.wait_run(result["run"]["runId"], {"SUCCESS", "FAILURE"})
        assert (view["status"], view["launched_by"]) == ("SUCCESS", NAMES[role])
    else:
        assert run_count(server, quick) == before


@pytest.mark.parametrize("role", ROLES)
def test_graphql_terminate(server, slow, role):
    run_id = server.start_run("admin", slow)
    server.wait_run(run_id, {"STARTED"})
    response = server.graphql(role, TERMINATE, {"runId": run_id})
    assert response.status_code == expect(OWNERS, 200)[role], response.text
    if response.status_code == 200:
        assert response.json()["data"]["terminateRun"]["__typename"] == "TerminateRunSuccess"
        server.wait_run(run_id, {"CANCELED"})
    else:
        assert server.run(run_id)["status"] == "STARTED"
        assert server.api("admin", "POST", f"/runs/{run_id}/terminate").status_code == 202
        server.wait_run(run_id, {"CANCELED"})


@pytest.mark.parametrize("role", ROLES)
def test_graphql_task_partitions_and_instance_operations_need_an_admin(server, role):
    name = server.unique("scratch")
    add = server.graphql(
        role,
        """mutation($n: String!) { addDynamicPartition(repositorySelector:
             {repositoryLocationName: "bgtasks", repositoryName: "__repository__"},
             partitionsDefName: "tasks", partitionKey: $n) { __typename } }""",
        {"n": name},
    )
    assert add.status_code == expect(ADMINS, 200)[role], add.text
    delete = server.graphql(
        role,
        """mutation($n: String!) { deleteDynamicPartitions(repositorySelector:
             {repositoryLocationName: "bgtasks", repositoryName: "__repository__"},
             partitionsDefName: "tasks", partitionKeys: [$n]) { __typename } }""",
        {"n": name},
    )
    assert delete.status_code == expect(ADMINS, 200)[role], delete.text
    limit = server.graphql(role, 'mutation { setConcurrencyLimit(concurrencyKey: "k", limit: 1) }')
    assert limit.status_code == expect(ADMINS, 200)[role]


@pytest.mark.parametrize("role", ROLES)
def test_graphql_unclassified_mutations_are_refused_to_everyone(server, role):
    response = server.graphql(
        role,
        'mutation { setAppManagedComponent(locationName: "bgtasks", path: "x", yaml: "y") { __typename } }',
    )
    assert response.status_code == (401 if role in ("anonymous", "revoked") else 403)
    if response.status_code == 403:
        assert "not classified" in response.text or "does not classify" in response.text


@pytest.mark.parametrize(
    "tag", ["dagster/sensor_name", "dagster/schedule_name", "bgtasks/launched_by", "bgtasks/trigger"]
)
def test_graphql_launches_may_not_bring_reserved_tags(server, quick, tag):
    before = run_count(server, quick)
    response = server.graphql("admin", LAUNCH, {"params": launch_params(quick, **{tag: "task_schedules"})})
    assert response.status_code == 403, response.text
    assert tag in response.json()["errors"][0]["message"]
    assert run_count(server, quick) == before


# GraphQL: the CSRF-prone transports


@pytest.mark.parametrize("role", ROLES)
def test_graphql_get_runs_queries_only(server, quick, role):
    before = run_count(server, quick)
    mutation = (
        "mutation { launchRun(executionParams: " + _literal(launch_params(quick)) + ") { __typename } }"
    )
    response = requests.get(
        f"{server.url}/graphql", params={"query": mutation}, headers=server.headers(role), timeout=30
    )
    assert response.status_code == expect(set(), 0, denied=405)[role]
    query = requests.get(
        f"{server.url}/graphql", params={"query": "{ version }"}, headers=server.headers(role), timeout=30
    )
    assert query.status_code == expect(EVERYONE, 200)[role]
    assert run_count(server, quick) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/plain; application/json"]
)
@pytest.mark.parametrize("role", ROLES)
def test_graphql_post_that_is_not_json_is_refused(server, quick, role, content_type):
    before = run_count(server, quick)
    mutation = (
        "mutation { launchRun(executionParams: " + _literal(launch_params(quick)) + ") { __typename } }"
    )
    response = requests.post(
        f"{server.url}/graphql",
        params={"query": mutation},
        data="x",
        headers={**server.headers(role), "Content-Type": content_type},
        timeout=30,
    )
    assert response.status_code == expect(set(), 0, denied=415)[role]
    assert run_count(server, quick) == before


def _literal(value) -> str:
    """A GraphQL literal of a JSON value (object keys unquoted)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value)


# GraphQL websocket


@pytest.mark.parametrize("role", ROLES)
def test_websocket_needs_an_identity(server, role):
    url = server.url.replace("http", "ws") + "/graphql"
    headers = server.headers(role)
    if role in ("anonymous", "revoked"):
        with pytest.raises(InvalidStatus) as refused:
            connect(url, subprotocols=["graphql-ws"], additional_headers=headers, open_timeout=10)
        assert refused.value.response.status_code == 403
        return
    with connect(url, subprotocols=["graphql-ws"], additional_headers=headers, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
        socket.send(
            json.dumps(
                {
                    "type": "start",
                    "id": "1",
                    "payload": {"query": "subscription { locationStateChangeEvents { __typename } }"},
                }
            )
        )
        socket.send(json.dumps({"type": "start", "id": "2", "payload": {"query": "mutation { setNuxSeen }"}}))
        with pytest.raises(ConnectionClosed):
            for _ in range(20):
                socket.recv(timeout=10)


# dagster job launch, from a shell


@pytest.fixture(scope="module")
def code_server(server):
    """A gRPC code server the shell launches connect to, so none of them loads the code itself."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(DAGSTER),
            "api",
            "grpc",
            "-m",
            "bgtasks.orchestration.definitions",
            "-a",
            "defs",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=server.env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _listening(port), 120, "code server")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def dagster_job_launch(server, port: int, task: str, token: str | None, **tags: str) -> subprocess.Popen:
    env = {**server.env, **({"BGTASKS_TOKEN": token} if token else {})}
    command = [
        str(DAGSTER),
        "job",
        "launch",
        "--grpc-host",
        "127.0.0.1",
        "--grpc-port",
        str(port),
        "-j",
        "background_task",
        "--tags",
        json.dumps({"dagster/partition": task, **tags}),
    ]
    return subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def latest_run(server, task: str) -> dict:
    return server.api("admin", "GET", f"/tasks/{task}/runs", params={"limit": 1}).json()[0]


SHELL_CASES = [
    # (token of, extra tags, admitted, message)
    (None, {}, False, "carries no identity"),
    ("revoked", {}, False, "not a valid API token"),
    ("viewer", {}, True, None),
    ("viewer", {"dagster/sensor_name": "task_schedules"}, False, "a launch may not bring it"),
]


def test_dagster_job_launch_from_a_shell_needs_a_valid_token_and_cannot_forge_a_sensor_run(
    server, code_server
):
    """The four shell cells run at once: each 'dagster job launch' loads the code location itself."""
    launches = []
    for token_role, tags, admitted, message in SHELL_CASES:
        task = server.create_task()
        token = server.tokens.get(token_role) if token_role else None
        launches.append(
            (
                task,
                token_role,
                admitted,
                message,
                dagster_job_launch(server, code_server, task, token, **tags),
            )
        )
    for task, token_role, admitted, message, process in launches:
        output, _ = process.communicate(timeout=240)
        view = server.wait_run(latest_run(server, task)["run_id"], {"SUCCESS", "FAILURE"})
        if admitted:
            assert process.returncode == 0, output[-2000:]
            assert (view["status"], view["launched_by"]) == ("SUCCESS", NAMES[token_role])
        else:
            assert process.returncode != 0 and message in output, (token_role, output[-2000:])
            assert view["status"] == "FAILURE" and message in (view["message"] or "")
            assert view["exit_code"] is None  # no container ran


# Schedules: the daemon runs a task as its owner


def make_due(server, task: str) -> None:
    from bgtasks.db.tables import tasks

    with server.engine.begin() as connection:
        connection.execute(tasks.update().where(tasks.c.name == task).values(next_run_at=time.time() - 1))


def test_a_scheduled_run_runs_as_the_task_owner_and_stops_when_the_owner_is_disabled(server):
    scheduled = server.create_task("owner", schedule="0 0 1 1 *")
    gone_token = server.api("admin", "POST", "/users", json={"name": "gone", "roles": ["TASK_EDITOR"]})
    assert gone_token.status_code == 201
    token = server.api("admin", "POST", "/users/gone/tokens", json={"name": "t"}).json()["token"]
    server.tokens["gone"] = token
    orphan = server.create_task("gone", schedule="0 0 1 1 *")
    assert server.api("admin", "DELETE", "/users/gone").status_code == 204
    make_due(server, scheduled)
    make_due(server, orphan)
    ran = wait_until(
        lambda: run_count(server, scheduled) and latest_run(server, scheduled), 90, "scheduled run"
    )
    view = server.wait_run(ran["run_id"], {"SUCCESS", "FAILURE"})
    assert (view["status"], view["launched_by"], view["trigger"]) == ("SUCCESS", "olga", "schedule")
    refused = wait_until(lambda: run_count(server, orphan) and latest_run(server, orphan), 90, "refused run")
    refused = server.wait_run(refused["run_id"], {"FAILURE", "SUCCESS"})
    assert refused["status"] == "FAILURE"
    assert "the task's owner 'gone' is not an active bgtasks user" in refused["message"]
    audit = server.audit(target=f"task:{orphan}", action="task.run")
    assert audit and audit[0]["via"] == "sensor"


# Dagster's own UI permissions


@pytest.mark.parametrize("role", AUTHENTICATED)
def test_the_ui_shows_what_a_role_may_not_do_as_disabled(server, slow, role):
    permissions = {
        p["permission"]: p["value"]
        for p in server.graphql(role, "{ permissions { permission value } }").json()["data"]["permissions"]
    }
    assert permissions["launch_pipeline_execution"] is True
    assert permissions["start_schedule"] is (role == "admin")
    assert permissions["reload_workspace"] is (role == "admin")
    assert permissions["edit_app_managed_components"] is False
    run_id = server.start_run("admin", slow)
    query = f'{{ runOrError(runId: "{run_id}") {{ ... on Run {{ hasTerminatePermission }} }} }}'
    allowed = server.graphql(role, query).json()["data"]["runOrError"]["hasTerminatePermission"]
    assert allowed is (role in OWNERS)
    server.api("admin", "POST", f"/runs/{run_id}/terminate")


def guarded_status(role: str, admin_ok: bool) -> str:
    if role in ("anonymous", "revoked"):
        return "401"
    return "passed" if role == "admin" and admin_ok else "403"


@pytest.mark.parametrize("role", ROLES)
def test_other_dagster_routes_are_guarded(server, role):
    def outcome(response: requests.Response) -> str:
        return str(response.status_code) if response.status_code in (401, 403) else "passed"

    headers = server.headers(role)
    debug = requests.get(f"{server.url}/download_debug/nope", headers=headers, timeout=30)
    assert outcome(debug) == guarded_status(role, admin_ok=True)
    report = requests.post(
        f"{server.url}/report_asset_materialization/prebuilt/ecb_mfi", headers=headers, timeout=30
    )
    assert outcome(report) == guarded_status(role, admin_ok=True)
    logs = requests.get(f"{server.url}/logs/x/y/out", headers=headers, timeout=30)
    assert logs.status_code == (401 if role in ("anonymous", "revoked") else 404)


def test_nothing_but_login_and_health_is_public(server):
    assert requests.get(f"{server.url}/health", timeout=10).json() == {"status": "ok", "database": True}
    assert requests.get(f"{server.url}/login", timeout=10).status_code == 200
    for path in ("/", "/runs", "/server_info", "/api/openapi.json", "/api/docs", "/graphql"):
        assert requests.get(f"{server.url}{path}", allow_redirects=False, timeout=10).status_code == 401, path
    page = requests.get(
        f"{server.url}/runs", headers={"Accept": "text/html"}, allow_redirects=False, timeout=10
    )
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2Fruns")


def test_the_database_records_no_secret(server):
    with server.engine.connect() as connection:
        dumped = " ".join(
            str(row)
            for table in ("bgtasks_api_tokens", "bgtasks_users", "bgtasks_sessions")
            for row in connection.execute(sa.text(f"SELECT * FROM {table}"))
        )
    assert not any(token in dumped for token in server.tokens.values())
