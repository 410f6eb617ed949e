"""Production settings: deep store and controller HA, Pinot's basic auth, metrics, NetworkPolicy and
Services, as the sync hook renders or refuses them."""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hooks.cluster.featurechecks import safe_value
from hooks.cluster.sync import sync_cluster
from hooks.render import render_children
from tests.cluster.builders import BASE_SPEC, NOW, parent, request, settle
from tests.sim.defaults import Allocator, apply_defaults
from tests.support.kube_schemas import strict_errors

JsonObject = dict[str, Any]
S3 = {
    "uri": "s3://pinot-deepstore/demo/segments",
    "options": {"region": "us-east-1", "endpoint": "http://minio.storage.svc:9000"},
    "secretOptions": {
        "accessKey": {"name": "s3-credentials", "key": "access-key"},
        "secretKey": {"name": "s3-credentials", "key": "secret-key"},
    },
}
SHARED = {
    "uri": "file:///mnt/deepstore/segments",
    "volume": {"persistentVolumeClaim": {"claimName": "shared"}},
}
AUTH = {
    "secretRef": {"name": "pinot-admin"},
    "basic": {"enabled": True, "readers": [{"username": "analyst", "secretRef": {"name": "pinot-analyst"}}]},
}


def spec(**fields: Any) -> JsonObject:
    return {**copy.deepcopy(BASE_SPEC), **copy.deepcopy(fields)}


def rendered(spec_: JsonObject) -> tuple[list[JsonObject], JsonObject]:
    return render_children(parent(spec_), True)


def refusal(spec_: JsonObject) -> str:
    _, status = rendered(spec_)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "InvalidSpec", ready
    return str(ready["message"])


def valid(spec_: JsonObject) -> list[JsonObject]:
    children, status = rendered(spec_)
    assert not any(c["reason"] == "InvalidSpec" for c in status["conditions"]), status["conditions"]
    return children


def named(children: list[JsonObject], name: str) -> JsonObject:
    return next(c for c in children if c["metadata"]["name"] == name)


def conf(children: list[JsonObject], pool: str) -> dict[str, str]:
    """The pool's Pinot config as key -> value (the ConfigMap its StatefulSet mounts)."""
    sts = named(children, f"demo-{pool}")
    volume = next(v for v in sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "config")
    config_map = named(children, volume["configMap"]["name"])
    text = next(v for k, v in config_map["data"].items() if k.endswith(".conf"))
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def pod(children: list[JsonObject], pool: str) -> JsonObject:
    spec_: JsonObject = named(children, f"demo-{pool}")["spec"]["template"]["spec"]
    return spec_


def env(children: list[JsonObject], pool: str) -> dict[str, JsonObject]:
    return {e["name"]: e for e in pod(children, pool)["containers"][0]["env"]}


# ----------------------------------------------------------------------- deep store and HA


def test_several_controllers_without_a_deep_store_are_refused_saying_what_to_set() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[0]["replicas"] = 2
    pools.insert(1, {"name": "more-controllers", "role": "controller"})
    message = refusal(spec(pools=pools))
    assert (
        "spec.deepStore: is required for 3 controller replicas (summed over the controller pools)" in message
    )
    assert "set spec.deepStore.uri" in message


def test_one_controller_keeps_its_local_data_directory() -> None:
    props = conf(valid(spec()), "controllers")
    assert props["controller.data.dir"] == "/var/pinot/controller/data"
    assert not any(key.startswith("pinot.controller.storage.factory") for key in props)


def test_the_data_dir_property_is_refused_naming_the_deep_store_field() -> None:
    defaults = {"controller": {"pinot": {"properties": {"controller.data.dir": "s3://bucket/x"}}}}
    message = refusal(spec(defaults=defaults))
    assert "spec.defaults.controller.pinot.properties['controller.data.dir']" in message
    assert "which writes controller.data.dir from spec.deepStore; set it there" in message


def test_an_s3_deep_store_reaches_every_role_that_reads_segments() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[0]["replicas"] = 3
    children = valid(spec(pools=pools, deepStore=S3))
    controller = conf(children, "controllers")
    assert controller["controller.data.dir"] == "s3://pinot-deepstore/demo/segments"
    assert controller["controller.local.temp.dir"] == "/var/pinot/controller/data/deepstore-temp"
    for pool, role in (("controllers", "controller"), ("hot", "server"), ("minions", "minion")):
        props = conf(children, pool)
        factory = f"pinot.{role}.storage.factory"
        assert props[f"{factory}.class.s3"] == "org.apache.pinot.plugin.filesystem.S3PinotFS"
        assert props[f"{factory}.s3.region"] == "us-east-1"
        assert props[f"{factory}.s3.endpoint"] == "http://minio.storage.svc:9000"
        assert props[f"{factory}.s3.accessKey"] == "${env:PINOT_DEEPSTORE_ACCESS_KEY_SECRET}"
        assert props[f"{factory}.s3.secretKey"] == "${env:PINOT_DEEPSTORE_SECRET_KEY}"
        assert props[f"pinot.{role}.segment.fetcher.protocols"] == "file,http,s3"
        variables = env(children, pool)
        assert variables["PINOT_DEEPSTORE_SECRET_KEY"]["valueFrom"] == {
            "secretKeyRef": {"name": "s3-credentials", "key": "secret-key"}
        }
    assert conf(children, "hot")["pinot.server.instance.segment.store.uri"] == S3["uri"]
    assert not any("storage.factory" in key for key in conf(children, "brokers"))
    assert not any(name.startswith("PINOT_DEEPSTORE") for name in env(children, "brokers"))


def test_a_deep_store_plugin_joins_a_restricted_plugin_list() -> None:
    defaults = {"server": {"pinot": {"plugins": ["pinot-kafka-2.0", "pinot-avro"]}}}
    children = valid(spec(deepStore=S3, defaults=defaults))
    java_opts = env(children, "hot")["JAVA_OPTS"]["value"]
    assert "-Dplugins.include=pinot-kafka-2.0;pinot-avro;pinot-s3" in java_opts.split()


@pytest.mark.parametrize(
    ("store", "field", "problem"),
    [
        ({"uri": "ftp://x/y"}, "spec.deepStore.uri", "must start with s3://, gs://"),
        ({"uri": "s3://b/p"}, "spec.deepStore.options", "pinot-s3 needs 'region'"),
        (
            {"uri": "s3://b/p", "options": {"region": "a,b"}},
            "spec.deepStore.options['region']",
            "printable ASCII",
        ),
        ({"uri": "s3://b/p", "options": {"region": "${env:X}"}}, "spec.deepStore.options['region']", "'${'"),
        (
            {"uri": "s3://b/p", "options": {"region": "r"}, "volume": {"emptyDir": {}}},
            "spec.deepStore.volume",
            "only for a file://",
        ),
        ({"uri": "file:///mnt/x"}, "spec.deepStore.volume", "is required for a file:// deep store"),
        (
            {"uri": "file:///var/pinot/controller/data", "volume": {"emptyDir": {}}},
            "spec.deepStore.uri",
            "a directory of the Pinot pods",
        ),
        (
            {"uri": "abfss://c@acct.dfs.core.windows.net/p", "options": {"accountName": "acct"}},
            "spec.deepStore.options",
            "needs 'fileSystemName'",
        ),
    ],
)
def test_bad_deep_stores_are_refused(store: JsonObject, field: str, problem: str) -> None:
    message = refusal(spec(deepStore=store))
    assert field in message and problem in message, message


ADLS = {
    "uri": "abfss://c@acct.dfs.core.windows.net/p",
    "options": {"accountName": "a", "fileSystemName": "c"},
}
KEY = {"name": "store", "key": "k"}


@pytest.mark.parametrize(
    ("store", "option", "route"),
    [
        (
            {**ADLS, "secretOptions": {"accessKey": KEY}},
            "accessKey",
            "AZURE_AD with secretOptions.clientSecret",
        ),
        ({"uri": "gs://b/p", "secretOptions": {"jsonKey": KEY}}, "jsonKey", "set options.gcpKey"),
        ({**ADLS, "secretOptions": {"clientId": KEY}}, "clientId", "if it is no secret, set it in options"),
    ],
)
def test_secret_options_pinot_would_show_unmasked_are_refused(
    store: JsonObject, option: str, route: str
) -> None:
    message = refusal(spec(deepStore=store))
    assert f"spec.deepStore.secretOptions['{option}']: Pinot 1.x would show its value unmasked" in message
    assert route in message, message


def test_secret_options_pinot_masks_or_that_identify_are_accepted() -> None:
    masked = {"clientSecret": KEY, "proxyPassword": KEY}
    valid(
        spec(
            deepStore={
                **ADLS,
                "options": {**ADLS["options"], "authenticationType": "AZURE_AD"},
                "secretOptions": masked,
            }
        )
    )
    valid(spec(deepStore=S3))  # the S3 access key id is shown like a user name; its secret key is masked


def test_a_shared_file_deep_store_is_mounted_on_every_controller_and_served_through_the_service() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[0]["replicas"] = 2
    children = valid(spec(pools=pools, deepStore=SHARED))
    props = conf(children, "controllers")
    assert props["controller.data.dir"] == "file:///mnt/deepstore/segments"
    assert props["controller.vip.host"] == "demo-controller.analytics.svc"
    assert props["controller.vip.port"] == "9000"
    controller = pod(children, "controllers")
    assert {"name": "deepstore", "persistentVolumeClaim": {"claimName": "shared"}} in controller["volumes"]
    assert {"name": "deepstore", "mountPath": "/mnt/deepstore/segments"} in controller["containers"][0][
        "volumeMounts"
    ]
    assert not any(v["name"] == "deepstore" for v in pod(children, "hot")["volumes"])
    assert not any("storage.factory" in key for key in conf(children, "hot"))


def test_a_deep_store_key_in_properties_is_refused_naming_the_field() -> None:
    defaults = {"server": {"pinot": {"properties": {"pinot.server.storage.factory.s3.Region": "eu-west-1"}}}}
    message = refusal(spec(deepStore=S3, defaults=defaults))
    assert (
        "spec.defaults.server.pinot.properties['pinot.server.storage.factory.s3.Region']: "
        "is set by spec.deepStore" in message
    )


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("us-east-1", True),
        ("http://h:9000/p", True),
        ("a b", True),
        (" a", False),
        ("a,b", False),
        ("a\\b", False),
        ("${x}", False),
        ("é", False),
        ("", False),
    ],
)
def test_safe_values_are_those_pinot_reads_back_exactly(value: str, safe: bool) -> None:
    assert safe_value(value) is safe


# ------------------------------------------------------------------------------ basic auth


def test_basic_auth_lists_principals_and_reads_every_password_from_the_environment() -> None:
    children = valid(spec(auth=AUTH))
    controller = conf(children, "controllers")
    prefix = "controller.admin.access.control"
    assert (
        controller[f"{prefix}.factory.class"]
        == "org.apache.pinot.controller.api.access.BasicAuthAccessControlFactory"
    )
    assert controller[f"{prefix}.principals"] == "admin,analyst"
    assert controller[f"{prefix}.principals.admin.password"] == "${env:PINOT_ADMIN_PASSWORD}"
    assert controller[f"{prefix}.principals.analyst.password"] == "${env:PINOT_READER_ANALYST_PASSWORD}"
    assert controller[f"{prefix}.principals.analyst.permissions"] == "READ"
    assert f"{prefix}.principals.admin.permissions" not in controller
    broker = conf(children, "brokers")
    assert (
        broker["pinot.broker.access.control.class"]
        == "org.apache.pinot.broker.broker.BasicAuthAccessControlFactory"
    )
    assert (
        broker["pinot.broker.access.control.principals.analyst.password"]
        == "${env:PINOT_READER_ANALYST_PASSWORD}"
    )
    for pool in ("controllers", "brokers"):
        variables = env(children, pool)
        assert variables["PINOT_ADMIN_PASSWORD"]["valueFrom"] == {
            "secretKeyRef": {"name": "pinot-admin", "key": "password"}
        }
        assert variables["PINOT_READER_ANALYST_PASSWORD"]["valueFrom"] == {
            "secretKeyRef": {"name": "pinot-analyst", "key": "password"}
        }


@pytest.mark.parametrize(
    ("pool", "namespaces"),
    [
        ("controllers", ["pinot.controller.segment.fetcher.auth"]),
        (
            "hot",
            [
                "pinot.server.segment.fetcher.auth",
                "pinot.server.segment.uploader.auth",
                "pinot.server.instance.auth",
            ],
        ),
        ("minions", ["task.auth", "pinot.minion.segment.fetcher.auth"]),
    ],
)
def test_roles_that_call_the_controller_send_a_token_from_a_file_an_init_container_writes(
    pool: str, namespaces: list[str]
) -> None:
    children = valid(spec(auth=AUTH))
    props = conf(children, pool)
    role = {"controllers": "controller", "hot": "server", "minions": "minion"}[pool]
    for namespace in namespaces:
        assert props[f"{namespace}.provider.class"] == "org.apache.pinot.common.auth.UrlAuthProvider"
        assert props[f"{namespace}.url"] == f"file:///var/pinot/{role}/auth/token"
        assert props[f"{namespace}.prefix"] == "Basic"
    (init,) = pod(children, pool)["initContainers"]
    init_env = {e["name"]: e for e in init["env"]}
    assert init_env["PINOT_AUTH_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "pinot-admin",
        "key": "password",
    }
    assert init_env["PINOT_AUTH_PRINCIPAL"]["value"] == "admin"
    assert init["image"] == "apachepinot/pinot:1.3.0"
    assert {"name": "auth-token", "mountPath": f"/var/pinot/{role}/auth", "readOnly": True} in pod(
        children, pool
    )["containers"][0]["volumeMounts"]


def test_brokers_need_no_token_and_probes_stay_unauthenticated() -> None:
    children = valid(spec(auth=AUTH))
    (check,) = pod(children, "brokers")["initContainers"]
    assert check["name"] == "auth-check" and "volumeMounts" not in check
    assert not any(v["name"] == "auth-token" for v in pod(children, "brokers")["volumes"])
    for pool in ("controllers", "brokers", "hot", "minions"):
        container = pod(children, pool)["containers"][0]
        assert "httpHeaders" not in json.dumps(container["readinessProbe"])


# Keys whose value is a credential, in any role's config (compared in lower case).
CREDENTIAL_KEYS = re.compile(r"(password|secretkey|accesskey|token)$")
ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z0-9_]+)\}")


def secret_variables(container: JsonObject) -> dict[str, str]:
    """The container's variables read from Secrets, each with a distinct value a pod would hold."""
    return {
        e["name"]: f"value-of-{e['name'].lower()}-{index}"
        for index, e in enumerate(container.get("env", []))
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def resolve(value: str, environment: dict[str, str]) -> str:
    """`value` as Pinot reads it in a pod with `environment` (`${env:NAME}` resolved)."""
    return ENV_REFERENCE.sub(lambda m: environment.get(m[1], m[0]), value)


def test_secret_values_reach_pinot_only_through_variables_that_read_them_from_secrets() -> None:
    """In a pod whose Secret-backed variables hold values, the config Pinot reads resolves every
    credential key to one of them, and no object of the answer holds any of them."""
    children = valid(spec(auth=AUTH, deepStore=S3, metrics={"enabled": True}))
    answer = json.dumps(children)
    resolved_credentials = 0
    for sts in (c for c in children if c["kind"] == "StatefulSet"):
        pool = sts["metadata"]["name"].removeprefix("demo-")
        (container,) = sts["spec"]["template"]["spec"]["containers"]
        environment = secret_variables(container)
        assert not any(value in answer for value in environment.values())
        props = conf(children, pool)
        for key, value in props.items():
            for name in ENV_REFERENCE.findall(value):
                assert name in environment, f"{pool}: {key} reads {name}, which no Secret holds"
            resolved = resolve(value, environment)
            if CREDENTIAL_KEYS.search(key.lower()):
                assert value.startswith("${env:") and resolved in environment.values(), (pool, key, value)
                resolved_credentials += 1
        referenced = {name for value in props.values() for name in ENV_REFERENCE.findall(value)}
        assert referenced == set(environment), f"{pool}: Secret-backed variables Pinot never reads"
        plain = [e for e in container["env"] if "value" in e]
        assert not any(CREDENTIAL_KEYS.search(e["name"].lower()) for e in plain), plain
    # (controllers, brokers) x (admin, analyst) + (controllers, hot, cold, minions) x (access, secret key)
    assert resolved_credentials == 2 * 2 + 4 * 2


def test_the_token_init_container_writes_the_token_from_its_environment_alone(tmp_path: Path) -> None:
    """The init container's script, run by a real shell with the Secret's values in its
    environment, writes `Basic base64(user:password)` and prints no value anywhere."""
    children = valid(spec(auth=AUTH))
    (init,) = pod(children, "hot")["initContainers"]
    environment = {e["name"]: e.get("value", "") for e in init["env"]}
    environment |= {"PINOT_AUTH_USERNAME": "admin", "PINOT_AUTH_PASSWORD": "s3cret-Value_1"}
    token = tmp_path / "token"
    environment["PINOT_AUTH_TOKEN_FILE"] = str(token)
    assert "s3cret" not in json.dumps(children)
    done = subprocess.run(
        [*init["command"], *init["args"]], env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr
    assert token.read_text() == "Basic " + base64.b64encode(b"admin:s3cret-Value_1").decode()
    assert oct(token.stat().st_mode & 0o777) == "0o600"


def run_init_container(
    children: list[JsonObject], pool: str, secrets: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """The pool's init container, run by a real shell with `secrets` (variable -> value) for the
    variables its pod reads from Secrets, and its token file under `tmp_path`."""
    (init,) = pod(children, pool)["initContainers"]
    environment = {"PATH": os.environ["PATH"]}
    for entry in init["env"]:
        environment[entry["name"]] = entry.get("value", secrets.get(entry["name"], ""))
    if "PINOT_AUTH_TOKEN_FILE" in environment:
        environment["PINOT_AUTH_TOKEN_FILE"] = str(tmp_path / "token")
    assert init.get("terminationMessagePolicy") == "FallbackToLogsOnError"
    return subprocess.run(
        [*init["command"], *init["args"]], env=environment, capture_output=True, text=True, check=False
    )


GOOD = {
    "PINOT_ADMIN_PASSWORD": "s3cret-Admin_1",
    "PINOT_AUTH_PASSWORD": "s3cret-Admin_1",
    "PINOT_AUTH_USERNAME": "admin",
    "PINOT_READER_ANALYST_PASSWORD": "an@lyst'\"$(x)`",
}


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a,b", "contains ','"),
        ("a\\b", "contains '\\'"),
        ("x${env:HOME}", "contains '${'"),
        (" padded", "starts or ends with a blank"),
        ("padded\t", "outside printable ASCII"),
        ("two\nlines", "outside printable ASCII"),
        ("pässword", "outside printable ASCII"),
        ("", "is empty"),
    ],
)
@pytest.mark.parametrize("pool", ["controllers", "brokers"])
def test_controllers_and_brokers_refuse_passwords_pinot_would_not_read_back(
    pool: str, password: str, problem: str, tmp_path: Path
) -> None:
    """Pinot 0.11 cuts an `${env:...}` value at its first comma, trims it, and reads escapes and
    variables in it: the pods that list principals stop before Pinot starts, saying which principal's
    Secret holds such a password and why, never the value."""
    children = valid(spec(auth=AUTH))
    done = run_init_container(children, pool, {**GOOD, "PINOT_READER_ANALYST_PASSWORD": password}, tmp_path)
    assert done.returncode == 1
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1  # the last log line is the termination message
    assert message.startswith("the password of principal analyst (key password of Secret pinot-analyst) ")
    assert problem in message, message
    assert not (password and password.strip() and password.strip() in message.replace(problem, ""))
    assert not (tmp_path / "token").exists()


@pytest.mark.parametrize("pool", ["controllers", "brokers"])
def test_passwords_pinot_reads_back_pass_the_check(pool: str, tmp_path: Path) -> None:
    children = valid(spec(auth=AUTH))
    done = run_init_container(children, pool, GOOD, tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (tmp_path / "token").exists() is (pool == "controllers")


def test_servers_and_minions_check_no_password_they_do_not_list(tmp_path: Path) -> None:
    children = valid(spec(auth=AUTH))
    for pool in ("hot", "minions"):
        (init,) = pod(children, pool)["initContainers"]
        assert "PINOT_AUTH_PASSWORDS" not in {e["name"] for e in init["env"]}


def test_auth_without_basic_changes_nothing_in_pinot() -> None:
    """Only the control plane's own Jobs change: they log in with the Secret."""
    with_secret = valid(spec(auth={"secretRef": {"name": "pinot-admin"}}))
    assert [c for c in with_secret if c["kind"] != "Job"] == [c for c in valid(spec()) if c["kind"] != "Job"]
    for job in (c for c in with_secret if c["kind"] == "Job"):
        env = job["spec"]["template"]["spec"]["containers"][0]["env"]
        assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env} == {"pinot-admin"}


@pytest.mark.parametrize(
    ("auth", "field", "problem"),
    [
        (
            {
                **AUTH,
                "basic": {"enabled": True, "readers": [{"username": "Ad_min", "secretRef": {"name": "x"}}]},
            },
            "spec.auth.basic.readers[0].username",
            "same principal as spec.auth.basic.adminUsername",
        ),
        (
            {**AUTH, "basic": {"enabled": True, "adminUsername": "a.b"}},
            "spec.auth.basic.adminUsername",
            "must be letters, digits, '-' and '_'",
        ),
    ],
)
def test_bad_principals_are_refused(auth: JsonObject, field: str, problem: str) -> None:
    message = refusal(spec(auth=auth))
    assert field in message and problem in message, message


def test_an_auth_key_in_properties_is_refused_while_basic_auth_is_on() -> None:
    key = "controller.admin.access.control.principals.bob.password"
    message = refusal(spec(auth=AUTH, defaults={"common": {"pinot": {"properties": {key: "x"}}}}))
    assert f"spec.defaults.common.pinot.properties['{key}']: is set by spec.auth.basic" in message
    assert valid(spec(defaults={"common": {"pinot": {"properties": {key: "x"}}}}))  # by hand, as before


# ------------------------------------------------------------------------------------ metrics


def test_metrics_run_the_image_agent_with_rendered_rules_on_a_named_port() -> None:
    children = valid(spec(metrics={"enabled": True, "port": 9404}))
    for pool, role in (
        ("controllers", "controller"),
        ("brokers", "broker"),
        ("hot", "server"),
        ("minions", "minion"),
    ):
        sts = named(children, f"demo-{pool}")
        template = sts["spec"]["template"]
        container = template["spec"]["containers"][0]
        java_opts = env(children, pool)["JAVA_OPTS"]["value"].split()
        agent = (
            "-javaagent:/opt/pinot/etc/jmx_prometheus_javaagent/jmx_prometheus_javaagent.jar="
            f"9404:/var/pinot/{role}/config/jmx-exporter.yml"
        )
        assert agent in java_opts
        assert {"name": "metrics", "containerPort": 9404, "protocol": "TCP"} in container["ports"]
        assert template["metadata"]["annotations"] == {
            "prometheus.io/path": "/metrics",
            "prometheus.io/port": "9404",
            "prometheus.io/scrape": "true",
        }
        volume = next(v for v in template["spec"]["volumes"] if v["name"] == "config")
        assert "jmx-exporter.yml" in named(children, volume["configMap"]["name"])["data"]
    assert "-javaagent" not in json.dumps(valid(spec()))


def test_the_metrics_port_may_not_be_one_pinot_uses() -> None:
    assert "spec.metrics.port: 8090 is a port Pinot itself listens on" in refusal(
        spec(metrics={"enabled": True, "port": 8090})
    )


def test_turning_metrics_on_changes_the_config_map_name() -> None:
    before = named(valid(spec()), "demo-hot")["spec"]["template"]["spec"]["volumes"][0]
    after = named(valid(spec(metrics={"enabled": True})), "demo-hot")["spec"]["template"]["spec"]["volumes"][
        0
    ]
    assert before["configMap"]["name"] != after["configMap"]["name"]


# ------------------------------------------------------------------------------ NetworkPolicy


def test_the_network_policy_admits_the_cluster_its_jobs_and_listed_clients() -> None:
    peers = [{"namespaceSelector": {"matchLabels": {"team": "apps"}}}]
    children = valid(
        spec(
            networkPolicy={
                "brokerClients": peers,
                "controllerClients": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
            },
            metrics={"enabled": True},
        )
    )
    policy = named(children, "demo-pinot")
    own = {"podSelector": {"matchLabels": {"pinot.controlplane.dev/cluster": "demo"}}}
    jobs = {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "pinot-control-plane",
                "app.kubernetes.io/managed-by": "pinot-control-plane",
            }
        }
    }
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"pinot.controlplane.dev/cluster": "demo"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"from": [own]},
            {
                "from": [jobs, {"ipBlock": {"cidr": "10.0.0.0/8"}}],
                "ports": [{"port": 9000, "protocol": "TCP"}],
            },
            {"from": peers, "ports": [{"port": 8099, "protocol": "TCP"}]},
            {"ports": [{"port": 8008, "protocol": "TCP"}]},
        ],
    }


def test_by_default_brokers_answer_the_namespace_and_the_policy_can_be_turned_off() -> None:
    policy = named(valid(spec()), "demo-pinot")
    assert {"from": [{"podSelector": {}}], "ports": [{"port": 8099, "protocol": "TCP"}]} in policy["spec"][
        "ingress"
    ]
    assert not [c for c in valid(spec(networkPolicy={"enabled": False})) if c["kind"] == "NetworkPolicy"]


def sync_policy(spec_: JsonObject, observed: list[JsonObject]) -> JsonObject | None:
    body = sync_cluster(request(parent(spec_), observed), NOW).body
    return next((c for c in body["children"] if c["kind"] == "NetworkPolicy"), None)


@pytest.mark.parametrize(
    ("enabled", "pools_exist", "policy_observed", "on"),
    [
        (None, False, False, True),  # a new cluster
        (None, True, False, False),  # a cluster that ran without it: its clients would be cut off
        (None, True, True, True),  # a cluster created with it keeps it
        (True, True, False, True),
        (False, False, False, False),
        (False, True, True, False),
    ],
)
def test_the_policy_is_on_by_default_for_new_clusters_only(
    enabled: bool | None, pools_exist: bool, policy_observed: bool, on: bool
) -> None:
    spec_ = spec() if enabled is None else spec(networkPolicy={"enabled": enabled})
    everything = [settle(c) for c in valid(spec())]
    observed = [
        c
        for c in everything
        if (c["kind"] != "NetworkPolicy" or policy_observed) and (c["kind"] != "StatefulSet" or pools_exist)
    ]
    policy = sync_policy(spec_, observed)
    assert (policy is not None) is on
    if policy is not None:  # the answer is a fixed point: fed back, it stays
        assert sync_policy(spec_, [*observed, settle(policy)]) == policy


def test_server_clients_reach_netty_and_each_server_pools_grpc_port() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[3]["pinot"] = {"properties": {"pinot.server.grpc.port": "9090"}}
    peers = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "trino"}}}]
    policy = named(valid(spec(pools=pools, networkPolicy={"serverClients": peers})), "demo-pinot")
    assert {
        "from": peers,
        "ports": [{"port": p, "protocol": "TCP"} for p in (8090, 8098, 9090)],
    } in policy["spec"]["ingress"]
    unset = named(valid(spec()), "demo-pinot")
    assert not any(p["port"] == 8098 for r in unset["spec"]["ingress"] for p in r.get("ports", []))


def test_empty_client_lists_admit_nobody_rather_than_everybody() -> None:
    policy = named(
        valid(spec(networkPolicy={"brokerClients": [], "metricsClients": []}, metrics={"enabled": True})),
        "demo-pinot",
    )
    ports = [rule.get("ports") for rule in policy["spec"]["ingress"]]
    assert [{"port": 8099, "protocol": "TCP"}] not in ports and [
        {"port": 8008, "protocol": "TCP"}
    ] not in ports
    assert all(rule.get("from") for rule in policy["spec"]["ingress"])


def test_a_peer_that_is_not_a_network_policy_peer_is_refused() -> None:
    message = refusal(spec(networkPolicy={"brokerClients": [{"namespace": "apps"}]}))
    assert "spec.networkPolicy.brokerClients[0].namespace: Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("peer", "field", "problem"),
    [
        ({"ipBlock": {"cidr": "10.0.0.0/33"}}, "[0].ipBlock.cidr", "must be a CIDR"),
        ({"ipBlock": {"cidr": "10.0.0.1/8"}}, "[0].ipBlock.cidr", "without bits set beyond its prefix"),
        ({"ipBlock": {"cidr": "1:2:3:4:5:6:7:8:9/64"}}, "[0].ipBlock.cidr", "must be a CIDR"),
        ({"ipBlock": {"cidr": "::ffff:10.0.0.0/104"}}, "[0].ipBlock.cidr", "not as an IPv4-mapped"),
        (
            {"ipBlock": {"cidr": "10.1.0.0/16", "except": ["192.168.0.0/16"]}},
            "[0].ipBlock.except[0]",
            "must lie strictly inside cidr 10.1.0.0/16",
        ),
        (
            {"ipBlock": {"cidr": "10.1.0.0/16", "except": ["10.1.0.0/16"]}},
            "[0].ipBlock.except[0]",
            "strictly inside",
        ),
        ({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["fd00::/8"]}}, "[0].ipBlock.except[0]", "inside"),
        (
            {"ipBlock": {"cidr": "10.0.0.0/8"}, "namespaceSelector": {}},
            "[0]",
            "may not give ipBlock with another peer",
        ),
        ({}, "[0]", "names no peer"),
        ({"podSelector": {"matchLabels": {"bad key!": "x"}}}, ".podSelector.matchLabels['bad key!']", "key"),
        ({"podSelector": {"matchLabels": {"app": "-x"}}}, ".podSelector.matchLabels['app']", "label value"),
        (
            {"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}},
            "[0].namespaceSelector.matchExpressions[0].operator",
            "'In', 'NotIn', 'Exists' or 'DoesNotExist'",
        ),
        (
            {"namespaceSelector": {"matchExpressions": [{"key": "a b", "operator": "Exists"}]}},
            "[0].namespaceSelector.matchExpressions[0].key",
            "must be a qualified name",
        ),
        (
            {"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}},
            "[0].namespaceSelector.matchExpressions[0].values",
            "values must be given for In and NotIn",
        ),
        (
            {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}},
            "[0].podSelector.matchExpressions[0].values",
            "only for them",
        ),
        (
            {"podSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": ["x y"]}]}},
            "[0].podSelector.matchExpressions[0].values[0]",
            "label value",
        ),
    ],
)
def test_peers_are_checked_as_the_api_server_checks_them(peer: JsonObject, field: str, problem: str) -> None:
    message = refusal(spec(networkPolicy={"controllerClients": [peer]}))
    where = field if field.startswith("[") else f"[0]{field}"
    assert f"spec.networkPolicy.controllerClients{where}: " in message and problem in message, message


def test_the_reviewed_peers_are_refused_naming_each_field() -> None:
    peers = {
        "brokerClients": [
            {"ipBlock": {"cidr": "10.0.0.0/33"}},
            {"podSelector": {"matchLabels": {"bad key!": "x"}}},
            {"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}},
        ],
        "controllerClients": [{"ipBlock": {"cidr": "10.1.0.0/16", "except": ["192.168.0.0/16"]}}],
    }
    message = refusal(spec(networkPolicy=peers))
    for field in (
        "brokerClients[0].ipBlock.cidr",
        "brokerClients[1].podSelector.matchLabels['bad key!']",
        "brokerClients[2].namespaceSelector.matchExpressions[0].operator",
    ):
        assert f"spec.networkPolicy.{field}: " in message, message
    del peers["brokerClients"]
    assert "spec.networkPolicy.controllerClients[0].ipBlock.except[0]: must lie strictly inside" in refusal(
        spec(networkPolicy=peers)
    )


def test_peers_are_written_as_the_api_server_stores_them() -> None:
    """Empty maps and lists are left out and empty selectors kept, so that the stored policy is the
    one the hook answers: no update on every sync."""
    peers = [
        {
            "namespaceSelector": {"matchExpressions": [], "matchLabels": {}},
            "podSelector": {"matchLabels": {}},
        },
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": []}},
        {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists", "values": []}]}},
        {"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}},
    ]
    policy = named(valid(spec(networkPolicy={"brokerClients": peers})), "demo-pinot")
    (rule,) = [r for r in policy["spec"]["ingress"] if r.get("ports") == [{"port": 8099, "protocol": "TCP"}]]
    assert rule["from"] == [
        {"namespaceSelector": {}, "podSelector": {}},
        {"ipBlock": {"cidr": "10.0.0.0/8"}},
        {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}},
        {"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}},
    ]
    assert apply_defaults(policy, Allocator()) == policy
    assert strict_errors(policy) == []


# ---------------------------------------------------------------------------------- Services


def test_a_service_on_a_server_pool_is_refused_not_ignored() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[2]["kubernetes"] = {"service": {"type": "LoadBalancer"}}
    assert (
        "spec.pools[2].kubernetes.service: shapes the <cluster>-controller and <cluster>-broker Services"
        in refusal(spec(pools=pools))
    )
    assert "spec.defaults.minion.kubernetes.service" in refusal(
        spec(defaults={"minion": {"kubernetes": {"service": {"type": "NodePort"}}}})
    )
    assert "spec.defaults.common.kubernetes.service" in refusal(
        spec(defaults={"common": {"kubernetes": {"service": {"annotations": {"a": "b"}}}}})
    )


def test_pools_of_one_role_asking_for_different_services_are_refused() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools.insert(2, {"name": "brokers-b", "role": "broker", "kubernetes": {"service": {"type": "NodePort"}}})
    message = refusal(spec(pools=pools))
    assert "spec.pools[1, 2].kubernetes.service: the broker pools share one Service" in message
    pools[1]["kubernetes"] = {"service": {"type": "NodePort"}}
    service = named(valid(spec(pools=pools)), "demo-broker")
    assert service["spec"]["type"] == "NodePort"


def test_external_services_for_broker_and_controller() -> None:
    external = {
        "broker": {
            "annotations": {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
            "loadBalancerSourceRanges": ["203.0.113.0/24"],
            "externalTrafficPolicy": "Local",
        },
        "controller": {"type": "NodePort"},
    }
    children = valid(spec(externalServices=external))
    broker = named(children, "demo-broker-external")
    assert broker["spec"] == {
        "ports": [{"name": "http", "port": 8099, "protocol": "TCP", "targetPort": "http"}],
        "selector": {"pinot.controlplane.dev/cluster": "demo", "pinot.controlplane.dev/role": "broker"},
        "type": "LoadBalancer",
        "loadBalancerSourceRanges": ["203.0.113.0/24"],
        "externalTrafficPolicy": "Local",
    }
    assert broker["metadata"]["annotations"] == external["broker"]["annotations"]
    assert named(children, "demo-controller-external")["spec"]["type"] == "NodePort"
    policy = named(children, "demo-pinot")
    assert {
        "from": [{"podSelector": {}}, {"ipBlock": {"cidr": "203.0.113.0/24"}}],
        "ports": [{"port": 8099, "protocol": "TCP"}],
    } in policy["spec"]["ingress"]


ANYWHERE = [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]


def admitted(policy: JsonObject, port: int) -> list[JsonObject]:
    """The peers the policy admits to `port` (besides the cluster's own pods)."""
    return [
        peer
        for r in policy["spec"]["ingress"]
        if {"port": port, "protocol": "TCP"} in r.get("ports", [])
        for peer in r["from"]
    ]


def test_the_policy_admits_an_external_services_clients_from_where_the_service_admits_them() -> None:
    """A NodePort Service and a LoadBalancer without ranges admit any address, so the policy does;
    with ranges, their clients come through with their own addresses (Local) and the policy admits
    exactly those ranges."""
    external = {
        "broker": {"type": "NodePort"},
        "controller": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"]},
    }
    children = valid(spec(externalServices=external))
    policy = named(children, "demo-pinot")
    assert admitted(policy, 8099) == [{"podSelector": {}}, *ANYWHERE]
    assert {"ipBlock": {"cidr": "10.0.0.0/8"}} in admitted(policy, 9000)
    assert not any(peer in admitted(policy, 9000) for peer in ANYWHERE)
    controller = named(children, "demo-controller-external")["spec"]
    assert controller["externalTrafficPolicy"] == "Local"
    assert "externalTrafficPolicy" not in named(children, "demo-broker-external")["spec"]
    open_lb = valid(spec(externalServices={"controller": {}}))
    assert [p for p in admitted(named(open_lb, "demo-pinot"), 9000) if "ipBlock" in p] == ANYWHERE
    kept = valid(spec(externalServices={"controller": {"externalTrafficPolicy": "Cluster"}}))
    assert named(kept, "demo-controller-external")["spec"]["externalTrafficPolicy"] == "Cluster"


@pytest.mark.parametrize(
    ("external", "problem"),
    [
        (
            {"controller": {"type": "NodePort", "loadBalancerSourceRanges": ["10.0.0.0/8"]}},
            "applies to type LoadBalancer only",
        ),
        ({"broker": {"loadBalancerSourceRanges": ["nowhere"]}}, "[0]: must be a CIDR"),
        ({"broker": {"loadBalancerSourceRanges": ["10.0.0.1/8"]}}, "without bits set beyond its prefix"),
        (
            {"broker": {"loadBalancerSourceRanges": ["10.0.0.0/8"], "externalTrafficPolicy": "Cluster"}},
            "spec.externalServices.broker.externalTrafficPolicy: Cluster hides the clients' addresses",
        ),
    ],
)
def test_bad_external_services_are_refused(external: JsonObject, problem: str) -> None:
    assert problem in refusal(spec(externalServices=external))


def test_ranges_with_cluster_traffic_are_accepted_once_the_policy_is_off() -> None:
    external = {"broker": {"loadBalancerSourceRanges": ["10.0.0.0/8"], "externalTrafficPolicy": "Cluster"}}
    children = valid(spec(externalServices=external, networkPolicy={"enabled": False}))
    assert named(children, "demo-broker-external")["spec"]["externalTrafficPolicy"] == "Cluster"


# -------------------------------------------------------------------- Kubernetes' own schemas


def test_every_new_child_passes_the_kubernetes_schemas_strictly_and_is_stored_as_emitted() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[0]["replicas"] = 3
    everything = spec(
        pools=pools,
        deepStore={**S3, "files": {"secretName": "gcs-key", "configMapName": "hadoop"}},
        auth=AUTH,
        metrics={"enabled": True},
        networkPolicy={
            "brokerClients": [{"namespaceSelector": {"matchLabels": {"a": "b"}}, "podSelector": {}}]
        },
        externalServices={"broker": {"loadBalancerSourceRanges": ["10.0.0.0/8"]}, "controller": {}},
    )
    children = valid(everything)
    assert [problem for child in children for problem in strict_errors(child)] == []
    shared = valid(spec(pools=pools, deepStore=SHARED))
    assert [problem for child in shared for problem in strict_errors(child)] == []
    allocator = Allocator()
    for child in children:
        if child["kind"] in ("NetworkPolicy", "StatefulSet"):
            stored = apply_defaults(child, allocator)
            if child["kind"] == "NetworkPolicy":
                assert stored == child  # no field the API server would add or rewrite
