"""Crude rates and proportions with their confidence intervals (phe_rate, phe_proportion)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from healthgap.methods.inputs import _ALL, _by, _check_numeric, _check_on_missing, _fail, _float, _group_sums, _missing_note, _per, _require, _result
from healthgap.methods.limits import Limits, confidence_levels, poisson_limits, wilson_limits

# --------------------------------------------------------------------------------------
# Crude rate and proportion
# --------------------------------------------------------------------------------------


def crude_rate(
    data: pd.DataFrame,
    count: str,
    population: str,
    by: str | Sequence[str] = (),
    confidence: float | Sequence[float] = 0.95,
    multiplier: float = 100_000,
    on_missing: str = "raise",
) -> pd.DataFrame:
    """Crude rate per ``multiplier`` with its Poisson interval (PHEindicatormethods ``phe_rate``).

    Within each group, O = sum(count), N = sum(population) and

        value = O / N * multiplier,   limits = (O_L, O_U) / N * multiplier,

    where (O_L, O_U) are the exact Poisson limits (chi-square; Garwood 1936) when O < 10 and
    Byar's limits (Breslow & Day 1987) otherwise; ``method`` says which. The count may exceed
    the population (a rate, not a proportion). Source: Fingertips technical guidance,
    "Confidence intervals" (APHO Technical Briefing 3, 2008).

    Negative counts and zero or negative populations raise :class:`MethodInputError`. A missing
    count or population raises too, unless ``on_missing="suppress"``: then the group's row is
    returned with NaN and a note, as the reference returns NA. ``count`` and ``denominator``
    in the output are the summed O and N.
    """
    func = "crude_rate"
    by = _by(by)
    levels = confidence_levels(confidence)
    data = _require(data, [count, population, *by], func)
    allow_missing = _check_on_missing(on_missing, func)
    _check_numeric(data, count, func, by, positive=False, allow_missing=allow_missing)
    _check_numeric(data, population, func, by, positive=True, allow_missing=allow_missing)

    totals = _group_sums(data, [count, population], by)
    o, n = _float(totals[count]), _float(totals[population])
    method = poisson_limits(o, levels[0])[2]

    def limits(level: float) -> Limits:
        lower, upper, _ = poisson_limits(o, level)
        return lower / n * multiplier, upper / n * multiplier

    return _result(totals[by or [_ALL]], levels, o / n * multiplier, limits, o, n,
                   f"rate per {_per(multiplier)}", method, _missing_note(o, n))


def proportion(
    data: pd.DataFrame,
    count: str,
    denominator: str,
    by: str | Sequence[str] = (),
    confidence: float | Sequence[float] = 0.95,
    multiplier: float = 1,
    on_missing: str = "raise",
) -> pd.DataFrame:
    """Proportion x/n (times ``multiplier``) with the Wilson score interval (``phe_proportion``).

    Within each group, x = sum(count), n = sum(denominator), value = x / n * multiplier and

        limits = [2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))] / [2(n + z^2)] * multiplier.

    Source: Wilson EB, J Am Stat Assoc 1927;22:209-212; Newcombe RG, Stat Med 1998;17:857-872;
    Fingertips technical guidance, "Confidence intervals". ``multiplier=100`` gives percentages.

    Negative counts, zero denominators and counts above their denominator raise
    :class:`MethodInputError`; missing values raise unless ``on_missing="suppress"``, which
    returns the group's row with NaN and a note.
    """
    func = "proportion"
    by = _by(by)
    levels = confidence_levels(confidence)
    data = _require(data, [count, denominator, *by], func)
    allow_missing = _check_on_missing(on_missing, func)
    _check_numeric(data, count, func, by, positive=False, allow_missing=allow_missing)
    _check_numeric(data, denominator, func, by, positive=True, allow_missing=allow_missing)
    above = (data[count] > data[denominator]).fillna(False)
    _fail(func, count, f"must not exceed '{denominator}'", data, above, by)

    totals = _group_sums(data, [count, denominator], by)
    x, n = _float(totals[count]), _float(totals[denominator])

    def limits(level: float) -> Limits:
        lower, upper = wilson_limits(x, n, level)
        return lower * multiplier, upper * multiplier

    statistic = {1: "proportion", 100: "percentage"}.get(multiplier, f"proportion per {_per(multiplier)}")
    return _result(totals[by or [_ALL]], levels, x / n * multiplier, limits, x, n,
                   statistic, "Wilson", _missing_note(x, n))


