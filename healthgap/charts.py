"""Charts: each group's level over time, and the gap against its target trajectory.

Charts are drawn with matplotlib's non-interactive backend and shown as PNG images that carry
alt text generated from the same figures, so a screen-reader user gets the chart's content.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from healthgap import narrative  # noqa: E402
from healthgap.analysis import Analysis  # noqa: E402
from healthgap.data import period_midpoint, sort_periods  # noqa: E402

COLOURS = {"disadvantaged": "#b2182b", "comparator": "#2166ac", "gap": "#4d4d4d", "target": "#1b7837"}
MARKERS = {"levels": "o", "published": "s", "implied by published change": "D"}
BASIS_LABELS = {
    "levels": "gap from the two groups' levels",
    "published": "published gap",
    "implied by published change": "implied by a published change",
}


def _axes(title: str, ylabel: str) -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=110)
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    return fig, ax


def _period_ticks(ax: plt.Axes, periods: list[str]) -> None:
    labels = sort_periods(periods)
    ax.set_xticks([period_midpoint(p) for p in labels], labels, rotation=45, ha="right", fontsize=8)


def levels_chart(analysis: Analysis) -> tuple[plt.Figure, str] | None:
    """Both groups' levels by period; None when no level is known. Returns (figure, alt text)."""
    levels = analysis.levels
    if levels.empty:
        return None
    meta = analysis.indicator
    fig, ax = _axes(
        f"{meta['title']}{narrative.sex_suffix(analysis.sex)}: both groups", narrative.unit_label(meta)
    )
    for role in ("disadvantaged", "comparator"):
        group = meta[f"{role}_group"]
        rows = levels[levels["group"] == group].sort_values("start")
        if rows.empty:
            continue
        x = rows["period"].map(period_midpoint)
        ax.plot(x, rows["value"], marker="o", color=COLOURS[role], label=narrative.capitalise(meta[f"{role}_label"]))
        ci = analysis.intervals[analysis.intervals["group"] == group]
        if not ci.empty:
            ax.errorbar(
                ci["period"].map(period_midpoint), ci["value"],
                yerr=[ci["value"] - ci["lower_ci"], ci["upper_ci"] - ci["value"]],
                fmt="none", ecolor=COLOURS[role], capsize=3, linewidth=1,
            )
    _period_ticks(ax, list(levels["period"]))
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig, narrative.levels_alt_text(analysis)


def gap_chart(analysis: Analysis) -> tuple[plt.Figure, str] | None:
    """The target gap by period with the straight-line trajectory to the target; (figure, alt text)."""
    record = analysis.target_record
    if record.empty:
        return None
    meta = analysis.indicator
    measure = analysis.gap_measure
    fig, ax = _axes(
        f"{meta['title']}{narrative.sex_suffix(analysis.sex)}: {narrative.MEASURE_NAMES[measure]}",
        "%" if measure == "relative_gap_pct" else narrative.unit_label(meta),
    )
    x = record["period"].map(period_midpoint)
    ax.plot(x, record["gap"], color=COLOURS["gap"], linewidth=1.2, zorder=2)
    for basis, rows in record.groupby("gap_basis"):
        ax.scatter(
            rows["period"].map(period_midpoint), rows["gap"], marker=MARKERS.get(basis, "o"),
            color=COLOURS["gap"], label=BASIS_LABELS.get(basis, basis), zorder=3,
        )
    provisional = record[record["revision"] == "provisional"]
    if not provisional.empty:
        ax.scatter(
            provisional["period"].map(period_midpoint), provisional["gap"], s=140, facecolors="none",
            edgecolors=COLOURS["disadvantaged"], label="provisional", zorder=4,
        )
    periods = list(record["period"])
    trajectory = analysis.trajectory
    if not trajectory.empty:
        ax.plot(
            trajectory["midpoint"], trajectory["value"], linestyle="--", color=COLOURS["target"],
            label="straight line to the target", zorder=1,
        )
        ax.scatter([trajectory["midpoint"].iloc[-1]], [trajectory["value"].iloc[-1]], marker="*", s=120,
                   color=COLOURS["target"], label="target", zorder=3)
        periods += list(trajectory["period"])
    _period_ticks(ax, periods)
    highest = max([*record["gap"], *trajectory["value"]]) if not trajectory.empty else record["gap"].max()
    ax.set_ylim(0, highest * 1.15)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig, narrative.gap_alt_text(analysis)


def png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def show(chart: tuple[plt.Figure, str] | None) -> None:
    """Display a chart in the notebook as a PNG carrying its alt text (nothing if there is no chart)."""
    if chart is None:
        return
    from IPython.display import Image, display

    fig, alt = chart
    display(Image(png(fig)), metadata={"image/png": {"alt": alt}})
