"""The dated evaluation report: one HTML file with the plots and tables, for a chosen as_of."""

from __future__ import annotations

import base64
import html
from datetime import datetime
from functools import partial

from helgeland_contracts.evaluation_v1 import Cycles, Disclosure, Funnel, Retention, Scope
from helgeland_contracts.posts_v1 import Vacancy, VacancyPoint

from helgeland_pipeline.domain.common import programme_day
from helgeland_pipeline.evaluation import plots

# The retention views the report shows: label, scope, grouping.
VIEWS: tuple[tuple[str, Scope, str], ...] = (
    ("stay in the municipality", "municipality", "all"),
    ("stay in the region", "region", "all"),
    ("by centrality class", "municipality", "centrality_class"),
)
FUNNEL_HEADER = [
    "step",
    "reached",
    "of them, from the previous step",
    "of them, without the previous step",
    "conversion from the previous step",
    "median days from previous",
]
FUNNEL_NOTE = (
    "Each step counts the people who reached it, whether or not an earlier step is recorded "
    "for them (a candidate may apply without a recorded first contact), so a step can count "
    "more people than the one before it. The conversion is the share of the previous step's "
    "people who went on to this one, so it is never above 100 %."
)


def render(
    as_of: datetime,
    known_at: datetime,
    funnel: Funnel,
    retention: dict[str, Retention],
    cycles: Cycles,
    vacancy: Vacancy | None = None,
) -> str:
    """Render the report; every figure is as things stood at `as_of`, known at `known_at`."""
    k = funnel.disclosure.min_cell if funnel.disclosure else 1
    n = partial(_count, k)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Helgelandslegen evaluation as of {programme_day(as_of)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
        "th{background:#eef}</style></head><body>",
        "<h1>Helgelandslegen: evaluation</h1>",
        f"<p>As of <b>{as_of.isoformat()}</b> (world time), as recorded by "
        f"<b>{known_at.isoformat()}</b>. Pseudonymised: no names or contact details.</p>",
        _disclosure(
            k, [funnel.disclosure, cycles.disclosure] + [r.disclosure for r in retention.values()]
        ),
        "<h2>Recruitment funnel</h2>",
        _img(plots.funnel_png(funnel.groups[0], "All rounds", k)),
        f"<p>{FUNNEL_NOTE}</p>",
        _table(
            FUNNEL_HEADER,
            [
                [
                    s.step,
                    n(s.count),
                    n(s.from_previous),
                    n(s.without_previous),
                    _pct(s.conversion),
                    s.median_days_from_previous,
                ]
                for s in funnel.groups[0].steps
            ],
        ),
    ]
    for label, result in retention.items():
        parts += [
            f"<h2>Retention: {html.escape(label)}</h2>",
            _img(plots.survival_png(result.groups, label, k)),
            _table(
                ["group", "doctors", "left", "median years (95 % CI)", "1 y", "2 y", "5 y"],
                [
                    [
                        g.group,
                        g.doctors,
                        n(g.left),
                        _median(g.median_years, g.median_ci),
                        *(_pct(g.share_in_post[k]) for k in ("1y", "2y", "5y")),
                    ]
                    for g in result.groups
                ],
            ),
            f"<p><small>{MEDIAN_NOTE}</small></p>",
        ]
    first = next(iter(retention.values()))
    parts += [
        "<h2>Compared with national GP contract durations</h2>",
        _table(
            ["population group", "our doctors", "our median years", "national median years"],
            [
                [c.population_group, n(c.our_doctors), c.our_median_years, c.national_median_years]
                for c in first.national
            ],
        ),
        f"<p><small>{html.escape(first.national[0].source) if first.national else ''}</small></p>",
        "<h2>Cox model</h2>",
        f"<p>{html.escape(first.cox.message)}</p>",
        _table(
            ["covariate", "hazard ratio", "95 % CI", "p"],
            [
                [t.covariate, t.hazard_ratio, f"{t.ci_lower}–{t.ci_upper}", t.p]
                for t in first.cox.terms
            ],
        ),
        "<h2>Yearly cycles</h2>",
        _table(
            [
                "round",
                "year",
                "LIS1 starts",
                "applicants",
                "recruited",
                "weeks of service",
                "stayed (still in post)",
                "dropped out before LIS3",
                "returned",
            ],
            [
                [
                    c.round,
                    c.year,
                    c.lis1_starts_on,
                    n(c.applicants),
                    n(c.recruited),
                    _weeks(c.weeks_of_service, c.served, k),
                    n(c.still_in_post),
                    n(c.dropped_out),
                    n(c.returned),
                ]
                for c in cycles.rounds
            ],
        ),
        "<p><small>A round belongs to the year its LIS1 positions start (a round without a "
        "start date: its application deadline's year). As Recruit &amp; Retain and Scotland's "
        "Rural GP Support Team report each yearly round: applicants, recruited (accepted a "
        "coupled LIS3), weeks of LIS3 service delivered in Helgeland by the round's doctors "
        "up to the as-of date, and how many stayed in the municipality where they started."
        "</small></p>",
        *(_vacancy(vacancy) if vacancy is not None else []),
        "</body></html>",
    ]
    return "\n".join(parts)


VACANCY_NOTE = (
    "GP posts (fastlegehjemler) as the municipalities reported them: vacant posts have nobody, "
    "posts held by locums (vikarer) are counted apart, and retirements are those expected within "
    "five years. A year shows each municipality's latest report up to its end (or the as-of "
    "date); a later report for the same date corrects the earlier. Organisation figures, not "
    "persons: no count is withheld."
)


def _vacancy(vacancy: Vacancy) -> list[str]:
    """The vacancy trend: the region by year, then each municipality's latest report."""
    if not vacancy.years:
        return ["<h2>GP posts: vacancy trend</h2>", "<p>No GP posts reported by this date.</p>"]
    return [
        "<h2>GP posts: vacancy trend</h2>",
        _table(
            [
                "year",
                "municipalities reporting",
                "posts",
                "vacant",
                "held by locums",
                "retirements expected",
                "vacancy rate",
            ],
            [
                [
                    y.year,
                    y.municipalities_reporting,
                    y.total,
                    y.vacant,
                    y.held_by_locums,
                    y.retirements_expected,
                    _pct(y.vacancy_rate),
                ]
                for y in vacancy.years
            ],
        ),
        "<h3>Vacancy per municipality over time</h3>",
        _table(
            ["municipality", "centrality class", *(str(y.year) for y in vacancy.years)],
            [
                [m.name, m.centrality_class, *_vacant_by_year(m.points, vacancy)]
                for m in vacancy.municipalities
            ],
        ),
        "<p><small>Vacant posts of all posts, by each municipality's latest report up to the "
        "end of the year. " + VACANCY_NOTE + "</small></p>",
    ]


def _vacant_by_year(points: list[VacancyPoint], vacancy: Vacancy) -> list[str | None]:
    cells: list[str | None] = []
    for year in (y.year for y in vacancy.years):
        upto = [p for p in points if p.as_of.year <= year]
        cells.append(f"{upto[-1].vacant} of {upto[-1].total}" if upto else None)
    return cells


def _weeks(weeks: float | None, served: int | None, min_cell: int) -> str:
    """Weeks of service, withheld ("<k doctors") with the count of doctors it comes from."""
    if weeks is None:
        return f"<{min_cell} doctors" if served is None else "–"
    return f"{weeks:.0f}"


def _count(min_cell: int, value: int | None) -> str:
    """A count of persons; withheld ones (1 to k-1) read "<k"."""
    return f"<{min_cell}" if value is None else str(value)


def _disclosure(min_cell: int, reports: list[Disclosure | None]) -> str:
    said = [r for r in reports if r is not None]
    notes = sorted({note for r in said for note in r.notes})
    cells = sum(r.withheld_cells for r in said)
    text = (
        f"No figure describes fewer than {min_cell} persons: counts of 1 to {min_cell - 1} read "
        f"&lt;{min_cell}, smaller groups are merged into 'other' or left out, and curves end "
        f"where fewer than {min_cell} remain at risk."
    )
    if any(r.suppressed for r in said):
        text += f" In this report {cells} count(s) are withheld"
        text += "; " + "; ".join(html.escape(note) for note in notes) if notes else ""
        text += "."
    return f"<p><small>{text}</small></p>"


def _img(png: bytes) -> str:
    return f"<img alt='plot' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


NOT_REACHED = "not reached"
MEDIAN_NOTE = (
    f"Median years in post with its 95 % confidence interval. &ldquo;{NOT_REACHED}&rdquo;: "
    "the survival curve, or that edge of its band, had not fallen to one half by the as-of "
    "date, so the figure lies beyond the follow-up."
)


def _median(value: float | None, ci: tuple[float | None, float | None]) -> str:
    """The median stay with its 95 % interval, a missing number said in words: a dash for it
    beside the interval's own dash read as a broken number (`2.08 (0.64––)`).

    A median, or a limit of its interval, is missing when the survival curve (or that edge of
    its band) has not fallen to one half within the follow-up: it lies beyond what is seen.
    """
    show = [NOT_REACHED if v is None else f"{v:.2f}" for v in (value, *ci)]
    if value is None and ci[0] is None and ci[1] is None:
        return NOT_REACHED
    return f"{show[0]} ({show[1]}–{show[2]})"


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('–' if c is None else str(c))}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
