"""One log format for the hook server: every line a JSON object with `time`, `level` and `message`.

That holds for uvicorn's own lines (its loggers propagate here; `serve` gives uvicorn no logging
configuration of its own), for warnings, and for tracebacks, which become an `exception` field of
their line instead of lines of their own, including exceptions that nothing caught (in the main
thread, another thread, or an asyncio task).

Each hook call logs one line built by `event` (its fields beside `message`). Such a line is
already JSON and is written as it is: through a Formatter and StreamHandler.flush it cost a served
change request 4% (measured with the hook server under load).
"""

from __future__ import annotations

import logging
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

import orjson

__all__ = ["JsonFormatter", "JsonLine", "LineHandler", "configure", "event"]


class JsonLine(str):
    """A log message that is already a whole JSON line (from `event`)."""

    __slots__ = ()


def _time(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _encode(entry: dict[str, Any]) -> str:
    return orjson.dumps(entry, default=str).decode()


def event(level: int, message: str, fields: dict[str, Any], created: float) -> JsonLine:
    """The JSON line of one event: time, level and message first, then `fields`."""
    entry: dict[str, Any] = {
        "time": _time(created),
        "level": logging.getLevelName(level).lower(),
        "message": message,
    }
    entry.update(fields)
    return JsonLine(_encode(entry))


class JsonFormatter(logging.Formatter):
    """Any record as one JSON line; a traceback goes into `exception`, a stack into `stack`."""

    def format(self, record: logging.LogRecord) -> str:
        if type(record.msg) is JsonLine and not record.args and not record.exc_info:
            return record.msg
        entry: dict[str, Any] = {
            "time": _time(record.created),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encode(entry)


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes `JsonLine` messages as they are, formats every other record as JSON."""

    def emit(self, record: logging.LogRecord) -> None:
        if type(record.msg) is not JsonLine or record.args or record.exc_info:
            super().emit(record)
            return
        try:
            self.stream.write(record.msg + self.terminator)  # a line-buffered stream writes it now
        except Exception:
            self.handleError(record)


def configure(level: str, stream: TextIO) -> None:
    """Log at `level` to `stream`, one JSON line per record, and route what would otherwise bypass
    logging (warnings, uncaught exceptions) through it."""
    handler = LineHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.captureWarnings(True)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
    # No caller frame, thread or process to look up (the logging HOWTO's "Optimization" settings).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def _uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("pinot_control_plane").critical("uncaught exception", exc_info=(kind, error, trace))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "unknown"
    logging.getLogger("pinot_control_plane").error(
        "uncaught exception in thread %s", name, exc_info=args.exc_value
    )
