"""A request parsed from the sections it shares with its parent's last request is exactly the
request the full parse gives; whatever cannot be shown to be so takes the full parse."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from hooks import jsonio
from hooks.app import RequestRejected, _parse, create_app
from hooks.contract import CustomizeRequest, HookRequest
from hooks.requestmemory import RequestMemory, Spans, request_layout
from tests.cluster.builders import parent, request_body
from tests.cluster.rounds import Rounds

PATH = "/sync/pinotcluster"


def section_spans(body: bytes) -> Spans:
    layout = request_layout(body)
    return () if layout is None else layout.sections


def _settled() -> dict[str, Any]:
    rounds = Rounds(parent())
    for _ in range(16):
        rounds.step()
    return request_body(copy.deepcopy(rounds.parent), list(rounds.children.values()))


SETTLED = _settled()


def _body(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document)  # compact, in the document's own order, as Metacontroller writes it


def _outcome(parse: Any) -> tuple[str, Any]:
    try:
        found = parse()
    except RequestRejected as rejected:
        return "rejected", (rejected.status, rejected.message, rejected.details)
    return "parsed", _Parsed(found)


class _Parsed:
    """A parsed request, equal to another when its fields are (not what it remembers of itself)."""

    def __init__(self, request: BaseModel) -> None:
        self.request = request

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Parsed) and (
            type(self.request) is type(other.request)
            and vars(self.request) == vars(other.request)
            and self.request.model_extra == other.request.model_extra
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.request, name)


def _both(memory: RequestMemory, body: bytes, model: type[BaseModel] = HookRequest) -> tuple[Any, Any]:
    full = _outcome(lambda: _parse(model, body))
    kept = _outcome(lambda: memory.parse(PATH, model, body, _parse))
    return full, kept


def _prime(memory: RequestMemory, body: bytes) -> None:
    """A parent's request is kept from its second call on (`RequestMemory`)."""
    for _ in range(2):
        memory.parse(PATH, HookRequest, body, _parse)


def _edited(document: dict[str, Any], edit: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    edit(changed)
    return changed


def _spec_edit(document: dict[str, Any]) -> None:
    document["parent"]["spec"]["pools"][0]["replicas"] = 5
    document["parent"]["metadata"]["generation"] += 1


def _status_edit(document: dict[str, Any]) -> None:
    document["parent"]["status"]["observedGeneration"] = 7


def _child_edit(document: dict[str, Any]) -> None:
    statefulsets = document["children"]["StatefulSet.apps/v1"]
    first = statefulsets[sorted(statefulsets)[0]]
    first["status"]["readyReplicas"] = 0


@pytest.mark.parametrize("edit", [_spec_edit, _status_edit, _child_edit], ids=["spec", "status", "child"])
def test_a_request_that_changed_in_one_section_is_parsed_from_the_kept_one(edit: Any) -> None:
    memory = RequestMemory()
    _prime(memory, _body(SETTLED))
    kept = memory.entries()[-1][2]
    indexes = {section: kept.observed(section) for section in ("children", "related")}
    full, found = _both(memory, _body(_edited(SETTLED, edit)))
    assert memory.reused == 1
    assert found == full and full[0] == "parsed"
    request = found[1]
    assert request.model_fields_set == full[1].model_fields_set
    unchanged = "parent" if edit is _child_edit else "children"
    assert getattr(request, unchanged) is getattr(kept, unchanged)  # shared, not parsed again
    assert request.observed("related") is indexes["related"]  # and indexed once
    if edit is _child_edit:
        assert request.observed("children") is not indexes["children"]
        assert request.observed("children") == full[1].observed("children")
        # Only the changed object was parsed: every other one is the kept request's own.
        fresh = [
            (kind, name)
            for kind, objects in request.children.items()
            for name, obj in objects.items()
            if obj is not kept.children[kind][name]
        ]
        assert fresh == [("StatefulSet.apps/v1", sorted(kept.children["StatefulSet.apps/v1"])[0])]
    else:
        assert request.observed("children") is indexes["children"]


def test_a_chain_of_changes_is_parsed_from_each_previous_request() -> None:
    memory = RequestMemory()
    document = copy.deepcopy(SETTLED)
    _prime(memory, _body(document))
    for step in range(6):
        edit = (_spec_edit, _child_edit, _status_edit)[step % 3]
        document = _edited(document, edit)
        document["parent"]["metadata"]["annotations"] = {"step": "x" * step * 37}  # sizes shift
        if step % 3 == 1:
            document["parent"]["metadata"]["generation"] = step
        full, found = _both(memory, _body(document))
        assert found == full
    assert memory.reused >= 2
    assert len(memory) == 1  # one request kept per parent and route


def test_the_same_bytes_again_give_the_same_request() -> None:
    memory = RequestMemory()
    body = _body(SETTLED)
    memory.parse(PATH, HookRequest, body, _parse)
    second = memory.parse(PATH, HookRequest, body, _parse)
    assert memory.parse(PATH, HookRequest, body, _parse) is second


def test_only_parents_called_again_lately_are_kept() -> None:
    memory = RequestMemory(max_bytes=3 * len(_body(SETTLED)) + 100)
    bodies = [
        _body(_edited(SETTLED, lambda d, i=index: d["parent"]["metadata"].update(name=f"c{i}")))
        for index in range(5)
    ]
    for body in bodies:
        memory.parse(PATH, HookRequest, body, _parse)
    assert len(memory) == 0  # each called once: nothing kept, nothing found again
    memory.parse(PATH, HookRequest, bodies[0], _parse)
    assert len(memory) == 0  # called again, but after more requests than could have been kept
    memory.parse(PATH, HookRequest, bodies[0], _parse)
    assert [entry[2].parent.metadata.name for entry in memory.entries()] == ["c0"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: [edit(d) for edit in (_spec_edit, _child_edit)],  # two sections
        lambda d: d.update(extra={"a": 1}),  # a key the model does not have: kept as extra
        lambda d: d.update(finalizing=True, related={"Pod.v1": {}}),
    ],
    ids=["parent-and-children", "unknown-key", "two-small-sections"],
)
def test_more_than_one_changed_section_takes_the_full_parse(edit: Any) -> None:
    memory = RequestMemory()
    _prime(memory, _body(SETTLED))
    full, found = _both(memory, _body(_edited(SETTLED, edit)))
    assert found == full
    assert memory.reused == 0


def test_a_section_value_that_would_add_a_key_is_not_spliced() -> None:
    """Bytes that close the parent early and repeat a key later are valid JSON (the last key wins)
    but not one value in place of the parent's: the full parse decides."""
    memory = RequestMemory()
    base = _body(SETTLED)
    _prime(memory, base)
    spans = dict((key, (start, end)) for key, start, end in section_spans(base))
    start, end = spans["parent"]
    other = _edited(SETTLED, _status_edit)["parent"]
    injected = base[:start] + base[start:end] + b',"parent":' + orjson.dumps(other) + base[end:]
    full, found = _both(memory, injected)
    assert found == full
    assert found[0] == "parsed" and found[1].parent.status == other["status"]
    assert memory.reused == 0


def test_a_changed_section_the_model_refuses_is_worded_by_the_full_parse() -> None:
    memory = RequestMemory()
    _prime(memory, _body(SETTLED))
    broken = _edited(SETTLED, lambda d: d["parent"].pop("kind"))
    full, found = _both(memory, _body(broken))
    assert found == full and full[0] == "rejected"
    assert memory.reused == 0


@pytest.mark.parametrize(
    ("where", "depths"),
    [
        # Around the depth at which the whole request is one level too deep for orjson, the value
        # parsed on its own (the parent section; one observed object) not.
        pytest.param(lambda d: d["parent"]["spec"], range(1016, 1026), id="parent"),
        pytest.param(lambda d: _pods(d)["analytics/p1"], range(1014, 1024), id="observed-object"),
    ],
)
def test_nesting_beyond_the_parsers_limit_is_refused_as_the_full_parse_refuses_it(
    where: Any, depths: range
) -> None:
    memory = RequestMemory()
    _prime(memory, _body(OBSERVED))
    outcomes = set()
    marked = _body(_edited(OBSERVED, lambda d: where(d).update(deep="DEEP")))
    for depth in depths:
        body = marked.replace(b'"DEEP"', b"[" * depth + b"1" + b"]" * depth)
        full, found = _both(memory, body)
        assert found[0] == full[0], depth
        if full[0] == "rejected":
            assert found == full
        else:  # equal as far as Python compares without recursing 1,000 levels
            assert found[1].children == full[1].children
            assert found[1].parent.metadata == full[1].parent.metadata
        outcomes.add(full[0])
    assert outcomes == {"parsed", "rejected"}


def test_go_escapes_are_found_in_place() -> None:
    document = _edited(
        SETTLED, lambda d: d["parent"]["metadata"].update(annotations={"q": "a<b & c>d \u2028"})
    )
    plain = _body(document)
    go = plain
    for raw, escaped in (
        (b"&", b"\\u0026"),
        (b"<", b"\\u003c"),
        (b">", b"\\u003e"),
        ("\u2028".encode(), b"\\u2028"),
    ):
        go = go.replace(raw, escaped)
    assert go != plain and orjson.loads(go) == orjson.loads(plain)
    assert [key for key, _, _ in section_spans(go)] == list(document)
    memory = RequestMemory()
    _prime(memory, go)
    full, found = _both(memory, go.replace(b'"observedGeneration":', b'"observedGeneration":1', 1))
    assert found == full


def test_a_request_nested_deeper_than_orjson_writes_is_never_a_base() -> None:
    marked = _body(_edited(SETTLED, lambda d: d["parent"]["spec"].update(deep="DEEP")))
    deep = marked.replace(b'"DEEP"', b"[" * 300 + b"]" * 300)
    assert section_spans(deep) == ()
    memory = RequestMemory()
    _prime(memory, deep)
    full, found = _both(memory, deep.replace(b'"observedGeneration":', b'"observedGeneration":1', 1))
    assert found[0] == full[0] == "parsed" and memory.reused == 0


def test_a_request_not_written_compactly_is_never_a_base() -> None:
    indented = orjson.dumps(SETTLED, option=orjson.OPT_INDENT_2)
    assert section_spans(indented) == ()
    memory = RequestMemory()
    _prime(memory, indented)
    full, found = _both(memory, indented.replace(b'"observedGeneration": ', b'"observedGeneration": 1', 1))
    assert found == full and memory.reused == 0


def test_section_spans_name_each_value_exactly() -> None:
    body = _body(SETTLED)
    spans = section_spans(body)
    assert [key for key, _, _ in spans] == list(SETTLED)
    for key, start, end in spans:
        assert orjson.loads(body[start:end]) == SETTLED[key]
    duplicated = body[:-1] + b',"finalizing":true}'
    assert section_spans(duplicated) == ()


def test_other_models_are_parsed_in_full() -> None:
    memory = RequestMemory()
    body = _body({"controller": {}, "parent": SETTLED["parent"]})
    for _ in range(2):
        full, found = _both(memory, body, CustomizeRequest)
        assert found == full
    assert len(memory) == 0


def test_kept_requests_are_bounded_in_bytes_one_per_parent() -> None:
    size = len(_body(SETTLED))
    memory = RequestMemory(max_bytes=3 * size + 100, max_request_bytes=2 * size)
    for index in range(5):
        named = _edited(SETTLED, lambda d, i=index: d["parent"]["metadata"].update(name=f"c{i}"))
        _prime(memory, _body(named))
    assert [entry[2].parent.metadata.name for entry in memory.entries()] == ["c2", "c3", "c4"]
    assert memory.size <= memory.max_bytes
    large = _edited(SETTLED, lambda d: d["parent"]["metadata"].update(annotations={"pad": "p" * 2 * size}))
    _prime(memory, _body(large))
    assert len(memory) == 3  # too large to keep


def _with_related(document: dict[str, Any]) -> None:
    document["related"] = {
        "Pod.v1": {
            f"analytics/p{i}": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"}}
            for i in range(3)
        }
    }


OBSERVED = _edited(SETTLED, _with_related)


def _renamed(mapping: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """`mapping` with the key `old` named `new`, in its place."""
    return {new if key == old else key: value for key, value in mapping.items()}


def _pods(document: dict[str, Any]) -> dict[str, Any]:
    pods: dict[str, Any] = document["related"]["Pod.v1"]
    return pods


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: d["children"]["Service.v1"].pop("analytics/demo-broker"), id="object-removed"),
        pytest.param(
            lambda d: _pods(d).update({"analytics/new": _pods(d)["analytics/p1"]}), id="object-added"
        ),
        pytest.param(lambda d: d["children"].update({"Secret.v1": {}}), id="type-added"),
        pytest.param(lambda d: d["children"].pop("Job.batch/v1"), id="type-removed"),
        pytest.param(lambda d: _pods(d).update({"analytics/p0": {"apiVersion": "v1"}}), id="no-kind"),
        pytest.param(
            lambda d: _pods(d)["analytics/p2"]["metadata"].update(labels={"a": 1}), id="label-not-string"
        ),
        pytest.param(lambda d: [_pods(d)[f"analytics/p{i}"].update(x=i) for i in (0, 2)], id="two"),
        # Each of two objects the same length as before: the first one's bytes alone are one value.
        pytest.param(
            lambda d: [_pods(d)[f"analytics/p{i}"]["metadata"].update(name=f"q{i}") for i in (0, 2)],
            id="two-same-length",
        ),
        pytest.param(
            lambda d: d["related"].update({"Pod.v1": _renamed(_pods(d), "analytics/p1", "analytics/q1")}),
            id="object-renamed",
        ),
        pytest.param(
            lambda d: d.update(related=_renamed(d["related"], "Pod.v1", "Pod.v2")), id="type-renamed"
        ),
    ],
)
def test_an_observed_section_changed_otherwise_than_in_one_object_is_parsed_as_the_full_parse_parses_it(
    edit: Any,
) -> None:
    memory = RequestMemory()
    _prime(memory, _body(OBSERVED))
    full, found = _both(memory, _body(_edited(OBSERVED, edit)))
    assert found == full


@pytest.mark.parametrize("section", ["children", "related"])
def test_one_changed_object_is_parsed_alone_where_it_sits(section: str) -> None:
    memory = RequestMemory()
    _prime(memory, _body(OBSERVED))
    kept = memory.entries()[-1][2]
    kind = next(reversed(OBSERVED[section]))
    name = next(reversed(OBSERVED[section][kind]))  # the last object: nothing of the section follows it
    body = _body(
        _edited(OBSERVED, lambda d: d[section][kind][name]["metadata"].update(annotations={"a": "b"}))
    )
    full, found = _both(memory, body)
    assert found == full and memory.reused == 1
    assert getattr(found[1], section)[kind][name]["metadata"]["annotations"] == {"a": "b"}
    other = "related" if section == "children" else "children"
    assert getattr(found[1], other) is getattr(kept, other)
    # The next change of that section is found from where the objects now lie.
    again = _body(
        _edited(OBSERVED, lambda d: d[section][kind][name]["metadata"].update(annotations={"a": "bb"}))
    )
    full, found = _both(memory, again)
    assert found == full and memory.reused == 2


def test_a_chain_of_object_changes_finds_each_object_where_it_now_lies() -> None:
    memory = RequestMemory()
    document = copy.deepcopy(OBSERVED)
    _prime(memory, _body(document))
    statefulsets = sorted(document["children"]["StatefulSet.apps/v1"])
    before = memory.entries()[-1][2]
    for step in range(1, 9):
        if step % 2:  # a child grows or shrinks, moving every later object and section
            changed = ("children", "StatefulSet.apps/v1", statefulsets[step % len(statefulsets)])
        else:
            changed = ("related", "Pod.v1", f"analytics/p{step % 3}")
        section, kind, name = changed
        document[section][kind][name]["metadata"]["annotations"] = {"step": "x" * (step * 53 % 200)}
        full, found = _both(memory, _body(document))
        assert found == full, step
        request = found[1].request
        parsed_again = [
            (kind, name)
            for kind, objects in getattr(request, section).items()
            for name, obj in objects.items()
            if obj is not getattr(before, section)[kind][name]
        ]
        assert parsed_again == [changed[1:]], step  # the others are the last request's own
        before = request


def test_request_layout_names_each_observed_object_exactly() -> None:
    body = _body(OBSERVED)
    layout = request_layout(body)
    assert layout is not None
    for section in ("children", "related"):
        named = [(kind, name) for kind, name, _, _ in layout.members[section]]
        assert named == [(kind, name) for kind, objects in OBSERVED[section].items() for name in objects]
        for kind, name, start, end in layout.members[section]:
            assert orjson.loads(body[start:end]) == OBSERVED[section][kind][name]
    assert request_layout(body.replace(b'"kind":"Pod"', b'"kind" :"Pod"', 1)) is None  # not compact


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
TOKENS = st.sampled_from([b"{", b"}", b"[", b"]", b",", b":", b'"', b'"parent":', b"1", b" ", b"true", b"\\"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    section=st.sampled_from(list(SETTLED)),
    value=JSON_VALUES,
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    noise=st.lists(TOKENS, max_size=4),
    rewrite=st.booleans(),
)
def test_any_edit_parses_as_the_full_parse_parses_it(
    section: str, value: Any, cut: tuple[float, float], noise: list[bytes], rewrite: bool
) -> None:
    """A section replaced by any value, or any bytes replaced by JSON-ish tokens."""
    memory = RequestMemory()
    base = _body(SETTLED)
    _prime(memory, base)
    if rewrite:
        body = _body({**SETTLED, section: value})
    else:
        first, second = sorted(int(c * len(base)) for c in cut)
        body = base[:first] + b"".join(noise) + base[second:]
    full, found = _both(memory, body)
    assert found == full


OBSERVED_OBJECTS = [
    (section, kind, name)
    for section in ("children", "related")
    for kind in OBSERVED[section]
    for name in OBSERVED[section][kind]
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    where=st.sampled_from(OBSERVED_OBJECTS),
    value=JSON_VALUES,
    labels=st.dictionaries(st.text(max_size=3), JSON_VALUES, max_size=2),
    shaped=st.booleans(),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    noise=st.lists(TOKENS, max_size=4),
    rewrite=st.booleans(),
)
def test_any_edit_of_an_observed_object_parses_as_the_full_parse_parses_it(
    where: tuple[str, str, str],
    value: Any,
    labels: dict[str, Any],
    shaped: bool,
    cut: tuple[float, float],
    noise: list[bytes],
    rewrite: bool,
) -> None:
    """An object replaced by any value (or by an object shaped like one, its labels anything), or
    any bytes within it replaced by JSON-ish tokens."""
    section, kind, name = where
    memory = RequestMemory()
    base = _body(OBSERVED)
    _prime(memory, base)
    if rewrite:
        if shaped:
            value = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n", "labels": labels}}
        body = _body(_edited(OBSERVED, lambda d: d[section][kind].update({name: value})))
    else:
        layout = request_layout(base)
        assert layout is not None
        start, end = next((s, e) for k, n, s, e in layout.members[section] if (k, n) == (kind, name))
        first, second = sorted(start + int(c * (end - start)) for c in cut)
        body = base[:first] + b"".join(noise) + base[second:]
    full, found = _both(memory, body)
    assert found == full


def test_the_served_hooks_parse_a_change_from_the_last_request() -> None:
    app = create_app()
    base = jsonio.dumps(SETTLED)  # sorted keys: any order of sections will do
    first = jsonio.dumps(_edited(SETTLED, _status_edit))
    changed = jsonio.dumps(_edited(SETTLED, _spec_edit))

    async def post(target: Any, bodies: list[bytes]) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=target)
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            return [await client.post(PATH, content=b) for b in bodies]

    served = asyncio.run(post(app, [base, first, changed]))  # kept from its second call
    fresh = asyncio.run(post(create_app(), [changed]))
    assert app.state.requests.reused == 1
    assert [r.status_code for r in served] == [200, 200, 200]
    assert orjson.loads(served[2].content)["children"] == orjson.loads(fresh[0].content)["children"]
