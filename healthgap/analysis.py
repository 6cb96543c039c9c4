"""One indicator and sex, analysed as of one period: its levels, gaps, target and verdict.

This composes the data, gap and target modules; the notebooks, the summary table and the
tests all start from :func:`analyse`, so the figures they show are computed once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from healthgap import data as hd
from healthgap import gaps, methods, targets


@dataclass(frozen=True)
class Analysis:
    """Everything the briefing says about one indicator and sex at one edition."""

    indicator: pd.Series
    sex: str
    as_of: str
    observations: pd.DataFrame
    levels: pd.DataFrame
    record: pd.DataFrame
    target: pd.Series | None
    target_gap: float | None
    assessment: targets.Assessment | None
    intervals: pd.DataFrame

    @property
    def gap_measure(self) -> str:
        """The gap the target is set on (absolute or relative); absolute where there is no target."""
        return self.target["gap_measure"] if self.target is not None else "absolute_gap"

    @property
    def target_record(self) -> pd.DataFrame:
        """The record of the gap the target is set on, known rows only, in time order."""
        return self.record_of(self.gap_measure)

    def record_of(self, measure: str) -> pd.DataFrame:
        rows = self.record[(self.record["measure"] == measure) & (self.record["gap_basis"] != "")]
        return rows.sort_values(["start", "end"]).reset_index(drop=True)

    @property
    def baseline(self) -> pd.Series | None:
        """The target's baseline row of the target record, if known."""
        if self.target is None:
            return None
        rows = self.target_record[self.target_record["period"] == self.target["baseline_period"]]
        return None if rows.empty else rows.iloc[0]

    @property
    def latest(self) -> pd.Series | None:
        """The latest row of the target record (the gap or change at the edition's latest period)."""
        record = self.target_record
        return None if record.empty else record.iloc[-1]

    @property
    def trajectory(self) -> pd.DataFrame:
        """The straight line from the baseline gap to the target gap (empty without both)."""
        if self.target is None or self.baseline is None or self.target_gap is None:
            return pd.DataFrame(columns=["period", "midpoint", "value"])
        return targets.target_trajectory(
            self.target["baseline_period"], float(self.baseline["gap"]), self.target["target_period"], self.target_gap
        )

    @property
    def provisional(self) -> bool:
        latest = self.latest
        return latest is not None and latest["revision"] == "provisional"


def analyse(dataset: hd.Dataset, indicator: str, sex: str, as_of: str | None = None) -> Analysis:
    """Analyse one indicator and sex with the data known up to ``as_of`` (default: the latest period)."""
    meta = dataset.indicator(indicator)
    if sex not in meta["sexes"].split(";"):
        raise ValueError(f"indicator {indicator!r} has no sex {sex!r} (it has: {meta['sexes'].replace(';', ', ')})")
    observations = hd.as_of(dataset.observations, as_of)
    observations = observations[(observations["indicator"] == indicator) & (observations["sex"] == sex)]
    edition = as_of or hd.latest_period(dataset.observations)
    target = dataset.target(indicator, sex)
    baseline = target["baseline_period"] if target is not None else None
    record = gaps.gap_record(observations, meta, sex, baseline or "")
    level_rows = gaps.levels(observations, meta, sex)
    analysis = Analysis(
        indicator=meta,
        sex=sex,
        as_of=edition,
        observations=observations.reset_index(drop=True),
        levels=level_rows,
        record=record,
        target=target,
        target_gap=None,
        assessment=None,
        intervals=level_intervals(observations, level_rows),
    )
    if target is None:
        return analysis
    base = analysis.baseline
    target_gap = targets.target_value(float(base["gap"]), float(target["reduction_pct"])) if base is not None else None
    assessment = targets.assess(
        analysis.target_record, target["baseline_period"], target["target_period"], float(target["reduction_pct"])
    )
    return replace(analysis, target_gap=target_gap, assessment=assessment)


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


def analyse_all(dataset: hd.Dataset, as_of: str | None = None) -> list[Analysis]:
    """Every indicator and sex of the dataset, in the order of ``indicators.csv``."""
    return [
        analyse(dataset, row["indicator"], sex, as_of)
        for _, row in dataset.indicators.iterrows()
        for sex in row["sexes"].split(";")
    ]
