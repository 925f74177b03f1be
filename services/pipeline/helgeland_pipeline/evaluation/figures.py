"""The figures: funnel with conversions, Kaplan–Meier retention, Cox model, yearly cycles."""

from __future__ import annotations

import math
import statistics
import warnings
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from helgeland_contracts.evaluation_v1 import (
    CoxModel,
    CoxTerm,
    CurvePoint,
    CycleRow,
    FunnelGroup,
    FunnelStep,
    NationalComparison,
    RetentionGroup,
)

from helgeland_pipeline.evaluation.cohort import (
    FUNNEL_STEPS,
    Doctor,
    RoundInfo,
    group_of,
)
from helgeland_pipeline.evaluation.episodes import DAYS_PER_YEAR
from helgeland_pipeline.reference import ReferenceData

MIN_COX_EVENTS = 10
SHARE_YEARS = (1, 2, 5)


def _grouped(
    doctors: list[Doctor], group_by: str, reference: ReferenceData, rounds: dict[str, RoundInfo]
) -> dict[str, list[Doctor]]:
    groups: dict[str, list[Doctor]] = defaultdict(list)
    for d in doctors:
        groups[group_of(d, group_by, reference, rounds)].append(d)
    return dict(sorted(groups.items()))


def funnel(
    doctors: list[Doctor], group_by: str, reference: ReferenceData, rounds: dict[str, RoundInfo]
) -> list[FunnelGroup]:
    """Per step: how many reached it (each step counted of its own: earlier steps may be
    missing), how many of them came from the previous step, the share of the previous step's
    people who went on, and the days in between (`evaluation_v1.FUNNEL_COUNTING`)."""
    result = []
    grouped = _grouped(doctors, group_by, reference, rounds) or {"all": []}
    for name, members in grouped.items():
        steps: list[FunnelStep] = []
        previous: str | None = None
        for step in FUNNEL_STEPS:
            reached = [d for d in members if step in d.steps]
            if previous is None:
                steps.append(
                    FunnelStep(
                        step=step,
                        count=len(reached),
                        from_previous=None,
                        without_previous=None,
                        conversion=None,
                        median_days_from_previous=None,
                    )
                )
                previous = step
                continue
            came = [d for d in reached if previous in d.steps]
            gaps = [(d.steps[step] - d.steps[previous]).total_seconds() / 86400 for d in came]
            before = sum(previous in d.steps for d in members)
            steps.append(
                FunnelStep(
                    step=step,
                    count=len(reached),
                    from_previous=len(came),
                    without_previous=len(reached) - len(came),
                    conversion=round(len(came) / before, 4) if before else None,
                    median_days_from_previous=round(statistics.median(gaps), 1) if gaps else None,
                )
            )
            previous = step
        result.append(FunnelGroup(group=name, steps=steps))
    return result


def _durations(
    doctors: list[Doctor], scope: str, as_of: datetime
) -> tuple[list[float], list[bool]]:
    """Every stay of every doctor: a doctor who left and came back adds a second stay."""
    stays = [s for d in doctors for s in d.episode_years(scope, as_of)]
    return [s[0] for s in stays], [s[1] for s in stays]


def kaplan_meier(
    durations: list[float], observed: list[bool], label: str, doctors: int | None = None
) -> RetentionGroup:
    """Kaplan–Meier with right-censoring (lifelines), median with 95 % CI, shares at 1/2/5 y.

    Each duration is one stay; `doctors` is how many persons they belong to (default: one
    stay each)."""
    persons = len(durations) if doctors is None else doctors
    from lifelines import KaplanMeierFitter  # noqa: PLC0415 - heavy, only when asked
    from lifelines.utils import median_survival_times  # noqa: PLC0415

    if not durations:
        return RetentionGroup(
            group=label,
            doctors=persons,
            stays=0,
            left=0,
            median_years=None,
            median_ci=(None, None),
            share_in_post={f"{y}y": None for y in SHARE_YEARS},
            curve=[],
        )
    kmf = KaplanMeierFitter().fit(durations, observed, label="stay")
    ci = median_survival_times(kmf.confidence_interval_)
    lower, upper = (_finite(ci.iloc[0, 0]), _finite(ci.iloc[0, 1]))
    table = kmf.event_table
    curve = []
    for t in kmf.survival_function_.index:
        band = kmf.confidence_interval_survival_function_.loc[t]
        curve.append(
            CurvePoint(
                years=round(float(t), 4),
                survival=round(float(kmf.survival_function_.loc[t].iloc[0]), 4),
                lower=round(float(band.iloc[0]), 4),
                upper=round(float(band.iloc[1]), 4),
                at_risk=int(table.loc[t, "at_risk"]),
            )
        )
    max_t = max(durations)
    shares = {
        f"{y}y": round(float(kmf.survival_function_at_times(y).iloc[0]), 4) if y <= max_t else None
        for y in SHARE_YEARS
    }
    return RetentionGroup(
        group=label,
        doctors=persons,
        stays=len(durations),
        left=sum(observed),
        median_years=_finite(kmf.median_survival_time_),
        median_ci=(lower, upper),
        share_in_post=shares,
        curve=curve,
    )


def _finite(value: Any) -> float | None:
    number = float(value)
    return round(number, 3) if math.isfinite(number) else None


def retention(
    doctors: list[Doctor],
    scope: str,
    group_by: str,
    as_of: datetime,
    reference: ReferenceData,
    rounds: dict[str, RoundInfo],
) -> list[RetentionGroup]:
    groups = _grouped(
        [d for d in doctors if "started_lis3" in d.steps], group_by, reference, rounds
    )
    return [
        kaplan_meier(*_durations(members, scope, as_of), name, len(members))
        for name, members in groups.items()
    ]


def national_comparison(
    doctors: list[Doctor], as_of: datetime, reference: ReferenceData, national: dict[str, Any]
) -> list[NationalComparison]:
    """Our median stay in the municipality beside NSDM's GP contract medians, by population."""
    ours = _grouped(doctors, "population_group", reference, {})
    rows = []
    started = [d for d in doctors if "started_lis3" in d.steps]
    for group, median in national["medians_years"].items():
        members = started if group == "all" else ours.get(group, [])
        km = kaplan_meier(*_durations(members, "municipality", as_of), group, len(members))
        rows.append(
            NationalComparison(
                population_group=group,
                our_median_years=km.median_years,
                our_doctors=len(members),
                national_median_years=median,
                source=national["source"],
            )
        )
    return rows


def cox_model(
    doctors: list[Doctor], scope: str, as_of: datetime, reference: ReferenceData, min_cell: int = 1
) -> CoxModel:
    """Cox proportional hazards by centrality class, local connection and preference.

    Each doctor's first stay only: the model assumes independent subjects, and a return is
    not independent of the stay before it.

    A yes/no covariate whose smaller side holds fewer than `min_cell` doctors is left out: its
    hazard ratio would describe those few.
    """
    import pandas as pd  # noqa: PLC0415
    from lifelines import CoxPHFitter  # noqa: PLC0415
    from lifelines.exceptions import ConvergenceError  # noqa: PLC0415

    rows = []
    for d in doctors:
        stay = d.stay_years(scope, as_of)
        municipality = reference.municipalities.get(d.municipality or "")
        if stay is None or municipality is None:
            continue
        rows.append(
            {
                "years": max(stay[0], 1e-3),
                "left": int(stay[1]),
                "centrality_class": municipality.centrality_class,
                "local_connection": int(bool(d.local_connection)),
                "prefers_general_practice": int(d.preference == "general_practice"),
            }
        )
    events = sum(r["left"] for r in rows)
    if events < MIN_COX_EVENTS:
        return CoxModel(
            available=False,
            message=f"not enough events for a Cox model: {events} doctors left, "
            f"at least {MIN_COX_EVENTS} are needed",
            terms=[],
        )
    frame = pd.DataFrame(rows)
    constant = [c for c in frame.columns[2:] if frame[c].nunique() < 2]
    few = [
        c
        for c in ("local_connection", "prefers_general_practice")
        if c not in constant and 0 < min(frame[c].sum(), len(frame) - frame[c].sum()) < min_cell
    ]
    frame = frame.drop(columns=constant + few)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter(penalizer=0.01).fit(frame, duration_col="years", event_col="left")
    except ConvergenceError as error:
        return CoxModel(
            available=False, message=f"the Cox model did not converge: {error}", terms=[]
        )
    summary = cph.summary
    terms = [
        CoxTerm(
            covariate=str(name),
            hazard_ratio=round(float(row["exp(coef)"]), 4),
            ci_lower=round(float(row["exp(coef) lower 95%"]), 4),
            ci_upper=round(float(row["exp(coef) upper 95%"]), 4),
            p=round(float(row["p"]), 4),
        )
        for name, row in summary.iterrows()
    ]
    dropped = f"; constant, left out: {', '.join(constant)}" if constant else ""
    if few:
        dropped += f"; fewer than {min_cell} on one side, left out: {', '.join(few)}"
    return CoxModel(
        available=True, message=f"{len(rows)} doctors, {events} left{dropped}", terms=terms
    )


WEEKS_PER_YEAR = DAYS_PER_YEAR / 7


def cycles(
    doctors: list[Doctor], rounds: dict[str, RoundInfo], as_of: datetime | None = None
) -> list[CycleRow]:
    """Per round: applicants, recruited (accepted a coupled LIS3), weeks of LIS3 service in
    the region (to `as_of`), still in post (a doctor who left and came back is in post again),
    dropped out before LIS3, returned; each round in the yearly cycle of its own year
    (`RoundInfo.cycle_year`), not the year people applied."""
    by_round: dict[str, list[Doctor]] = defaultdict(list)
    for d in doctors:
        if d.round_id is not None and d.round_id in rounds:
            by_round[d.round_id].append(d)
    rows = []
    for round_id, members in by_round.items():
        info = rounds[round_id]
        rows.append(
            CycleRow(
                round=info.name,
                year=info.cycle_year,
                lis1_starts_on=info.lis1_starts_on,
                applicants=len(members),
                recruited=sum("accepted_lis3" in d.steps for d in members),
                still_in_post=sum(d.still_in_post for d in members),
                dropped_out=sum(d.dropout is not None for d in members),
                returned=sum(d.returned for d in members),
                **_service(members, as_of),
            )
        )
    return sorted(rows, key=lambda r: (r.year, r.lis1_starts_on or date.max, r.round))


def _service(members: list[Doctor], as_of: datetime | None) -> dict[str, Any]:
    """Doctors who started LIS3 and their weeks of service in the region up to `as_of`: every
    stay counts (a doctor who left and came back serves again)."""
    if as_of is None:
        return {}
    serving = [d for d in members if d.region_stays.episodes]
    weeks = sum(d.region_stays.total_years(as_of) for d in serving) * WEEKS_PER_YEAR
    return {"served": len(serving), "weeks_of_service": round(weeks, 1)}
