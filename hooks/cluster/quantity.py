"""Kubernetes resource quantities in the canonical form the API server stores.

The API server rewrites `1.5Gi` as `1536Mi` and `0.5` as `500m`. A hook that emits the form the
user wrote would differ from the stored object on every sync and update it forever, so every
quantity we emit goes through `canonical_quantity` (same rules as apimachinery's
`Quantity.String()`: exact binary suffixes when the value allows them, otherwise decimal with an
exponent that is a multiple of three, rounded up to nano units).
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

_PATTERN = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|n|u|m|k|M|G|T|P|E)?$"
)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exponent: suffix for suffix, exponent in _DECIMAL.items()}
_BINARY_SUFFIX = {power: suffix for suffix, power in _BINARY.items()}


# Far beyond any real quantity (the largest suffix is E, 10^18), and small enough that computing
# the canonical form stays cheap: a huge exponent in a hostile spec must not stall a hook worker.
MAX_EXPONENT = 99  # two digits, as the CRD pattern allows
MAX_LENGTH = 64


class QuantityError(ValueError):
    pass


def canonical_quantity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise QuantityError(f"{value!r} is not a quantity (use a string such as '4Gi' or '500m')")
    return _canonical_text(str(value).strip())


@lru_cache(maxsize=1024)
def _canonical_text(text: str) -> str:
    """Pure in `text`, and called for every quantity of every pool on every sync: remembered."""
    match = _PATTERN.match(text) if len(text) <= MAX_LENGTH else None
    if not match:
        raise QuantityError(
            f"{text[:MAX_LENGTH]!r} is not a Kubernetes quantity (for example '4Gi', '500m', '2')"
        )
    number = Fraction(match["number"])
    suffix = match["suffix"] or ""
    if (
        suffix not in _BINARY
        and suffix[:1] in ("e", "E")
        and len(suffix) > 1
        and abs(int(suffix[1:])) > MAX_EXPONENT
    ):
        raise QuantityError(f"{text!r} is out of range for a Kubernetes quantity")
    if suffix in _BINARY:
        amount = number * 1024 ** _BINARY[suffix]
        style = "binary"
    elif suffix[:1] in ("e", "E") and len(suffix) > 1:
        amount = number * Fraction(10) ** int(suffix[1:])
        style = "exponent"
    else:
        amount = number * Fraction(10) ** _DECIMAL[suffix]
        style = "decimal"
    nanos = _round_up(amount * 10**9)
    if style == "binary" and nanos % 10**9 == 0 and abs(nanos) >= 1024 * 10**9:
        return _binary(nanos // 10**9)
    return _decimal(nanos, exponent_style=style == "exponent")


def _round_up(value: Fraction) -> int:
    """Away from zero to the next integer, as apimachinery rounds below nano precision."""
    whole = value.numerator // value.denominator if value >= 0 else -((-value.numerator) // value.denominator)
    if whole != value:
        whole += 1 if value > 0 else -1
    return whole


def _binary(amount: int) -> str:
    power = 0
    while power < 6 and amount % 1024 ** (power + 1) == 0:
        power += 1
    mantissa = amount // 1024**power
    return f"{mantissa}{_BINARY_SUFFIX.get(power, '')}"


def _decimal(nanos: int, exponent_style: bool) -> str:
    if nanos == 0:
        return "0"
    mantissa, exponent = nanos, -9
    while exponent < 18 and mantissa % 1000 == 0:
        mantissa //= 1000
        exponent += 3
    if exponent_style:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_DECIMAL_SUFFIX[exponent]}"


def canonical_resources(resources: dict[str, Any]) -> dict[str, Any]:
    """`resources` with every limit and request in canonical form (claims pass through)."""
    out: dict[str, Any] = {}
    for section, values in sorted(resources.items()):
        if section in ("limits", "requests") and isinstance(values, dict):
            out[section] = {name: canonical_quantity(q) for name, q in sorted(values.items())}
        else:
            out[section] = values
    return out
