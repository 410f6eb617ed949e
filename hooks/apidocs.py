"""`/docs`: the API described on one self-contained page.

FastAPI's Swagger UI loads its script and styles from a CDN, so in a cluster without internet
access (the usual place for a control plane) `/docs` was a blank page. This page needs nothing
but itself: each endpoint with its method, what it is for and what it answers, generated from the
same OpenAPI document that `/openapi.json` serves (which any OpenAPI tool can load).
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["docs_page"]

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;"
    "text-align:left;vertical-align:top}code{font-size:95%}"
)


def docs_page(spec: dict[str, Any]) -> str:
    info = spec.get("info", {})
    title = escape(str(info.get("title", "API")))
    rows = []
    for path, operations in sorted(spec.get("paths", {}).items()):
        for method, operation in sorted(operations.items()):
            answers = "<br>".join(
                f"{escape(str(code))} {escape(str(answer.get('description', '')))}"
                for code, answer in sorted(operation.get("responses", {}).items())
            )
            what = operation.get("description") or operation.get("summary") or ""
            rows.append(
                f"<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(str(what))}</td><td>{answers}</td></tr>"
            )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>'
        f"<body><h1>{title} {escape(str(info.get('version', '')))}</h1>"
        f"<p>{escape(str(info.get('description', '')))}</p>"
        '<p>The full description, with the schema of every request: <a href="/openapi.json">'
        "<code>/openapi.json</code></a> (OpenAPI 3; load it into any OpenAPI viewer).</p>"
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Answers</th></tr>"
        + "".join(rows)
        + "</table></body></html>\n"
    )
