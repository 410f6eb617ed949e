"""The Pinot documents the tests apply, taken from the examples the product ships (``examples/``).

The examples target Pinot 1.x; what Pinot 0.11.0 (the version tested here) needs in addition is added
here and nowhere else, each with its reason:

* table configs: ``"metadata": {}`` (0.11 refuses a table config without it: "Invalid table config
  json string");
* REALTIME: ``segmentsConfig.replicasPerPartition`` (0.11: "Field replicasPerPartition needs to be
  specified"), ``stream.<type>.consumer.type: lowlevel``, and the empty test stream instead of Kafka
  (see ``harness.EMPTY_STREAM_FACTORY``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .harness import EMPTY_STREAM_FACTORY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

Json = dict[str, Any]


def example_spec(name: str) -> Json:
    """The ``spec`` of the one custom resource in ``examples/<name>``."""
    (document,) = [d for d in yaml.safe_load_all((EXAMPLES / name).read_text(encoding="utf-8")) if d]
    spec: Json = document["spec"]
    return spec


def schema(name: str, *extra_dimensions: str) -> Json:
    """The example schema (``examples/schema.yaml``) named ``name``, plus STRING dimensions."""
    document: Json = copy.deepcopy(example_spec("schema.yaml")["schema"])
    document["schemaName"] = name
    document["dimensionFieldSpecs"] += [{"name": column, "dataType": "STRING"} for column in extra_dimensions]
    return document


def offline_table(name: str, **segments: str) -> Json:
    """The example OFFLINE table (``examples/table-offline.yaml``) named ``name``."""
    document: Json = copy.deepcopy(example_spec("table-offline.yaml")["table"])
    document["tableName"] = name
    document["segmentsConfig"].update(segments)
    document["metadata"] = {}
    return document


def realtime_table(name: str) -> Json:
    """The example REALTIME table (``examples/table-realtime.yaml``), consuming from the empty stream."""
    document: Json = copy.deepcopy(example_spec("table-realtime.yaml")["table"])
    document["tableName"] = name
    document["segmentsConfig"]["replicasPerPartition"] = document["segmentsConfig"]["replication"]
    document["metadata"] = {}
    (kafka,) = document["ingestionConfig"]["streamIngestionConfig"]["streamConfigMaps"]
    stream: Json = {
        "streamType": "empty",
        "stream.empty.topic.name": name,
        "stream.empty.consumer.type": "lowlevel",
        "stream.empty.consumer.factory.class.name": EMPTY_STREAM_FACTORY,
        "stream.empty.decoder.class.name": "org.apache.pinot.plugin.inputformat.json.JSONMessageDecoder",
    }
    stream |= {key: value for key, value in kafka.items() if key.startswith("realtime.")}
    document["ingestionConfig"]["streamIngestionConfig"]["streamConfigMaps"] = [stream]
    return document


def schema_spec(document: Json, **flags: bool) -> Json:
    """A PinotSchema ``spec`` (``reload`` defaults to true in the CRD, as in the hook)."""
    return {"clusterRef": {"name": "pinot"}, "schema": document, **flags}


def table_spec(document: Json, **flags: bool) -> Json:
    raw = document["tableName"]
    return {"clusterRef": {"name": "pinot"}, "schemaRef": {"name": raw}, "table": document, **flags}


def tenant_spec(document: Json) -> Json:
    return {"clusterRef": {"name": "pinot"}, "tenant": document}
