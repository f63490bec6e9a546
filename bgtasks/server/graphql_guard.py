"""The guard in front of dagster-webserver's GraphQL endpoint and its other state-changing routes.

dagster-webserver executes a mutation sent as ``GET /graphql?query=mutation{...}`` and as a POST of
any content type with the query in the URL: a cross-site form or image tag could drive it. Here:

- a mutation is accepted only as ``POST`` with ``Content-Type: application/json`` (a type a browser
  only sends cross-site after a CORS preflight, which this server never grants); any other POST to
  /graphql is refused, and a GET may carry queries only;
- every mutation field (through fragments too) must be classified in ``MUTATION_ACTIONS`` and
  allowed for the user by the policy; an unclassified mutation is refused for everyone;
- terminations are checked per run; launches may not bring ``bgtasks/*`` or Dagster's schedule,
  sensor and backfill tags;
- the websocket carries subscriptions only; ``/report_asset_*``, ``/download_debug``, ``/notebook``
  need an admin.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import anyio
from dagster import DagsterInstance
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from graphql.utilities import value_from_ast_untyped
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bgtasks.permissions.launch_guard import is_reserved_tag
from bgtasks.permissions.policy import Action, Decision, Principal, check
from bgtasks.server.dagster_ui import PRINCIPAL_SCOPE_KEY
from bgtasks.server.resources import run_resource
from bgtasks.services import Services

MAX_BODY_BYTES = 4 * 1024 * 1024
RUNNER_MUTATIONS = {
    "launchRun": Action.TASK_RUN,
    "launchPipelineExecution": Action.TASK_RUN,
    "launchMultipleRuns": Action.TASK_RUN,
    "launchRunReexecution": Action.TASK_RUN,
    "launchPipelineReexecution": Action.TASK_RUN,
    "terminateRun": Action.RUN_TERMINATE,
    "terminatePipelineExecution": Action.RUN_TERMINATE,
    "terminateRuns": Action.RUN_TERMINATE,
    "logTelemetry": Action.UI_PREFERENCE,
    "setNuxSeen": Action.UI_PREFERENCE,
}
ADMIN_MUTATIONS = [
    "startSchedule",
    "stopRunningSchedule",
    "resetSchedule",
    "startSensor",
    "setSensorCursor",
    "stopSensor",
    "resetSensor",
    "sensorDryRun",
    "scheduleDryRun",
    "deletePipelineRun",
    "deleteRun",
    "reloadRepositoryLocation",
    "reloadWorkspace",
    "shutdownRepositoryLocation",
    "wipeAssets",
    "reportRunlessAssetEvents",
    "reportAssetCheckEvaluations",
    "launchPartitionBackfill",
    "resumePartitionBackfill",
    "reexecutePartitionBackfill",
    "cancelPartitionBackfill",
    "addDynamicPartition",
    "deleteDynamicPartitions",
    "refreshComponentState",
    "setAutoMaterializePaused",
    "setConcurrencyLimit",
    "deleteConcurrencyLimit",
    "freeConcurrencySlotsForRun",
    "freeConcurrencySlots",
]
# Every mutation of dagster-graphql 1.13 is listed; setAppManagedComponent and
# deleteAppManagedComponent (a Dagster+ feature) and any mutation a later Dagster adds are not, so
# they are refused until someone classifies them.
MUTATION_ACTIONS: dict[str, Action] = {
    **RUNNER_MUTATIONS,
    **dict.fromkeys(ADMIN_MUTATIONS, Action.INSTANCE_OPERATE),
}
ADMIN_ROUTES = ("/report_asset_", "/download_debug/", "/notebook", "/dagit/notebook")


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message}], "error": {"message": message}}, status
    )


def _selections(selection_set: SelectionSetNode, fragments: dict, seen: frozenset) -> Iterator[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in fragments:
                raise Refused(400, f"unknown fragment {name!r}")
            if name not in seen:
                yield from _selections(fragments[name].selection_set, fragments, seen | {name})


def mutation_fields(document: DocumentNode) -> list[FieldNode]:
    """The root fields of every mutation operation in the document, fragments resolved."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return [
        field
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.operation == OperationType.MUTATION
        for field in _selections(definition.selection_set, fragments, frozenset())
    ]


def operation_types(document: DocumentNode) -> set[OperationType]:
    return {d.operation for d in document.definitions if isinstance(d, OperationDefinitionNode)}


def argument_values(field: FieldNode, variables: dict[str, Any]) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value, variables) for arg in field.arguments or ()}


def _find(value: Any, key: str) -> Iterator[Any]:
    """Every value under ``key`` anywhere in nested dicts and lists."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            yield from _find(v, key)
    elif isinstance(value, list):
        for item in value:
            yield from _find(item, key)


def brought_tags(arguments: dict[str, Any]) -> list[str]:
    keys: list[str] = []
    for name in ("tags", "extraTags"):
        for tags in _find(arguments, name):
            for tag in tags if isinstance(tags, list) else []:
                if isinstance(tag, dict) and isinstance(tag.get("key"), str):
                    keys.append(tag["key"])
    return keys


def run_ids(arguments: dict[str, Any]) -> list[str]:
    found = [arguments["runId"]] if isinstance(arguments.get("runId"), str) else []
    found += [r for r in arguments.get("runIds") or [] if isinstance(r, str)]
    return found


class GraphQLGuard:
    def __init__(self, app: ASGIApp, instance: DagsterInstance, services: Services) -> None:
        self._app = app
        self._instance = instance
        self._services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        principal: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
        try:
            if scope["type"] == "http" and path == "/graphql":
                receive = await self._check_http(scope, receive, principal)
            elif scope["type"] == "websocket" and path == "/graphql":
                receive = self._subscriptions_only(receive)
            elif scope["type"] == "http" and path.startswith(ADMIN_ROUTES):
                self._require(check(principal, Action.INSTANCE_OPERATE), path)
        except Refused as refused:
            if scope["type"] == "http":
                await refusal(refused.status, refused.message)(scope, receive, send)
            return
        await self._app(scope, receive, send)

    @staticmethod
    def _require(decision: Decision, what: str) -> None:
        if not decision.allowed:
            raise Refused(401 if decision.unauthenticated else 403, f"{what}: {decision.reason}")

    async def _check_http(self, scope: Scope, receive: Receive, principal: Principal | None) -> Receive:
        method = scope["method"]
        if method == "GET":
            params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            query = (params.get("query") or [None])[0]
            if query is not None and operation_types(self._parse(query)) != {OperationType.QUERY}:
                raise Refused(
                    405, "GraphQL mutations are accepted only as POST with Content-Type: application/json"
                )
            return receive
        if method != "POST":
            return receive  # Dagster answers 405 itself
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise Refused(415, "GraphQL over POST needs Content-Type: application/json")
        body, replay = await _read_body(receive)
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise Refused(400, f"GraphQL request is not valid JSON: {exc}") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise Refused(400, "a GraphQL request is one JSON object with a 'query' string")
        variables = payload.get("variables") or {}
        if isinstance(variables, str):
            variables = json.loads(variables or "{}")
        document = self._parse(payload["query"])
        for field in mutation_fields(document):
            await anyio.to_thread.run_sync(self._check_mutation, principal, field, variables)
        return replay

    @staticmethod
    def _parse(query: str) -> DocumentNode:
        try:
            return parse(query)
        except GraphQLError as exc:
            raise Refused(400, f"GraphQL syntax error: {exc.message}") from exc

    def _check_mutation(
        self, principal: Principal | None, field: FieldNode, variables: dict[str, Any]
    ) -> None:
        name = field.name.value
        action = MUTATION_ACTIONS.get(name)
        if action is None:
            raise Refused(403, f"mutation {name} is not allowed: bgtasks does not classify it")
        arguments = argument_values(field, variables)
        if action != Action.RUN_TERMINATE:
            self._require(check(principal, action), f"mutation {name}")
        if action == Action.TASK_RUN and not _finds_parent(arguments):
            for key in brought_tags(arguments):
                if is_reserved_tag(key):
                    raise Refused(
                        403, f"tag {key!r} is set by bgtasks or Dagster itself; a launch may not bring it"
                    )
        if action == Action.RUN_TERMINATE:
            self._check_terminate(principal, name, run_ids(arguments))

    def _check_terminate(self, principal: Principal | None, name: str, ids: list[str]) -> None:
        """Each run is checked on its own: its launcher, its task's owner or an admin may stop it."""
        if principal is None:
            self._require(check(principal, Action.RUN_TERMINATE), f"mutation {name}")
        assert principal is not None
        for run_id in ids:
            run = self._instance.get_run_by_id(run_id)
            if run is None:
                continue  # Dagster answers RunNotFoundError
            decision = check(principal, Action.RUN_TERMINATE, run_resource(self._services, run))
            self._services.audit.record(
                principal.name,
                Action.RUN_TERMINATE.value,
                f"run:{run_id}",
                outcome="ok" if decision.allowed else "denied",
                via="ui",
                detail={} if decision.allowed else {"reason": decision.reason},
            )
            self._require(decision, f"mutation {name}")

    def _subscriptions_only(self, receive: Receive) -> Receive:
        async def guarded() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                try:
                    data = json.loads(message.get("text") or message.get("bytes") or b"{}")
                except ValueError:
                    return message
                query = (data.get("payload") or {}).get("query") if isinstance(data, dict) else None
                if isinstance(query, str):
                    try:
                        kinds = operation_types(parse(query))
                    except GraphQLError:
                        kinds = set()
                    if kinds - {OperationType.SUBSCRIPTION}:
                        return {"type": "websocket.disconnect", "code": 1008}
            return message

        return guarded


def _finds_parent(arguments: dict[str, Any]) -> bool:
    """A re-execution: tags inherited from the parent run are the run coordinator's to check."""
    return any(True for _ in _find(arguments, "parentRunId"))


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, f"GraphQL request larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
