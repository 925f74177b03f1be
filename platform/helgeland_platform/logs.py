"""Structured logs: one JSON object a line on stderr, never personal data.

Callers log facts (a route template, a status, a projection's name and position, an exception's
type) and pass them as `extra={"fields": {...}}`; the message is a fixed text.

Other libraries' loggers (uvicorn's, SQLAlchemy's, the SMTP libraries') go through the same
formatter at WARNING and above: an exception is logged as its type and where it was raised,
never its message (which may quote a value: a name, an address), and e-mail addresses in their
messages are masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

_CONFIGURED = False
EMAIL = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[^\s<>\"'(),;:@]+")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if not record.name.startswith("helgeland"):
            line["message"] = EMAIL.sub("<e-mail>", line["message"])
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2]) if record.exc_info[2] else []
            if frames:
                line["raised_at"] = f"{frames[-1].filename}:{frames[-1].lineno}"
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the `helgeland` loggers to stderr as JSON lines (once per process)."""
    global _CONFIGURED  # noqa: PLW0603 - one handler per process
    if _CONFIGURED:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    ours = logging.getLogger("helgeland")
    ours.addHandler(handler)
    ours.setLevel(level)
    ours.propagate = False
    # Every other logger, uvicorn's included (run with `log_config=None`): warnings and errors,
    # formatted the same way, so no library prints a traceback with a value in it.
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    _CONFIGURED = True


def log(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Log a fixed message with structured fields."""
    logger.log(level, message, extra={"fields": fields})
