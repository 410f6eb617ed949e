"""`pinot-control-plane render`: any of the four kinds, several documents, every problem at once
on its own line with a hint where one helps, and an unreadable file as a message, not a traceback."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from hooks.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def render(
    capsys: Any, *args: str, stdin: str | None = None, monkeypatch: Any = None
) -> tuple[int, str, list[str]]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["render", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def written(tmp_path: Path, text: str) -> str:
    path = tmp_path / "manifests.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_every_kind_of_the_project_from_several_files(capsys: Any) -> None:
    files = [
        "cluster-heterogeneous.yaml",
        "auth-secret.yaml",
        "schema.yaml",
        "table-offline.yaml",
        "tenant.yaml",
    ]
    args = [arg for name in files for arg in ("-f", str(EXAMPLES / name))]
    code, out, err = render(capsys, *args)
    assert code == 0, err
    children = [doc for doc in yaml.safe_load_all(out) if doc]
    kinds = [(c["kind"], c["metadata"]["name"]) for c in children]
    assert ("StatefulSet", "pinot-controller") in kinds
    jobs = [c for c in children if c["kind"] == "Job"]
    assert len(jobs) == 3  # one apply Job each for the schema, the table and the tenant
    assert err == [
        f"note: {EXAMPLES / 'auth-secret.yaml'}:3: skipped: Secret/pinot-admin is no kind of this project"
    ]
    # The table's Job logs in with the Secret its cluster (from the files) names.
    table_job = next(j for j in jobs if j["metadata"]["name"].startswith("events-offline-"))
    secrets = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for env in table_job["spec"]["template"]["spec"]["containers"][0]["env"]
        if "valueFrom" in env
    }
    assert secrets == {"pinot-admin"}


def test_several_documents_in_one_file_in_their_order(capsys: Any, tmp_path: Path) -> None:
    texts = [(EXAMPLES / name).read_text() for name in ("tenant.yaml", "schema.yaml")]
    code, out, _ = render(capsys, "-f", written(tmp_path, "\n---\n".join(texts)))
    assert code == 0
    parents = [line for line in out.splitlines() if line.startswith("# ")]
    assert parents == ["# PinotTenant/analytics-servers"] * 2 + ["# PinotSchema/events"] * 2


def test_standard_input(capsys: Any, monkeypatch: Any) -> None:
    code, out, _ = render(
        capsys, "-f", "-", stdin=(EXAMPLES / "cluster-minimal.yaml").read_text(), monkeypatch=monkeypatch
    )
    assert code == 0 and out.count("kind: StatefulSet") == 1


BROKEN = """\
    apiVersion: pinot.controlplane.dev/v1alpha1
    kind: PinotCluster
    metadata:
      name: Pinot
    spec:
      image: apachepinot/pinot:1.3.0
      clusterName: pinot prod
      zookeeper:
        address: zk:2181
      pools:
        - name: controller
          role: controller
          jvmOpts: -Xmx1G
        - name: broker
          role: Broker
          kubernetes:
            podAnnotations:
              prometheus.io/scrape: true
        - name: server
          role: server
          replica: 2
          pinot:
            properties:
              pinot.server.shutdown.timeoutMs: 180000
    ---
    apiVersion: pinot.controlplane.dev/v1alpha1
    kind: PinotTable
    metadata:
      name: events
    spec:
      clusterRef: {name: pinot}
      schemaRef: {name: events}
      table: {tableName: "..", tableType: offline}
    ---
    apiVersion: pinot.controlplane.dev/v1
    kind: PinotTenant
    metadata: {name: t}
    spec: {}
    """


def test_every_problem_at_once_one_per_line_with_hints(capsys: Any, tmp_path: Path) -> None:
    path = written(tmp_path, BROKEN)
    code, out, err = render(capsys, "-f", path)
    assert (code, out) == (1, "")
    cluster, table, tenant = (
        f"error: {path}:1: PinotCluster/Pinot: ",
        f"error: {path}:26: PinotTable/events: ",
        f"error: {path}:35: PinotTenant/t: ",
    )
    expected = [
        cluster + "metadata.name: must be a DNS label",
        cluster + "spec.clusterName: must be letters, digits",
        cluster
        + "spec.pools[0].jvmOpts: Extra inputs are not permitted (did you mean spec.pools[0].pinot.jvmOpts?)",
        cluster + "spec.pools[1].role: Input should be 'controller', 'broker', 'server' or 'minion' "
        "(did you mean 'broker'?",
        cluster
        + "spec.pools[1].kubernetes.podAnnotations['prometheus.io/scrape']: Input should be a valid string "
        '(YAML read true as a boolean: quote it ("true"))',
        cluster
        + "spec.pools[2].replica: Extra inputs are not permitted (did you mean spec.pools[2].replicas?)",
        cluster
        + "spec.pools[2].pinot.properties['pinot.server.shutdown.timeoutMs']: Input should be a valid "
        'string (YAML read 180000 as a number: quote it ("180000"))',
        table + "spec.table.tableName: must be a name Pinot can address in a REST path",
        table + "spec.table.tableType: Input should be 'OFFLINE' or 'REALTIME' (did you mean 'OFFLINE'?",
        tenant + "apiVersion: must be pinot.controlplane.dev/v1alpha1, not 'pinot.controlplane.dev/v1'",
        tenant + "spec.clusterRef: Field required",
        tenant + "spec.tenant: Field required",
    ]
    assert len(err) == len(expected), err
    for start in expected:
        assert any(line.startswith(start) for line in err), (start, err)
    labels = [line.split(": ")[2] for line in err]
    assert labels == sorted(labels, key=_document_order)


def _document_order(label: str) -> int:
    return ["PinotCluster/Pinot", "PinotTable/events", "PinotTenant/t"].index(label)


def test_problems_found_only_against_another_document(capsys: Any, tmp_path: Path) -> None:
    schema = yaml.safe_load((EXAMPLES / "schema.yaml").read_text())
    schema["spec"]["schema"]["schemaName"] = "clicks"
    table = (EXAMPLES / "table-offline.yaml").read_text()
    code, out, err = render(capsys, "-f", written(tmp_path, yaml.safe_dump(schema) + "---\n" + table))
    assert (code, out) == (1, "")
    [line] = err
    assert "PinotTable/events-offline: " in line and "must equal the schemaName 'clicks'" in line


def test_a_server_drain_longer_than_its_grace_period_is_reported_with_the_rest(
    capsys: Any, tmp_path: Path
) -> None:
    cluster = yaml.safe_load((EXAMPLES / "cluster-minimal.yaml").read_text())
    server = next(p for p in cluster["spec"]["pools"] if p["role"] == "server")
    server["kubernetes"] = {"terminationGracePeriodSeconds": 10}
    code, _, err = render(capsys, "-f", written(tmp_path, yaml.safe_dump(cluster)))
    assert code == 1
    assert len(err) == 1 and "terminationGracePeriodSeconds: must be longer than" in err[0]


@pytest.mark.parametrize("make", ["missing", "directory", "binary"])
def test_an_unreadable_file_is_a_message_and_exit_2(capsys: Any, tmp_path: Path, make: str) -> None:
    path = tmp_path / "cluster.yaml"
    if make == "directory":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"\xff\xfe\x00kind")
    code, out, err = render(capsys, "-f", str(path))
    assert (code, out) == (2, "")
    [line] = err
    assert line.startswith(f"error: {path}: cannot read it: ")


def test_a_yaml_syntax_error_names_its_position(capsys: Any, tmp_path: Path) -> None:
    code, _, err = render(capsys, "-f", written(tmp_path, "kind: PinotCluster\nspec: [1,\n"))
    assert code == 1
    [line] = err
    assert line.startswith(f"error: {tmp_path / 'manifests.yaml'}:3:1: YAML: ")


def test_nothing_of_this_project_is_an_error(capsys: Any) -> None:
    code, out, err = render(capsys, "-f", str(EXAMPLES / "auth-secret.yaml"))
    assert (code, out) == (1, "")
    assert err[-1] == "error: no PinotCluster, PinotSchema, PinotTable or PinotTenant in the input"


def test_a_document_of_the_projects_group_with_an_unknown_kind(capsys: Any, tmp_path: Path) -> None:
    path = written(
        tmp_path, "apiVersion: pinot.controlplane.dev/v1alpha1\nkind: PinotTables\nmetadata: {name: x}\n"
    )
    code, _, err = render(capsys, "-f", path)
    assert code == 1
    kinds = "PinotCluster, PinotSchema, PinotTable, PinotTenant"
    assert err == [f"error: {path}:1: kind: must be one of {kinds}, not 'PinotTables'"]
