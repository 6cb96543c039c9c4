"""Gap methods: the absolute and relative gap between two groups, and how a gap has moved.

The gap is oriented so that a positive gap means the disadvantaged group fares worse:
for mortality (higher is worse) it is disadvantaged minus comparator; for life expectancy
(higher is better) it is comparator minus disadvantaged. This is how the Department of Health
monitored its 2010 health-inequality targets (Spearhead Group against England; routine and
manual group against all groups).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from healthgap import data as hd


def absolute_gap(disadvantaged, comparator, higher_is_worse: bool = True):
    """Absolute gap between two groups' levels.

    gap = disadvantaged - comparator when a higher level is worse (mortality rates);
    gap = comparator - disadvantaged when a higher level is better (life expectancy).
    Works on numbers and on aligned pandas Series alike.
    """
    return disadvantaged - comparator if higher_is_worse else comparator - disadvantaged


def relative_gap(disadvantaged, comparator, higher_is_worse: bool = True):
    """Relative gap in per cent: the absolute gap as a percentage of the comparator's level.

    relative gap = 100 x absolute_gap / comparator. For infant mortality this is how much higher
    the routine-and-manual rate is than the all-groups rate (Hansard HC 15 Sep 2004: "13 per
    cent. higher"); for the circulatory rate the gap "as a percentage of the England average"
    (Straight Statistics, 2009); for life expectancy the DH formula was not published and this
    definition is assumed.
    """
    return 100.0 * absolute_gap(disadvantaged, comparator, higher_is_worse) / comparator


def change_since_baseline(value, baseline):
    """Percentage change from a baseline: 100 x (value - baseline) / baseline.

    Negative when the quantity fell. For a gap, a negative change means the gap narrowed;
    e.g. the cancer gap from 20.7 (1995-97) to 18.4 (2004-06): 100 x (18.4 - 20.7) / 20.7 = -11.1 %.
    """
    return 100.0 * (value - baseline) / baseline


def gap_from_change(baseline, change_pct):
    """The gap implied by a published percentage change from a known baseline gap.

    gap = baseline x (1 + change / 100), the inverse of :func:`change_since_baseline`.
    """
    return baseline * (1.0 + change_pct / 100.0)


def consecutive_run(values: Sequence[float]) -> tuple[str, int]:
    """Direction of the latest period-to-period change and how many consecutive changes share it.

    Returns ("declined", 2) when each of the last two changes was a fall and the one before was
    not; ("rose", n), ("unchanged", n) likewise; ("none", 0) with fewer than two values.
    Values are compared as given; a change of exactly zero is "unchanged".
    """
    series = [float(v) for v in values]
    if len(series) < 2:
        return "none", 0
    steps = np.sign(np.diff(series))
    last = steps[-1]
    run = 0
    for step in steps[::-1]:
        if step != last:
            break
        run += 1
    return {-1.0: "declined", 1.0: "rose", 0.0: "unchanged"}[float(last)], run


# --- the gap record of one indicator and sex ------------------------------------------------


RECORD_COLUMNS = [
    "indicator",
    "sex",
    "period",
    "start",
    "end",
    "measure",
    "gap",
    "gap_basis",
    "gap_published",
    "gap_published_id",
    "gap_published_decimals",
    "gap_decimals",
    "change_pct",
    "change_basis",
    "change_published",
    "change_published_id",
    "change_published_decimals",
    "change_decimals",
    "revision",
    "inputs",
]


def levels(observations: pd.DataFrame, indicator: pd.Series, sex: str) -> pd.DataFrame:
    """The two compared groups' levels (rates or life expectancies), one row per group and period."""
    rows = observations[
        (observations["indicator"] == indicator["indicator"])
        & (observations["sex"] == sex)
        & (observations["measure"] == indicator["level_measure"])
        & observations["group"].isin([indicator["disadvantaged_group"], indicator["comparator_group"]])
    ]
    return hd.preferred(rows).reset_index(drop=True)


def gap_record(
    observations: pd.DataFrame,
    indicator: pd.Series,
    sex: str,
    baseline: str,
) -> pd.DataFrame:
    """Every known gap and change since the baseline, one row per period and gap measure.

    For each period the absolute and relative gaps are computed from the two groups' levels
    where both are known (``gap_basis = "levels"``) and any published gap for that period is
    kept beside it for comparison (``gap_published``). Where a level is missing the published
    gap is used (``"published"``). The change since the baseline is computed from the gaps
    (:func:`change_since_baseline`, basis ``"gaps"``) and a published change kept beside it;
    where no gap is known but a change was published, the change is used (``"published"``)
    and the gap it implies is derived from the baseline gap (:func:`gap_from_change`, basis
    ``"implied by published change"``). ``inputs`` lists the ids of the rows each figure
    rests on.
    """
    higher_is_worse = indicator["higher_is_worse"] == "yes"
    mine = hd.preferred(
        observations[(observations["indicator"] == indicator["indicator"]) & (observations["sex"] == sex)]
    )
    lv = levels(observations, indicator, sex)
    rows: dict[tuple[str, str], dict] = {}

    def row(period: str, measure: str) -> dict:
        key = (period, measure)
        if key not in rows:
            start, end = hd.parse_period(period)
            rows[key] = {
                "indicator": indicator["indicator"],
                "sex": sex,
                "period": period,
                "start": start,
                "end": end,
                "measure": measure,
                "gap": np.nan,
                "gap_basis": "",
                "gap_published": np.nan,
                "gap_published_id": "",
                "gap_published_decimals": 0,
                "gap_decimals": int(
                    indicator["relative_gap_decimals" if measure == "relative_gap_pct" else "decimals"]
                ),
                "change_pct": np.nan,
                "change_basis": "",
                "change_published": np.nan,
                "change_published_id": "",
                "change_published_decimals": 0,
                "change_decimals": 1,
                "revision": "final",
                "inputs": [],
            }
        return rows[key]

    def mark_revision(target: dict, revision: str) -> None:
        if revision != "final":
            target["revision"] = revision

    # 1. gaps from levels
    by_group = {group: frame.set_index("period") for group, frame in lv.groupby("group")}
    disadvantaged = by_group.get(indicator["disadvantaged_group"])
    comparator = by_group.get(indicator["comparator_group"])
    if disadvantaged is not None and comparator is not None:
        for period in disadvantaged.index.intersection(comparator.index):
            d, c = disadvantaged.loc[period], comparator.loc[period]
            figures = {
                "absolute_gap": absolute_gap(d["value"], c["value"], higher_is_worse),
                "relative_gap_pct": relative_gap(d["value"], c["value"], higher_is_worse),
            }
            for measure, value in figures.items():
                r = row(period, measure)
                r.update(gap=float(value), gap_basis="levels", inputs=[d["id"], c["id"]])
                mark_revision(r, d["revision"])
                mark_revision(r, c["revision"])

    # 2. published gaps: beside the computed ones, or in their place
    published_gaps = mine[(mine["group"] == "gap") & mine["measure"].isin(hd.GAP_MEASURES)]
    for _, p in published_gaps.iterrows():
        r = row(p["period"], p["measure"])
        r.update(gap_published=p["value"], gap_published_id=p["id"], gap_published_decimals=int(p["decimals"]))
        mark_revision(r, p["revision"])
        if r["gap_basis"] == "":
            r.update(gap=p["value"], gap_basis="published", inputs=[p["id"]], gap_decimals=int(p["decimals"]))

    # 3. changes since the baseline
    published_changes = mine[
        (mine["group"] == "gap")
        & mine["measure"].isin(hd.GAP_CHANGE_MEASURES.values())
        & (mine["reference_period"] == baseline)
    ]
    for measure, change_name in hd.GAP_CHANGE_MEASURES.items():
        base = rows.get((baseline, measure))
        for (period, m), r in list(rows.items()):
            if m != measure or period == baseline or base is None or r["gap_basis"] == "":
                continue
            r.update(change_pct=change_since_baseline(r["gap"], base["gap"]), change_basis="gaps")
        for _, p in published_changes[published_changes["measure"] == change_name].iterrows():
            r = row(p["period"], measure)
            r.update(
                change_published=p["value"], change_published_id=p["id"], change_published_decimals=int(p["decimals"])
            )
            mark_revision(r, p["revision"])
            if r["change_basis"] == "":
                r.update(change_pct=p["value"], change_basis="published", change_decimals=int(p["decimals"]))
                if r["gap_basis"] == "" and base is not None and base["gap_basis"] != "":
                    r.update(
                        gap=gap_from_change(base["gap"], p["value"]),
                        gap_basis="implied by published change",
                        inputs=list(base["inputs"]) + [p["id"]],
                    )
                elif r["gap_basis"] == "":
                    r["inputs"] = [p["id"]]
    if not rows:
        return pd.DataFrame(columns=RECORD_COLUMNS)
    record = pd.DataFrame(list(rows.values()))
    record["inputs"] = record["inputs"].map(lambda ids: ";".join(dict.fromkeys(ids)))
    record = record.sort_values(["measure", "start", "end"], kind="stable").reset_index(drop=True)
    return record[RECORD_COLUMNS]
