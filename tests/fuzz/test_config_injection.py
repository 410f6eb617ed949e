"""Hostile cluster names, ZooKeeper addresses and properties never change what a Pinot config says.

Specs whose `clusterName`, `zookeeper.address` and `pinot.properties` (in every layer) are drawn
from line breaks, trailing and doubled backslashes, `${...}`, blanks, commas, non-ASCII, reserved
keys, and owned and default keys under other spellings. The hook either answers InvalidSpec, or
every pool's file, read back as `java.util.Properties` reads it (`java_properties`, not the
control plane's encoder), holds exactly the owned keys with the control plane's values and the
spec's properties with the spec's values, nothing else, and no key twice under any spelling.
What Pinot's own loader adds on top is checked with Pinot in tests/pinot/test_config_roundtrip.py.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from hooks.app import create_app
from hooks.cluster.naming import POOL_LABEL
from hooks.cluster.pinotconf import DATA_DIR, ROLE_DEFAULTS, ownership
from hooks.cluster.spec import Role
from hooks.render import render_children
from tests.cluster.builders import BASE_SPEC, NOW, parent, request_body
from tests.fuzz import java_properties
from tests.fuzz.asgi import AsgiClient
from tests.fuzz.budget import fuzz_settings
from tests.fuzz.checks import check_answer, reports_invalid_spec
from tests.fuzz.strategies import encode

pytestmark = pytest.mark.fuzz
JsonObject = dict[str, Any]
NAME = "demo"

OWNED = sorted({owned.key for role in Role for owned in ownership(role).values()})
DEFAULTS = sorted({key for defaults in ROLE_DEFAULTS.values() for key in defaults})
RESERVED = ["include", "includeoptional", "config.paths", "dynamic.env.config", "templated"]
# Pieces of values: what breaks a properties line, what Pinot substitutes, trims or splits on.
PIECES = [
    "\n",
    "\r",
    "\r\n",
    "\\",
    "\\\\",
    "\\\n",
    "\\u0041",
    "\\n",
    "${env:HOME}",
    "${",
    "$",
    "{",
    "=",
    ":",
    "#",
    "!",
    " ",
    "\t",
    ",",
    ", ",
    "\\,",
    "\x00",
    "\x7f",
    "\x85",
    "é",
    "😀",
    "\u2028",
    "\ufeff",
    "controller.port=1",
    "\ncontroller.zk.str=evil:2181\n",
    "zk:2181",
    "pinot",
    "true",
    "x",
]
# Pieces that are hard to write but must be written (each reads back as it is).
WRITABLE = [
    "\\",
    "\\u0041",
    "\\n",
    "$",
    "{",
    "}",
    "=",
    ":",
    "#",
    "!",
    ",",
    "a b",
    "é",
    "😀",
    "\u2028",
    "\ufeff",
    "x",
]
KEY_PIECES = ["\n", "=", ":", " ", "#", "!", "\\", ".", "-", "_", "é", "a", "Z", "9"]
LAYERS = ["common", "controller", "broker", "server", "minion"]


@st.composite
def respelled(draw: st.DrawFn, key: str) -> str:
    """`key` as Pinot would still read it: letters in any case, '-' and '_' anywhere."""
    chars = [c.upper() if c.isalpha() and draw(st.booleans()) else c for c in key]
    for _ in range(draw(st.integers(0, 2))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from("-_")))
    return "".join(chars)


def pieces(parts: list[str], max_size: int = 5) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(parts), max_size=max_size).map("".join)


KEYS = st.one_of(
    st.sampled_from(OWNED).flatmap(respelled),
    st.sampled_from(OWNED),
    st.sampled_from(DEFAULTS).flatmap(respelled),
    st.sampled_from(RESERVED).flatmap(respelled),
    st.from_regex(r"\A[a-z][a-z0-9.]{0,12}\Z"),
    pieces(KEY_PIECES),
)
VALUES = st.one_of(
    pieces(WRITABLE),
    pieces(WRITABLE),
    pieces(PIECES),
    st.sampled_from(
        ["true", "9000", "8098", "/var/pinot/minion/data", BASE_SPEC["zookeeper"]["address"], NAME]
    ),
    st.text(max_size=8),
)


# Owned keys with the values the control plane writes for them: accepted, written once.
OWNED_AS_WRITTEN = [
    (owned.key, owned.value) for role in Role for owned in ownership(role).values() if not owned.sources
]
# Entries a spec may well hold: plain keys and defaults under other spellings with values hard to
# write, and owned keys set to what is written anyway.
WRITABLE_ENTRIES = st.one_of(
    st.tuples(
        st.one_of(st.from_regex(r"\A[a-z][a-z0-9.]{0,12}\Z"), st.sampled_from(DEFAULTS).flatmap(respelled)),
        pieces(WRITABLE),
    ),
    st.sampled_from(OWNED_AS_WRITTEN).flatmap(
        lambda entry: st.tuples(respelled(entry[0]), st.just(entry[1]))
    ),
)
HOSTILE_ENTRIES = st.tuples(KEYS, VALUES)
# Names and addresses a spec may well hold (their syntax is the model's).
CLUSTER_NAMES = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}\Z")
ADDRESSES = st.sampled_from(
    ["zk:2181", "zk-0.zk:2181,zk-1.zk:2181,zk-2.zk:2181/pinot", "10.0.0.7:2181/a/b_c"]
)


@st.composite
def hostile_clusters(draw: st.DrawFn) -> JsonObject:
    """About half of them with nothing refusable, so that files are written and checked."""
    hostile = draw(st.booleans())
    spec = copy.deepcopy(BASE_SPEC)
    if draw(st.booleans()):
        spec["clusterName"] = draw(pieces(PIECES).map(lambda s: "pinot" + s) if hostile else CLUSTER_NAMES)
    if draw(st.booleans()):
        spec["zookeeper"]["address"] = draw(
            pieces(PIECES).map(lambda s: "zk:2181" + s) if hostile else ADDRESSES
        )
    entries = HOSTILE_ENTRIES if hostile else WRITABLE_ENTRIES
    for layer in draw(
        st.lists(st.sampled_from([*LAYERS, *range(len(spec["pools"]))]), max_size=4, unique=True)
    ):
        properties = dict(draw(st.lists(entries, min_size=1, max_size=3)))
        if isinstance(layer, int):
            spec["pools"][layer]["pinot"] = {"properties": properties}
        else:
            spec.setdefault("defaults", {})[layer] = {"pinot": {"properties": properties}}
    return parent(spec, name=NAME)


def relaxed(key: str) -> str:
    return key.replace("-", "").replace("_", "").lower()


def layers_of(spec: JsonObject, pool: JsonObject) -> list[dict[str, str]]:
    defaults = spec.get("defaults", {})
    layers = [defaults.get("common", {}), defaults.get(pool["role"], {}), pool]
    return [layer.get("pinot", {}).get("properties", {}) for layer in layers]


# What Pinot's loader changes in a value after Properties has read it (module docstring of
# hooks/cluster/javaprops.py): substitutes ${...}, trims the parts it splits on ',', unescapes
# '\\' and '\\,' once more.
ALTERED_BY_PINOT = re.compile(r"\$\{|^ | $| ,|, |\\[\\,]|[\x00-\x1f\x7f]")


def check_file(text: str, spec: JsonObject, pool: JsonObject) -> None:
    """The file says what the spec says for `pool`, and nothing else (module docstring)."""
    role = Role(pool["role"])
    assert text.isascii() and "\r" not in text, text
    written = [line for line in text.split("\n") if line and not line.startswith("#")]
    entries = java_properties.load(text)
    assert len(entries) == len(written), f"a line continued into the next:\n{text}"
    keys = [relaxed(key) for key, _ in entries]
    assert len(keys) == len(set(keys)), f"a key twice (Pinot aborts on it):\n{text}"
    assert not set(keys) & set(RESERVED), text

    asked: dict[str, set[str]] = {}
    for layer in layers_of(spec, pool):
        for key, value in layer.items():
            asked.setdefault(relaxed(key), set()).add(value)
    context = {
        "spec.clusterName": spec.get("clusterName") or NAME,
        "spec.zookeeper": spec["zookeeper"]["address"],
        "spec.deepStore": DATA_DIR[Role.CONTROLLER],
    }
    owned = ownership(role)
    for key, value in entries:
        assert not ALTERED_BY_PINOT.search(value), (key, value, text)
        if relaxed(key) in owned:
            found = owned[relaxed(key)]
            assert value == (context[found.sources[0]] if found.sources else found.value), (key, value, text)
            assert key == found.key
        elif relaxed(key) in asked:
            assert value in asked[relaxed(key)], (key, value, text)
        else:
            assert ROLE_DEFAULTS[role].get(key) == value, (key, value, text)
    assert set(owned) <= set(keys), text


@fuzz_settings(250)
@given(hostile_clusters())
def test_a_hostile_spec_is_invalid_or_every_file_says_exactly_what_it_says(cluster: JsonObject) -> None:
    children, status = render_children(copy.deepcopy(cluster), ready=True)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    event(f"Ready reason {ready['reason'] if ready['reason'] == 'InvalidSpec' else 'other'}")
    if ready["reason"] == "InvalidSpec":
        assert re.search(r"spec\.[A-Za-z.\[\]0-9']+", ready["message"]), ready
        assert children == []
        return
    assert check_files(children, cluster["spec"]) == len(cluster["spec"]["pools"])


def check_files(children: list[JsonObject], spec: JsonObject) -> int:
    """Check every pool's file among `children`; how many there were."""
    pools = {pool["name"]: pool for pool in spec["pools"]}
    files = [child for child in children if child["kind"] == "ConfigMap"]
    for child in files:
        (text,) = child["data"].values()
        check_file(text, spec, pools[child["metadata"]["labels"][POOL_LABEL]])
    return len(files)


@pytest.fixture(scope="module")
def client() -> Iterator[AsgiClient]:
    app_client = AsgiClient(create_app(clock=lambda: NOW))
    yield app_client
    app_client.close()


@fuzz_settings(100)
@given(hostile_clusters())
def test_a_hostile_spec_is_answered_over_http_never_with_a_5xx(
    client: AsgiClient, cluster: JsonObject
) -> None:
    reply = client.post("/sync/pinotcluster", encode(request_body(cluster)))
    assert reply.escaped is None, reply.escaped
    document = check_answer("sync", reply.status, reply.headers, reply.body)
    if not reports_invalid_spec(document):
        assert check_files(document["children"], cluster["spec"]) == 1  # the first pool's, so far


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("Truth = Beauty\n", [("Truth", "Beauty")]),
        ("  Truth:Beauty", [("Truth", "Beauty")]),
        ("Truth                    :Beauty", [("Truth", "Beauty")]),
        ("fruits apple, banana, \\\n   cantaloupe\n", [("fruits", "apple, banana, cantaloupe")]),
        ("cheeses\n", [("cheeses", "")]),
        ("# c\n! c\na=x\\\\\nb=y\n", [("a", "x\\"), ("b", "y")]),
        ("a=x\\\n# not a comment\n", [("a", "x# not a comment")]),
        ("k\\=ey=\\u00e9\\ud834\\udd1e\\t", [("k=ey", "é𝄞\t")]),
    ],
)
def test_the_reference_reader_reads_as_the_jdk_documents(text: str, entries: list[tuple[str, str]]) -> None:
    assert java_properties.load(text) == entries
