"""Helpers shared by the tests (importable as ``tests.support``)."""

from __future__ import annotations

from healthgap.analysis.indicator import Analysis, analyse
from healthgap.read.briefing import Briefing


def analysed(briefing: Briefing, indicator: str, sex: str, as_of: str | None = None) -> Analysis:
    """One indicator and sex analysed as of an edition of the briefing's data (the latest by default)."""
    return analyse(briefing.edition_of(as_of) if as_of is not None else briefing, indicator, sex)


class lazy:
    """A module imported on first use (``stats = lazy("scipy.stats")``): collecting the tests, as every worker of
    ``make test-fast`` does, does not pay for importing what only a few of them use."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str):
        import importlib

        return getattr(importlib.import_module(self.name), attribute)
