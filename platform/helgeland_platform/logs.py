"""Structured logs: one JSON object a line on stderr, never personal data.

Callers log facts (a route template, a status, a projection's name and position, an exception's
type) and pass them as `extra={"fields": {...}}`; the message is a fixed text.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_CONFIGURED = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the `helgeland` loggers to stderr as JSON lines (once per process)."""
    global _CONFIGURED  # noqa: PLW0603 - one handler per process
    if _CONFIGURED:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("helgeland")
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    _CONFIGURED = True


def log(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Log a fixed message with structured fields."""
    logger.log(level, message, extra={"fields": fields})
