"""The slope and relative index of inequality (phe_sii)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from healthgap.methods.inputs import MethodInputError, _ALL, _by, _check_numeric, _fail, _float, _keyed, _require, _where
from healthgap.methods.limits import _expit, _logit, confidence_levels, z_value

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
