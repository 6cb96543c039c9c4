"""Life expectancy by the Chiang II abridged life table with Silcocks' variance (phe_life_expectancy)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from healthgap.methods.inputs import MethodInputError, _by, _check_numeric, _fail, _fmt, _keyed, _require, _result, _where
from healthgap.methods.limits import Limits, confidence_levels, z_value

#: Total population at or below which life expectancy is not calculated (Toson & Baker 2003;
#: the reference code tests ``<= 5000``).
LE_MIN_POPULATION = 5_000
#: Start ages of the 20-band abridged life table: 0, 1-4, 5-9, ..., 85-89, 90+.
LIFE_TABLE_AGES: tuple[int, ...] = (0, 1, *range(5, 95, 5))
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


