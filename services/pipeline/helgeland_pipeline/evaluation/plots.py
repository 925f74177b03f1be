"""PNG plots: the survival curve with its confidence band and at-risk counts; the funnel."""

from __future__ import annotations

import io

import matplotlib as mpl

mpl.use("Agg")  # no screen: render to files

import matplotlib.pyplot as plt
from helgeland_contracts.evaluation_v1 import FunnelGroup, RetentionGroup
from matplotlib.figure import Figure


def survival_png(groups: list[RetentionGroup], title: str, min_cell: int = 1) -> bytes:
    """Kaplan–Meier steps with a 95 % band per group, and at-risk counts under each year.

    The curves arrive cut where fewer than `min_cell` remain at risk; from there the table
    says "<k" instead of a count.
    """
    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    horizon = 0.0
    for group in groups:
        if not group.curve:
            continue
        years = [p.years for p in group.curve]
        horizon = max(horizon, years[-1])
        ax.step(years, [p.survival for p in group.curve], where="post", label=group.group)
        ax.fill_between(
            years,
            [p.lower for p in group.curve],
            [p.upper for p in group.curve],
            step="post",
            alpha=0.2,
        )
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("years since LIS3 start")
    ax.set_ylabel("share still in post")
    ax.set_title(title)
    ax.grid(visible=True, alpha=0.3)
    if any(g.curve for g in groups):
        ax.legend(loc="lower left", fontsize=8)
    ticks = list(range(int(horizon) + 1))
    lines = []
    for group in groups:
        counts = [_at_risk(group, t, min_cell) for t in ticks]
        lines.append(f"{group.group[:18]:>18}: " + "  ".join(f"{c:>3}" for c in counts))
    if lines:
        header = f"{'at risk, year':>18}: " + "  ".join(f"{t:>3}" for t in ticks)
        fig.text(0.02, 0.01, "\n".join([header, *lines]), family="monospace", fontsize=7)
        fig.subplots_adjust(bottom=0.18 + 0.03 * len(lines))
    return _png(fig)


def _at_risk(group: RetentionGroup, year: float, min_cell: int) -> str:
    """Doctors still observed (not yet left nor censored) at `year`, or "<k" past the curve."""
    later = [p.at_risk for p in group.curve if p.years >= year]
    if later:
        return str(later[0])
    return f"<{min_cell}" if min_cell > 1 and group.curve else "0"


def funnel_png(group: FunnelGroup, title: str, min_cell: int = 1) -> bytes:
    """One bar per step; a withheld count (1 to k-1) is an empty bar labelled "<k"."""
    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    names = [s.step.replace("_", " ") for s in group.steps]
    counts = [s.count or 0 for s in group.steps]
    bars = ax.barh(names[::-1], counts[::-1], color="#2b6cb0")
    for bar, step in zip(bars, group.steps[::-1], strict=True):
        share = f" ({step.conversion:.0%})" if step.conversion is not None else ""
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {step.count if step.count is not None else f'<{min_cell}'}{share}",
            va="center",
            fontsize=8,
        )
    ax.set_xlabel("candidates")
    ax.set_title(title)
    fig.tight_layout()
    return _png(fig)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
