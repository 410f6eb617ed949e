"""Pinot documents used across the tests (fresh copies each call, so tests may mutate them)."""

from __future__ import annotations

from typing import Any

STREAM = {
    "streamType": "kafka",
    "stream.kafka.topic.name": "events",
    "stream.kafka.broker.list": "kafka:9092",
    "stream.kafka.consumer.factory.class.name": "org.apache.pinot.plugin.stream.kafka30.KafkaConsumerFactory",
    "stream.kafka.decoder.class.name": "org.apache.pinot.plugin.stream.kafka.KafkaJSONMessageDecoder",
}


def schema(name: str = "events", *extra_dimensions: str) -> dict[str, Any]:
    return {
        "schemaName": name,
        "dimensionFieldSpecs": [
            {"name": "id", "dataType": "STRING"},
            *({"name": column, "dataType": "STRING"} for column in extra_dimensions),
        ],
        "metricFieldSpecs": [{"name": "v", "dataType": "LONG"}],
        "dateTimeFieldSpecs": [
            {
                "name": "ts",
                "dataType": "LONG",
                "format": "1:MILLISECONDS:EPOCH",
                "granularity": "1:MILLISECONDS",
            }
        ],
    }


def table(kind: str = "OFFLINE", name: str = "events", replication: str = "1") -> dict[str, Any]:
    config: dict[str, Any] = {
        "tableName": name,
        "tableType": kind,
        "segmentsConfig": {"replication": replication, "timeColumnName": "ts"},
        "tenants": {"broker": "DefaultTenant", "server": "DefaultTenant"},
        "tableIndexConfig": {},
    }
    if kind == "REALTIME":
        config["ingestionConfig"] = {"streamIngestionConfig": {"streamConfigMaps": [dict(STREAM)]}}
    return config


def broker_tenant(name: str = "analytics", instances: int = 2) -> dict[str, Any]:
    return {"tenantRole": "BROKER", "tenantName": name, "numberOfInstances": instances}


def server_tenant(
    name: str = "analytics", instances: int = 2, offline: int = 1, realtime: int = 1
) -> dict[str, Any]:
    return {
        "tenantRole": "SERVER",
        "tenantName": name,
        "numberOfInstances": instances,
        "offlineInstances": offline,
        "realtimeInstances": realtime,
    }
