"""Charts: each group's level over time, and the gap of record against its target trajectory.

One figure per indicator and sex, with a panel for the levels and a panel for the gap, each drawn
only where a series has at least two points (a single figure goes in a sentence instead). Markers
tell how each gap was obtained (published, computed from levels, implied by a published change)
by shape as well as shade, so the chart reads in greyscale; provisional points are ringed and
labelled; a method break is drawn as a break. The PNG carries alt text made from the same figures.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from healthgap.analysis import estimates as est  # noqa: E402
from healthgap.analysis.indicator import Analysis  # noqa: E402
from healthgap.page import render  # noqa: E402
from healthgap.read import labels  # noqa: E402
from healthgap.page import sentences as narrative  # noqa: E402
from healthgap.read.periods import period_midpoint, sort_periods  # noqa: E402

COLOURS = {"disadvantaged": "#b2182b", "comparator": "#2166ac", "gap": "#1b1b1b", "target": "#1b7837"}
MARKERS = {est.PUBLISHED: ("o", "full"), est.LEVELS: ("s", "none"), est.IMPLIED: ("D", "none")}
FONT = 9

plt.rcParams.update({"font.size": FONT, "axes.titlesize": FONT + 1, "svg.hashsalt": "healthgap",
                     "path.simplify": True, "text.parse_math": False})
"""Chart text is plain text: a ``$`` in a name from the data is a dollar sign, never mathematics."""

MEASURES = {"absolute": "absolute_gap", "relative": "relative_gap_pct", "absolute_gap": "absolute_gap",
            "relative_gap_pct": "relative_gap_pct"}


def _style(ax: plt.Axes, title: str, ylabel: str) -> None:
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)


def _period_ticks(ax: plt.Axes, periods: list[str]) -> None:
    """A tick per period, labelled; beyond twelve periods every second or third label is shown (the first
    and the last always), so the labels stay readable at 100 % zoom."""
    found = sort_periods(periods)
    step = 1 if len(found) <= 12 else 2 if len(found) <= 24 else 3
    shown = [p if (i % step == 0 or i == len(found) - 1) else "" for i, p in enumerate(found)]
    if step > 1 and len(found) > 1 and (len(found) - 1) % step:
        shown[-1 - (len(found) - 1) % step] = ""  # no two labels side by side at the end
    ax.set_xticks([period_midpoint(p) for p in found], shown, rotation=45, ha="right", fontsize=FONT)


def drawn_groups(analysis: Analysis) -> list[str]:
    """The groups whose levels have at least two periods (only they get a line)."""
    groups = (analysis.comparison.disadvantaged, analysis.comparison.comparator)
    return [g for g in groups if (analysis.levels["group"] == g).sum() >= 2]


def gap_points(analysis: Analysis, measure: str | None = None):
    return [p for p in analysis.record.get(measure or analysis.gap_measure, []) if p.gap is not None]


def relative_axis_label(analysis: Analysis) -> str:
    """'% of England's life expectancy': what a relative gap is a percentage of."""
    level = labels.measure(analysis.indicator.measure)
    return f"% of {render.possessive(analysis.comparator_label)} {level}"


def break_positions(analysis: Analysis) -> list[float]:
    """Where each method break falls on the time axis: half a year before its first period's midpoint."""
    return [period_midpoint(b) - 0.5 for b in analysis.breaks["first_period"]] if not analysis.breaks.empty else []


def draw_breaks(ax: plt.Axes, analysis: Analysis) -> None:
    for x in break_positions(analysis):
        ax.axvline(x, color="#505a5f", linestyle=(0, (2, 2)), linewidth=1)
        ax.annotate("method changed", (x, 1), xycoords=("data", "axes fraction"), xytext=(3, -10),
                    textcoords="offset points", fontsize=FONT - 1, va="top")


def segments(xs: list[float], breaks: list[float]) -> list[list[int]]:
    """Indices of the points on each side of every break: a line is never drawn across one."""
    groups: dict[int, list[int]] = {}
    for i, x in enumerate(xs):
        groups.setdefault(sum(1 for b in breaks if b < x), []).append(i)
    return [groups[k] for k in sorted(groups)]


def levels_panel(ax: plt.Axes, analysis: Analysis, groups: list[str]) -> None:
    meta = analysis.indicator
    roles = {analysis.comparison.disadvantaged: "disadvantaged", analysis.comparison.comparator: "comparator"}
    periods = []
    for group in groups:
        rows = analysis.levels[analysis.levels["group"] == group].sort_values("start")
        colour = COLOURS[roles[group]]
        marker = "o" if roles[group] == "disadvantaged" else "^"
        xs, ys = list(rows["period"].map(period_midpoint)), list(rows["value"])
        for n, part in enumerate(segments(xs, break_positions(analysis))):
            ax.plot([xs[i] for i in part], [ys[i] for i in part], marker=marker, color=colour,
                    label=narrative_label(analysis.label(group)) if n == 0 else None)
        ci = analysis.intervals[analysis.intervals["group"] == group]
        if not ci.empty:
            ax.errorbar(ci["period"].map(period_midpoint), ci["value"],
                        yerr=[ci["value"] - ci["lower_ci"], ci["upper_ci"] - ci["value"]],
                        fmt="none", ecolor=colour, capsize=3, linewidth=1)
        periods += list(rows["period"])
    draw_breaks(ax, analysis)
    _style(ax, f"{meta.title}: both groups", meta.short_unit)
    _period_ticks(ax, periods)
    ax.legend(frameon=False, fontsize=FONT - 1)


def narrative_label(text: str) -> str:
    return text[:1].upper() + text[1:]


def gap_panel(ax: plt.Axes, analysis: Analysis, measure: str | None = None) -> None:
    """The gap of record over time (``measure``: the target's gap by default), with its interval, how each
    figure was obtained, the straight line to the target and the trend projected (for the target's gap)."""
    meta, measure = analysis.indicator, measure or analysis.gap_measure
    own = measure == analysis.gap_measure
    points = gap_points(analysis, measure)
    # one line per method segment: never joined across a break
    for segment in sorted({p.segment for p in points}):
        seg = [p for p in points if p.segment == segment]
        ax.plot([period_midpoint(p.period) for p in seg], [p.gap.value for p in seg], color=COLOURS["gap"],
                linewidth=1.2, zorder=2)
    ci = [p for p in points if p.gap.confidence]
    if ci:
        ax.fill_between([period_midpoint(p.period) for p in ci], [p.gap.lower for p in ci], [p.gap.upper for p in ci],
                        color="#bbbbbb", alpha=0.5, linewidth=0, label="95% confidence interval", zorder=1)
    for basis, (marker, fill) in MARKERS.items():
        chosen = [p for p in points if p.gap.basis == basis]
        if chosen:
            ax.scatter([period_midpoint(p.period) for p in chosen], [p.gap.value for p in chosen], marker=marker,
                       s=36, facecolors=COLOURS["gap"] if fill == "full" else "white", edgecolors=COLOURS["gap"],
                       linewidths=1.2, label=labels.CHART_BASES[basis], zorder=3)
    implied = implied_by_changes(analysis, measure) if own else []
    if implied:
        base = analysis.baseline
        xs = [period_midpoint(base.period)] + [period_midpoint(period) for period, _ in implied]
        ys = [base.gap.value] + [value for _, value in implied]
        ax.plot(xs, ys, linestyle=":", color=COLOURS["gap"], linewidth=1.2, zorder=2,
                label="the gap the published changes imply")
        extra = [(period, value) for period, value in implied
                 if not any(p.period == period and p.gap.basis == est.IMPLIED for p in points)]
        if extra:
            ax.scatter([period_midpoint(period) for period, _ in extra], [value for _, value in extra], marker="D", s=36,
                       facecolors="white", edgecolors=COLOURS["gap"], linewidths=1.2, zorder=3,
                       label=None if any(p.gap.basis == est.IMPLIED for p in points) else labels.CHART_BASES[est.IMPLIED])
    provisional = [p for p in points if p.gap.provisional]
    for p in provisional:
        ax.scatter([period_midpoint(p.period)], [p.gap.value], s=150, facecolors="none", edgecolors=COLOURS["gap"],
                   linestyle=":", linewidths=1, zorder=4)
        ax.annotate("provisional", (period_midpoint(p.period), p.gap.value), textcoords="offset points",
                    xytext=(0, -16), ha="center", fontsize=FONT - 1)
    periods = [p.period for p in points]
    trajectory = analysis.trajectory if own else analysis.trajectory.iloc[0:0]
    if not trajectory.empty:
        ax.plot(trajectory["midpoint"], trajectory["value"], linestyle="--", color=COLOURS["target"],
                label="straight line to the target", zorder=1)
        ax.scatter([trajectory["midpoint"].iloc[-1]], [trajectory["value"].iloc[-1]], marker="*", s=110,
                   color=COLOURS["target"], label="target", zorder=3)
        periods += list(trajectory["period"])
    fan = projection_fan(ax, analysis) if own else None
    if fan is not None:
        periods.append(analysis.outlook.projection.period)
    draw_breaks(ax, analysis)
    _period_ticks(ax, periods)
    values = [p.gap.value for p in points] + [p.gap.upper for p in ci] + list(trajectory["value"])
    values += [value for _, value in implied]
    if fan is not None:
        values.append(fan["value"][-1])
    lows = [*[p.gap.lower for p in ci], *[p.gap.value for p in points], *list(trajectory["value"]),
            *[value for _, value in implied]]
    low = min([0.0, *lows])
    top = max(values) * 1.2
    if zoomed(lows + values):
        spread = max(values) - min(lows)
        low, top = min(lows) - 0.25 * spread, max(values) + 0.35 * spread
    ax.set_ylim(low, top)
    if fan is not None and (max(fan["upper"]) > top or min(fan["lower"]) < low):
        ax.annotate("the interval runs off the chart", (0.99, 0.99), xycoords="axes fraction", ha="right", va="top",
                    fontsize=FONT - 1, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    ylabel = relative_axis_label(analysis) if measure == "relative_gap_pct" else meta.short_unit
    if low > 0:
        ylabel += "\n(the axis does not start at zero)"
    _style(ax, f"{labels.measure(measure).capitalize()}", ylabel)
    ax.legend(frameon=False, fontsize=FONT - 1, loc="upper center", bbox_to_anchor=(0.45, -0.3), ncol=2)


def implied_by_changes(analysis: Analysis, measure: str) -> list[tuple[str, float]]:
    """The gaps the published changes from the baseline imply (:func:`healthgap.analysis.gaps.implied_by_changes`),
    for the gap the target is set on; empty for the other gap."""
    from healthgap.analysis import gaps

    if measure != analysis.gap_measure:
        return []
    return gaps.implied_by_changes(analysis.record.get(measure, []), analysis.baseline)


def zoomed(values: list[float]) -> bool:
    """Whether the gap axis should not start at zero: every value on one side of it and their spread small beside
    their size (under a third of the largest), so that a change of a few per cent, which the verdict is about,
    would be a flat line on an axis from zero."""
    if not values or min(values) <= 0:
        return False
    return (max(values) - min(values)) < max(values) / 3


def projection_fan(ax: plt.Axes, analysis: Analysis) -> dict | None:
    """The trend projected from the latest period to the target period (or horizon): a dash-dot line and a
    hatched fan for its 95% prediction interval (:attr:`Analysis.outlook`), told apart from the gap's own
    line, its confidence band and the straight line to the target by line style and hatching, so in
    greyscale too. None (nothing drawn) without a projection."""
    from healthgap.analysis import projection

    outlook = analysis.outlook
    result = outlook.projection
    points = gap_points(analysis)
    if result is None or not result.enough or not points:
        return None
    start, end = period_midpoint(points[-1].period), period_midpoint(result.period)
    if end <= start:
        return None
    fan = projection.band(result.trend, start, end, confidence=result.confidence)
    ax.fill_between(fan["x"], fan["lower"], fan["upper"], facecolor="none", edgecolor=COLOURS["gap"], alpha=0.45,
                    hatch="////", linewidth=0, label=f"{result.confidence * 100:g}% prediction interval",
                    zorder=0)
    ax.plot(fan["x"], fan["value"], linestyle="-.", color=COLOURS["gap"], linewidth=1.2,
            label=f"trend since {result.since}, projected", zorder=1)
    return fan


class Chart:
    """A chart as the page shows it: a PNG and its alt text. A notebook displays it as an image carrying that
    text (the last value of a cell, or ``display(chart)``)."""

    def __init__(self, figure: plt.Figure, alt: str) -> None:
        self.figure, self.alt = figure, alt
        self._png: bytes | None = None

    @property
    def png(self) -> bytes:
        """The PNG (drawn once; the figure is closed then)."""
        if self._png is None:
            self._png = png(self.figure)
        return self._png

    def _repr_png_(self):
        return self.png, {"alt": self.alt}

    def __repr__(self) -> str:
        return f"Chart: {self.alt}"


def chart(analysis: Analysis, measure: str | None = None, levels: bool = True) -> Chart | None:
    """The section's figure for one indicator and sex: both groups' levels beside the gap, or the gap alone
    (``levels=False``). ``measure``: "absolute" or "relative" (default: the gap the target is set on). None when
    no series has two points (a single figure goes in a sentence instead)."""
    if measure is not None and measure not in MEASURES:
        raise ValueError(f"measure {measure!r}: expected 'absolute' or 'relative'")
    measure = MEASURES.get(measure, analysis.gap_measure)
    groups = drawn_groups(analysis) if levels else []
    has_gap = len(gap_points(analysis, measure)) >= 2
    panels = (["levels"] if groups else []) + (["gap"] if has_gap else [])
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.4 if has_gap else 3.2), dpi=100,
                             squeeze=False)
    alts = []
    for ax, panel in zip(axes[0], panels):
        if panel == "levels":
            levels_panel(ax, analysis, groups)
            alts.append(narrative.levels_alt_text(analysis, groups))
        else:
            gap_panel(ax, analysis, measure)
            alts.append(narrative.gap_alt_text(analysis, measure))
    fig.tight_layout()
    return Chart(fig, " ".join(alts))


def sii_panel(ax: plt.Axes, analysis: Analysis) -> None:
    frame = analysis.sii
    x = frame["period"].map(period_midpoint)
    ax.plot(x, frame["sii"], color=COLOURS["gap"], marker="o", markersize=4, label="slope index of inequality")
    if frame["lower"].notna().all():
        ax.fill_between(x, frame["lower"], frame["upper"], color="#bbbbbb", alpha=0.5, linewidth=0,
                        label="95% confidence interval")
    ax.axhline(0, color="#505a5f", linewidth=0.8)
    _style(ax, "Slope index of inequality across deprivation deciles", analysis.indicator.short_unit)
    _period_ticks(ax, list(frame["period"]))
    ax.legend(frameon=False, fontsize=FONT - 1)


def ranking_panel(ax: plt.Axes, analysis: Analysis) -> None:
    table = analysis.areas
    members = table[table["member"]]
    others = table[~table["member"]]
    for part, colour, marker, label in ((others, "#8c8c8c", "o", "other areas"),
                                        (members, COLOURS["disadvantaged"], "s", narrative_label(analysis.disadvantaged_label))):
        if part["lower"].notna().any():
            ax.errorbar(part["rank"], part["value"], yerr=[part["value"] - part["lower"], part["upper"] - part["value"]],
                        fmt="none", ecolor=colour, alpha=0.35, linewidth=0.6)
        ax.scatter(part["rank"], part["value"], s=10, marker=marker, color=colour, label=label, zorder=3)
    comparator = analysis.levels[(analysis.levels["group"] == analysis.comparison.comparator)
                                 & (analysis.levels["period"] == analysis.latest.period)]
    if not comparator.empty:
        ax.axhline(float(comparator["value"].iloc[0]), color=COLOURS["comparator"], linestyle="--", linewidth=1,
                   label=narrative_label(analysis.comparator_label))
    _style(ax, f"Every area in {analysis.latest.period}, worst first", analysis.indicator.short_unit)
    ax.set_xlabel("rank")
    ax.legend(frameon=False, fontsize=FONT - 1)


def inequality_chart(analysis: Analysis) -> Chart | None:
    """Where the group is made of areas: the slope index of inequality over time beside every area ranked."""
    has_sii = len(analysis.sii) >= 2
    has_areas = len(analysis.areas) >= 2 and analysis.latest is not None
    panels = (["sii"] if has_sii else []) + (["areas"] if has_areas else [])
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.2), dpi=100, squeeze=False)
    alts = []
    for ax, panel in zip(axes[0], panels):
        if panel == "sii":
            sii_panel(ax, analysis)
            alts.append(narrative.sii_alt_text(analysis))
        else:
            ranking_panel(ax, analysis)
            alts.append(narrative.ranking_alt_text(analysis))
    fig.tight_layout()
    return Chart(fig, " ".join(alts))


def charts(analysis: Analysis) -> list[Chart]:
    """Every chart of one analysis as a section shows them by default: levels beside the gap, then (where the group
    is made of areas) the slope index beside every area ranked."""
    return [c for c in (chart(analysis), inequality_chart(analysis)) if c is not None]


def png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes, without a timestamp or software stamp; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def show(drawn: Chart | None) -> None:
    """Display a chart in the notebook as a PNG carrying its alt text (nothing if there is no chart)."""
    if drawn is None:
        return
    from IPython.display import display

    display(drawn)
