"""The gap between two independent groups' results: rate difference and rate ratio (MOVER)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from healthgap.methods.inputs import MethodInputError, _by, _float, _fmt, _require, _where

# --------------------------------------------------------------------------------------
# Gaps between two groups
# --------------------------------------------------------------------------------------


def _paired(a: pd.DataFrame, b: pd.DataFrame, by: list[str], func: str) -> pd.DataFrame:
    """Match two result frames on ``by`` and confidence level; suffixes _a and _b."""
    keys = by + ["confidence"]
    a = _require(a, [*keys, "value", "lower_ci", "upper_ci"], func, "a")
    b = _require(b, [*keys, "value", "lower_ci", "upper_ci"], func, "b")
    for name, frame in (("a", a), ("b", b)):
        repeated = frame.duplicated(keys, keep=False)
        if repeated.any():
            raise MethodInputError(
                f"{func}: {name} has more than one row for "
                f"{_where(frame, repeated.idxmax(), keys, None).removeprefix('group ')}: add its grouping columns to by"
            )
    columns = [*keys, "value", "lower_ci", "upper_ci"]
    extra = [c for c in ("statistic", "note") if c in a.columns and c in b.columns]
    paired = a[columns + extra].merge(b[columns + extra], on=keys, how="inner", suffixes=("_a", "_b"), sort=False)
    if paired.empty:
        raise MethodInputError(f"{func}: a and b share no ({', '.join(keys)}) combination")
    if "statistic" in extra:
        differs = paired["statistic_a"] != paired["statistic_b"]
        if differs.any():
            first = paired.loc[differs.idxmax()]
            raise MethodInputError(
                f"{func}: column 'statistic' differs between a and b ({_fmt(first['statistic_a'])} vs "
                f"{_fmt(first['statistic_b'])}) in {_where(paired, differs.idxmax(), keys, None)}"
            )
    return paired


def _gap_note(paired: pd.DataFrame, undefined: np.ndarray, reason: str) -> np.ndarray:
    """Each side's own note (or "value missing"), else ``reason`` where the gap is undefined."""
    notes = []
    for i, row in enumerate(paired.itertuples(index=False)):
        parts = []
        for side in ("a", "b"):
            value = getattr(row, f"value_{side}")
            own = getattr(row, f"note_{side}", "")
            if isinstance(own, str) and own:
                parts.append(f"{side}: {own}")
            elif pd.isna(value):
                parts.append(f"{side}: value missing")
        if not parts and undefined[i]:
            parts.append(reason)
        notes.append("; ".join(parts))
    return np.array(notes, dtype=object)


def _gap_result(paired: pd.DataFrame, by: list[str], value: np.ndarray, lower: np.ndarray,
                upper: np.ndarray, null: float, kind: str, method: str, note: np.ndarray) -> pd.DataFrame:
    missing = np.isnan(value) | np.isnan(lower) | np.isnan(upper)
    excludes = pd.array(np.where(missing, None, (lower > null) | (upper < null)), dtype="boolean")
    statistic = (kind + " in " + paired["statistic_a"].astype(str)) if "statistic_a" in paired.columns else kind
    out = paired[by + ["confidence"]].assign(value=value, lower_ci=lower, upper_ci=upper)
    out = out[by + ["value", "lower_ci", "upper_ci", "confidence"]]
    return out.assign(value_a=paired["value_a"].to_numpy(), value_b=paired["value_b"].to_numpy(),
                      excludes_null=excludes, statistic=statistic, method=method, note=note).reset_index(drop=True)


def rate_difference(a: pd.DataFrame, b: pd.DataFrame, by: str | Sequence[str] = ()) -> pd.DataFrame:
    """Difference a - b between two independent groups' results, with a MOVER interval.

    ``a`` and ``b`` are outputs of :func:`crude_rate`, :func:`dsr`, :func:`proportion` or
    :func:`life_expectancy` (any frame with value, lower_ci, upper_ci, confidence), matched
    on ``by`` and the confidence level. With estimates r and limits (l, u) at level c,

        d = r_a - r_b
        lower = d - sqrt((r_a - l_a)^2 + (u_b - r_b)^2)
        upper = d + sqrt((u_a - r_a)^2 + (r_b - l_b)^2)

    the method of variance estimates recovery (MOVER), which keeps the asymmetry of each
    group's own interval (exact, Byar's, Wilson, Dobson) and reduces to the Wald interval
    d -/+ z sqrt(SE_a^2 + SE_b^2) when both intervals are symmetric. Sources: Newcombe RG.
    Stat Med 1998;17:873-890 (method 10); Zou GY, Donner A. Stat Med 2008;27:1693-1702.

    ``excludes_null`` is True where the interval excludes 0, i.e. the gap differs from zero
    at that level. Where either result is missing or suppressed the row is NaN and ``note``
    carries the reason.
    """
    func = "rate_difference"
    by = _by(by)
    paired = _paired(a, b, by, func)
    ra, la, ua = (_float(paired[f"{c}_a"]) for c in ("value", "lower_ci", "upper_ci"))
    rb, lb, ub = (_float(paired[f"{c}_b"]) for c in ("value", "lower_ci", "upper_ci"))
    d = ra - rb
    lower = d - np.sqrt((ra - la) ** 2 + (ub - rb) ** 2)
    upper = d + np.sqrt((ua - ra) ** 2 + (rb - lb) ** 2)
    note = _gap_note(paired, np.isnan(lower) | np.isnan(upper), "a group's interval is missing")
    return _gap_result(paired, by, d, lower, upper, 0.0, "difference",
                       "MOVER (Newcombe 1998; Zou & Donner 2008)", note)


def rate_ratio(a: pd.DataFrame, b: pd.DataFrame, by: str | Sequence[str] = ()) -> pd.DataFrame:
    """Ratio a / b between two independent groups' results, with a MOVER interval on the log scale.

    Matching as in :func:`rate_difference`. With t = log(r) and each group's limits on the
    log scale (log l, log u):

        R = r_a / r_b
        lower = exp(log R - sqrt((t_a - log l_a)^2 + (log u_b - t_b)^2))
        upper = exp(log R + sqrt((log u_a - t_a)^2 + (t_b - log l_b)^2))

    Source: Zou GY, Donner A. Stat Med 2008;27:1693-1702 (MOVER for ratios via the log
    transformation); Newcombe RG. Confidence Intervals for Proportions and Related Measures
    of Effect Size. CRC Press, 2013, ch. 7. A zero lower limit gives a lower ratio limit of 0
    (b) or an unbounded upper limit (a). Where either value is 0 the ratio's log-scale
    interval is undefined: the row is NaN with a note. ``excludes_null`` is True where the
    interval excludes 1.
    """
    func = "rate_ratio"
    by = _by(by)
    paired = _paired(a, b, by, func)
    ra, la, ua = (_float(paired[f"{c}_a"]) for c in ("value", "lower_ci", "upper_ci"))
    rb, lb, ub = (_float(paired[f"{c}_b"]) for c in ("value", "lower_ci", "upper_ci"))
    zero = (ra <= 0) | (rb <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ta, tb = np.log(np.where(zero, np.nan, ra)), np.log(np.where(zero, np.nan, rb))
        log_ratio = ta - tb
        lower = np.exp(log_ratio - np.sqrt((ta - np.log(la)) ** 2 + (np.log(ub) - tb) ** 2))
        upper = np.exp(log_ratio + np.sqrt((np.log(ua) - ta) ** 2 + (tb - np.log(lb)) ** 2))
    note = _gap_note(paired, zero | np.isnan(lower) | np.isnan(upper),
                     "a value is 0: ratio interval undefined on the log scale")
    return _gap_result(paired, by, np.exp(log_ratio), lower, upper, 1.0, "ratio",
                       "MOVER on the log scale (Zou & Donner 2008)", note)


