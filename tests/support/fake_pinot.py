"""An in-memory Pinot controller speaking the REST API of pinot-operations.md §2-3, for tests.

Use it as an httpx transport:

    pinot = FakePinot()                          # one broker and one server, tagged DefaultTenant
    client = httpx.Client(transport=pinot.transport())
    pinot.fail_next(2, status=503)               # the next two requests answer 503
    pinot.drop_next(1, error=httpx.ConnectError) # the next request never connects

What it models, because the code under test depends on it:

- Error answers are `{"code": <int>, "error": "<message>"}`; config writes answer
  `{"unrecognizedProperties": {...}, "status": "..."}` and drop unknown top-level keys.
- Stored documents gain defaults, as in real Pinot: field specs get `singleValueField: true` and
  `notNull: false`, schemas `enableColumnBasedNullHandling: false`, table configs `isDimTable`,
  `metadata`, `tableIndexConfig.loadMode`, and a `tableName` with its type suffix; `replication` is raised
  to `min_replicas` and kept as a string.
- Schemas follow the backward-compatibility rules (no dropped columns, no change of data type or of
  single/multi-value, primary key fixed once set) unless `force=true`; `PUT ?reload=true` stores first and
  answers 404 when no table is named after the schema.
- Tables are keyed by raw name and type: create answers 409 when the half exists, validation needs the
  schema, the time column and (REALTIME) exactly one stream config; creating or updating needs an instance
  carrying each tenant tag; `GET` returns only the halves that exist; `DELETE` without `type` deletes both.
- Tenants are tags on instances: create/update retag *untagged* instances (500 "Failed to create tenant"
  when too few), `GET` answers 404 without instances, `DELETE` needs `type` and a tenant no table uses.
- Optional basic auth: 401 without valid credentials, 403 for a read-only user writing.
- Instances, segments, rebalances, liveness and minion subtasks as membership Jobs see them: see
  `fake_membership.py` (`version="0.11"` or `"1.3"` picks how a rebalance is followed).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx

from tests.support.fake_membership import Answer, FakeMembership, MembershipState

__all__ = ["FakePinot", "Fault"]

TABLE_TYPES = ("OFFLINE", "REALTIME")
FIELD_SPEC_LISTS = ("dimensionFieldSpecs", "metricFieldSpecs", "dateTimeFieldSpecs", "complexFieldSpecs")
SCHEMA_KEYS = {*FIELD_SPEC_LISTS, "schemaName", "timeFieldSpec", "primaryKeyColumns"}
SCHEMA_KEYS |= {"enableColumnBasedNullHandling", "description", "tags"}
TABLE_KEYS = {
    "tableName",
    "tableType",
    "segmentsConfig",
    "tenants",
    "tableIndexConfig",
    "metadata",
    "ingestionConfig",
    "upsertConfig",
    "dedupConfig",
    "routing",
    "query",
    "quota",
    "task",
    "fieldConfigList",
    "instanceAssignmentConfigMap",
    "instancePartitionsMap",
    "segmentAssignmentConfigMap",
    "tierConfigs",
    "isDimTable",
    "dimensionTableConfig",
    "tunerConfigs",
    "tierOverwrites",
    "customConfig",
}
UNTAGGED = {"BROKER": "broker_untagged", "SERVER": "server_untagged"}
DEFAULT_TENANT = "DefaultTenant"

Json = dict[str, Any]


PinotAnswer = Answer  # raised inside a handler to answer with Pinot's error shape


@dataclass
class Fault:
    """Answer the next `times` matching requests with `status`, or fail them with `error`."""

    times: int
    status: int = 503
    error: type[httpx.TransportError] | None = None
    method: str | None = None
    path: str | None = None
    """A path prefix, e.g. "/tenants"; None matches every path."""

    def matches(self, request: httpx.Request) -> bool:
        return (
            self.times > 0
            and (self.method is None or request.method == self.method)
            and (self.path is None or request.url.path.startswith(self.path))
        )


class FakePinot(FakeMembership):
    def __init__(
        self,
        *,
        brokers: int = 1,
        servers: int = 1,
        tenant_isolation: bool = True,
        users: Mapping[str, str] | None = None,
        read_only_users: Mapping[str, str] | None = None,
        min_replicas: int = 1,
        table_get_404: bool = True,
        version: str = "0.11",
        cluster_name: str = "pinot",
    ) -> None:
        """`tenant_isolation` tags new instances DefaultTenant (Pinot's default), else untagged.

        `users`/`read_only_users` (name to password) switch basic auth on. `table_get_404=False` makes
        `GET /tables/{name}` answer 200 `{}` for a missing table, as some controller versions do.
        """
        self.tenant_isolation = tenant_isolation
        self.users = dict(users or {})
        self.read_only_users = dict(read_only_users or {})
        self.min_replicas = min_replicas
        self.table_get_404 = table_get_404
        self.schemas: dict[str, Json] = {}
        self.tables: dict[tuple[str, str], Json] = {}
        self.instances: dict[str, set[str]] = {}
        self.reloads: list[str] = []
        """Names with type of tables whose segments were reloaded, in order."""
        self.requests: list[httpx.Request] = []
        self.faults: list[Fault] = []
        self.membership = MembershipState(cluster_name=cluster_name, version=version)
        self.add_instances("BROKER", brokers)
        self.add_instances("SERVER", servers)

    # ---- knobs -------------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail_next(
        self, times: int = 1, *, status: int = 503, method: str | None = None, path: str | None = None
    ) -> None:
        self.faults.append(Fault(times, status=status, method=method, path=path))

    def drop_next(
        self,
        times: int = 1,
        *,
        error: type[httpx.TransportError] = httpx.ConnectError,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.faults.append(Fault(times, error=error, method=method, path=path))

    def add_instances(self, role: str, count: int, tags: Iterable[str] | None = None) -> list[str]:
        """Register `count` instances of role BROKER or SERVER; they are tagged as Pinot tags new ones."""
        role = role.upper()
        if tags is None:
            if self.tenant_isolation:
                tags = (
                    [f"{DEFAULT_TENANT}_BROKER"]
                    if role == "BROKER"
                    else [
                        f"{DEFAULT_TENANT}_OFFLINE",
                        f"{DEFAULT_TENANT}_REALTIME",
                    ]
                )
            else:
                tags = [UNTAGGED[role]]
        prefix, port = ("Broker_pinot-broker", 8099) if role == "BROKER" else ("Server_pinot-server", 8098)
        existing = sum(1 for name in self.instances if name.startswith(prefix))
        added = [f"{prefix}-{existing + i}_{port}" for i in range(count)]
        for name in added:
            self.instances[name] = set(tags)
            self.membership.live.add(name)
        return added

    def tagged(self, tag: str) -> list[str]:
        return sorted(name for name, tags in self.instances.items() if tag in tags)

    def calls(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        """Requests received, optionally only those with this method and path (exact)."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.url.path == path)
        ]

    # ---- transport ---------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for fault in self.faults:
            if fault.matches(request):
                fault.times -= 1
                if fault.error is not None:
                    raise fault.error("injected fault", request=request)
                return _error(fault.status, f"injected fault: HTTP {fault.status}")
        try:
            self._authorise(request)
            return _json(200, self._route(request))
        except PinotAnswer as answer:
            return _error(answer.code, answer.message)

    def _authorise(self, request: httpx.Request) -> None:
        if not self.users and not self.read_only_users:
            return
        header = request.headers.get("Authorization", "")
        user, password = "", None
        if header.startswith("Basic "):
            with contextlib.suppress(ValueError):
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if self.users.get(user) == password and password is not None:
            return
        if self.read_only_users.get(user) == password and password is not None:
            if request.method == "GET" or request.url.path.endswith("/validate"):
                return
            raise PinotAnswer(403, "Permission is denied for " + request.method + " " + request.url.path)
        raise PinotAnswer(401, "HTTP 401 Unauthorized")

    def _route(self, request: httpx.Request) -> Json | list[Any]:
        parts = [unquote(p) for p in request.url.raw_path.decode().split("?")[0].split("/") if p]
        params = request.url.params
        found = self.route_membership(request, parts, params)
        if found is not None:
            return found
        match request.method, parts:
            case "GET", ["schemas", name]:
                return self.get_schema(name)
            case "POST", ["schemas"]:
                return self.add_schema(_body(request), params)
            case "PUT", ["schemas", name]:
                return self.update_schema(name, _body(request), params)
            case "DELETE", ["schemas", name]:
                return self.delete_schema(name)
            case "POST", ["tables", "validate"]:
                return self.validate_table(_body(request))
            case "POST", ["tables"]:
                return self.add_table(_body(request))
            case "GET", ["tables", name]:
                return self.get_table(name, params.get("type"))
            case "PUT", ["tables", name]:
                return self.update_table(name, _body(request))
            case "DELETE", ["tables", name]:
                return self.delete_table(name, params.get("type"))
            case "POST", ["segments", name, "reload"]:
                return self.reload_segments(name, params.get("type"))
            case "POST", ["tenants"]:
                return self.create_tenant(_body(request))
            case "PUT", ["tenants"]:
                return self.update_tenant(_body(request))
            case "GET", ["tenants", name]:
                return self.get_tenant(name, params.get("type"))
            case "DELETE", ["tenants", name]:
                return self.delete_tenant(name, params.get("type"))
        raise PinotAnswer(404, "HTTP 404 Not Found")

    # ---- schemas -----------------------------------------------------------------------------------

    def get_schema(self, name: str) -> Json:
        if name not in self.schemas:
            raise PinotAnswer(404, "Schema not found")
        return copy.deepcopy(self.schemas[name])

    def add_schema(self, body: Json, params: httpx.QueryParams) -> Json:
        schema, unrecognized = _split(body, SCHEMA_KEYS)
        name = _schema_name(schema)
        if name in self.schemas:
            if params.get("override", "true") != "true":
                raise PinotAnswer(409, f"Schema: {name} already exists")
            self._store_schema(name, schema, force=params.get("force") == "true")
        else:
            self.schemas[name] = _schema_with_defaults(schema)
        return {"unrecognizedProperties": unrecognized, "status": f"{name} successfully added"}

    def update_schema(self, path_name: str, body: Json, params: httpx.QueryParams) -> Json:
        schema, unrecognized = _split(body, SCHEMA_KEYS)
        name = _schema_name(schema)
        if name != path_name:
            raise PinotAnswer(
                400,
                "Schema name mismatch for uploaded schema, "
                f"tried to add schema with name {name} as {path_name}",
            )
        if name not in self.schemas:
            raise PinotAnswer(404, f"Failed to find schema {name}")
        self._store_schema(name, schema, force=params.get("force") == "true")
        if params.get("reload") == "true":
            halves = [f"{name}_{kind}" for kind in TABLE_TYPES if (name, kind) in self.tables]
            if not halves:
                raise PinotAnswer(404, f"Failed to find table {name} to reload")
            self.reloads.extend(halves)
        return {"unrecognizedProperties": unrecognized, "status": f"{name} successfully added"}

    def _store_schema(self, name: str, schema: Json, *, force: bool) -> None:
        new = _schema_with_defaults(schema)
        if not force and not _backward_compatible(self.schemas[name], new):
            raise PinotAnswer(400, f"Backward incompatible schema {name}. Only allow adding new columns")
        self.schemas[name] = new

    def delete_schema(self, name: str) -> Json:
        if name not in self.schemas:
            raise PinotAnswer(404, f"Schema {name} not found")
        for kind in TABLE_TYPES:
            if (name, kind) in self.tables:
                raise PinotAnswer(
                    409, f"Cannot delete schema {name}, as it is associated with table {name}_{kind}"
                )
        del self.schemas[name]
        return {"status": f"Schema {name} deleted"}

    # ---- tables ------------------------------------------------------------------------------------

    def validate_table(self, body: Json) -> Json:
        config, unrecognized = _split(body, TABLE_KEYS)
        raw, kind = _table_identity(config)
        try:
            self._check_table(raw, kind, config)
        except PinotAnswer as answer:
            raise PinotAnswer(400, f"Invalid table config: {raw}_{kind}. {answer.message}") from None
        return {kind: self._table_with_defaults(raw, kind, config), "unrecognizedProperties": unrecognized}

    def add_table(self, body: Json) -> Json:
        config, unrecognized = _split(body, TABLE_KEYS)
        raw, kind = _table_identity(config)
        self._check_table(raw, kind, config)
        if (raw, kind) in self.tables:
            raise PinotAnswer(409, f"Table config for {raw}_{kind} already exists")
        self._check_tenant_tags(raw, kind, config)
        self.tables[raw, kind] = self._table_with_defaults(raw, kind, config)
        self.serve(raw, kind)
        return {"unrecognizedProperties": unrecognized, "status": f"Table {raw}_{kind} successfully added"}

    def get_table(self, name: str, type_param: str | None) -> Json:
        raw, kinds = _halves(name, type_param)
        found = {kind: copy.deepcopy(self.tables[raw, kind]) for kind in kinds if (raw, kind) in self.tables}
        if not found and self.table_get_404:
            raise PinotAnswer(404, f"Table {name} does not exist")
        return found

    def update_table(self, path_name: str, body: Json) -> Json:
        config, unrecognized = _split(body, TABLE_KEYS)
        raw, kind = _table_identity(config)
        if _halves(path_name, kind)[0] != raw:
            raise PinotAnswer(
                400, f"Request table {path_name}_{kind} does not match table name in the body {raw}_{kind}"
            )
        try:
            self._check_table(raw, kind, config)
        except PinotAnswer as answer:
            raise PinotAnswer(
                400, f"Invalid table config: {path_name} with error: {answer.message}"
            ) from None
        if (raw, kind) not in self.tables:
            raise PinotAnswer(404, f"Table {raw}_{kind} does not exist")
        self._check_tenant_tags(raw, kind, config)
        self.tables[raw, kind] = self._table_with_defaults(raw, kind, config)
        return {"unrecognizedProperties": unrecognized, "status": f"Table config updated for {path_name}"}

    def delete_table(self, name: str, type_param: str | None) -> Json:
        raw, kinds = _halves(name, type_param)
        deleted = [f"{raw}_{kind}" for kind in kinds if self.tables.pop((raw, kind), None) is not None]
        for name in deleted:
            for views in (self.membership.ideal, self.membership.external, self.membership.broker_resource):
                views.pop(name, None)
        if not deleted:
            raise PinotAnswer(
                404, f"Table '{raw}' with type {type_param.upper() if type_param else None} does not exist"
            )
        return {"status": f"Tables: [{', '.join(deleted)}] deleted"}

    def reload_segments(self, name: str, type_param: str | None) -> Json:
        raw, kinds = _halves(name, type_param)
        halves = [f"{raw}_{kind}" for kind in kinds if (raw, kind) in self.tables]
        if not halves:
            raise PinotAnswer(404, f"Table {name} not found")
        self.reloads.extend(halves)
        return {"status": json.dumps({half: {"reloadJobId": f"job-{len(self.reloads)}"} for half in halves})}

    def _check_table(self, raw: str, kind: str, config: Json) -> None:
        for key in ("segmentsConfig", "tenants", "tableIndexConfig"):
            if not isinstance(config.get(key), dict):
                raise PinotAnswer(400, f"Missing required creator property '{key}'")
        schema = self.schemas.get(raw)
        if schema is None:
            raise PinotAnswer(400, f"Failed to find schema for table: {raw}_{kind}")
        time_column = config["segmentsConfig"].get("timeColumnName")
        if time_column is not None and time_column not in _columns(schema):
            raise PinotAnswer(400, f"Time column: {time_column} is not present in the schema")
        if kind == "REALTIME":
            if time_column is None:
                raise PinotAnswer(400, "'timeColumnName' cannot be null in REALTIME table config")
            maps = (
                (config.get("ingestionConfig") or {}).get("streamIngestionConfig", {}).get("streamConfigMaps")
            )
            legacy = config["tableIndexConfig"].get("streamConfigs")
            if bool(maps) == bool(legacy):
                raise PinotAnswer(400, "Must have exactly 1 stream config: streamConfigMaps or streamConfigs")

    def _check_tenant_tags(self, raw: str, kind: str, config: Json) -> None:
        tenants = config["tenants"]
        for tag in (
            f"{tenants.get('broker') or DEFAULT_TENANT}_BROKER",
            f"{tenants.get('server') or DEFAULT_TENANT}_{kind}",
        ):
            if not self.tagged(tag):
                raise PinotAnswer(
                    400,
                    f"Invalid table config for table {raw}_{kind}: Failed to find instances with tag: {tag}",
                )

    def _table_with_defaults(self, raw: str, kind: str, config: Json) -> Json:
        stored = copy.deepcopy(config)
        stored["tableName"], stored["tableType"] = f"{raw}_{kind}", kind
        stored.setdefault("isDimTable", False)
        stored.setdefault("metadata", {})
        stored["tableIndexConfig"].setdefault("loadMode", "MMAP")
        segments = stored["segmentsConfig"]
        replication = int(segments.get("replication", 1))
        segments["replication"] = str(max(replication, self.min_replicas))
        return stored

    # ---- tenants -----------------------------------------------------------------------------------

    def get_tenant(self, name: str, type_param: str | None) -> Json:
        role = (type_param or "").upper()
        answer: Json = {}
        if role in ("", "SERVER"):
            offline, realtime = self.tagged(f"{name}_OFFLINE"), self.tagged(f"{name}_REALTIME")
            if role == "SERVER":
                answer |= {"OfflineServerInstances": offline, "RealtimeServerInstances": realtime}
            answer["ServerInstances"] = sorted({*offline, *realtime})
        if role in ("", "BROKER"):
            answer["BrokerInstances"] = self.tagged(f"{name}_BROKER")
        if not any(answer.get(key) for key in ("ServerInstances", "BrokerInstances")):
            raise PinotAnswer(
                404, f"Failed to find any instances for {role.lower() or 'broker and server'} tenant: {name}"
            )
        return answer | {"tenantName": name}

    def create_tenant(self, body: Json) -> Json:
        role, name, size, offline, realtime = _tenant(body)
        untagged = self.tagged(UNTAGGED[role])
        if len(untagged) < size:
            raise PinotAnswer(500, "Failed to create tenant")
        self._assign(role, name, untagged[:size], offline, realtime)
        return {"status": "Successfully created tenant"}

    def update_tenant(self, body: Json) -> Json:
        role, name, size, offline, realtime = _tenant(body)
        if role == "BROKER":
            current = self.tagged(f"{name}_BROKER")
        else:
            offline_now, realtime_now = self.tagged(f"{name}_OFFLINE"), self.tagged(f"{name}_REALTIME")
            current = sorted({*offline_now, *realtime_now})
            if (len(current) < len(offline_now) + len(realtime_now)) != (offline + realtime > size):
                raise PinotAnswer(500, "Failed to update tenant")
        untagged = [i for i in self.tagged(UNTAGGED[role]) if i not in current]
        if len(current) + len(untagged) < size:
            raise PinotAnswer(500, "Failed to update tenant")
        for instance in current:
            self._untag(role, name, instance)
        self._assign(role, name, (current + untagged)[:size], offline, realtime)
        return {"status": "Updated tenant"}

    def delete_tenant(self, name: str, type_param: str | None) -> Json:
        if not type_param:
            raise PinotAnswer(500, "Tenant type (BROKER | SERVER) is required as query parameter")
        role = type_param.upper()
        key = "broker" if role == "BROKER" else "server"
        if any(config["tenants"].get(key, DEFAULT_TENANT) == name for config in self.tables.values()):
            raise PinotAnswer(400, f"{role.capitalize()} tenant is not null, can not delete it")
        tags = [f"{name}_BROKER"] if role == "BROKER" else [f"{name}_OFFLINE", f"{name}_REALTIME"]
        for instance in {i for tag in tags for i in self.tagged(tag)}:
            self._untag(role, name, instance)
        return {"status": f"Successfully deleted tenant {name}"}

    def _assign(self, role: str, name: str, pool: list[str], offline: int, realtime: int) -> None:
        """Pinot's assignment: brokers get the broker tag; servers get offline then realtime, round-robin."""
        if role == "BROKER":
            assignments = [(instance, f"{name}_BROKER") for instance in pool]
        else:
            wanted = [f"{name}_OFFLINE"] * offline + [f"{name}_REALTIME"] * realtime
            assignments = [(pool[i % len(pool)], tag) for i, tag in enumerate(wanted)] if pool else []
        for instance, tag in assignments:
            self.instances[instance].discard(UNTAGGED[role])
            self.instances[instance].add(tag)

    def _untag(self, role: str, name: str, instance: str) -> None:
        self.instances[instance] -= {f"{name}_BROKER", f"{name}_OFFLINE", f"{name}_REALTIME"}
        if not self.instances[instance]:
            self.instances[instance].add(UNTAGGED[role])


# ---- helpers -----------------------------------------------------------------------------------------


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def _error(code: int, message: str) -> httpx.Response:
    return _json(code, {"code": code, "error": message})


def _body(request: httpx.Request) -> Json:
    try:
        body = json.loads(request.content or b"null")
    except ValueError as error:
        raise PinotAnswer(400, f"Invalid json: {error}") from None
    if not isinstance(body, dict):
        raise PinotAnswer(400, "Request body must be a JSON object")
    return body


def _split(body: Json, known: set[str]) -> tuple[Json, Json]:
    """The body without unknown top-level keys, and those keys as Pinot reports them (`/key`)."""
    return (
        {k: v for k, v in body.items() if k in known},
        {f"/{k}": v for k, v in body.items() if k not in known},
    )


def _schema_name(schema: Json) -> str:
    name = schema.get("schemaName")
    if not isinstance(name, str) or not name:
        raise PinotAnswer(400, "Invalid schema. Reason: 'schemaName' should not be null or empty")
    if "__" in name:
        raise PinotAnswer(400, f"Invalid schema: {name}. Reason: schema name cannot contain '__'")
    return name


def _schema_with_defaults(schema: Json) -> Json:
    stored = copy.deepcopy(schema)
    stored.setdefault("enableColumnBasedNullHandling", False)
    for key in FIELD_SPEC_LISTS:
        for spec in stored.get(key, []):
            spec.setdefault("singleValueField", True)
            spec.setdefault("notNull", False)
    return stored


def _columns(schema: Json) -> dict[str, tuple[Any, Any]]:
    """Column name to (dataType, singleValueField)."""
    columns = {}
    for key in FIELD_SPEC_LISTS:
        for spec in schema.get(key, []):
            columns[spec["name"]] = (spec.get("dataType"), spec.get("singleValueField", True))
    return columns


def _backward_compatible(old: Json, new: Json) -> bool:
    new_columns = _columns(new)
    if any(new_columns.get(name) != shape for name, shape in _columns(old).items()):
        return False
    old_keys = old.get("primaryKeyColumns") or []
    return not old_keys or old_keys == (new.get("primaryKeyColumns") or [])


def _table_identity(config: Json) -> tuple[str, str]:
    name, kind = config.get("tableName"), config.get("tableType")
    if not isinstance(name, str) or not name:
        raise PinotAnswer(400, "'tableName' must be set")
    if kind not in TABLE_TYPES:
        raise PinotAnswer(400, f"Invalid table type: {kind}")
    suffix = "_" + kind
    return (name[: -len(suffix)] if name.endswith(suffix) else name), kind


def _halves(name: str, type_param: str | None) -> tuple[str, tuple[str, ...]]:
    """Pinot's `verifyTableType`: the raw name and the halves a (name, type) pair designates."""
    wanted = type_param.upper() if type_param else None
    if wanted is not None and wanted not in TABLE_TYPES:
        raise PinotAnswer(400, f"Illegal table type '{type_param}'")
    for kind in TABLE_TYPES:
        if name.endswith("_" + kind):
            return name[: -len(kind) - 1], (kind,) if wanted in (None, kind) else ()
    return name, (wanted,) if wanted else TABLE_TYPES


def _tenant(body: Json) -> tuple[str, str, int, int, int]:
    role, name = str(body.get("tenantRole", "")).upper(), body.get("tenantName")
    if role not in UNTAGGED or not isinstance(name, str) or not name:
        raise PinotAnswer(400, "tenantRole (SERVER|BROKER) and tenantName are required")
    try:
        size = int(body.get("numberOfInstances", 0))
        offline = int(body.get("offlineInstances", 0))
        realtime = int(body.get("realtimeInstances", 0))
    except (TypeError, ValueError):
        raise PinotAnswer(400, "instance counts must be integers") from None
    if role == "SERVER" and size < max(offline, realtime):
        raise PinotAnswer(400, "numberOfInstances must be at least offlineInstances and realtimeInstances")
    if size <= 0:
        raise PinotAnswer(400, "numberOfInstances must be positive")
    return role, name, size, offline, realtime
