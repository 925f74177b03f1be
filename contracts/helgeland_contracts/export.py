"""Export every public model as JSON Schema: `python -m helgeland_contracts.export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from helgeland_contracts import (
    api_v1,
    career_v1,
    evaluation_v1,
    events_v1,
    forum_v1,
    posts_v1,
    privacy_v1,
)

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schemas() -> dict[str, dict[str, object]]:
    """File name → JSON Schema, for every model in every versioned module."""
    found: dict[str, dict[str, object]] = {}
    for module in (
        api_v1,
        forum_v1,
        career_v1,
        evaluation_v1,
        events_v1,
        posts_v1,
        privacy_v1,
    ):
        version = module.__name__.rpartition("_")[2]
        for name, value in sorted(vars(module).items()):
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__.rpartition('.')[2]}.{name}.json"] = {
                    "$id": f"helgeland/{version}/{name}",
                    **value.model_json_schema(),
                }
    for kind, payload in sorted(events_v1.PAYLOADS.items()):
        found[f"event.{kind}.json"] = {
            "$id": f"helgeland/events/{kind}",
            "x-schema-version": events_v1.VERSIONS.get(kind, 1),
            **payload.model_json_schema(),
        }
    return found


def render(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    wanted = schemas()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    for name, schema in wanted.items():
        (SCHEMA_DIR / name).write_text(render(schema), "utf-8")
    print(f"wrote {len(wanted)} schemas to {SCHEMA_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
