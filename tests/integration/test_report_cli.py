"""`helgeland report`, run as a real process over the demo story, on SQLite and on PostgreSQL.

The demo story is seeded once for the module with `helgeland seed-demo` into a temporary SQLite
file, and three reports are written from it (two past dates and yesterday) by separate
processes, each in a fresh working directory. The tests read those files back with the
standard library's HTML parser; one test seeds and reports on PostgreSQL in its own schema.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helgeland_contracts.evaluation_v1 import (
    CoxModel,
    CurvePoint,
    Cycles,
    Funnel,
    FunnelGroup,
    Retention,
    RetentionGroup,
)
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.domain.common import PROGRAMME_TIME_ZONE
from helgeland_pipeline.evaluation.report import render
from helgeland_pipeline.readside.hospital.tables import candidates as hospital_candidates
from helgeland_pipeline.settings import Settings
from PIL import Image

HELGELAND = Path(sys.executable).with_name("helgeland")
PNG = b"\x89PNG\r\n\x1a\n"
PNG_DATA = "data:image/png;base64,"
EARLY, LATE = "2022-12-31", "2024-12-31"
FUNNEL = "Recruitment funnel"
FUNNEL_HEADER = [
    "step",
    "reached",
    "of them, from the previous step",
    "of them, without the previous step",
    "conversion from the previous step",
    "median days from previous",
]
RETENTION_HEADER = ["group", "doctors", "left", "median years (95 % CI)", "1 y", "2 y", "5 y"]
RETENTION_VIEWS = ("stay in the municipality", "stay in the region", "by centrality class")
CYCLES = "Yearly cycles"
# Free text in the log (interview notes, interviewers, reasons for withdrawing, notes on
# leaving, supervisors); a `reason` on a Career event is a coded leaving reason.
FREE_TEXT = ("notes", "note", "reason", "interviewer", "supervisor")


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with no `HELGELAND_*` settings but those given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    return subprocess.run(
        [str(HELGELAND), *args],
        cwd=cwd,
        env={**clean, "COLUMNS": "120", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def norwegian_today() -> datetime:
    return datetime.now(PROGRAMME_TIME_ZONE)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


# --- reading the report back -----------------------------------------------------------------


Table = list[list[str]]


@dataclass
class Section:
    """What follows one `<h2>` (or the page's start), up to the next."""

    heading: str
    images: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self) -> list[dict[str, str]]:
        """The section's only table, as one dict per data row keyed by the header."""
        assert len(self.tables) == 1, self.heading
        header, *rows = self.tables[0]
        assert all(len(row) == len(header) for row in rows), self.tables[0]
        return [dict(zip(header, row, strict=True)) for row in rows]


class _ReportParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.sections = [Section("")]
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        section = self.sections[-1]
        if tag in ("title", "h2", "th", "td"):
            self._text = []
        elif tag == "img":
            section.images.append(dict(attrs).get("src") or "")
        elif tag == "table":
            section.tables.append([])
        elif tag == "tr":
            section.tables[-1].append([])

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._text is None or tag not in ("title", "h2", "th", "td"):
            return
        text = "".join(self._text).strip()
        self._text = None
        if tag == "title":
            self.title = text
        elif tag == "h2":
            self.sections.append(Section(text))
        else:
            self.sections[-1].tables[-1][-1].append(text)


@dataclass(frozen=True)
class Report:
    path: Path
    html: str
    title: str
    sections: list[Section]

    @classmethod
    def read(cls, path: Path) -> Report:
        text = path.read_text("utf-8")
        parser = _ReportParser()
        parser.feed(text)
        parser.close()
        return cls(path, text, parser.title, parser.sections)

    def section(self, heading: str) -> Section:
        (found,) = (s for s in self.sections if s.heading == heading)
        return found

    def funnel_counts(self) -> dict[str, int]:
        return {row["step"]: int(row["reached"]) for row in self.section(FUNNEL).table()}


# --- the seeded store and the reports written from it ---------------------------------------


@dataclass(frozen=True)
class Store:
    env: dict[str, str]
    settings: Settings
    events: int


@dataclass(frozen=True)
class Written:
    """One `helgeland report` process: where it ran, what it printed, what it wrote."""

    as_of: str
    cwd: Path
    result: subprocess.CompletedProcess[str]
    report: Report


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A SQLite file holding the demo story, loaded by `helgeland seed-demo`."""
    data_dir = tmp_path_factory.mktemp("store")
    database = data_dir / "helgeland.sqlite"
    env = {
        "HELGELAND_DATABASE_URL": f"sqlite:///{database}",
        "HELGELAND_DATA_DIR": str(data_dir),
    }
    result = run(tmp_path_factory.mktemp("seed"), env, "seed-demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Demo data loaded."
    with sqlite3.connect(database) as conn:
        (events,) = conn.execute("SELECT count(*) FROM stored_events").fetchone()
    assert events > 1000
    settings = Settings(database_url=env["HELGELAND_DATABASE_URL"], data_dir=data_dir)
    return Store(env, settings, int(events))


@pytest.fixture(scope="module")
def written(store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Written]:
    """Reports as of `LATE` and yesterday (default file) and `EARLY` (`--out`, new folders)."""
    yesterday = (norwegian_today() - timedelta(days=1)).date().isoformat()
    reports: dict[str, Written] = {}
    for as_of in (LATE, EARLY, yesterday):
        cwd = tmp_path_factory.mktemp(f"report-{as_of}")
        if as_of == EARLY:
            out = cwd / "chosen" / "nested" / f"evaluation-{EARLY}.html"
            result = run(cwd, store.env, "report", "--as-of", as_of, "--out", str(out))
            relative = out
        else:
            result = run(cwd, store.env, "report", "--as-of", as_of)
            relative = Path("reports") / f"evaluation-{as_of}.html"
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == f"Wrote {relative}"
        reports[as_of] = Written(as_of, cwd, result, Report.read(cwd / relative))
    return reports


def personal_data(settings: Settings) -> tuple[set[str], set[str]]:
    """Names, e-mail addresses, phone numbers and free text in the log; the candidates' ids."""
    services = build_services(settings)
    personal: set[str] = set()
    ids: set[str] = set()
    try:
        app = services.app
        for notification in app.recorder.select_notifications(start=1, limit=1_000_000):
            event = app.mapper.to_domain_event(notification)
            kind = type(event).__qualname__
            if kind == "Candidate.ContactDetailsRecorded":
                ids.add(str(event.originator_id))
                personal |= {getattr(event, n) or "" for n in ("name", "email", "phone")}
            for name in FREE_TEXT:
                if name == "reason" and kind.startswith("Career."):
                    continue
                value = getattr(event, name, None)
                if isinstance(value, str):
                    personal.add(value)
            terms = getattr(event, "terms", None)
            if isinstance(terms, dict) and isinstance(terms.get("supervisor"), str):
                personal.add(terms["supervisor"])
    finally:
        services.close()
    return {p for p in personal if p.strip()}, ids


# --- 1. one dated file with the tables and the plots ----------------------------------------


def test_report_writes_one_file_named_for_its_date_into_the_chosen_folder(
    written: dict[str, Written],
) -> None:
    for as_of, run_ in written.items():
        if as_of == EARLY:
            # --out: the folders are created, the file is exactly where it was asked for.
            expected = run_.cwd / "chosen" / "nested" / f"evaluation-{EARLY}.html"
        else:
            # The default: reports/evaluation-DATE.html under the working directory.
            expected = run_.cwd / "reports" / f"evaluation-{as_of}.html"
        assert files_under(run_.cwd) == {expected}, as_of
        assert as_of in expected.name
        assert run_.report.html.lstrip().lower().startswith("<!doctype html>")


def test_the_title_carries_the_as_of_date(written: dict[str, Written]) -> None:
    for as_of, run_ in written.items():
        assert run_.report.title == f"Helgelandslegen evaluation as of {as_of}"


def test_the_report_holds_the_funnel_and_retention_tables(written: dict[str, Written]) -> None:
    report = written[LATE].report
    funnel = report.section(FUNNEL)
    assert funnel.tables[0][0] == FUNNEL_HEADER
    counts = report.funnel_counts()
    assert list(counts)[:2] == ["contacted", "applied"]
    assert {"shared_with_forum", "accepted_lis3", "started_lis3"} <= set(counts)
    assert counts["applied"] > 0
    assert counts["started_lis3"] > 0

    headings = [s.heading for s in report.sections]
    assert [h for h in headings if h.startswith("Retention: ")] == [
        f"Retention: {view}" for view in RETENTION_VIEWS
    ]
    for view in RETENTION_VIEWS:
        section = report.section(f"Retention: {view}")
        assert section.tables[0][0] == RETENTION_HEADER
        rows = section.table()
        assert rows, view
        shown = [row for row in rows if row["doctors"].isdigit()]  # "<5": withheld (k)
        total = sum(int(row["doctors"]) for row in shown)
        if len(shown) == len(rows):
            assert total == counts["started_lis3"], view
        else:
            assert total < counts["started_lis3"], view
        for row in shown:
            if row["left"].isdigit():
                assert 0 <= int(row["left"]) <= int(row["doctors"]), row
    assert report.section(CYCLES).table()


def test_the_funnel_says_who_skipped_a_step_and_converts_from_the_step_before(
    written: dict[str, Written],
) -> None:
    report = written[LATE].report
    assert "whether or not an earlier step is recorded" in report.html
    rows = report.section(FUNNEL).table()
    for before, row in itertools.pairwise(rows):
        came = int(row["of them, from the previous step"])
        skipped = int(row["of them, without the previous step"])
        assert came + skipped == int(row["reached"]), row
        assert came <= int(before["reached"]), row
        if int(before["reached"]):
            shown = row["conversion from the previous step"]
            assert shown == f"{came / int(before['reached']):.0%}", row
    # The demo has applications without a recorded first contact: they are said, not hidden.
    applied = next(r for r in rows if r["step"] == "applied")
    assert int(applied["of them, without the previous step"]) > 0


def test_no_report_shows_a_missing_figure_as_a_stray_dash(written: dict[str, Written]) -> None:
    for run_ in written.values():
        assert "––" not in run_.report.html
        assert "(–" not in run_.report.html


def test_every_plot_is_an_embedded_png_that_decodes(written: dict[str, Written]) -> None:
    report = written[LATE].report
    # One plot above the funnel table and one above each retention table.
    assert len(report.section(FUNNEL).images) == 1
    for view in RETENTION_VIEWS:
        assert len(report.section(f"Retention: {view}").images) == 1
    images = [src for section in report.sections for src in section.images]
    assert len(images) == 1 + len(RETENTION_VIEWS)
    for src in images:
        assert src.startswith(PNG_DATA), src[:60]
        try:
            png = base64.b64decode(src.removeprefix(PNG_DATA), validate=True)
        except binascii.Error as error:
            pytest.fail(f"the embedded plot is not valid base64: {error}")
        assert png.startswith(PNG)
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG"
            width, height = image.size
            assert width > 100
            assert height > 100
            image.load()  # decodes every pixel; raises on a truncated or corrupt file
    assert len(set(images)) == len(images), "every plot is drawn for its own figure"


# --- 2. every figure as things stood at as_of -----------------------------------------------


def test_two_as_of_dates_give_different_figures(written: dict[str, Written]) -> None:
    early, late = written[EARLY].report, written[LATE].report
    early_counts, late_counts = early.funnel_counts(), late.funnel_counts()
    assert list(early_counts) == list(late_counts)
    assert early_counts != late_counts
    # The story only grows: nobody un-reaches a step, and two more rounds have run by LATE.
    assert all(late_counts[s] >= early_counts[s] for s in early_counts), (early_counts, late_counts)
    assert late_counts["applied"] > early_counts["applied"]
    assert early_counts["started_lis3"] == 0 < late_counts["started_lis3"]
    for view in RETENTION_VIEWS:
        assert early.section(f"Retention: {view}").table() == []
        assert late.section(f"Retention: {view}").table() != []
    # A round opens each autumn and belongs to the year its LIS1 starts (the next spring).
    assert {r["year"] for r in early.section(CYCLES).table()} == {"2022", "2023"}
    assert {r["year"] for r in late.section(CYCLES).table()} == {"2022", "2023", "2024", "2025"}
    assert [i for s in early.sections for i in s.images] != [
        i for s in late.sections for i in s.images
    ]


# --- 3. no personal data --------------------------------------------------------------------


VACANCY = "GP posts: vacancy trend"
VACANCY_HEADER = [
    "year",
    "municipalities reporting",
    "posts",
    "vacant",
    "held by locums",
    "retirements expected",
    "vacancy rate",
]


def test_the_report_shows_the_vacancy_trend_as_of_its_date(written: dict[str, Written]) -> None:
    """The demo's municipalities report every October from 2020, when the chief physicians
    counted 15 vacant posts; Rana corrected its 2022 report (4 vacant, then 3)."""
    late, early = written[LATE].report, written[EARLY].report
    by_year, per_municipality = late.section(VACANCY).tables
    assert by_year[0] == VACANCY_HEADER
    rows = {row[0]: dict(zip(VACANCY_HEADER, row, strict=True)) for row in by_year[1:]}
    assert list(rows) == ["2020", "2021", "2022", "2023", "2024"]
    assert (rows["2020"]["municipalities reporting"], rows["2020"]["vacant"]) == ("18", "15")
    assert int(rows["2024"]["vacant"]) < int(rows["2020"]["vacant"])
    for row in rows.values():
        assert int(row["vacant"]) + int(row["held by locums"]) <= int(row["posts"]), row
        assert row["vacancy rate"] == f"{int(row['vacant']) / int(row['posts']):.0%}", row
    assert per_municipality[0] == ["municipality", "centrality class", *rows]
    rana = next(row for row in per_municipality if row[0] == "Rana")
    assert rana[1:5] == ["4", "3 of 26", "3 of 26", "3 of 26"]  # 2022: the corrected report
    assert len(per_municipality) == 1 + 18
    assert [row[0] for row in early.section(VACANCY).tables[0][1:]] == ["2020", "2021", "2022"]


def test_the_yearly_cycles_give_weeks_of_service_and_who_stayed(
    written: dict[str, Written],
) -> None:
    rows = written[LATE].report.section(CYCLES).table()
    assert list(rows[0]) == [
        "round",
        "year",
        "LIS1 starts",
        "applicants",
        "recruited",
        "weeks of service",
        "stayed (still in post)",
        "dropped out before LIS3",
        "returned",
    ]
    weeks = [float(r["weeks of service"]) for r in rows if r["weeks of service"][0].isdigit()]
    assert weeks, rows
    assert max(weeks) > 52  # doctors of the early rounds have served more than a year by 2024
    early = {r["round"]: r for r in written[EARLY].report.section(CYCLES).table()}
    for row in rows:
        if row["round"] in early and early[row["round"]]["weeks of service"][0].isdigit():
            # Service only grows with the as-of date.
            assert float(row["weeks of service"]) >= float(early[row["round"]]["weeks of service"])


def test_the_report_holds_no_personal_data(store: Store, written: dict[str, Written]) -> None:
    personal, ids = personal_data(store.settings)
    # The search is only worth something if it knows the demo's people and notes.
    assert {"Ingrid Solberg", "ingrid.solberg@example.no", "Syntetisk Lege 2021-000"} <= personal
    assert {"Interesse for allmennmedisin utforsket.", "Valgte annen region"} <= personal
    assert len(ids) > 100
    for as_of, run_ in written.items():
        text = run_.report.html
        assert "@example." not in text, as_of
        for secret in personal | ids:
            assert secret not in text, (as_of, secret)


# --- 4. bad input: one line on stderr, a non-zero exit, no file -----------------------------


def _invalid_date(_: Path) -> list[str]:
    return ["--as-of", "2024-13-01"]


def _time_without_zone(_: Path) -> list[str]:
    return ["--as-of", "2024-12-31T12:00:00"]


def _future(_: Path) -> list[str]:
    return ["--as-of", (norwegian_today() + timedelta(days=2)).date().isoformat()]


def _parent_is_a_file(folder: Path) -> list[str]:
    (folder / "a-file").write_text("not a folder", "utf-8")
    return ["--as-of", LATE, "--out", str(folder / "a-file" / "report.html")]


def _out_is_a_folder(folder: Path) -> list[str]:
    (folder / "a-folder").mkdir()
    return ["--as-of", LATE, "--out", str(folder / "a-folder")]


BadInput = Callable[[Path], list[str]]


def bad_inputs() -> list[object]:
    return [
        pytest.param(_invalid_date, "not a date or ISO time", id="invalid-date"),
        pytest.param(_time_without_zone, "give a time zone", id="time-without-zone"),
        pytest.param(_future, "cannot lie in the future", id="future-as-of"),
        pytest.param(_parent_is_a_file, "a-file", id="parent-is-a-file"),
        pytest.param(_out_is_a_folder, "a-folder", id="out-is-a-folder"),
    ]


@pytest.mark.parametrize(("bad", "message"), bad_inputs())
def test_bad_input_exits_non_zero_and_writes_no_file(
    store: Store, tmp_path: Path, bad: BadInput, message: str
) -> None:
    args = bad(tmp_path)
    before = files_under(tmp_path)
    result = run(tmp_path, store.env, "report", *args)
    assert result.returncode != 0
    assert "Wrote" not in result.stdout
    assert message in result.stderr
    assert files_under(tmp_path) == before


@pytest.mark.parametrize(("bad", "message"), bad_inputs())
def test_bad_input_is_reported_in_one_line_on_stderr(
    store: Store, tmp_path: Path, bad: BadInput, message: str
) -> None:
    result = run(tmp_path, store.env, "report", *bad(tmp_path))
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert line.startswith("helgeland"), line
    assert message in line


# --- 5. progress while replaying -------------------------------------------------------------


def test_the_replay_shows_its_progress(store: Store, written: dict[str, Written]) -> None:
    result = written[LATE].result
    output = result.stdout + result.stderr
    replay = re.search(r"replaying the log\b.*?(\d+)/(\d+)", output)
    assert replay is not None, output
    assert int(replay[1]) == int(replay[2]) == store.events
    figures = re.search(r"computing figures\b.*?(\d+)/(\d+)", output)
    assert figures is not None, output
    assert figures[1] == figures[2]


def test_the_progress_goes_to_stderr_and_stdout_holds_only_the_result(
    written: dict[str, Written],
) -> None:
    result = written[LATE].result
    assert "replaying the log" in result.stderr
    assert result.stdout.splitlines() == [f"Wrote reports/evaluation-{LATE}.html"]


# --- the day in the file name ----------------------------------------------------------------


def test_the_file_name_and_the_title_give_the_same_day(store: Store, tmp_path: Path) -> None:
    # 23:30 UTC on New Year's Eve is already 2025-01-01 in Norway.
    result = run(tmp_path, store.env, "report", "--as-of", "2024-12-31T23:30:00+00:00")
    assert result.returncode == 0, result.stderr
    (path,) = files_under(tmp_path)
    day = re.fullmatch(r"evaluation-(\d{4}-\d{2}-\d{2})\.html", path.name)
    assert day is not None, path.name
    assert Report.read(path).title == f"Helgelandslegen evaluation as of {day[1]}"


def test_today_as_a_date_means_as_far_as_today_has_gone(store: Store, tmp_path: Path) -> None:
    today = norwegian_today().date().isoformat()
    result = run(tmp_path, store.env, "report", "--as-of", today)
    assert result.returncode == 0, result.stderr
    (path,) = files_under(tmp_path)
    assert path.name == f"evaluation-{today}.html"
    assert Report.read(path).title == f"Helgelandslegen evaluation as of {today}"


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_seed_and_report_on_postgresql_in_its_own_schema(
    postgres_url: str, postgres_schema: str, tmp_path: Path, written: dict[str, Written]
) -> None:
    env = {
        "HELGELAND_DATABASE_URL": postgres_url,
        "HELGELAND_DATABASE_SCHEMA": postgres_schema,
        "HELGELAND_DATA_DIR": str(tmp_path / "data"),
    }
    cwd = tmp_path / "work"
    cwd.mkdir()
    seeded = run(cwd, env, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.splitlines()[-1] == "Demo data loaded."
    # Everything went into the test's schema: the event store and the read models.
    with psycopg.connect(postgres_url) as conn:
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (postgres_schema,),
            )
        }
        (log,) = [t for t in tables if t.endswith("_events")]
        row = conn.execute(f'SELECT count(*) FROM "{postgres_schema}"."{log}"').fetchone()
    assert hospital_candidates.name in tables
    assert row is not None
    assert row[0] > 1000

    result = run(cwd, env, "report", "--as-of", LATE)
    assert result.returncode == 0, result.stderr
    expected = cwd / "reports" / f"evaluation-{LATE}.html"
    assert files_under(cwd) == {expected}
    report = Report.read(expected)
    assert report.title == f"Helgelandslegen evaluation as of {LATE}"
    # The synthetic history is deterministic: both backends hold the same one up to LATE, so
    # the same figures, stays included.
    sqlite_report = written[LATE].report
    assert report.funnel_counts() == sqlite_report.funnel_counts()
    for view in RETENTION_VIEWS:
        title = f"Retention: {view}"
        assert report.section(title).table() == sqlite_report.section(title).table(), view
    counted = ("round", "year", "applicants", "recruited")
    assert [{k: r[k] for k in counted} for r in report.section(CYCLES).table()] == [
        {k: r[k] for k in counted} for r in sqlite_report.section(CYCLES).table()
    ]
    for view in RETENTION_VIEWS:
        rows = report.section(f"Retention: {view}").table()
        assert sum(int(r["doctors"]) for r in rows) == report.funnel_counts()["started_lis3"]
    assert len([i for s in report.sections for i in s.images]) == 1 + len(RETENTION_VIEWS)


def test_a_missing_confidence_limit_is_said_in_words(tmp_path: Path) -> None:
    """A median whose interval has no upper limit (the band had not fallen to one half) read
    `2.08 (0.64––)`; so did a median not reached. Rendered through the report itself."""
    as_of = datetime(2025, 6, 30, 21, 59, tzinfo=UTC)

    def group(name: str, median: float | None, ci: tuple[float | None, float | None]) -> Any:
        return RetentionGroup(
            group=name,
            doctors=12,
            left=5,
            median_years=median,
            median_ci=ci,
            share_in_post={"1y": 0.9, "2y": None, "5y": None},
            curve=[CurvePoint(years=0.0, survival=1.0, lower=1.0, upper=1.0, at_risk=12)],
        )

    groups = [
        group("open above", 2.08, (0.64, None)),
        group("closed", 2.08, (0.64, 3.5)),
        group("not reached", None, (None, None)),
        group("open below", 4.0, (None, 6.25)),
    ]
    retention = Retention(
        as_of=as_of,
        known_at=as_of,
        scope="municipality",
        group_by="all",
        groups=groups,
        national=[],
        cox=CoxModel(available=False, message="not enough events", terms=[]),
    )
    funnel = Funnel(as_of=as_of, known_at=as_of, group_by="all", groups=[])
    funnel.groups.append(FunnelGroup(group="all", steps=[]))
    cycles = Cycles(as_of=as_of, known_at=as_of, rounds=[])
    path = tmp_path / "report.html"
    path.write_text(render(as_of, as_of, funnel, {"by hand": retention}, cycles), "utf-8")

    report = Report.read(path)
    rows = {
        r["group"]: r["median years (95 % CI)"]
        for r in report.section("Retention: by hand").table()
    }
    assert rows == {
        "open above": "2.08 (0.64–not reached)",
        "closed": "2.08 (0.64–3.50)",
        "not reached": "not reached",
        "open below": "4.00 (not reached–6.25)",
    }
    assert "––" not in report.html
    assert "“not reached”" in report.html.replace("&ldquo;", "“").replace("&rdquo;", "”")
