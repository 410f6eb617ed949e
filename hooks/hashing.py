"""Stable content hashes for child names and change detection."""

from __future__ import annotations

import hashlib
from typing import Any

from hooks.jsonio import dumps


def content_hash(value: Any, length: int = 10) -> str:
    """A short, lower-case hex digest of the canonical JSON of `value` (valid in DNS labels)."""
    return digest_of(dumps(value), length)


def digest_of(data: bytes, length: int = 10) -> str:
    """`content_hash` of a value whose canonical JSON is `data`."""
    return hashlib.sha256(data).hexdigest()[:length]
