"""healthgap: health-inequality gaps, targets and their briefing, from sourced data.

The analysis, step by step, as each indicator's notebook runs it::

    import healthgap as hg

    briefing = hg.load("data", as_of="2004-06")       # every file read and checked once
    indicator = briefing.indicator_for("cancer")      # what the section shows
    hg.rows_used(briefing, indicator.key)             # the rows it rests on
    a = hg.analyse(briefing, indicator.key, "persons")
    a.values_table(), a.record_table(), a.verdict_table(), a.outlook_table()

The statistical methods are importable from the package itself (``from healthgap import dsr``). Everything is
loaded on first use, so that ``import healthgap`` and the command line start without pandas or scipy.
"""

__version__ = "0.2.0"

METHODS = ("crude_rate", "proportion", "dsr", "life_expectancy", "rate_difference", "rate_ratio", "sii",
           "standard_population", "MethodInputError")
ENGINE = {"load": "healthgap.read.briefing", "analyse": "healthgap.analysis.indicator",
          "analyse_each_sex": "healthgap.analysis.indicator", "rows_used": "healthgap.analysis.levels"}
__all__ = [*METHODS, *ENGINE]


def __getattr__(name: str):
    import importlib

    if name in METHODS:
        return getattr(importlib.import_module("healthgap.methods"), name)
    if name in ENGINE:
        return getattr(importlib.import_module(ENGINE[name]), name)
    raise AttributeError(f"module 'healthgap' has no attribute {name!r}")
