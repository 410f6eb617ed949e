"""Keeping the credentials a Job holds out of everything it writes.

Pinot's answers, and those of a proxy in front of it, are copied into the outcome line, and from there
into the termination message and the custom resource's status, which anyone who may read the resource
sees, Secret access or not. A proxy that echoes the request (a debugging gateway, an error page listing
headers) or a Pinot message quoting its input would publish the password. So every text the CLI writes
passes through a `Redactor` holding the secrets, in every spelling an answer may carry them:

- the password, the `username:password` pair, and the Basic header value (`base64(username:password)`,
  standard and URL-safe alphabet, with or without padding);
- each of those as it reads inside a JSON string (escaped, non-ASCII also as `\\u` and four hex
  digits), an HTML page (entities), and a URL (percent-encoded, upper or lower case hex, `+` or
  `%20` for spaces).

The username alone is not secret and stays readable. Redaction happens before any text is shortened,
so a cut can never leave half a secret behind.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, quote_plus

__all__ = ["NOTHING", "REDACTED", "Redactor"]

REDACTED: Final = "[redacted]"


def _spellings(secret: str) -> set[str]:
    """`secret` as it may appear in a JSON string, an HTML page or a URL."""
    found = {
        secret,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret, ensure_ascii=True)[1:-1],
        html.escape(secret, quote=True),
        html.escape(secret, quote=False),
    }
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)):
        found.add(encoded)
        found.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded))
    return {spelling for spelling in found if spelling}


def _basic_values(username: str, password: str) -> set[str]:
    raw = f"{username}:{password}".encode()
    standard = base64.b64encode(raw).decode("ascii")
    urlsafe = base64.urlsafe_b64encode(raw).decode("ascii")
    return {standard, urlsafe, standard.rstrip("="), urlsafe.rstrip("=")}


class Redactor:
    """Replaces every spelling of the given secrets by `[redacted]`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        spellings: set[str] = set()
        for secret in secrets:
            spellings |= _spellings(secret)
        # The marker stands for itself, so that redacting twice changes nothing (a password such as
        # "[" would otherwise be found again in the marker). Longest first, so a secret containing
        # another (or the marker) is replaced whole.
        ordered = sorted(spellings | {REDACTED}, key=lambda s: (-len(s), s)) if spellings else []
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    @classmethod
    def for_basic_auth(cls, username: str, password: str) -> Redactor:
        """What a Job authenticating as `username` must never write (nothing without credentials)."""
        if not username and not password:
            return cls()
        secrets = _basic_values(username, password) | {f"{username}:{password}"}
        if password:
            secrets.add(password)
        return cls(secrets)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)


NOTHING: Final = Redactor()
"""Redacts nothing: no credentials are in use."""
