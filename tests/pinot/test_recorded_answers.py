"""Answers recorded from the real Pinot 0.11.0 controller, replayed against the CLI's comparison.

The cluster tests cover a STRING dimension and a LONG metric; this covers every data type at once
without a cluster. The held schema is what ``GET /schemas/defs`` answered for the sent one: Pinot left
out every default (``maxLength: 512``, ``singleValueField: true``, each type's default null value)
except the BYTES ones, which it prints (``""``) although they are the default.
"""

from __future__ import annotations

from typing import Any

from hooks.pinotapi.normalise import differences
from hooks.pinotapi.schemas import normalised_schema


def spec(name: str, data_type: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "dataType": data_type, **extra}


SENT: dict[str, Any] = {
    "schemaName": "defs",
    "dimensionFieldSpecs": [
        spec("s", "STRING", singleValueField=True, defaultNullValue="null", maxLength=512),
        spec("i", "INT", defaultNullValue=-2147483648),
        spec("l", "LONG", defaultNullValue="-9223372036854775808"),
        spec("f", "FLOAT", defaultNullValue="-Infinity"),
        spec("d", "DOUBLE", defaultNullValue="-Infinity"),
        spec("b", "BOOLEAN", defaultNullValue=False),
        spec("t", "TIMESTAMP", defaultNullValue=0),
        spec("y", "BYTES", defaultNullValue=""),
        spec("j", "JSON", defaultNullValue="null"),
        spec("x", "INT", defaultNullValue=7),
        spec("z", "STRING", defaultNullValue="none", maxLength=100),
    ],
    "metricFieldSpecs": [
        spec("mi", "INT", defaultNullValue=0),
        spec("ml", "LONG", defaultNullValue="0"),
        spec("mf", "FLOAT", defaultNullValue=0.0),
        spec("md", "DOUBLE", defaultNullValue=0),
        spec("mb", "BYTES", defaultNullValue=""),
        spec("mx", "DOUBLE", defaultNullValue=1.5),
    ],
    "dateTimeFieldSpecs": [
        spec("ts", "LONG", format="1:MILLISECONDS:EPOCH", granularity="1:MILLISECONDS"),
    ],
}
HELD: dict[str, Any] = {
    "schemaName": "defs",
    "dimensionFieldSpecs": [
        spec("s", "STRING"),
        spec("i", "INT"),
        spec("l", "LONG"),
        spec("f", "FLOAT"),
        spec("d", "DOUBLE"),
        spec("b", "BOOLEAN"),
        spec("t", "TIMESTAMP"),
        spec("y", "BYTES", defaultNullValue=""),
        spec("j", "JSON"),
        spec("x", "INT", defaultNullValue=7),
        spec("z", "STRING", maxLength=100, defaultNullValue="none"),
    ],
    "metricFieldSpecs": [
        spec("mi", "INT"),
        spec("ml", "LONG"),
        spec("mf", "FLOAT"),
        spec("md", "DOUBLE"),
        spec("mb", "BYTES", defaultNullValue=""),
        spec("mx", "DOUBLE", defaultNullValue=1.5),
    ],
    "dateTimeFieldSpecs": [
        spec("ts", "LONG", format="1:MILLISECONDS:EPOCH", granularity="1:MILLISECONDS"),
    ],
}


def test_what_pinot_0_11_held_matches_what_was_sent() -> None:
    assert differences(normalised_schema(SENT), normalised_schema(HELD)) == []


def sent_with(index: int, field_spec: dict[str, Any]) -> dict[str, Any]:
    """The sent schema with dimension ``index`` replaced."""
    dimensions: list[dict[str, Any]] = list(SENT["dimensionFieldSpecs"])
    dimensions[index] = field_spec
    return {**SENT, "dimensionFieldSpecs": dimensions}


def changed(document: dict[str, Any]) -> list[str]:
    return differences(normalised_schema(document), normalised_schema(HELD))


def test_a_real_difference_is_still_seen() -> None:
    assert changed(sent_with(10, spec("z", "STRING"))) == []  # leaving a key out is not a change
    assert changed(sent_with(10, spec("z", "STRING", defaultNullValue="other"))) == [
        "/dimensionFieldSpecs/10/defaultNullValue"
    ]
    assert changed(sent_with(0, spec("s", "STRING", singleValueField=False))) == [
        "/dimensionFieldSpecs/0/singleValueField"
    ]
    assert changed(sent_with(1, spec("i", "INT", defaultNullValue=-2147483647))) == [
        "/dimensionFieldSpecs/1/defaultNullValue"
    ]
    assert changed(sent_with(5, spec("b", "BOOLEAN", defaultNullValue=True))) == [
        "/dimensionFieldSpecs/5/defaultNullValue"
    ]
