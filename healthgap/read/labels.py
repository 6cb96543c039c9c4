"""Human labels for every code the data and the library use: the one place the page's words for them live.

Codes (``relative_gap_pct``, ``pct_change_absolute_gap``, ``levels``) stay in the data, in
``figures.csv`` and in the code; the page shows only these labels. Group labels come from the
data directory's ``groups.csv``, because groups are data.
"""

from __future__ import annotations

MEASURES = {
    "rate": "rate",
    "life_expectancy": "life expectancy",
    "deaths": "deaths",
    "change": "change in level",
    "absolute_gap": "absolute gap",
    "relative_gap_pct": "relative gap",
    "pct_change_rate": "percentage change in the rate",
    "pct_change_absolute_gap": "percentage change in the absolute gap",
    "pct_change_relative_gap": "percentage change in the relative gap",
}
"""What each ``measure`` of ``observations.csv`` measures, in words."""

SEXES = {"persons": "persons", "male": "males", "female": "females"}
"""Each ``sex`` as a reader would name the group ("males", not "male")."""

BASES = {
    "published": "published",
    "levels": "computed from the two groups' rounded published levels",
    "implied": "implied by the published change from the baseline gap",
    "gaps": "computed from the rounded gaps",
}
"""How a figure was obtained (an :class:`~healthgap.analysis.estimates.Estimate`'s ``basis``)."""

CHART_BASES = {
    "published": "published gap",
    "levels": "computed from published levels",
    "implied": "implied by a published change",
}
"""Legend entries for the gap chart's markers, one per basis."""

REVISIONS = {"final": "", "provisional": "provisional", "revised": "revised"}

LEVEL_NOUNS = {"rate": "rates", "life_expectancy": "life expectancies"}
"""The plural noun for an indicator's levels, for sentences about them."""


def measure(code: str) -> str:
    """The label of a measure code; a code without a label is an error, so none reaches the page."""
    try:
        return MEASURES[code]
    except KeyError:
        raise KeyError(f"measure {code!r} has no label in healthgap.read.labels.MEASURES") from None


def sex(code: str) -> str:
    """'males', 'females' or 'persons'."""
    return SEXES[code]
