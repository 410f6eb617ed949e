"""Reading back what the real controller holds, through its REST API (never through the CLI)."""

from __future__ import annotations

from typing import Any

import httpx


class PinotRest:
    """A thin client for the read-backs and the few set-up calls the tests make themselves."""

    def __init__(self, base_url: str, auth: tuple[str, str] | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, auth=auth, timeout=30)

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params)

    def json(self, path: str, **params: str) -> Any:
        """The JSON body of a GET that must answer 200."""
        response = self.get(path, **params)
        assert response.status_code == 200, f"GET {path} {params}: {response.status_code} {response.text}"
        return response.json()

    def status(self, path: str, **params: str) -> int:
        return self.get(path, **params).status_code

    def put(self, path: str, **params: str) -> httpx.Response:
        return self.client.put(path, params=params)

    def schema(self, name: str) -> dict[str, Any] | None:
        """What Pinot holds for the schema, None when it answers 404."""
        response = self.get(f"/schemas/{name}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def table(self, raw: str, table_type: str) -> dict[str, Any] | None:
        """The half Pinot holds, None when absent (404, or 0.11's 200 ``{}`` without that half)."""
        response = self.get(f"/tables/{raw}", type=table_type.lower())
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        half: dict[str, Any] | None = response.json().get(table_type.upper())
        return half

    def tables(self) -> list[str]:
        names: list[str] = self.json("/tables")["tables"]
        return names

    def instances(self) -> list[str]:
        names: list[str] = self.json("/instances")["instances"]
        return names

    def tags(self, instance: str) -> list[str]:
        tags: list[str] = self.json(f"/instances/{instance}")["tags"]
        return tags

    def close(self) -> None:
        self.client.close()


def columns(schema: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """``{column: (field kind, dataType)}`` of a schema as Pinot holds it."""
    found: dict[str, tuple[str, str]] = {}
    for kind in ("dimensionFieldSpecs", "metricFieldSpecs", "dateTimeFieldSpecs"):
        for spec in schema.get(kind, []):
            found[spec["name"]] = (kind, spec["dataType"])
    return found
