"""Checking a method's inputs and shaping its results: one-line errors naming column, group and band."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd


Limits = tuple[np.ndarray, np.ndarray]
Levels = tuple[float, ...]


class MethodInputError(ValueError):
    """Input a method cannot use; the message is one line naming column, group and band."""


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


