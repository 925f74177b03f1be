"""Reading `infra/.env.example` as compose reads an env file (for the deployment tests)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def env_example() -> tuple[dict[str, str], set[str]]:
    """The variables `.env.example` sets, and every one it documents (set or commented)."""
    values: dict[str, str] = {}
    documented: set[str] = set()
    for line in (INFRA / ".env.example").read_text("utf-8").splitlines():
        match = ENV_LINE.match(line.strip())
        if match is None:
            continue
        commented, name, value = match.groups()
        documented.add(name)
        if not commented:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[name] = value
    return values, documented
