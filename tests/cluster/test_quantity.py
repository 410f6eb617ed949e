"""Quantities are emitted as the API server stores them, or InPlace updates would never settle."""

from __future__ import annotations

import pytest

from hooks.cluster.quantity import QuantityError, canonical_quantity, canonical_resources

CANONICAL = [
    ("1.5Gi", "1536Mi"),
    ("2Ei", "2Ei"),
    ("1E", "1E"),
    ("1e18", "1e18"),
    ("1024Mi", "1Gi"),
    ("4Gi", "4Gi"),
    ("0.5Ki", "512"),
    ("1.25Gi", "1280Mi"),
    ("0.5", "500m"),
    ("1000m", "1"),
    ("100m", "100m"),
    ("2000", "2k"),
    ("1200M", "1200M"),
    ("10G", "10G"),
    ("1e3", "1e3"),
    ("0", "0"),
    ("0.1", "100m"),
    ("1n", "1n"),
    ("0.0000000001", "1n"),
    (2, "2"),
]


@pytest.mark.parametrize(("written", "stored"), CANONICAL)
def test_canonical_form_matches_the_api_server(written: str | int, stored: str) -> None:
    assert canonical_quantity(written) == stored


@pytest.mark.parametrize("stored", sorted({s for _, s in CANONICAL}))
def test_canonical_form_is_a_fixed_point(stored: str) -> None:
    assert canonical_quantity(stored) == stored


@pytest.mark.parametrize(
    "bad",
    ["8 GB", "lots", "", "1.2.3", "Gi", True, 1.5, None, "1E4400", "1e99999999", "1" * 100, "1e-99999999"],
)
def test_non_quantities_are_refused(bad: object) -> None:
    with pytest.raises(QuantityError):
        canonical_quantity(bad)


def test_resources_are_canonicalised_and_claims_kept() -> None:
    resources = {"requests": {"memory": "1.5Gi", "cpu": "0.5"}, "claims": [{"name": "gpu"}]}
    assert canonical_resources(resources) == {
        "claims": [{"name": "gpu"}],
        "requests": {"cpu": "500m", "memory": "1536Mi"},
    }
