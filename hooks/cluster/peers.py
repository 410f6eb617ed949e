"""NetworkPolicyPeers of `spec.networkPolicy`, checked as the API server checks them in the policy,
and written in the shape it stores them.

The models give the CRD a real schema (the API server refuses a malformed peer at admission) and
bind the hook, so that a peer that got past an older CRD gets `InvalidSpec` naming the field,
never a NetworkPolicy the API server refuses while the rest of the cluster's children are applied.

What the models check, field by field: label keys are qualified names and values label values (the
rules of `hooks.syntax`), `operator` is one of the four, CIDRs are CIDRs. What needs several fields
(`relation_errors`): a peer names at least one of podSelector, namespaceSelector and ipBlock, and
ipBlock alone; `values` are required for In and NotIn and forbidden for Exists and DoesNotExist; an
`except` lies strictly inside its `cidr`, in the same family.

The API server drops empty maps and lists (`matchLabels: {}`, `values: []`, `except: []`) and
keeps empty selectors (`podSelector: {}`, every pod). `stored` writes a peer that way, so the
policy the hook answers is the one it reads back, and Metacontroller has nothing to update.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hooks.crds.extensions import pattern, rule, rules
from hooks.refusals import SpecError
from hooks.syntax import KEYS_MEANING, QUALIFIED_NAME, Labels, LabelValue, QualifiedName

JsonObject = dict[str, Any]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
CIDR_MEANING = "must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32"


def network(value: str) -> Network:
    """`value` as a network, or ValueError saying why it is none: an address, '/', a prefix length,
    and no bit set beyond the prefix (the API server's strict form; its lenient one only warns)."""
    address, slash, prefix = value.partition("/")
    if not slash or not prefix.isdigit() or prefix != str(int(prefix)) or "%" in address:
        raise ValueError(CIDR_MEANING)
    try:
        found = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(CIDR_MEANING) from None
    if isinstance(found, ipaddress.IPv6Network) and found.network_address.ipv4_mapped is not None:
        raise ValueError(f"{CIDR_MEANING}; write an IPv4 range as IPv4, not as an IPv4-mapped IPv6 one")
    if str(found.network_address) != str(ipaddress.ip_address(address)):
        raise ValueError(f"{CIDR_MEANING}, without bits set beyond its prefix length: {found}")
    return found


def cidr_problem(value: str) -> str | None:
    try:
        network(value)
    except ValueError as exc:
        return str(exc)
    return None


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# The shape of a CIDR, for the CRD; `cidr_problem` reads it exactly (IPv6 groups, bits past the prefix).
CIDR = pattern(
    rf"^(({_OCTET}[.]){{3}}{_OCTET}/(3[0-2]|[12]?[0-9])|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))$",
    CIDR_MEANING,
)
Cidr = Annotated[str, Field(min_length=1, max_length=64, pattern=CIDR)]
SELECTOR_KEY = pattern(
    QUALIFIED_NAME.replace("?P<prefix>", "").replace("?P<name>", ""),
    KEYS_MEANING.replace("keys must be qualified names", "must be a qualified name", 1),
)
VALUES_BY_OPERATOR = (
    "values must be given for In and NotIn, and only for them (not for Exists and DoesNotExist)"
)
ONE_KIND = "a peer is a podSelector, a namespaceSelector, both, or an ipBlock alone"


class _Peerish(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelSelectorRequirement(_Peerish):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=rules(
            rule(
                "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
                VALUES_BY_OPERATOR,
            )
        ),
    )
    key: QualifiedName = Field(max_length=317, pattern=SELECTOR_KEY, description="The label key.")
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"] = Field(
        description="In, NotIn, Exists or DoesNotExist."
    )
    values: list[LabelValue] | None = Field(
        default=None, max_length=64, description="Label values: for In and NotIn only."
    )


class LabelSelector(_Peerish):
    matchLabels: Labels | None = Field(default=None, description="Labels a selected object carries.")
    matchExpressions: list[LabelSelectorRequirement] | None = Field(
        default=None, max_length=16, description="Requirements a selected object's labels meet."
    )


class IPBlock(_Peerish):
    cidr: Cidr = Field(description="Addresses admitted, e.g. 10.0.0.0/8.")
    except_: list[Cidr] | None = Field(
        default=None,
        alias="except",
        max_length=32,
        description="Ranges inside cidr that are not admitted.",
    )


class NetworkPolicyPeer(_Peerish):
    """One networking.k8s.io/v1 NetworkPolicyPeer."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=rules(
            rule(
                "has(self.ipBlock) ? !has(self.podSelector) && !has(self.namespaceSelector) "
                ": has(self.podSelector) || has(self.namespaceSelector)",
                ONE_KIND,
            )
        ),
    )
    podSelector: LabelSelector | None = Field(
        default=None,
        description="Pods admitted ({}: every pod), in the namespaces of namespaceSelector, else the "
        "cluster's own.",
    )
    namespaceSelector: LabelSelector | None = Field(
        default=None, description="Namespaces whose pods are admitted ({}: every namespace)."
    )
    ipBlock: IPBlock | None = Field(default=None, description="Addresses admitted (alone in its peer).")


def relation_errors(peers: Sequence[NetworkPolicyPeer], path: str) -> list[SpecError]:
    """What the fields of each peer say together (the models check each field alone)."""
    errors = []
    for index, peer in enumerate(peers):
        where = f"{path}[{index}]"
        if peer.ipBlock is None and peer.podSelector is None and peer.namespaceSelector is None:
            errors.append(SpecError(where, f"names no peer: {ONE_KIND}"))
        elif peer.ipBlock is not None and not (peer.podSelector is None and peer.namespaceSelector is None):
            errors.append(SpecError(where, f"may not give ipBlock with another peer: {ONE_KIND}"))
        for field in ("podSelector", "namespaceSelector"):
            selector: LabelSelector | None = getattr(peer, field)
            for position, requirement in enumerate(selector.matchExpressions or [] if selector else []):
                if (requirement.operator in ("In", "NotIn")) != bool(requirement.values):
                    errors.append(
                        SpecError(f"{where}.{field}.matchExpressions[{position}].values", VALUES_BY_OPERATOR)
                    )
        if peer.ipBlock is not None:
            errors += _block_errors(peer.ipBlock, f"{where}.ipBlock")
    return errors


def _block_errors(block: IPBlock, path: str) -> list[SpecError]:
    problems = [(f"{path}.cidr", cidr_problem(block.cidr))]
    problems += [(f"{path}.except[{i}]", cidr_problem(text)) for i, text in enumerate(block.except_ or [])]
    errors = [SpecError(where, problem) for where, problem in problems if problem is not None]
    if errors:
        return errors
    outer = network(block.cidr)
    for index, text in enumerate(block.except_ or []):
        inner = network(text)
        inside = inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]
        if not inside or inner.prefixlen <= outer.prefixlen:
            problem = f"must lie strictly inside cidr {block.cidr}, not {text}"
            errors.append(SpecError(f"{path}.except[{index}]", problem))
    return errors


def stored(peer: NetworkPolicyPeer) -> JsonObject:
    """The peer as the API server stores it: empty maps and lists left out, empty selectors kept."""
    found: JsonObject = {}
    for field in ("podSelector", "namespaceSelector"):
        selector: LabelSelector | None = getattr(peer, field)
        if selector is not None:
            found[field] = _selector(selector)
    if peer.ipBlock is not None:
        block: JsonObject = {"cidr": peer.ipBlock.cidr}
        if peer.ipBlock.except_:
            block["except"] = list(peer.ipBlock.except_)
        found["ipBlock"] = block
    return found


def _selector(selector: LabelSelector) -> JsonObject:
    found: JsonObject = {}
    if selector.matchLabels:
        found["matchLabels"] = dict(selector.matchLabels)
    expressions = []
    for requirement in selector.matchExpressions or []:
        entry: JsonObject = {"key": requirement.key, "operator": requirement.operator}
        if requirement.values:
            entry["values"] = list(requirement.values)
        expressions.append(entry)
    if expressions:
        found["matchExpressions"] = expressions
    return found
