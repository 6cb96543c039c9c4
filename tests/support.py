"""Helpers shared by the tests (importable as ``tests.support``)."""

from __future__ import annotations

from healthgap.analysis.indicator import Analysis, analyse
from healthgap.read.briefing import Briefing


def analysed(briefing: Briefing, indicator: str, sex: str, as_of: str | None = None) -> Analysis:
    """One indicator and sex analysed as of an edition of the briefing's data (the latest by default)."""
    return analyse(briefing.edition_of(as_of) if as_of is not None else briefing, indicator, sex)
