"""Reference data (municipalities, hospital units), loaded from an editable data file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Municipality:
    number: str
    name: str
    population: int
    centrality_class: int


@dataclass(frozen=True)
class HospitalUnit:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class ReferenceData:
    municipalities: dict[str, Municipality]
    hospital_units: dict[str, HospitalUnit]
    sources: dict[str, str]


def load_reference(path: Path | None = None) -> ReferenceData:
    """Load the reference file shipped with the package, or another one given by `path`."""
    if path is None:
        text = resources.files(__package__).joinpath("helgeland.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    raw = json.loads(text)
    return ReferenceData(
        municipalities={m["number"]: Municipality(**m) for m in raw["municipalities"]},
        hospital_units={u["code"]: HospitalUnit(**u) for u in raw["hospital_units"]},
        sources=dict(raw["source"]),
    )


def load_national_figures(path: Path | None = None) -> dict[str, object]:
    """NSDM's national GP contract durations, with their source (editable reference data)."""
    if path is None:
        text = resources.files(__package__).joinpath("nsdm_gp_contracts.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    data: dict[str, object] = json.loads(text)
    return data
