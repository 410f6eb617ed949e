"""`pinot-control-plane render`: what the sync hooks would create, like `helm template`.

Reads YAML files (several documents each, any of the four kinds; other kinds are skipped with a
note), and prints either the children as a YAML stream or every problem found, one per line, in
the path style of the hooks' InvalidSpec messages, with a hint where a common mistake is likely.
Exit status: 0 rendered, 1 problems in the manifests, 2 a file that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

import yaml

from hooks.preview import (
    Document,
    completed_job_status,
    converged_copy,
    load_cluster,
    preview,
    render_children,
)
from hooks.resources.routes import job_image

__all__ = ["completed_job_status", "converged_copy", "load_cluster", "render_children", "render_command"]


class Unreadable(Exception):
    """A file that cannot be read at all."""


def read_documents(name: str, stdin: TextIO) -> list[Document]:
    """The documents of one file ('-': standard input), each with its `file:line`; a YAML syntax
    error raises yaml.YAMLError with its position."""
    label = "<stdin>" if name == "-" else name
    try:
        text = stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise Unreadable(f"{label}: cannot read it: {reason}") from None
    documents = []
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            content = loader.construct_document(node)
            if content is not None:
                documents.append(Document(f"{label}:{node.start_mark.line + 1}", content))
    finally:
        loader.dispose()
    return documents


def yaml_error(name: str, exc: yaml.YAMLError) -> str:
    label = "<stdin>" if name == "-" else name
    mark = getattr(exc, "problem_mark", None)
    where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark is not None else label
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    return f"{where}: YAML: {f'{context}, ' if context else ''}{problem}"


def render_command(args: argparse.Namespace) -> int:
    stdin, out, err = sys.stdin, sys.stdout, sys.stderr
    documents: list[Document] = []
    problems: list[str] = []
    for name in args.file:
        try:
            documents += read_documents(name, stdin)
        except Unreadable as exc:
            print(f"error: {exc}", file=err)
            return 2
        except yaml.YAMLError as exc:
            problems.append(yaml_error(name, exc))
    result = preview(documents, args.namespace or "default", args.ready, job_image())
    for note in result.notes:
        print(f"note: {note}", file=err)
    problems += result.problems
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=err)
        return 1
    if not result.children:
        print("error: no PinotCluster, PinotSchema, PinotTable or PinotTenant in the input", file=err)
        return 1
    for parent, child in result.children:
        out.write(f"---\n# {parent}\n")
        yaml.safe_dump(child, out, sort_keys=False, default_flow_style=False, width=2**16)
    return 0
