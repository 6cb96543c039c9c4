"""One indicator and sex, analysed as of one edition: its levels, its gap record, its target and verdict.

One function, :func:`analyse`, for the national record and an analyst's own data alike: it composes the
levels (:mod:`healthgap.analysis.levels`), the gap record (:mod:`healthgap.analysis.gaps`) and the target
(:mod:`healthgap.analysis.targets`). The notebooks, the summary, the charts, the reconciliation and the tests
all start from it, so every figure they show is computed once, here, and read from the :class:`Analysis` it
returns; the page layer turns it into words, tables and charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from healthgap import methods
from healthgap.analysis import gaps, targets
from healthgap.analysis.gaps import Comparison, GapPoint
from healthgap.read.areas import Group
from healthgap.read.briefing import Briefing, Indicator
from healthgap.read.periods import parse_period, sort_periods
from healthgap.read.vocabulary import GROUP_GAP_MEASURES


@dataclass(frozen=True)
class Analysis:
    """Everything the briefing says about one indicator and sex at one edition, as data.

    ``levels``: the group's and the comparator's values by period (published, or computed from the areas:
    ``method`` says how, in words). ``record``: the gap of record in each period, absolute and relative
    (:func:`healthgap.analysis.gaps.gap_record`). ``target`` and ``assessment``: the target and the verdict.
    ``intervals``: the levels' confidence intervals. ``breaks``: changes of method. Where the group is made of
    areas: ``group`` (its definition), ``share`` (its share of the comparator), ``areas`` (every area in the
    latest period, ranked) and ``sii`` (the slope index of inequality by period). ``horizon``: the period a gap
    without a target is projected to.
    """

    indicator: Indicator
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
    method: str = ""
    share: float = 0.0
    share_of: str = "areas"
    """What the share is of: "population" where the data give populations, else "areas"."""
    group: Group | None = None
    areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    sii: pd.DataFrame = field(default_factory=pd.DataFrame)
    sii_fingertips: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The slope index from Fingertips' own deprivation deciles, where the export carries them (period,
    category_type, sii, lower, upper)."""
    horizon: str | None = None
    statements: tuple[gaps.Statement, ...] = ()
    """What sources said the gap did, in words (``statements.csv``), known by the edition."""
    later: frozenset[str] = frozenset()
    """The ids of the rows whose source came out after the publication the edition stands at (``editions.csv``):
    the page marks a figure resting on them "published later"."""

    @property
    def key(self) -> str:
        return f"{self.comparison.indicator}-{self.sex}"

    @cached_property
    def outlook(self):
        """Where the gap is heading (:func:`healthgap.analysis.projection.outlook`): to the target period, or to
        the configured horizon (``[projection] horizon``). Computed once, read by the text, the summary, the
        chart and its alt text."""
        from healthgap.analysis import projection

        return projection.outlook(self, self.horizon)

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
        if latest is None or self.observations.empty:
            return self.observations.iloc[0:0]
        rows = self.observations[self.observations["preferred"] == "yes"] if not self.observations.empty \
            else self.observations
        return rows[rows["end"] > latest.end]

    # --- the steps of the analysis, as tables a notebook shows --------------------------------------

    def values_table(self) -> pd.DataFrame:
        """The group's and the comparator's value in each period, with their limits (where the data give them)
        and how each was obtained: one row per period."""
        if self.levels.empty:
            return pd.DataFrame(columns=["period"])
        rows = []
        for period in sort_periods(self.levels["period"]):
            row = {"period": period}
            for code, name in ((self.comparison.disadvantaged, "group"), (self.comparison.comparator, "comparator")):
                found = self.levels[(self.levels["period"] == period) & (self.levels["group"] == code)]
                r = found.iloc[0] if not found.empty else None
                row[name] = r["value"] if r is not None else float("nan")
                for end in ("lower", "upper"):
                    row[f"{name}_{end}"] = r[end] if r is not None and end in r else float("nan")
                row[f"{name}_from"] = (r["method"] if "method" in r else r.get("status", "")) if r is not None else ""
            rows.append(row)
        frame = pd.DataFrame(rows)
        return frame.dropna(axis=1, how="all")

    def record_table(self, measure: str | None = None) -> pd.DataFrame:
        """The gap of record (absolute or relative; the target's by default) in each period, with its range and
        how it was obtained, and its change from the baseline."""
        measure = measure or self.gap_measure
        rows = []
        for p in self.record.get(measure, []):
            rows.append({"period": p.period,
                         "gap": p.gap.value if p.gap is not None else float("nan"),
                         "gap_lower": p.gap.lower if p.gap is not None else float("nan"),
                         "gap_upper": p.gap.upper if p.gap is not None else float("nan"),
                         "gap_from": p.gap.basis if p.gap is not None else "",
                         "change_pct": p.change.value if p.change is not None else float("nan"),
                         "change_from": p.change.basis if p.change is not None else "",
                         "since": p.reference, "method_segment": p.segment})
        return pd.DataFrame(rows)

    def verdict_table(self) -> pd.DataFrame:
        """The target and the verdict on it, in one row (empty without a target)."""
        t, v = self.target, self.assessment
        if t is None:
            return pd.DataFrame()
        return pd.DataFrame([{
            "gap": t.measure, "baseline": t.baseline_period, "target_period": t.target_period,
            "cut_pct": t.reduction_pct, "target_gap": t.value.value if t.value is not None else float("nan"),
            "verdict": v.status if v is not None else "", "judged_in": v.period if v is not None else "",
            "change_pct": v.point.change.value if v is not None and v.point is not None else float("nan"),
            "required_pct": v.required.value if v is not None and v.required is not None else float("nan"),
        }])

    def outlook_table(self) -> pd.DataFrame:
        """Where the gap is heading, in one row: the projection with its interval, and the pace (empty where the
        gap is projected nowhere)."""
        o = self.outlook
        p = o.projection
        if p is None:
            return pd.DataFrame()
        row = {"to": p.period, "projected": p.value if p.enough else float("nan"),
               "lower": p.lower if p.enough else float("nan"), "upper": p.upper if p.enough else float("nan"),
               "fitted_on": ", ".join(p.fitted) if p.enough else "too few periods", "verdict": o.verdict or ""}
        if o.pace is not None:
            row.update(pace_achieved=o.pace.achieved, pace_needed=o.pace.needed)
        return pd.DataFrame([row])

    def break_between(self, earlier: str, later: str) -> pd.Series | None:
        """The method break that falls between two periods, if any."""
        for _, b in self.breaks.iterrows():
            if parse_period(earlier)[0] < parse_period(b["first_period"])[0] <= parse_period(later)[0]:
                return b
        return None


def comparison_for(ind: Indicator, sex: str, share: float = 0.0) -> Comparison:
    """Who is compared with whom for one indicator and sex, which way round, and to what precision."""
    return Comparison(indicator=ind.key, sex=sex, disadvantaged=ind.group, comparator=ind.comparator,
                      higher_is_worse=ind.higher_is_worse, decimals=ind.decimals,
                      relative_decimals=ind.relative_decimals, nested=ind.nested, share=share)


def published_gaps(observations: pd.DataFrame) -> pd.DataFrame:
    """The preferred published rows about the gap itself: gaps and percentage changes in gaps."""
    if observations.empty:
        return pd.DataFrame(columns=["period", "measure", "reference_period", "value", "decimals", "id"])
    rows = observations[(observations["group"] == "gap") & observations["measure"].isin(GROUP_GAP_MEASURES)]
    return rows[rows["preferred"] == "yes"].reset_index(drop=True)


def edition_of_indicator(briefing: Briefing, indicator: str, sex: str, levels: pd.DataFrame) -> str:
    """The period an indicator's analysis stands at: the latest period its data hold by the edition (so a figure
    older than that is the "latest available"); the edition itself where its data hold nothing."""
    periods = set(briefing.published(indicator, sex)["period"]) if not briefing.observations.empty else set()
    if not levels.empty:
        periods |= set(levels["period"])
    return sort_periods(periods)[-1] if periods else briefing.edition


def analyse(briefing: Briefing, indicator: str, sex: str) -> Analysis:
    """One indicator and sex, as of the briefing's edition: the two groups' values, the gap record with its
    intervals, the target and its verdict, and, where the group is made of areas, every area ranked and the
    slope index of inequality. Each figure is computed once, here."""
    from healthgap.analysis import levels as hlevels

    ind = briefing.indicator(indicator)
    if sex not in ind.sexes:
        raise ValueError(f"indicator {indicator!r} has no sex {sex!r} (it has: {', '.join(ind.sexes)})")
    observations = briefing.published(indicator, sex)
    levels, method, share = hlevels.group_levels(briefing, indicator, sex)
    edition = edition_of_indicator(briefing, indicator, sex, levels)
    comparison = comparison_for(ind, sex, share)
    target_row = briefing.target(indicator, sex)
    breaks = briefing.breaks_for(indicator)
    break_periods = list(breaks["first_period"]) if not breaks.empty else []
    record = gaps.gap_record(levels, published_gaps(observations), comparison, briefing.baseline(indicator, sex),
                             break_periods)
    target = assessment = None
    if target_row is not None:
        points = record[target_row["gap_measure"]]
        base = next((p for p in points if p.period == target_row["baseline_period"]), None)
        target = targets.make_target(target_row, base, table="targets.csv" if briefing.kind == "tables"
                                     else "briefing.toml")
        assessment = targets.assess(points, target)
    periods = sort_periods(levels["period"]) if not levels.empty else []
    area_rows = hlevels.area_table(briefing, indicator, sex, periods[-1]) if periods else pd.DataFrame()
    return Analysis(
        indicator=ind, comparison=comparison, sex=sex, as_of=edition, observations=observations, levels=levels,
        record=record, target=target, assessment=assessment, intervals=intervals_of(observations, levels),
        breaks=breaks, labels=briefing.labels, method=method, share=share,
        share_of=hlevels.share_of(briefing, ind), group=briefing.group,
        areas=area_rows, sii=hlevels.sii_series(briefing, indicator, sex, periods),
        sii_fingertips=hlevels.sii_of_fingertips_deciles(briefing, indicator, sex),
        horizon=briefing.config.horizon,
        statements=gaps.statements_of(briefing.statements_for(indicator, sex)),
        later=later_rows(briefing, observations))


def later_rows(briefing: Briefing, observations: pd.DataFrame) -> frozenset[str]:
    """The ids of the observations whose source was published after the edition's publication, and of those
    sources themselves (a target's published value names its source), none where the edition names no
    publication."""
    from healthgap.read.tables import published_after

    edition = briefing.publication()
    if edition is None or briefing.sources.empty:
        return frozenset()
    dates = dict(zip(briefing.sources["source_id"], briefing.sources["published"]))
    sources = {s for s, d in dates.items() if published_after(str(d), str(edition["published"]))}
    rows = set() if observations.empty else {r["id"] for _, r in observations.iterrows() if r["source_id"] in sources}
    return frozenset(rows | sources)


def analyse_each_sex(briefing: Briefing, indicator: str | None) -> list[Analysis]:
    """One analysis per sex the indicator shows (none where the section has no indicator in these data)."""
    if indicator is None:
        return []
    return [analyse(briefing, indicator, sex) for sex in briefing.indicator(indicator).sexes]


def intervals_of(observations: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """The levels' confidence intervals: the computed limits of a group made of areas, or, for published
    rates, those a published count implies (:func:`level_intervals`)."""
    if not levels.empty and "lower" in levels and "interval" in levels:
        found = levels[levels["interval"] == "confidence"]
        return pd.DataFrame({"period": found["period"], "group": found["group"], "value": found["value"],
                             "lower_ci": found["lower"], "upper_ci": found["upper"]}).reset_index(drop=True)
    if observations.empty:
        return pd.DataFrame(columns=["period", "group", "value", "lower_ci", "upper_ci"])
    return level_intervals(observations, levels)


def level_intervals(observations: pd.DataFrame, levels: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Confidence intervals for the levels whose event count was published beside the rate.

    A published rate r from O events implies a denominator N = O / r (in the rate's units), so
    :func:`healthgap.methods.crude_rate` on (O, N) with multiplier 1 returns r itself and its
    interval r x (O_L / O, O_U / O), Byar's (or exact Poisson below 10 events). Rates published
    without a count (most of the DH series) get no interval. Columns: ``period``, ``group``,
    ``value``, ``lower_ci``, ``upper_ci``, ``confidence``, ``count``, ``rate_id``, ``count_id``.
    """
    columns = ["period", "group", "value", "lower_ci", "upper_ci", "confidence", "count", "rate_id", "count_id"]
    counts = observations[(observations["measure"] == "deaths") & (observations["preferred"] == "yes")]
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
