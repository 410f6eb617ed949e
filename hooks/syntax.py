"""The syntax of the names and references a spec carries, as the API server and Pinot check them.

Each is an annotated `str` for the spec models: its pattern and bounds reach the CRD (so the API
server refuses a bad value at admission) and bind the hook as well (so a value that got past an
older CRD gets `InvalidSpec` naming the field, never a child the API server refuses or a Pinot
that cannot start). Patterns are RE2-compatible and spell out their character classes: `\\s` and
`\\w` mean more in pydantic's regex engine than in the API server's.

Map keys have no schema of their own: label and annotation keys are checked by a CEL rule on the
map in the CRD (`Labels`, `Annotations`) and by `QualifiedName` in the hook.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from hooks.crds.extensions import pattern, rule, rules

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_SUBDOMAIN = pattern(
    rf"^{_LABEL}(\.{_LABEL})*$",
    "must be a DNS subdomain: lower-case letters, digits, '-' and '.', starting and ending with a "
    "letter or digit",
)
# Names of Kubernetes objects (Secrets, StorageClasses, ServiceAccounts, PriorityClasses).
ObjectName = Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
# A key of a Secret's or ConfigMap's data.
SECRET_KEY = pattern(r"^[-._a-zA-Z0-9]+$", "must be a Secret key: letters, digits, '-', '_' and '.'")

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE = pattern(
    rf"^({_NAME})?$",
    "must be a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
)
LabelValue = Annotated[str, Field(max_length=63, pattern=LABEL_VALUE)]

# A label or annotation key: an optional DNS-subdomain prefix (at most 253 characters) and '/',
# then a name of at most 63 characters. ('[.]' rather than an escaped dot: the regex also sits in
# a CEL string.)
QUALIFIED_NAME = (
    r"^(?P<prefix>[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(?P<name>([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])$"
)
_QUALIFIED = re.compile(QUALIFIED_NAME.removesuffix("$") + r"\Z")  # Python's $ would allow a final \n
KEYS_MEANING = (
    "keys must be qualified names: an optional DNS subdomain (at most 253 characters) and '/', then "
    "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
)


def _qualified_name(key: str) -> str:
    found = _QUALIFIED.match(key)
    if found is None or len(found["prefix"] or "") > 254:  # the prefix with its '/'
        raise ValueError(KEYS_MEANING.replace("keys must be", "the key must be", 1))
    return key


QualifiedName = Annotated[str, AfterValidator(_qualified_name)]
# The same check in the CRD, on the map: the API server's CEL regex has no named groups, and the
# prefix's length is bounded only through the key's (253 + '/' + 63).
_CEL_QUALIFIED_NAME = QUALIFIED_NAME.replace("?P<prefix>", "").replace("?P<name>", "")
QUALIFIED_KEYS = rules(
    rule(f"self.all(k, size(k) <= 317 && k.matches('{_CEL_QUALIFIED_NAME}'))", KEYS_MEANING)
)
MAX_ENTRIES = 64
Labels = Annotated[
    dict[QualifiedName, LabelValue], Field(max_length=MAX_ENTRIES, json_schema_extra=QUALIFIED_KEYS)
]
Annotations = Annotated[
    dict[QualifiedName, Annotated[str, Field(max_length=8192)]],
    Field(max_length=MAX_ENTRIES, json_schema_extra=QUALIFIED_KEYS),
]

# An image reference as registries and the container runtime read it:
# [host[:port]/]path[:tag][@algorithm:digest], the path in lower case.
_DNS_NAME = r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*"
_HOST = rf"{_DNS_NAME}(:[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
IMAGE = pattern(
    rf"^({_HOST}/)?{_PATH_COMPONENT}(/{_PATH_COMPONENT})*(:{_TAG})?(@{_DIGEST})?$",
    "must be an image reference such as apachepinot/pinot:1.3.0 or "
    "registry.example.com:5000/pinot/pinot@sha256:<digest> (no spaces, the path in lower case)",
)
Image = Annotated[str, Field(min_length=1, max_length=512, pattern=IMAGE)]

# Helix keeps a cluster under /<clusterName> in ZooKeeper and in JMX names, and Pinot writes it
# into its configuration files and command lines: plain characters only, never '.' or '..'.
HELIX_NAME = pattern(
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
    "must be letters, digits, '_', '-' and '.', starting with a letter, digit or '_' "
    "(Helix keeps the cluster under this name in ZooKeeper)",
)
HelixName = Annotated[str, Field(min_length=1, max_length=128, pattern=HELIX_NAME)]

# ZooKeeper's connect string: host:port[,host:port...][/chroot]. Ports 1-65535; hosts are DNS
# names, IPv4 addresses or bracketed IPv6 addresses; the chroot is a ZooKeeper path that does not
# end in '/' and has no '.' or '..' element.
_PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_ZK_HOST = rf"({_DNS_NAME}|\[[0-9A-Fa-f:.]+\]):{_PORT}"
ZOOKEEPER = pattern(
    rf"^{_ZK_HOST}(,{_ZK_HOST})*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$",
    "must be host:port[,host:port...][/chroot] (ports 1-65535; chroot elements of letters, digits, "
    "'_', '-' and '.', not starting with '.')",
)
ZooKeeperAddress = Annotated[str, Field(min_length=1, max_length=1024, pattern=ZOOKEEPER)]

# A name Pinot addresses in a REST path (/schemas/<name>, /tables/<name>, /tenants/<name>): no
# whitespace or control characters, none of / \ ? # % ; (path and query syntax), at most one '.'
# (Pinot's <database>.<table>) and never at either end, so never '.' or '..'.
_PINOT_CHARACTER = r"[^\x00-\x20\x7f/\\?#%;.]"
PINOT_NAME = pattern(
    rf"^{_PINOT_CHARACTER}+(\.{_PINOT_CHARACTER}+)?$",
    "must be a name Pinot can address in a REST path: no spaces, control characters or any of "
    "/ \\ ? # % ;, and at most one '.' (<database>.<name>), not at either end",
)


def _no_double_underscore(name: str) -> str:
    if "__" in name:
        raise ValueError("must not contain '__' (Pinot refuses it in schema and table names)")
    return name


_NO_DOUBLE_UNDERSCORE = rules(
    rule("!self.contains('__')", "must not contain '__' (Pinot refuses it in schema and table names)")
)
# Schema and table names: Pinot also refuses '__' in them.
PinotName = Annotated[
    str,
    Field(min_length=1, max_length=512, pattern=PINOT_NAME, json_schema_extra=_NO_DOUBLE_UNDERSCORE),
    AfterValidator(_no_double_underscore),
]
TenantName = Annotated[str, Field(min_length=1, max_length=256, pattern=PINOT_NAME)]
