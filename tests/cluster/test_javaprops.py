"""One `key=value` line of a Pinot config: what is escaped, what is refused, how keys relax.

That Pinot reads every accepted value back exactly is proven against Pinot itself in
tests/pinot/test_config_roundtrip.py; these pin the rules without Java.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.cluster.javaprops import (
    UnwritableProperty,
    encode,
    key_problem,
    lookup,
    merge_relaxed,
    relaxed,
    value_problem,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", "plain"),
        ("", ""),
        ("x\\", "x\\\\"),  # a trailing backslash would join the next line to this one
        ("C:\\data\\n", "C:\\\\data\\\\n"),
        ("a=b:c#d!e'\"$x}%", "a=b:c#d!e'\"$x}%"),  # literal inside a value
        ("zk-0:2181,zk-1:2181/pinot", "zk-0:2181,zk-1:2181/pinot"),
        ("a,,b,", "a,,b,"),
        ("é", "\\u00e9"),
        ("\u00a0x\u2028", "\\u00a0x\\u2028"),  # not blanks nor line breaks to Pinot: kept, escaped
        ("𝄞", "\\ud834\\udd1e"),  # UTF-16, as Java strings are
    ],
)
def test_values_are_written_in_printable_ascii_with_backslashes_doubled(value: str, written: str) -> None:
    assert value_problem(value) is None
    assert encode(value) == written


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("zk:2181\ncontroller.port=1", "line break (found U+000A)"),
        ("a\rb", "U+000D"),
        ("a\tb", "U+0009"),
        ("a\x00", "U+0000"),
        ("a\x7f", "U+007F"),
        ("a\x85", "U+0085"),
        ("${env:PASSWORD}", "spec.deepStore.secretOptions or spec.auth.basic"),
        ("x${sys:user.home}", "Pinot substitutes"),
        (" lead", "begin or end with a blank"),
        ("trail ", "begin or end with a blank"),
        ("a\\\\b", "'\\' followed by '\\' or ','"),
        ("a\\,b", "'\\' followed by '\\' or ','"),
        ("a, b", "blank next to ','"),
        ("a ,b", "blank next to ','"),
    ],
)
def test_values_pinot_would_not_read_back_are_refused_and_never_written(value: str, why: str) -> None:
    problem = value_problem(value)
    assert problem is not None and why in problem
    with pytest.raises(UnwritableProperty):
        encode(value)


@pytest.mark.parametrize("key", ["controller.port", "pinot.server.instance.dataDir", "a-b_c.9", "9lives"])
def test_plain_keys_are_accepted(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize("key", ["", "a=b", "a:b", "a b", "#a", "!a", ".a", "-a", "_a", "ä", "a\nb", "a\\"])
def test_keys_that_are_no_plain_names_are_refused(key: str) -> None:
    problem = key_problem(key)
    assert problem is not None and "letters, digits" in problem


@pytest.mark.parametrize(
    "key",
    [
        "include",
        "INCLUDE",
        "includeoptional",
        "config.paths",
        "Config.Pa_ths",
        "dynamic.env.config",
        "templated",
    ],
)
def test_keys_the_loader_reads_as_instructions_are_refused(key: str) -> None:
    problem = key_problem(key)
    assert problem is not None and "reserved" in problem


def test_keys_relax_as_pinot_relaxes_them() -> None:
    spellings = ["Controller.Data_Dir", "controller.data-dir", "controller.datadir", "CONTROLLER.DATA__DIR"]
    assert {relaxed(key) for key in spellings} == {"controller.datadir"}


def test_layers_merge_by_relaxed_key_and_the_later_spelling_wins() -> None:
    merged = merge_relaxed(
        [
            {"pinot.server.shutdown.timeoutMs": "1", "b": "x"},
            {"pinot.server.shutdown.timeout_ms": "2"},
            {"B": "y", "a": "z"},
        ]
    )
    assert merged == {"B": "y", "a": "z", "pinot.server.shutdown.timeout_ms": "2"}
    assert list(merged) == sorted(merged)


def test_lookup_finds_a_key_under_any_spelling() -> None:
    properties = {"pinot.server.shutdown.timeout-ms": "5", "x": "1"}
    assert lookup(properties, "pinot.server.shutdown.timeoutMs") == ("pinot.server.shutdown.timeout-ms", "5")
    assert lookup(properties, "y") is None


@given(st.text())
def test_whatever_is_accepted_is_written_on_one_line_of_printable_ascii(value: str) -> None:
    if value_problem(value) is not None:
        with pytest.raises(UnwritableProperty):
            encode(value)
        return
    written = encode(value)
    assert all(" " <= char <= "~" for char in written)
    # Every backslash is doubled or starts a \uXXXX escape: none can continue the line or take
    # the next character.
    assert not written.replace("\\\\", "").replace("\\u", "").count("\\")
