"""Periods: labels such as 1995-97, 2008-2010 or 2010, their years, midpoints and order."""

from __future__ import annotations

import re

PERIOD_PATTERN = r"^\d{4}(-(\d{2}|\d{4}))?$"


def parse_period(label: str) -> tuple[int, int]:
    """Parse a period label into its first and last calendar years.

    ``"1995-97"`` -> (1995, 1997); ``"1999-01"`` -> (1999, 2001); ``"2008-2010"`` -> (2008, 2010);
    ``"2010"`` -> (2010, 2010). The two-digit end year is the first year at or after the start
    with those last two digits, so periods may cross a century.
    """
    text = str(label).strip()
    if not re.fullmatch(PERIOD_PATTERN, text):
        raise ValueError(f"period {label!r}: expected a label like 1995-97, 2008-2010 or 2010")
    start_text, _, end_text = text.partition("-")
    start = int(start_text)
    if not end_text:
        return start, start
    if len(end_text) == 4:
        end = int(end_text)
    else:
        end = start - start % 100 + int(end_text)
        if end < start and end + 100 - start <= 10:
            end += 100  # 1999-01 crosses a century; 2006-04 ends before it starts
    if end < start:
        raise ValueError(f"period {label!r}: ends before it starts")
    return start, end


def period_midpoint(label: str) -> float:
    """The middle of a period in years, e.g. 1995-97 -> 1996.0; used to place periods on a time axis."""
    start, end = parse_period(label)
    return (start + end) / 2


def sort_periods(labels) -> list[str]:
    """Distinct period labels in time order (by first, then last year)."""
    return sorted(set(labels), key=parse_period)
