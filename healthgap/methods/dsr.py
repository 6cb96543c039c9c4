"""Directly age-standardised rates with Dobson limits (calculate_dsr)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from healthgap.methods.inputs import MethodInputError, _by, _check_numeric, _fail, _float, _fmt, _keyed, _per, _require, _result, _where
from healthgap.methods.limits import Limits, byars_limits, confidence_levels

#: Total events below which a DSR is not published (calculate_dsr; Fingertips guidance).
DSR_MIN_COUNT = 10
#: Total population at or below which life expectancy is not calculated (Toson & Baker 2003;
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


