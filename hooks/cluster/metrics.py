"""Prometheus metrics of the Pinot pods: the JMX exporter agent the apachepinot/pinot image ships.

The agent runs inside each Pinot JVM (`-javaagent:<jar>=<port>:<config>` in JAVA_OPTS) and serves
`/metrics` on its own port. Its rules are rendered here, into the pool's ConfigMap beside the
Pinot config, so what runs is what was rendered: they turn Pinot's metrics (MBeans of the domain
`org.apache.pinot.common.metrics`, named `pinot.<role>.<metric>` with the table where there is
one) into `pinot_<role>_<metric>_<attribute>`, with the labels `table`, `tableType` and
`database` where the name carries them, as the image's own configs do. The agent also exports
the JVM's metrics (`jvm_*`).
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

AGENT_JAR = "/opt/pinot/etc/jmx_prometheus_javaagent/jmx_prometheus_javaagent.jar"
CONFIG_NAME = "jmx-exporter.yml"
PORT_NAME = "metrics"
PATH = "/metrics"

_DOMAIN = r'"?org\.apache\.pinot\.common\.metrics"?<type="?\w+"?, name="?pinot\.'
# (pattern, name, labels) in the order the agent tries them: the first match wins.
_RULES: tuple[tuple[str, str, dict[str, str]], ...] = (
    # Meters and timers of one table: pinot.<role>.[<database>.]<table>_<TYPE>.<metric>
    (
        _DOMAIN + r'(\w+)\.((\w+)\.)?(\w+)_(OFFLINE|REALTIME)\.(\w+)"?><>(\w+)',
        "pinot_$1_$6_$7",
        {"database": "$3", "table": "$2$4", "tableType": "$5"},
    ),
    # Gauges of one table: pinot.<role>.<metric>.[<database>.]<table>_<TYPE>
    (
        _DOMAIN + r'(\w+)\.(\w+)\.((\w+)\.)?(\w+)_(OFFLINE|REALTIME)"?><>(\w+)',
        "pinot_$1_$2_$7",
        {"database": "$4", "table": "$3$5", "tableType": "$6"},
    ),
    # Metrics of a raw table name: pinot.<role>.[<database>.]<table>.<metric>
    (
        _DOMAIN + r'(\w+)\.((\w+)\.)?(\w+)\.(\w+)"?><>(\w+)',
        "pinot_$1_$5_$6",
        {"database": "$3", "table": "$2$4"},
    ),
    # Metrics of the whole instance: pinot.<role>.<metric>
    (_DOMAIN + r'(\w+)\.(\w+)"?><>(\w+)', "pinot_$1_$2_$3", {}),
)


def _quoted(text: str) -> str:
    """A YAML single-quoted scalar."""
    return "'" + text.replace("'", "''") + "'"


def exporter_config() -> str:
    """The agent's configuration (YAML), the same for every role."""
    lines = [
        "# Prometheus JMX exporter rules for Apache Pinot, rendered by pinot-control-plane.",
        "lowercaseOutputName: false",
        "lowercaseOutputLabelNames: false",
        "rules:",
    ]
    for pattern, name, labels in _RULES:
        lines += [f"- pattern: {_quoted(pattern)}", f"  name: {_quoted(name)}", "  cache: true"]
        if labels:
            lines.append("  labels:")
            lines += [f"    {label}: {_quoted(value)}" for label, value in labels.items()]
    return "\n".join(lines) + "\n"


def agent_flag(port: int, config_dir: str) -> str:
    """The JAVA_OPTS flag that starts the agent on `port` with the rendered rules."""
    return f"-javaagent:{AGENT_JAR}={port}:{config_dir}/{CONFIG_NAME}"


def container_port(port: int) -> JsonObject:
    return {"name": PORT_NAME, "containerPort": port, "protocol": "TCP"}


def scrape_annotations(port: int) -> dict[str, str]:
    """What Prometheus' Kubernetes pod discovery conventionally reads."""
    return {"prometheus.io/path": PATH, "prometheus.io/port": str(port), "prometheus.io/scrape": "true"}
