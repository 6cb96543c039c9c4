"""One indicator and sex, analysed as of one edition: its levels, its gap record, its target and verdict.

This composes the data, gap and target modules. The notebooks, the summary, the charts, the
reconciliation and the tests all start from :func:`analyse`, so every figure they show is computed
once, here, and read from the :class:`Analysis` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from healthgap.read import tables as hd
from healthgap.analysis import gaps
from healthgap import methods
from healthgap.analysis import targets
from healthgap.analysis.gaps import Comparison, GapPoint


@dataclass(frozen=True)
class Analysis:
    """Everything the briefing says about one indicator and sex at one edition."""

    indicator: pd.Series
    comparison: Comparison
    sex: str
    as_of: str
    observations: pd.DataFrame
    levels: pd.DataFrame
    record: dict[str, list[GapPoint]]
    target: targets.Target | None
    assessment: targets.Assessment | None
    intervals: pd.DataFrame
    breaks: pd.DataFrame = field(default_factory=pd.DataFrame)
    labels: dict[str, str] = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    """For an analyst's series: ``method`` (how the group's value is computed, in words), ``share`` (its
    share of the comparator), ``group`` (:class:`~healthgap.analysis.groups.Group`), ``areas`` (every area in the
    latest period, ranked) and ``sii`` (the slope index of inequality by period)."""

    @property
    def key(self) -> str:
        return f"{self.comparison.indicator}-{self.sex}"

    @cached_property
    def outlook(self):
        """Where the gap is heading (:func:`healthgap.analysis.projection.outlook`): to the target period, or for an
        analyst's series to the horizon of its configuration (``extras["horizon"]``). Computed once, read by
        the text, the summary, the chart and its alt text."""
        from healthgap.analysis import projection

        return projection.outlook(self, self.extras.get("horizon"))

    @property
    def gap_measure(self) -> str:
        """The gap the target is set on (absolute or relative); absolute where there is no target."""
        return self.target.measure if self.target is not None else "absolute_gap"

    @property
    def other_measure(self) -> str:
        return "relative_gap_pct" if self.gap_measure == "absolute_gap" else "absolute_gap"

    @property
    def points(self) -> list[GapPoint]:
        """The record of the gap the target is set on, in time order."""
        return self.record.get(self.gap_measure, [])

    @property
    def baseline_period(self) -> str | None:
        if self.target is not None:
            return self.target.baseline_period
        return self.points[0].period if self.points else None

    @property
    def baseline(self) -> GapPoint | None:
        return next((p for p in self.points if p.period == self.baseline_period), None)

    @property
    def latest(self) -> GapPoint | None:
        """The latest period of the record (its gap or its change from the baseline is known)."""
        return self.points[-1] if self.points else None

    @property
    def stale(self) -> bool:
        """Whether the latest figure is older than the edition (e.g. cancer's 2005-07 in the 2008-10 edition)."""
        return self.latest is not None and self.latest.period != self.as_of

    @property
    def trajectory(self) -> pd.DataFrame:
        """The straight line from the baseline gap to the target gap (empty without both)."""
        base = self.baseline
        if self.target is None or base is None or base.gap is None or self.target.value is None:
            return pd.DataFrame(columns=["period", "midpoint", "value"])
        return targets.target_trajectory(self.target.baseline_period, base.gap.value, self.target.target_period,
                                         self.target.value.value)

    def label(self, group: str) -> str:
        return self.labels.get(group, group)

    @property
    def disadvantaged_label(self) -> str:
        return self.label(self.comparison.disadvantaged)

    @property
    def comparator_label(self) -> str:
        return self.label(self.comparison.comparator)

    def later_figures(self) -> pd.DataFrame:
        """Rows of the edition dated after the record's latest period (e.g. England-only rates)."""
        latest = self.latest
        if latest is None:
            return self.observations.iloc[0:0]
        rows = hd.preferred(self.observations)
        return rows[rows["end"] > latest.end]

    def break_between(self, earlier: str, later: str) -> pd.Series | None:
        """The method break that falls between two periods, if any."""
        for _, b in self.breaks.iterrows():
            if hd.parse_period(earlier)[0] < hd.parse_period(b["first_period"])[0] <= hd.parse_period(later)[0]:
                return b
        return None


def comparison_for(meta: pd.Series, sex: str) -> Comparison:
    """The :class:`~healthgap.analysis.gaps.Comparison` an ``indicators.csv`` row describes, for one sex."""
    return Comparison(
        indicator=meta["indicator"], sex=sex, disadvantaged=meta["disadvantaged_group"],
        comparator=meta["comparator_group"], higher_is_worse=meta["higher_is_worse"] == "yes",
        decimals=int(meta["decimals"]), relative_decimals=int(meta["relative_gap_decimals"]),
        nested=meta["nested"] == "yes",
    )


def group_levels(observations: pd.DataFrame, meta: pd.Series, sex: str) -> pd.DataFrame:
    """The two compared groups' levels (rates or life expectancies), one preferred row per group and period."""
    rows = observations[
        (observations["indicator"] == meta["indicator"])
        & (observations["sex"] == sex)
        & (observations["measure"] == meta["level_measure"])
        & observations["group"].isin([meta["disadvantaged_group"], meta["comparator_group"]])
    ]
    return hd.preferred(rows).reset_index(drop=True)


def published_gaps(observations: pd.DataFrame) -> pd.DataFrame:
    """The preferred published rows about the gap itself: gaps and percentage changes in gaps."""
    rows = observations[(observations["group"] == "gap") & observations["measure"].isin(hd.GROUP_GAP_MEASURES)]
    return hd.preferred(rows).reset_index(drop=True)


def analyse(dataset: hd.Dataset, indicator: str, sex: str, as_of: str | None = None) -> Analysis:
    """Analyse one indicator and sex with the data known up to ``as_of`` (default: the latest period)."""
    meta = dataset.indicator(indicator)
    if sex not in meta["sexes"].split(";"):
        raise ValueError(f"indicator {indicator!r} has no sex {sex!r} (it has: {meta['sexes'].replace(';', ', ')})")
    observations = hd.as_of(dataset.observations, as_of)
    observations = observations[(observations["indicator"] == indicator) & (observations["sex"] == sex)]
    edition = as_of or hd.latest_period(dataset.observations)
    comparison = comparison_for(meta, sex)
    target_row = dataset.target(indicator, sex)
    baseline = target_row["baseline_period"] if target_row is not None else None
    breaks = dataset.breaks_for(indicator, edition)
    break_periods = list(breaks["first_period"]) if not breaks.empty else []
    levels = group_levels(observations, meta, sex)
    record = gaps.gap_record(levels, published_gaps(observations), comparison, baseline, break_periods)
    target = assessment = None
    if target_row is not None:
        points = record[target_row["gap_measure"]]
        base = next((p for p in points if p.period == target_row["baseline_period"]), None)
        target = targets.make_target(target_row, base)
        assessment = targets.assess(points, target)
    labels = dict(zip(dataset.groups["group"], dataset.groups["label"])) if not dataset.groups.empty else {}
    return Analysis(
        indicator=meta, comparison=comparison, sex=sex, as_of=edition,
        observations=observations.reset_index(drop=True), levels=levels, record=record, target=target,
        assessment=assessment, intervals=level_intervals(observations, levels), breaks=breaks, labels=labels,
    )


def level_intervals(observations: pd.DataFrame, levels: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Confidence intervals for the levels whose event count was published beside the rate.

    A published rate r from O events implies a denominator N = O / r (in the rate's units), so
    :func:`healthgap.methods.crude_rate` on (O, N) with multiplier 1 returns r itself and its
    interval r x (O_L / O, O_U / O), Byar's (or exact Poisson below 10 events). Rates published
    without a count (most of the DH series) get no interval. Columns: ``period``, ``group``,
    ``value``, ``lower_ci``, ``upper_ci``, ``confidence``, ``count``, ``rate_id``, ``count_id``.
    """
    columns = ["period", "group", "value", "lower_ci", "upper_ci", "confidence", "count", "rate_id", "count_id"]
    counts = hd.preferred(observations[observations["measure"] == "deaths"])
    rates = levels[levels["measure"] == "rate"]
    paired = rates.merge(counts, on=["period", "group"], suffixes=("", "_count"))
    if paired.empty:
        return pd.DataFrame(columns=columns)
    data = pd.DataFrame(
        {
            "period": paired["period"],
            "group": paired["group"],
            "events": paired["value_count"],
            "denominator": paired["value_count"] / paired["value"],
        }
    )
    result = methods.crude_rate(data, "events", "denominator", by=["period", "group"], confidence=confidence, multiplier=1)
    result = result.merge(
        paired[["period", "group", "id", "id_count"]].rename(columns={"id": "rate_id", "id_count": "count_id"}),
        on=["period", "group"],
    )
    return result[columns].reset_index(drop=True)


def analyse_all(dataset: hd.Dataset, as_of: str | None = None, indicators: list[str] | None = None) -> list[Analysis]:
    """Every indicator and sex of the dataset (or of ``indicators``), in the order of ``indicators.csv``."""
    return [
        analyse(dataset, row["indicator"], sex, as_of)
        for _, row in dataset.indicators.iterrows()
        if indicators is None or row["indicator"] in indicators
        for sex in row["sexes"].split(";")
    ]
