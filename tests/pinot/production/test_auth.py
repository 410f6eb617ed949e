"""Basic auth turned on by ``spec.auth.basic``; Pinot reads every password from its environment, the
Jobs log in from the Secret's env only.

The cluster is the second (and last) one booted. Credential cases run the installed console script
as a process whose environment is the Job's env, as in a pod. Pinot 1.x answers some refusals
differently from 0.11 (pinot-production-config.md §4): a missing credential on an endpoint that
names no table is 401 (0.11: 403), and ``POST /tables/validate`` is checked as READ (0.11: CREATE).
"""

from __future__ import annotations

from ..documents import offline_table, schema, schema_spec, table_spec
from ..harness import Cluster, http_status
from ..jobs import SECRET_NAME, JobRunner
from ..overlay import ROLES, RenderedRole, Role, parse_properties
from ..rest import PinotRest, columns
from .principals import ADMIN, READER, SECRETS, secret

NAME = "secured"
PREFIX = "controller.admin.access.control"


def test_the_rendered_configs_name_the_principals_and_hold_no_password(
    rendered: dict[Role, RenderedRole],
) -> None:
    props = parse_properties(rendered["controller"].conf_text)
    assert props[f"{PREFIX}.principals"] == "admin,reader"
    assert props[f"{PREFIX}.principals.admin.password"] == "${env:PINOT_ADMIN_PASSWORD}"
    assert props[f"{PREFIX}.principals.reader.permissions"] == "READ"
    for role in rendered.values():
        text = role.conf_text + role.java_opts + " ".join(role.args)
        assert ADMIN[1] not in text and READER[1] not in text, role.role
        assert all("value" not in e for e in role.env if "PASSWORD" in e["name"]), role.role


def test_probes_need_no_credentials_and_everything_else_does(pinot: Cluster, rest: PinotRest) -> None:
    for role in ROLES:
        for overlaid in pinot.replicas[role]:
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert http_status(overlaid.url(kind)) == 200, (role, kind)
    # An endpoint that names no table: 0.11 answers 403, 1.x 401 with a challenge.
    assert http_status(f"{pinot.controller_url}/instances") == (403 if pinot.version < (1,) else 401)
    assert len(rest.instances()) == 5  # two controllers, a broker, a server, a minion


def test_the_passwords_reached_pinot_only_through_the_environment(pinot: Cluster) -> None:
    controller = pinot.roles["controller"]
    assert controller.env["PINOT_ADMIN_PASSWORD"] == SECRETS["pinot-admin"]["password"]
    assert ADMIN[1] not in controller.conf_text and ADMIN[1] not in " ".join(controller.jvm_options)
    token = (pinot.roles["server"].conf_path.parent.parent / "auth" / "token").read_text(encoding="ascii")
    assert token.startswith("Basic ") and not token.endswith("\n")  # written by the init container


def test_jobs_with_the_secret_create_and_compare(jobs: JobRunner, rest: PinotRest) -> None:
    created = jobs.apply("schema", schema_spec(schema(NAME)), console_script=True)

    assert (created.exit_code, created.reason) == (0, "Created"), created
    assert set(created.env) == {"PINOT_USERNAME", "PINOT_PASSWORD"}
    assert not [arg for arg in created.argv if "s3cret" in arg]  # never in the args
    held = rest.schema(NAME)
    assert held is not None and set(columns(held)) == {"id", "v", "ts"}
    assert jobs.apply("schema", schema_spec(schema(NAME))).reason == "Unchanged"

    table = jobs.apply("table", table_spec(offline_table(NAME)), console_script=True)
    assert (table.exit_code, table.reason) == (0, "Created"), table
    assert rest.table(NAME, "OFFLINE") is not None
    assert jobs.apply("table", table_spec(offline_table(NAME))).reason == "Unchanged"


def run_as(jobs: JobRunner, label: str, secrets: dict[str, dict[str, str]], secret_name: str) -> JobRunner:
    """Jobs of the same cluster, with the Secret holding other credentials (or no Secret at all)."""
    return JobRunner(jobs.controller_url, jobs.workdir / label, secrets, secret_name)


def test_without_credentials_pinot_refuses_and_the_outcome_says_so(jobs: JobRunner, rest: PinotRest) -> None:
    anonymous = run_as(jobs, "anonymous", {}, "")  # a cluster without spec.auth: the Job has no env at all

    result = anonymous.apply("schema", schema_spec(schema(NAME, "country")), console_script=True)

    assert result.env == {}
    assert (result.exit_code, result.reason) == (1, "Unauthorized"), result
    assert result.outcome["httpStatus"] == 403  # a schema is table-scoped: 403 in 0.11 and 1.x
    assert result.message.startswith("Permission is denied for READ "), result  # Pinot's words
    held = rest.schema(NAME)
    assert held is not None and "country" not in columns(held)

    deleting = anonymous.delete("table", table_spec(offline_table(NAME)), console_script=True)
    assert (deleting.exit_code, deleting.reason) == (1, "Unauthorized"), deleting
    assert deleting.message.startswith("Permission is denied for DELETE "), deleting
    assert rest.table(NAME, "OFFLINE") is not None


def test_a_wrong_password_is_unauthorized(pinot: Cluster, jobs: JobRunner, rest: PinotRest) -> None:
    wrong = run_as(jobs, "wrong-password", secret(("admin", "not-the-password")), SECRET_NAME)

    result = wrong.apply("table", table_spec(offline_table(NAME, replication="2")), console_script=True)

    assert (result.exit_code, result.reason) == (1, "Unauthorized"), result
    assert result.outcome["httpStatus"] == 403
    # The first call is POST /tables/validate: 0.11 checks it as CREATE, 1.x as READ.
    access = "CREATE" if pinot.version < (1,) else "READ"
    assert result.message.startswith(f"Permission is denied for {access} "), result
    held = rest.table(NAME, "OFFLINE")
    assert held is not None and held["segmentsConfig"]["replication"] == "1"


def test_a_read_only_principal_cannot_write(jobs: JobRunner, rest: PinotRest) -> None:
    reader = run_as(jobs, "reader", secret(READER), SECRET_NAME)

    result = reader.apply("schema", schema_spec(schema(NAME, "country")))

    # Reading what Pinot holds is allowed (READ); writing the change is not.
    assert (result.exit_code, result.reason) == (1, "Unauthorized"), result
    assert result.message.startswith("Permission is denied for UPDATE "), result
    held = rest.schema(NAME)
    assert held is not None and "country" not in columns(held)


def test_delete_with_the_secret(jobs: JobRunner, rest: PinotRest) -> None:
    table = jobs.delete("table", table_spec(offline_table(NAME)))
    assert (table.exit_code, table.reason) == (0, "Deleted"), table
    schema_deleted = jobs.delete("schema", schema_spec(schema(NAME)))
    assert (schema_deleted.exit_code, schema_deleted.reason) == (0, "Deleted"), schema_deleted
    assert rest.table(NAME, "OFFLINE") is None and rest.schema(NAME) is None
