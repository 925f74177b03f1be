"""Reference data (municipalities, hospital units), loaded from an editable data file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
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


@dataclass(frozen=True)
class NorwegianMunicipality:
    number: str
    name: str
    county: str


def load_norway(path: Path | None = None) -> dict[str, NorwegianMunicipality]:
    """Every municipality in Norway (2024 numbers and names), by number."""
    if path is None:
        text = resources.files(__package__).joinpath("norway.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    raw = json.loads(text)
    return {m["number"]: NorwegianMunicipality(**m) for m in raw["municipalities"]}


def load_national_figures(path: Path | None = None) -> dict[str, object]:
    """NSDM's national GP contract durations, with their source (editable reference data)."""
    if path is None:
        text = resources.files(__package__).joinpath("nsdm_gp_contracts.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    data: dict[str, object] = json.loads(text)
    return data


@dataclass(frozen=True)
class ConsentText:
    """One version of the text a candidate is shown before consenting to a purpose."""

    id: str
    purpose: str
    version: int
    valid_from: date
    title: str
    text: str


@dataclass(frozen=True)
class ConsentTexts:
    texts: tuple[ConsentText, ...]

    def get(self, purpose: str, version: int) -> ConsentText | None:
        return next((t for t in self.texts if t.purpose == purpose and t.version == version), None)

    def current(self, purpose: str, day: date) -> ConsentText | None:
        """The newest version of the purpose's text in force on `day`; before the first was in
        force (consent back-dated to before versioning), version 1, as for older events."""
        texts = [t for t in self.texts if t.purpose == purpose]
        valid = [t for t in texts if t.valid_from <= day]
        return max(valid or texts[:1], key=lambda t: t.version, default=None)


def load_consent_texts(path: Path | None = None) -> ConsentTexts:
    """The consent texts shipped with the package (bokmål), or another file given by `path`."""
    if path is None:
        text = resources.files(__package__).joinpath("consent_texts.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    raw = json.loads(text)
    texts = tuple(
        ConsentText(**{**t, "valid_from": date.fromisoformat(t["valid_from"])})
        for t in raw["texts"]
    )
    return ConsentTexts(tuple(sorted(texts, key=lambda t: (t.purpose, t.version))))
