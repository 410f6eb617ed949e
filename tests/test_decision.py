"""A decision is sent as one encoding, and reads back as exactly what was sent."""

from __future__ import annotations

from hooks import jsonio
from hooks.decision import ClockFreeDecision, Decision


def test_encoded_parts_are_sent_in_place_and_read_back_as_plain_json() -> None:
    child = {"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}
    decision = Decision({"status": {}, "children": [jsonio.Encoded(jsonio.dumps(child))]}, "summary")

    assert decision.encode() == jsonio.dumps({"status": {}, "children": [child]})
    assert decision.body == {"status": {}, "children": [child]}


def test_a_plain_answer_reads_back_equal() -> None:
    answer = {"status": {"b": 1, "a": [1, 2]}, "children": []}
    assert ClockFreeDecision(answer, "settled").body == answer
