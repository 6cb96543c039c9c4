"""Statistical methods for public-health indicators, to the standard of PHEindicatormethods.

Each method takes a tidy (long) frame, sums or tabulates it within the groups named by
``by`` and returns a tidy frame with one row per group and confidence level:

    <by columns> [age_band] value lower_ci upper_ci confidence count denominator
    statistic method note

``note`` is empty where a value is published and says why it is not where it is suppressed
(the row is kept, never dropped). Bad input (negative counts, zero or missing denominators,
age bands that do not match, duplicate age bands) raises :class:`MethodInputError` with a
one-line message naming the column and the first offending group and age band.

Methods, and the R function of PHEindicatormethods (UKHSA, v2.1.0) they reproduce:

* :func:`crude_rate` - ``phe_rate``: Byar's interval, exact Poisson below 10 events.
* :func:`proportion` - ``phe_proportion``: Wilson score interval.
* :func:`dsr` - ``calculate_dsr``: directly age-standardised rate, Dobson interval.
* :func:`life_expectancy` - ``phe_life_expectancy``: Chiang II abridged life table,
  Silcocks variance.
* :func:`sii` - ``phe_sii``: slope and relative index of inequality over quantiles by weighted
  least squares, limits by simulation (columns sii, rii and their limits in place of value).
* :func:`rate_difference`, :func:`rate_ratio` - the gap between two independent groups'
  results (MOVER: Newcombe 1998; Zou & Donner 2008). Not in PHEindicatormethods.

General source: Fingertips technical guidance, "Confidence intervals" (APHO Technical
Briefing 3, Eayres D, 2008) and "Life expectancy" (PHE Life Expectancy Calculator).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from statistics import NormalDist

__all__ = [
    "MethodInputError",
    "confidence_levels",
    "z_value",
    "byars_limits",
    "exact_poisson_limits",
    "poisson_limits",
    "wilson_limits",
    "standard_population",
    "crude_rate",
    "proportion",
    "dsr",
    "life_expectancy",
    "sii",
    "rate_difference",
    "rate_ratio",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Events below which a Poisson count gets exact rather than Byar's limits (phe_rate, ISR).
EXACT_BELOW = 10
#: Total events below which a DSR is not published (calculate_dsr; Fingertips guidance).
DSR_MIN_COUNT = 10
#: Total population at or below which life expectancy is not calculated (Toson & Baker 2003;
#: the reference code tests ``<= 5000``).
LE_MIN_POPULATION = 5_000
#: Start ages of the 20-band abridged life table: 0, 1-4, 5-9, ..., 85-89, 90+.
LIFE_TABLE_AGES: tuple[int, ...] = (0, 1, *range(5, 95, 5))

Limits = tuple[np.ndarray, np.ndarray]
Levels = tuple[float, ...]


class MethodInputError(ValueError):
    """Input a method cannot use; the message is one line naming column, group and band."""


# --------------------------------------------------------------------------------------
# Confidence levels and count limits
# --------------------------------------------------------------------------------------


def confidence_levels(confidence: float | Sequence[float]) -> Levels:
    """Validate a confidence level or sequence of levels (each strictly between 0 and 1)."""
    levels = (confidence,) if np.isscalar(confidence) else tuple(confidence)
    if not levels:
        raise MethodInputError("confidence: give at least one level, e.g. 0.95 or (0.95, 0.998)")
    for level in levels:
        if not (isinstance(level, (int, float, np.number)) and 0 < float(level) < 1):
            raise MethodInputError(f"confidence: {level!r} is not a level between 0 and 1 (e.g. 0.95)")
    return tuple(dict.fromkeys(float(level) for level in levels))


def z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile: z = Phi^-1(c + (1 - c)/2); 1.959964 at c = 0.95."""
    return float(NormalDist().inv_cdf(confidence + (1 - confidence) / 2))


def byars_limits(count: np.ndarray | float, confidence: float) -> Limits:
    """Byar's approximate Poisson limits for an observed count O.

    lower = O (1 - 1/(9 O) - z / (3 sqrt(O)))^3,
    upper = (O + 1) (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))^3.

    A negative lower limit is returned as NaN, as the reference does.
    Source: Breslow NE, Day NE. Statistical Methods in Cancer Research, vol. II. IARC, 1987;
    PHEindicatormethods ``byars_lower``/``byars_upper``.
    """
    o = np.asarray(count, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return np.where(lower < 0, np.nan, lower), upper


def _chi2_ppf(q: float, df: np.ndarray) -> np.ndarray:
    """The chi-squared quantile: chi2_q(k) = 2 P^-1(k / 2, q), the inverse of the regularised lower
    incomplete gamma function (scipy.special, imported on first use: scipy is slow to import)."""
    from scipy import special

    return 2 * special.gammaincinv(np.asarray(df, dtype=float) / 2, q)


def _logit(p: np.ndarray, **kwargs) -> np.ndarray:
    from scipy import special

    return special.logit(p, **kwargs)


def _expit(x: np.ndarray, **kwargs) -> np.ndarray:
    from scipy import special

    return special.expit(x, **kwargs)


def exact_poisson_limits(count: np.ndarray | float, confidence: float) -> Limits:
    """Exact Poisson limits for an observed count O, from the chi-square distribution.

    lower = chi2_{(1-c)/2}(2 O) / 2 (0 when O = 0), upper = chi2_{c+(1-c)/2}(2 O + 2) / 2.
    Source: Garwood F. Biometrika 1936;28:437-442; Ulm K. Am J Epidemiol 1990;131:373-375;
    PHEindicatormethods ``phe_rate`` (counts < 10).
    """
    o = np.asarray(count, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(o == 0, 0.0, _chi2_ppf(alpha / 2, 2 * o) / 2)
    upper = _chi2_ppf(confidence + alpha / 2, 2 * o + 2) / 2
    return lower, upper


def poisson_limits(count: np.ndarray | float, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count limits as the reference chooses them: exact below 10 events, Byar's from 10.

    Returns (lower, upper, method) with method "Exact" or "Byars" ("" for a missing count).
    """
    o = np.asarray(count, dtype=float)
    small = o < EXACT_BELOW
    byars = byars_limits(o, confidence)
    # the exact limits only where they are used (the chi-squared quantile needs scipy)
    exact = exact_poisson_limits(o, confidence) if small.any() else (byars[0], byars[1])
    method = np.select([np.isnan(o), small], ["", "Exact"], "Byars")
    return np.where(small, exact[0], byars[0]), np.where(small, exact[1], byars[1]), method


def wilson_limits(successes: np.ndarray | float, trials: np.ndarray | float, confidence: float) -> Limits:
    """Wilson score limits for a proportion x/n, on the 0-1 scale.

    limits = [2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))] / [2(n + z^2)].
    Source: Wilson EB. J Am Stat Assoc 1927;22:209-212; Newcombe RG. Stat Med 1998;17:857-872
    (method 3); PHEindicatormethods ``wilson_lower``/``wilson_upper``. Limits are clipped to
    [0, 1] against floating-point rounding at x = 0 and x = n.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = z_value(confidence)
    centre = 2 * x + z**2
    half_width = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
    scale = 2 * (n + z**2)
    return np.clip((centre - half_width) / scale, 0, 1), np.clip((centre + half_width) / scale, 0, 1)


# --------------------------------------------------------------------------------------
# Standard populations
# --------------------------------------------------------------------------------------


def standard_population(
    name: str, data_dir: str | Path | None = None, max_age: int | None = None
) -> pd.DataFrame:
    """Load a standard population from ``data/standard_populations.csv``.

    ``name`` is ``ESP2013`` (19 bands, 0-4 ... 85-89, 90+), ``ESP2013_21`` (Eurostat's 21
    bands: 0, 1-4, 5-9, ..., 90-94, 95+) or ``ESP1976`` (18 bands, 0-4 ... 80-84, 85+).
    ``max_age`` keeps the bands wholly below that age, e.g. ``max_age=75`` gives 0-4 ... 70-74
    for under-75 mortality; it must fall on a band boundary. Weights are persons in a
    standard population of 100,000 (before any cut); ``source_id`` points to ``sources.csv``.
    """
    path = Path(data_dir) if data_dir is not None else DATA_DIR
    table = pd.read_csv(
        path / "standard_populations.csv",
        dtype={"standard": str, "age_band": str, "age_lower": "int64", "age_upper": "Int64",
               "weight": "float64", "source_id": str},
    )
    names = list(dict.fromkeys(table["standard"]))
    if name not in names:
        raise MethodInputError(f"standard_population: {name!r} is not one of {', '.join(names)}")
    pop = table[table["standard"] == name].reset_index(drop=True)
    if max_age is not None:
        if max_age not in set(pop["age_lower"]):
            raise MethodInputError(
                f"standard_population: max_age {max_age} is not a band boundary of {name}"
            )
        pop = pop[pop["age_lower"] < max_age].reset_index(drop=True)
    return pop


# --------------------------------------------------------------------------------------
# Input checks and the shared tidy-frame plumbing
# --------------------------------------------------------------------------------------

_ALL = "__all_rows__"


def _by(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _fmt(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _where(data: pd.DataFrame, index: object, by: list[str], band: str | None) -> str:
    """Describe the group (and age band) of one row, for an error message."""
    row = data.loc[index]
    group = ", ".join(f"{col}={_fmt(row[col])}" for col in by) if by else "(all rows)"
    return f"group {group}" + (f", age band {_fmt(row[band])}" if band else "")


def _fail(func: str, column: str, problem: str, data: pd.DataFrame, mask: pd.Series,
          by: list[str], band: str | None = None) -> None:
    """Raise one line naming the column and the first row's group and band, if mask has a hit."""
    if mask.any():
        first = mask.idxmax()
        value = data.loc[first, column]
        raise MethodInputError(
            f"{func}: column '{column}' {problem} (found {_fmt(value)}) in {_where(data, first, by, band)}"
        )


def _require(data: pd.DataFrame, columns: Sequence[str], func: str, name: str = "data") -> pd.DataFrame:
    """Check the frame has the columns; return it with a fresh index (rows then have unique labels)."""
    if not isinstance(data, pd.DataFrame):
        raise MethodInputError(f"{func}: {name} must be a pandas DataFrame, not {type(data).__name__}")
    for column in columns:
        if column not in data.columns:
            raise MethodInputError(f"{func}: column '{column}' is not in {name}")
    return data.reset_index(drop=True)


def _check_numeric(data: pd.DataFrame, column: str, func: str, by: list[str], *,
                   positive: bool, allow_missing: bool, band: str | None = None) -> None:
    """Numeric column: no negatives (no zeros if ``positive``), no missing unless allowed."""
    if not pd.api.types.is_numeric_dtype(data[column]):
        raise MethodInputError(f"{func}: column '{column}' is not numeric")
    values = data[column]
    if not allow_missing:
        _fail(func, column, "must not be missing", data, values.isna(), by, band)
    _fail(func, column, "must not be negative", data, values.lt(0).fillna(False), by, band)
    if positive:
        _fail(func, column, "must be greater than 0", data, values.eq(0).fillna(False), by, band)


def _check_on_missing(on_missing: str, func: str) -> bool:
    if on_missing not in ("raise", "suppress"):
        raise MethodInputError(f"{func}: on_missing must be 'raise' or 'suppress', not {on_missing!r}")
    return on_missing == "suppress"


def _keyed(data: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The grouping keys: the ``by`` columns, or one constant key for the whole frame."""
    return (data, by) if by else (data.assign(**{_ALL: 0}), [_ALL])


def _group_sums(data: pd.DataFrame, columns: list[str], by: list[str]) -> pd.DataFrame:
    """Sum columns within groups; a group with any missing value gets a missing sum."""
    frame, keys = _keyed(data, by)
    grouped = frame.groupby(keys, sort=False, dropna=False)
    sums = grouped[columns].sum()
    incomplete = grouped[columns].count().lt(grouped.size(), axis=0)
    return sums.mask(incomplete).reset_index()


def _float(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=float, na_value=np.nan)


def _per(multiplier: float) -> str:
    return f"{int(multiplier):,}" if float(multiplier).is_integer() else f"{multiplier:,}"


def _result(keys: pd.DataFrame, levels: Levels, value: np.ndarray,
            limits: Callable[[float], Limits], count: np.ndarray, denominator: np.ndarray,
            statistic: str, method: np.ndarray | str, note: np.ndarray) -> pd.DataFrame:
    """Assemble the tidy output: one row per key row and confidence level, keys first."""
    keys = keys.drop(columns=[_ALL], errors="ignore").reset_index(drop=True)
    frames = []
    for level in levels:
        lower, upper = limits(level)
        frames.append(keys.assign(
            value=value, lower_ci=lower, upper_ci=upper, confidence=level, count=count,
            denominator=denominator, statistic=statistic, method=method, note=note,
            _row=np.arange(len(keys)),
        ))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["_row", "confidence"], kind="stable").drop(columns="_row").reset_index(drop=True)


def _missing_note(count: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.select(
        [np.isnan(count) & np.isnan(denominator), np.isnan(count), np.isnan(denominator)],
        ["count and denominator missing", "count missing", "denominator missing"],
        "",
    )


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


# --------------------------------------------------------------------------------------
# Directly standardised rate
# --------------------------------------------------------------------------------------

_WEIGHT = "__standard_weight__"


def _attach_standard(data: pd.DataFrame, standard: pd.DataFrame, age_band: str | None,
                     by: list[str], func: str) -> pd.DataFrame:
    """Join a standard-population table's weights to the data by age band label."""
    if age_band is None:
        raise MethodInputError(f"{func}: give age_band= to match the data to the standard population")
    for column in ("age_band", "weight"):
        if column not in standard.columns:
            raise MethodInputError(f"{func}: the standard population table has no '{column}' column")
    weights = dict(zip(standard["age_band"].astype(str), standard["weight"]))
    labels = data[age_band] if pd.api.types.is_string_dtype(data[age_band]) else data[age_band].astype(str)
    position = pd.Index(list(weights)).get_indexer(labels)  # -1 where a label is not a standard band
    _fail(func, age_band, f"must hold only the standard population's bands ({', '.join(weights)})",
          data, pd.Series(position < 0, index=data.index), by, age_band)
    frame, keys = _keyed(data, by)
    # vectorised: a group lacks a band when it holds fewer distinct bands than the standard has
    distinct = frame.assign(_label=labels).groupby(keys, sort=False, dropna=False)["_label"].transform("nunique")
    short = distinct < len(weights)
    if short.any():
        first = frame[short].index[0]
        group = frame.loc[(frame[keys] == frame.loc[first, keys]).all(axis=1)]
        absent = [band for band in weights if band not in set(group[age_band].astype(str))]
        raise MethodInputError(
            f"{func}: column '{age_band}' lacks the standard population's age band '{absent[0]}' "
            f"in {_where(data, first, by, None)}"
        )
    return data.assign(**{_WEIGHT: np.asarray(list(weights.values()), dtype=float)[position]})


def _check_bands(data: pd.DataFrame, weight: str, age_band: str, by: list[str], func: str,
                 per_band: list[str]) -> None:
    """Every group has each age band once, with the same standard weight as in other groups."""
    duplicated = data.duplicated(by + [age_band] + per_band, keep=False)
    _fail(func, age_band, "must not repeat an age band within a group", data, duplicated, by, age_band)
    first_weight = data.groupby(age_band, sort=False, dropna=False)[weight].transform("first")
    _fail(func, weight, "must be the same for an age band in every group", data,
          data[weight].ne(first_weight), by, age_band)
    bands = list(pd.unique(data[age_band]))
    frame, keys = _keyed(data, by)
    distinct = frame.groupby(keys, sort=False, dropna=False)[age_band].transform("nunique")
    short = distinct < len(bands)
    if short.any():
        first = frame[short].index[0]
        group = frame.loc[(frame[keys] == frame.loc[first, keys]).all(axis=1)]
        absent = [band for band in bands if band not in set(group[age_band])]
        raise MethodInputError(
            f"{func}: column '{age_band}' lacks age band {_fmt(absent[0])} (present in other "
            f"groups) in {_where(data, first, by, None)}"
        )


def dsr(
    data: pd.DataFrame,
    count: str,
    population: str,
    standard: str | pd.DataFrame,
    by: str | Sequence[str] = (),
    confidence: float | Sequence[float] = 0.95,
    multiplier: float = 100_000,
    age_band: str | None = None,
    event_frequency: str | None = None,
) -> pd.DataFrame:
    """Directly age-standardised rate with the Dobson interval (``calculate_dsr``).

    Within each group, over age bands i with events x_i, population n_i and standard
    weight w_i:

        DSR = sum(w_i x_i / n_i) / sum(w_i) * multiplier
        V   = sum(w_i^2 x_i / n_i^2) / (sum w_i)^2,   O = sum(x_i)
        limits = DSR + sqrt(V / O) (O_L - O) * multiplier,  DSR + sqrt(V / O) (O_U - O) * multiplier

    where (O_L, O_U) are Byar's limits for O. Where O < 10 the row is kept with NaN and the
    note "total count < 10: DSR not published". Sources: Dobson AJ, Kuulasmaa K, Eberle E,
    Scherer J. Stat Med 1991;10:457-462; Breslow & Day 1987; Fingertips technical guidance.

    ``standard`` is either a column of ``data`` holding each row's standard weight, or a
    table from :func:`standard_population` joined on ``age_band`` labels. With ``age_band``,
    each group must hold every band exactly once (else :class:`MethodInputError`). A missing
    count is treated as 0 events, as the reference does; populations must be > 0.

    Non-independent events (``event_frequency``, needs ``age_band``): rows are (group, band,
    f) and ``count`` holds the persons with f events. Events x_i = sum_f f p_if and the
    variance becomes V = sum_f f^2 sum_i w_i^2 p_if / n_i^2 / (sum w_i)^2, with O the total
    events (PHEindicatormethods ``calculate_dsr(independent_events = FALSE)``). ``count`` and
    ``denominator`` in the output are O and sum(n_i).
    """
    func = "dsr"
    by = _by(by)
    levels = confidence_levels(confidence)
    extra = [c for c in (age_band, event_frequency) if c is not None]
    data = _require(data, [count, population, *by, *extra], func)
    if event_frequency is not None and age_band is None:
        raise MethodInputError(f"{func}: event_frequency needs age_band= to find each band's population")
    if isinstance(standard, pd.DataFrame):
        data, weight = _attach_standard(data, standard, age_band, by, func), _WEIGHT
    elif isinstance(standard, str) and standard in data.columns:
        weight = standard
    else:
        raise MethodInputError(
            f"{func}: standard {standard!r} is neither a column of data nor a table from standard_population()"
        )
    _check_numeric(data, count, func, by, positive=False, allow_missing=True, band=age_band)
    _check_numeric(data, population, func, by, positive=True, allow_missing=False, band=age_band)
    _check_numeric(data, weight, func, by, positive=False, allow_missing=False, band=age_band)
    frequency = pd.Series(1.0, index=data.index)
    if event_frequency is not None:
        _check_numeric(data, event_frequency, func, by, positive=True, allow_missing=False, band=age_band)
        frequency = data[event_frequency].astype(float)
    if age_band is not None:
        _check_bands(data, weight, age_band, by, func, [event_frequency] if event_frequency else [])

    # One row per (group, band): events and variance terms summed over event frequencies.
    rows, keys = _keyed(data, by)
    x = rows[count].fillna(0).astype(float)
    share = rows[weight] / rows[population]
    rows = rows.assign(_events=frequency * x, _var=frequency**2 * x * share**2)
    if event_frequency is not None:
        band_keys = keys + [age_band]
        _fail(func, population, "must be the same on every event-frequency row of an age band", data,
              rows.groupby(band_keys, sort=False, dropna=False)[population].transform("nunique").gt(1),
              by, age_band)
        rows = rows.groupby(band_keys, sort=False, dropna=False).agg(
            _events=("_events", "sum"), _var=("_var", "sum"),
            **{population: (population, "first"), weight: (weight, "first")},
        ).reset_index()
    rows = rows.assign(_weighted=rows[weight] * rows["_events"] / rows[population])
    totals = rows.groupby(keys, sort=False, dropna=False).agg(
        o=("_events", "sum"), n=(population, "sum"), w=(weight, "sum"),
        weighted=("_weighted", "sum"), var=("_var", "sum"),
    ).reset_index()

    o, n = _float(totals["o"]), _float(totals["n"])
    rate = _float(totals["weighted"]) / _float(totals["w"])
    variance = _float(totals["var"]) / _float(totals["w"]) ** 2
    published = o >= DSR_MIN_COUNT

    def limits(level: float) -> Limits:
        o_lower, o_upper = byars_limits(o, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.sqrt(variance / o)
        lower = (rate + scale * (o_lower - o)) * multiplier
        upper = (rate + scale * (o_upper - o)) * multiplier
        return np.where(published, lower, np.nan), np.where(published, upper, np.nan)

    method = "Dobson" if event_frequency is None else "Dobson, with confidence adjusted for non-independent events"
    note = np.where(published, "", f"total count < {DSR_MIN_COUNT}: DSR not published")
    return _result(totals[keys], levels, np.where(published, rate * multiplier, np.nan), limits,
                   o, n, f"dsr per {_per(multiplier)}", method, note)


# --------------------------------------------------------------------------------------
# Life expectancy
# --------------------------------------------------------------------------------------


def _age_lower(label: object) -> int:
    """Start age of a band label: 0, "0", "<1", "1-4", "10 - 14", "90+", "90 +"."""
    if label is None or (not isinstance(label, str) and pd.isna(label)):
        raise ValueError(label)
    if isinstance(label, (int, np.integer)) or (isinstance(label, (float, np.floating)) and float(label).is_integer()):
        return int(label)
    text = str(label).strip()
    if text.startswith("<"):
        return 0
    match = re.match(r"\D*(\d+)", text)
    if match is None:
        raise ValueError(label)
    return int(match.group(1))


def _band_name(age: int) -> str:
    i = LIFE_TABLE_AGES.index(age)
    if i == len(LIFE_TABLE_AGES) - 1:
        return f"{age}+"
    upper = LIFE_TABLE_AGES[i + 1] - 1
    return str(age) if upper == age else f"{age}-{upper}"


def chiang_life_table(ages: np.ndarray, deaths: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`chiang_life_tables` for one group: e_i and SE(e_i) at each band's start age."""
    e, se = chiang_life_tables(ages, np.asarray(deaths, dtype=float)[None, :], np.asarray(population, dtype=float)[None, :])
    return e[0], se[0]


def chiang_life_tables(ages: np.ndarray, deaths: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Life expectancy e_i and its standard error at each band's start age, for many groups at once
    (``deaths`` and ``population`` are groups x bands arrays, bands in age order).

    Abridged life table (Chiang II), bands in age order with an open final band w:
        n_i = width, a_i = 0.1 at age 0 else 0.5, M_i = D_i / P_i,
        q_i = n_i M_i / (1 + n_i M_i (1 - a_i)), or 1 if D_i > P_i / (n_i a_i);  q_w = 1,
        l_0 = 100,000, l_{i+1} = l_i (1 - q_i), d_i = l_i - l_{i+1},
        L_i = n_i (l_{i+1} + a_i d_i),  L_w = l_w / M_w,  T_i = sum_{j>=i} L_j,  e_i = T_i / l_i.
    Variance (Chiang, with Silcocks' term for the open band):
        Var(q_i) = q_i^2 (1 - q_i) / D_i (0 when d_i = 0),
        S_i = sum_{j>=i, j<w} l_j^2 [(1 - a_j) n_j + e_{j+1}]^2 Var(q_j) + (l_w / 2)^2 4 / (D_w M_w^2),
        SE(e_i) = sqrt(S_i) / l_i.
    Sources: Chiang CL. The Life Table and its Applications. Krieger, 1984; Silcocks PBS,
    Jenner DA, Reza R. J Epidemiol Community Health 2001;55:38-43; Eayres DP, Williams ES.
    J Epidemiol Community Health 2004;58:243-249; PHEindicatormethods ``phe_life_expectancy``.
    """
    d = np.asarray(deaths, dtype=float)
    p = np.asarray(population, dtype=float)
    groups, k = d.shape
    width = np.append(np.diff(np.asarray(ages, dtype=float)), np.nan)
    a = np.where(np.asarray(ages) == 0, 0.1, 0.5)
    m = d / p
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(d > p / (width * a), 1.0, width * m / (1 + width * m * (1 - a)))
    q[:, -1] = 1.0
    survivors = 1e5 * np.concatenate([np.ones((groups, 1)), np.cumprod(1 - q[:, :-1], axis=1)], axis=1)
    following = np.concatenate([survivors[:, 1:], np.zeros((groups, 1))], axis=1)
    dying = survivors - following
    person_years = width * (following + a * dying)
    with np.errstate(divide="ignore", invalid="ignore"):
        person_years[:, -1] = survivors[:, -1] / m[:, -1]
        total = np.cumsum(person_years[:, ::-1], axis=1)[:, ::-1]
        e = np.where(survivors == 0, 0.0, total / survivors)
        var_q = np.where(dying == 0, 0.0, q**2 * (1 - q) / d)
        terms = np.empty((groups, k))
        terms[:, :-1] = survivors[:, :-1] ** 2 * ((1 - a[:-1]) * width[:-1] + e[:, 1:]) ** 2 * var_q[:, :-1]
        terms[:, -1] = (survivors[:, -1] / 2) ** 2 * 4 / (d[:, -1] * m[:, -1] ** 2)
        se = np.sqrt(np.cumsum(terms[:, ::-1], axis=1)[:, ::-1]) / survivors
    return e, se


def life_expectancy(
    data: pd.DataFrame,
    deaths: str,
    population: str,
    age_band: str,
    by: str | Sequence[str] = (),
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Life expectancy at each band's start age, abridged life table (``phe_life_expectancy``).

    Each group needs the 20 bands 0, 1-4, 5-9, ..., 85-89, 90+ (``age_band`` holds start
    ages or labels such as "1-4", "90+"). The table and its variance are Chiang's with
    Silcocks' open-band term (see :func:`chiang_life_table` for the formulas); limits are
    e_i -/+ z SE(e_i). Sources: Chiang 1984; Silcocks et al. 2001; Fingertips technical
    guidance (PHE Life Expectancy Calculator).

    Suppression, as the reference applies it (row kept, reason in ``note``):
    deaths > population in any band, total population <= 5,000, or no deaths in the 90+
    band: the whole group is NaN. Where the 95% interval is wider than 20 years
    (1.959964 SE > 10) the value is NaN but its limits are still given.
    Negative or missing deaths, zero or missing populations, missing, extra or duplicate
    bands raise :class:`MethodInputError`. ``count`` and ``denominator`` in the output are
    the deaths and population from that band upward.
    """
    func = "life_expectancy"
    by = _by(by)
    levels = confidence_levels(confidence)
    data = _require(data, [deaths, population, age_band, *by], func)
    if data.empty:
        raise MethodInputError(f"{func}: data has no rows")
    _check_numeric(data, deaths, func, by, positive=False, allow_missing=False, band=age_band)
    _check_numeric(data, population, func, by, positive=True, allow_missing=False, band=age_band)
    known: dict = {}
    for label in pd.unique(data[age_band]):  # each distinct label once
        try:
            known[label] = _age_lower(label)
        except (TypeError, ValueError):
            index = data.index[(data[age_band] == label).to_numpy() if label == label else data[age_band].isna().to_numpy()][0]
            raise MethodInputError(
                f"{func}: column '{age_band}' must hold age bands with a start age (found {_fmt(label)}) "
                f"in {_where(data, index, by, None)}"
            ) from None
    labels = list(known)
    starts = np.asarray(list(known.values()), dtype=int)[pd.Index(labels).get_indexer(data[age_band])]
    frame, keys = _keyed(data.assign(_start=starts), by)
    _fail(func, age_band, "must not repeat an age band within a group", frame,
          frame.duplicated(keys + ["_start"], keep=False), by, age_band)
    _fail(func, age_band, "must hold only the life-table bands 0, 1-4, 5-9, ..., 85-89, 90+", frame,
          ~frame["_start"].isin(LIFE_TABLE_AGES), by, age_band)

    # every group holds the 20 bands once: one (groups x bands) array for all groups at once
    gid = frame.groupby(keys, sort=False, dropna=False).ngroup()
    sizes = gid.map(gid.value_counts())
    if (sizes != len(LIFE_TABLE_AGES)).any():
        first = frame.index[(sizes != len(LIFE_TABLE_AGES)).to_numpy()][0]
        group = frame[gid == gid[first]]
        absent = sorted(set(LIFE_TABLE_AGES) - set(group["_start"]))
        raise MethodInputError(
            f"{func}: column '{age_band}' lacks the life-table band {_band_name(absent[0])} "
            f"in {_where(frame, group.index[0], by, None)}"
        )
    frame = frame.assign(_gid=gid).sort_values(["_gid", "_start"], kind="stable")
    shape = (int(gid.max()) + 1, len(LIFE_TABLE_AGES))
    d = frame[deaths].to_numpy(dtype=float).reshape(shape)
    p = frame[population].to_numpy(dtype=float).reshape(shape)
    labels = frame[age_band].to_numpy().reshape(shape)
    over = d > p
    reason = np.full(shape[0], "", dtype=object)
    no_open = d[:, -1] == 0
    reason[no_open] = "no deaths in the open age band 90+"
    small = p.sum(axis=1) <= LE_MIN_POPULATION
    reason[small] = f"total population <= {LE_MIN_POPULATION:,}"
    first_over = over.argmax(axis=1)
    for g in np.flatnonzero(over.any(axis=1)):
        reason[g] = f"deaths > population in age band {_fmt(labels[g, first_over[g]])}"
    usable = reason == ""
    e = np.full(shape, np.nan)
    se = np.full(shape, np.nan)
    if usable.any():
        e[usable], se[usable] = chiang_life_tables(np.asarray(LIFE_TABLE_AGES), d[usable], p[usable])
    z95 = z_value(0.95)
    note = np.where(z95 * se > 10, "95% CI wider than 20 years: value not published", "").astype(object)
    note = np.where(np.isnan(se) & usable[:, None], "no survivors to this age in the life table", note)
    note[~usable] = (reason[~usable] + ": life expectancy not calculated")[:, None]

    def limits(level: float) -> Limits:
        z = z_value(level)
        return (e - z * se).ravel(), (e + z * se).ravel()

    return _result(
        frame[keys + [age_band]], levels, np.where(note == "", e, np.nan).ravel(), limits,
        np.cumsum(d[:, ::-1], axis=1)[:, ::-1].ravel(), np.cumsum(p[:, ::-1], axis=1)[:, ::-1].ravel(),
        "life expectancy (years)", "Chiang II abridged life table, Silcocks et al. variance", note.ravel().astype(str),
    )


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


# --------------------------------------------------------------------------------------
# Slope index of inequality
# --------------------------------------------------------------------------------------

#: Fewest and most quantiles per group the SII accepts, and the count above which it warns
#: that small quantile populations can make it unstable (phe_sii).
SII_MIN_QUANTILES = 5
SII_MAX_QUANTILES = 100
SII_WARN_ABOVE = 10
#: Fewest simulation repetitions phe_sii accepts.
SII_MIN_REPETITIONS = 1_000

#: value_type -> (f, g, scale): the transform f, its inverse g and the scale's name.
_SII_SCALES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray], str]] = {
    "normal": (np.asarray, np.asarray, ""),
    "rate": (np.log, np.exp, "log"),
    "proportion": (_logit, _expit, "logit"),
}


def _sii_weights(population: np.ndarray) -> np.ndarray:
    """The (k, 2) matrix W with (beta0, beta1) = y @ W for quantiles in order (see :func:`sii`).

    a_i = P_i / sum(P), b_i = cumulative share at the midpoint of quantile i, and with
    b_bar = sum(a_i b_i) (= 1/2): beta1 = sum a_i (b_i - b_bar) y_i / sum a_i (b_i - b_bar)^2,
    beta0 = sum a_i y_i - b_bar beta1. This is the least-squares fit of sqrt(a) y on sqrt(a)
    and b sqrt(a) with no free intercept, in closed form, so it applies to many draws at once.
    """
    a = population / population.sum()
    b = np.cumsum(a) - a / 2
    centre = a @ b
    slope = a * (b - centre) / (a @ (b - centre) ** 2)
    return np.column_stack([a - centre * slope, slope])


def _check_sii_values(data: pd.DataFrame, column: str, func: str, by: list[str], value_type: str) -> None:
    """A value or limit column: numeric, present, finite, and valid on the value type's scale."""
    if not pd.api.types.is_numeric_dtype(data[column]):
        raise MethodInputError(f"{func}: column '{column}' is not numeric")
    values = data[column].astype(float)
    _fail(func, column, "must not be missing", data, values.isna(), by)
    _fail(func, column, "must be finite", data, ~np.isfinite(values), by)
    if value_type == "rate":
        _fail(func, column, "must be greater than 0 for a rate (log scale)", data, values.le(0), by)
    elif value_type == "proportion":
        _fail(func, column, "must be a proportion between 0 and 1", data, values.lt(0) | values.gt(1), by)
        _fail(func, column, "must be strictly between 0 and 1 for a proportion (logit scale)", data,
              values.eq(0) | values.eq(1), by)


def _sii_position(repetitions: int, share: float) -> int:
    """0-based index of the order statistic phe_sii takes: round(R * share), kept within 1..R."""
    return min(max(round(repetitions * share), 1), repetitions) - 1


class _SiiFit(NamedTuple):
    """One group's SII, RII, intercept and note, and its four limits at each confidence level."""

    sii: float
    rii: float
    intercept: float
    note: str
    limits: dict[float, tuple[float, float, float, float]]  # sii_lower, sii_upper, rii_lower, rii_upper


def _sii_group(y: np.ndarray, spread: np.ndarray, population: np.ndarray, value_type: str, transform: bool,
               multiplier: float, repetitions: int, positions: dict[float, tuple[int, int]],
               rng: np.random.Generator) -> _SiiFit:
    """Fit and simulate one group, quantiles in order (the formulas are in :func:`sii`)."""
    f, g, _ = _SII_SCALES[value_type]
    weights = _sii_weights(population)
    beta0, beta1 = (f(y) if transform else y) @ weights
    draws = rng.standard_normal((repetitions, len(y)))  # repetitions x quantiles, on the f scale
    draws *= spread
    draws += f(y)
    if not transform and value_type != "normal":
        g(draws, out=draws)
    intercepts, slopes = weights.T @ draws.T  # (beta0, beta1) of every draw; this way round is fast
    limits: dict[float, tuple[float, float, float, float]] = {}
    note = ""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if transform:
            sii_value = (g(beta0 + beta1) - g(beta0)) * multiplier
            rii_value = g(beta0 + beta1) / g(beta0)
            intercept = g(beta0) * abs(multiplier)
            slopes = np.sort(slopes)
            midpoint = beta0 + beta1 / 2
            for level, (lo, hi) in positions.items():
                ends = slopes[[lo, hi]] if multiplier > 0 else slopes[[hi, lo]]
                high, low = g(midpoint + ends / 2), g(midpoint - ends / 2)
                gap, ratio = (high - low) * multiplier, (high / low if multiplier > 0 else low / high)
                limits[level] = (gap[0], gap[1], ratio[0], ratio[1])
        else:
            sii_value = beta1 * multiplier
            rii_value = (beta0 + beta1) / beta0
            intercept = beta0
            ratios = (intercepts + slopes) / intercepts
            ratios = np.sort(1 / ratios if multiplier < 0 else ratios)
            slopes = np.sort(slopes * multiplier)
            if beta0 == 0:
                rii_value, note = np.nan, "RII undefined: the fitted value at the first quantile's end (b = 0) is 0"
            elif np.any(np.sign(intercepts) != np.sign(beta0)):
                note = "RII limits not given: the simulated fitted value at the first quantile's end crosses 0"
            for level, (lo, hi) in positions.items():
                rii_ends = (np.nan, np.nan) if note else (ratios[lo], ratios[hi])
                limits[level] = (slopes[lo], slopes[hi], *rii_ends)
        if multiplier < 0:
            rii_value = 1 / rii_value
    return _SiiFit(float(sii_value), float(rii_value), float(intercept), note, limits)


def sii(
    data: pd.DataFrame,
    quantile: str,
    population: str,
    value: str,
    lower: str | None = None,
    upper: str | None = None,
    se: str | None = None,
    by: str | Sequence[str] | None = None,
    value_type: str = "normal",
    transform: bool = False,
    confidence: float | Sequence[float] = 0.95,
    repetitions: int = 100_000,
    seed: int | np.random.Generator | None = None,
    multiplier: float = 1.0,
) -> pd.DataFrame:
    """Slope index of inequality (SII) and relative index (RII) over quantiles (``phe_sii``).

    ``data`` has one row per group (``by``) and quantile (e.g. deprivation decile) with its
    ``population`` and indicator ``value``. Quantiles are taken in ascending order of
    ``quantile``: 1 is the most deprived end, as phe_sii expects. Within a group of k
    quantiles (5 to 100; a warning above 10):

        a_i = P_i / sum(P)                      population share
        b_i = a_1 + ... + a_{i-1} + a_i / 2     relative rank (cumulative midpoint)

    and weighted least squares without a free intercept, sqrt(a_i) y_i regressed on sqrt(a_i)
    and b_i sqrt(a_i), gives beta0 (the fitted value at b = 0, the most deprived end) and
    beta1 (the slope across the whole population, b = 0 to 1). With f the transform of the
    value type (identity for "normal", log for "rate", logit for "proportion") and g its
    inverse:

    * ``transform=False``: y = value; SII = beta1 * multiplier, RII = (beta0 + beta1) / beta0,
      intercept = beta0.
    * ``transform=True`` (rate or proportion; needs ``lower`` and ``upper``): y = f(value);
      SII = (g(beta0 + beta1) - g(beta0)) * multiplier, RII = g(beta0 + beta1) / g(beta0),
      intercept = g(beta0) * |multiplier|.

    The RII is inverted when the multiplier is negative (a change of polarity).

    Limits by simulation: each quantile's f(value) is drawn ``repetitions`` times from
    Normal(f(value), SE), where SE is ``se`` (on the f scale: log for rates, logit for
    proportions) or else (f(upper) - f(lower)) / (2 * 1.959964) from the value's 95% limits,
    always at 95% whatever ``confidence`` is. Without ``transform`` the draws are mapped back
    with g and the regression is fitted to every draw (closed form, all draws at once); the
    simulated SIIs (times the multiplier) and RIIs are sorted and the limits at level c are
    those at positions round(R (1 - c')) and round(R c'), c' = c + (1 - c)/2. With
    ``transform`` the simulated slopes s on the f scale give limits s_L, s_U, mapped around
    the midpoint h = beta0 + beta1/2: SII limit = (g(h + s/2) - g(h - s/2)) * multiplier and
    RII limit = g(h + s/2) / g(h - s/2), the two ends swapped (and the RII inverted) for a
    negative multiplier. ``seed`` seeds ``numpy.random.default_rng``: the same seed gives the
    same limits.

    Sources: Low A, Low A. Measuring the gap: quantifying and comparing local health
    inequalities. J Public Health 2004;26:388-395; Mackenbach JP, Kunst AE. Soc Sci Med
    1997;44:757-771; PHEindicatormethods ``phe_sii`` (UKHSA, v2.1.0) and PHE's SII tool.

    Returns one row per group and confidence level: the ``by`` columns, ``sii``,
    ``sii_lower``, ``sii_upper``, ``rii``, ``rii_lower``, ``rii_upper``, ``intercept``,
    ``confidence``, ``quantiles`` (k), ``method`` and ``note`` (why an RII is missing, if it
    is). Missing, negative or non-numeric input, values invalid on the transform's scale (a
    rate <= 0, a proportion outside (0, 1)), a lower limit above the upper, a repeated
    quantile or fewer than 5 or more than 100 quantiles in a group raise
    :class:`MethodInputError`. Unlike phe_sii, incomplete groups are not dropped with a
    warning but raise.
    """
    func = "sii"
    by = [] if by is None else _by(by)
    levels = confidence_levels(confidence)
    if not isinstance(value_type, str) or value_type not in _SII_SCALES:
        raise MethodInputError(
            f"{func}: value_type must be 'normal', 'rate' or 'proportion' (phe_sii's 0, 1, 2), not {value_type!r}"
        )
    f, _, scale = _SII_SCALES[value_type]
    if not isinstance(transform, (bool, np.bool_)):
        raise MethodInputError(f"{func}: transform must be True or False, not {transform!r}")
    if transform and value_type == "normal":
        raise MethodInputError(f"{func}: transform=True needs value_type 'rate' (log) or 'proportion' (logit)")
    if transform and se is not None:
        raise MethodInputError(f"{func}: transform=True takes the SE from lower and upper, not from se (as phe_sii)")
    if se is None and (lower is None or upper is None):
        raise MethodInputError(f"{func}: give se=, or lower= and upper= (the value's 95% confidence limits)")
    if isinstance(repetitions, (bool, np.bool_)) or not isinstance(repetitions, (int, np.integer)) \
            or repetitions < SII_MIN_REPETITIONS:
        raise MethodInputError(
            f"{func}: repetitions must be a whole number of at least {SII_MIN_REPETITIONS:,}, not {repetitions!r}"
        )
    if isinstance(multiplier, (bool, np.bool_)) or not isinstance(multiplier, (int, float, np.number)) \
            or not np.isfinite(multiplier) or multiplier == 0:
        raise MethodInputError(f"{func}: multiplier must be a finite number other than 0, not {multiplier!r}")

    limit_columns = [c for c in (lower, upper) if c is not None]
    se_columns = [se] if se is not None else []
    data = _require(data, [quantile, population, value, *limit_columns, *se_columns, *by], func)
    if data.empty:
        raise MethodInputError(f"{func}: data has no rows")
    _check_numeric(data, quantile, func, by, positive=False, allow_missing=False)
    _check_numeric(data, population, func, by, positive=True, allow_missing=False)
    _check_sii_values(data, value, func, by, value_type)
    for column in limit_columns:
        _check_sii_values(data, column, func, by, value_type)
    if lower is not None and upper is not None:
        _fail(func, lower, f"must not exceed '{upper}'", data, data[lower] > data[upper], by)
    for column in se_columns:
        _check_numeric(data, column, func, by, positive=False, allow_missing=False)
        _fail(func, column, "must be finite", data, ~np.isfinite(data[column].astype(float)), by)

    frame, keys = _keyed(data, by)
    _fail(func, quantile, "must not repeat a quantile within a group", frame,
          frame.duplicated(keys + [quantile], keep=False), by)
    groups = [group.sort_values(quantile, kind="stable")
              for _, group in frame.groupby(keys, sort=False, dropna=False)]
    for group in groups:
        if not SII_MIN_QUANTILES <= len(group) <= SII_MAX_QUANTILES:
            raise MethodInputError(
                f"{func}: column '{quantile}' must hold {SII_MIN_QUANTILES} to {SII_MAX_QUANTILES} quantiles "
                f"per group (found {len(group)}) in {_where(frame, group.index[0], by, None)}"
            )
    many = [group for group in groups if len(group) > SII_WARN_ABOVE]
    if many:
        warnings.warn(
            f"{func}: {len(many[0])} quantiles in {_where(frame, many[0].index[0], by, None)}: with more than "
            f"{SII_WARN_ABOVE} quantiles, small quantile populations can make the SII unstable",
            stacklevel=2,
        )

    z95 = z_value(0.95)
    rng = np.random.default_rng(seed)
    upper_shares = {level: level + (1 - level) / 2 for level in levels}  # c' as phe_sii computes it
    positions = {level: (_sii_position(repetitions, 1 - share), _sii_position(repetitions, share))
                 for level, share in upper_shares.items()}
    fits = []
    for group in groups:
        y = _float(group[value])
        if se is not None:
            spread = _float(group[se])
        else:
            spread = (f(_float(group[upper])) - f(_float(group[lower]))) / (2 * z95)
        fits.append(_sii_group(y, spread, _float(group[population]), value_type, transform, multiplier,
                               repetitions, positions, rng))

    on_scale = f" on the {scale} scale" if transform else ""
    method = f"SII, weighted least squares{on_scale}; limits by simulation ({repetitions:,} repetitions)"
    first_rows = [group.index[0] for group in groups]
    key_frame = frame.loc[first_rows, keys].drop(columns=[_ALL], errors="ignore").reset_index(drop=True)
    frames = []
    for level in levels:
        ends = np.array([fit.limits[level] for fit in fits], dtype=float).reshape(len(fits), 4)
        frames.append(key_frame.assign(
            sii=[fit.sii for fit in fits], sii_lower=ends[:, 0], sii_upper=ends[:, 1],
            rii=[fit.rii for fit in fits], rii_lower=ends[:, 2], rii_upper=ends[:, 3],
            intercept=[fit.intercept for fit in fits], confidence=level,
            quantiles=[len(group) for group in groups], method=method, note=[fit.note for fit in fits],
            _row=np.arange(len(groups)),
        ))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["_row", "confidence"], kind="stable").drop(columns="_row").reset_index(drop=True)
