"""Demo GP posts: each municipality's yearly report since the forum's meeting in October 2020.

Invented but plausible: about one post per thousand inhabitants (one at least), 15 vacant
posts in the region in October 2020 as the chief physicians counted them then, locums in the
small municipalities, and vacancies easing as the programme's doctors arrive. Rana reports its
own posts (and corrects one report); the forum reports for the others.
"""

from __future__ import annotations

from datetime import date

from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.domain.common import Actor, Role, programme_day
from helgeland_pipeline.domain.gp_posts import PostCounts

FORUM = Actor("demo-forum", "Kommuneoverlegeforum Helgeland", Role.FORUM)
RANA = Actor("demo-kommuneoverlege-1833", "Rana kommune", Role.MUNICIPALITY, "1833")
FIRST_YEAR = 2020

# number -> (vacant, held by locums, retirements expected) in October 2020: 15 vacant in all
START: dict[str, tuple[int, int, int]] = {
    "1811": (1, 0, 0),
    "1812": (0, 1, 1),
    "1813": (2, 1, 1),
    "1815": (0, 1, 0),
    "1816": (0, 1, 0),
    "1818": (0, 0, 1),
    "1820": (1, 1, 2),
    "1822": (0, 1, 0),
    "1824": (2, 1, 2),
    "1825": (0, 1, 0),
    "1826": (1, 0, 0),
    "1827": (1, 0, 0),
    "1828": (1, 0, 0),
    "1832": (1, 1, 1),
    "1833": (3, 2, 4),
    "1834": (1, 0, 0),
    "1835": (0, 1, 0),
    "1836": (1, 0, 0),
}


def counts(number: str, population: int, years_in: int) -> PostCounts:
    """A municipality's posts `years_in` years after October 2020: one vacancy in three
    filled each second year, locums fewer as posts are filled, retirements coming closer."""
    total = max(1, round(population / 1000))
    vacant, locums, retiring = START[number]
    vacant = max(0, vacant - (years_in + int(number) % 3) // 3)
    locums = min(locums, total - vacant)
    retiring = min(retiring + (years_in + int(number)) % 2, total - vacant - locums)
    return PostCounts(total, vacant, locums, max(retiring, 0))


def seed_gp_posts(app: PipelineApplication) -> None:
    """Every municipality's report of 15 October each year up to today (Rana's own)."""
    today = programme_day(app.clock())
    for number, municipality in sorted(app.reference.municipalities.items()):
        if number not in START:
            continue
        actor = RANA if number == RANA.municipality else FORUM
        for year in range(FIRST_YEAR, today.year + 1):
            as_of = date(year, 10, 15)
            if as_of > today:
                break
            report = counts(number, municipality.population, year - FIRST_YEAR)
            if number == RANA.municipality and year == FIRST_YEAR + 2:
                # First sent with a locum counted as vacant, then corrected for the same date.
                wrong = PostCounts(report.total, report.vacant + 1, report.held_by_locums - 1, 0)
                app.report_gp_posts(actor, number, as_of, wrong)
            app.report_gp_posts(actor, number, as_of, report)
