"""Writing one `key=value` line of a Pinot config file so that Pinot reads back exactly that.

Pinot loads its `-configFileName` with Apache Commons Configuration (1.10 in Pinot 0.11, 2.x in
Pinot 1.x), a Java properties reader, and then hands the values to `PinotConfiguration`, which
splits them on `,` again, trims the parts, substitutes `${...}` and relaxes keys (lower case, `-`
and `_` dropped). So a value is written with `\\` and everything outside printable ASCII escaped,
and a value that no escaping brings back intact is refused, never written:

- a control character (a line break would start a new line: another key);
- `${`, which Pinot substitutes (from other keys, the environment, JVM properties, files);
- a blank at either end, or next to a `,` (trimmed away);
- a `\\` followed by `\\` or `,` (unescaped a second time when the value is split).

A `,` is written as it is: with the refusals above, Pinot joins the parts it splits a value into
back with `,`, so the value reads back whole (`\\,` would read the same, but would change the
file, and with it the pods, of every cluster whose ZooKeeper address lists several servers).

Keys are plain names; two keys that relax to the same one are one key to Pinot (which refuses to
start when a file holds both), and a few keys make the loader read other files or change how it
reads this one. Verified against Pinot 0.11.0 and 1.3.0 by `tests/pinot/test_config_roundtrip.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Relaxed: `include` (and `includeoptional` in Pinot 1.x) load another file, `config.paths` more
# files, `dynamic.env.config` maps keys to environment variables, and Pinot 1.x writes
# `templated=true` itself (a second one aborts start-up; `false` would change what it substitutes).
RESERVED_KEYS = frozenset({"include", "includeoptional", "config.paths", "dynamic.env.config", "templated"})
# The spec's fields that pass secrets to Pinot from Secrets, through the environment.
SECRET_FIELDS = "spec.deepStore.secretOptions or spec.auth.basic"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PRINTABLE_ASCII = re.compile(r"^[ -~]*$")


class EnvReference(str):
    """`${env:NAME}`: the one substitution the control plane writes itself, for a setting Pinot
    reads from an environment variable the pod gets from a Secret. Written as it is."""


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_reference(name: str) -> EnvReference:
    if not ENV_NAME.match(name):
        raise UnwritableProperty(f"{name!r} is no environment variable name")
    return EnvReference("${env:" + name + "}")


class UnwritableProperty(ValueError):
    """A key or value that Pinot would not read back as it is (validation refuses them first)."""


# Keys and values repeat from pool to pool and sync to sync: short ones are remembered, at most
# MEMO_ENTRIES of each, of at most MEMO_CHARS characters (about 2 MiB in all).
MEMO_ENTRIES = 4096
MEMO_CHARS = 256


def relaxed(key: str) -> str:
    """The key as Pinot looks it up: `Controller.Data_Dir` and `controller.data-dir` are one key."""
    return _relaxed(key) if len(key) <= MEMO_CHARS else _relax(key)


def _relax(key: str) -> str:
    return key.replace("-", "").replace("_", "").lower()


_relaxed = lru_cache(maxsize=MEMO_ENTRIES)(_relax)


def key_problem(key: str, relaxed_key: str | None = None) -> str | None:
    """Why `key` cannot be written (`relaxed_key`: its relaxed form, when the caller has it)."""
    if not KEY.match(key):
        return "keys must start with a letter or digit and hold only letters, digits, '.', '_' and '-'"
    if (relaxed(key) if relaxed_key is None else relaxed_key) in RESERVED_KEYS:
        return (
            f"{key!r} is reserved: Pinot's config loader reads it as an instruction (to include "
            "other files, or to change how values are read), not as a setting"
        )
    return None


def value_problem(value: str) -> str | None:
    found = _CONTROL.search(value)
    if found:
        return (
            f"must not hold control characters such as a line break (found U+{ord(found.group()):04X}): "
            "each setting is one line of Pinot's config file"
        )
    if "${" in value:
        return (
            "must not contain '${': Pinot substitutes ${...} when it reads the value (other keys, "
            "environment variables, JVM properties, and in Pinot 1.x files); to pass a secret "
            f"from a Secret, use {SECRET_FIELDS}, which set it through the environment"
        )
    if value.startswith(" ") or value.endswith(" "):
        return "must not begin or end with a blank: Pinot trims it away"
    if "\\\\" in value or "\\," in value:
        return "must not hold a '\\' followed by '\\' or ',': Pinot unescapes the pair a second time"
    if " ," in value or ", " in value:
        return "must not hold a blank next to ',': Pinot splits values on ',' and trims the parts"
    return None


def encode(value: str) -> str:
    """`value` as it is written after `key=`, in printable ASCII; refused values raise."""
    return _encoded(value) if len(value) <= MEMO_CHARS else _encode(value)


def _encode(value: str) -> str:
    problem = value_problem(value)
    if problem is not None:
        raise UnwritableProperty(f"{value!r} {problem}")
    text = value.replace("\\", "\\\\")
    if _PRINTABLE_ASCII.match(text):
        return text
    return "".join(char if " " <= char <= "~" else _unicode_escape(char) for char in text)


_encoded = lru_cache(maxsize=MEMO_ENTRIES)(_encode)


def _unicode_escape(char: str) -> str:
    # Java strings are UTF-16: a character beyond U+FFFF is two escapes, its surrogate pair.
    units = char.encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))


class RelaxedProperties(dict[str, str]):
    """Properties no two keys of which are one key to Pinot, with the key each relaxed key is
    spelt as (so that a key is found under any spelling without relaxing every key again)."""

    def __init__(self, by_relaxed: Mapping[str, tuple[str, str]]) -> None:
        super().__init__(sorted(by_relaxed.values()))
        self.spellings = {relaxed_key: key for relaxed_key, (key, _) in by_relaxed.items()}


def merge_relaxed(layers: Iterable[Mapping[str, str]]) -> RelaxedProperties:
    """The layers merged by relaxed key, a later layer's key (its spelling and value) replacing an
    earlier one's, sorted by key: Pinot never sees two spellings of one key."""
    return RelaxedProperties(merged_by_relaxed(layers))


def merged_by_relaxed(layers: Iterable[Mapping[str, str]]) -> dict[str, tuple[str, str]]:
    """The layers merged as `merge_relaxed` does, by relaxed key: (key, value)."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for key, value in layer.items():
            merged[relaxed(key)] = (key, value)
    return merged


def lookup(properties: Mapping[str, str], key: str) -> tuple[str, str] | None:
    """The entry of `properties` Pinot reads for `key` (under any spelling), as (key, value)."""
    wanted = relaxed(key)
    if isinstance(properties, RelaxedProperties):
        spelt = properties.spellings.get(wanted)
        return None if spelt is None else (spelt, properties[spelt])
    return next(((k, v) for k, v in properties.items() if relaxed(k) == wanted), None)
