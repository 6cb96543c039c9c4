"""healthgap: health-inequality gaps, targets and their briefing, from sourced data.

The statistical methods are importable from the package itself (``from healthgap import dsr``); they are
loaded on first use, so that ``import healthgap`` and the command line start without scipy.
"""

__version__ = "0.1.0"

METHODS = ("crude_rate", "proportion", "dsr", "life_expectancy", "rate_difference", "rate_ratio", "sii",
           "standard_population", "MethodInputError")
__all__ = list(METHODS)


def __getattr__(name: str):
    if name in METHODS:
        from healthgap import methods

        return getattr(methods, name)
    raise AttributeError(f"module 'healthgap' has no attribute {name!r}")
