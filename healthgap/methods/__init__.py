"""Statistical methods for public-health indicators, to the standard of PHEindicatormethods.

Each method takes a tidy (long) frame, sums or tabulates it within the groups named by
``by`` and returns a tidy frame with one row per group and confidence level:

    <by columns> [age_band] value lower_ci upper_ci confidence count denominator
    statistic method note

``note`` is empty where a value is published and says why it is not where it is suppressed
(the row is kept, never dropped). Bad input (negative counts, zero or missing denominators,
age bands that do not match, duplicate age bands) raises :class:`MethodInputError` with a
one-line message naming the column and the first offending group and age band.

Methods, and the R function of PHEindicatormethods (UKHSA, v2.1.0) they reproduce:

* :func:`crude_rate` - ``phe_rate``: Byar's interval, exact Poisson below 10 events.
* :func:`proportion` - ``phe_proportion``: Wilson score interval.
* :func:`dsr` - ``calculate_dsr``: directly age-standardised rate, Dobson interval.
* :func:`life_expectancy` - ``phe_life_expectancy``: Chiang II abridged life table,
  Silcocks variance.
* :func:`sii` - ``phe_sii``: slope and relative index of inequality over quantiles by weighted
  least squares, limits by simulation (columns sii, rii and their limits in place of value).
* :func:`rate_difference`, :func:`rate_ratio` - the gap between two independent groups'
  results (MOVER: Newcombe 1998; Zou & Donner 2008). Not in PHEindicatormethods.

General source: Fingertips technical guidance, "Confidence intervals" (APHO Technical
Briefing 3, Eayres D, 2008) and "Life expectancy" (PHE Life Expectancy Calculator).
"""

from __future__ import annotations

from healthgap.methods.inputs import MethodInputError
from healthgap.methods.limits import confidence_levels, z_value, byars_limits, exact_poisson_limits, poisson_limits, wilson_limits, EXACT_BELOW
from healthgap.methods.standard import standard_population
from healthgap.methods.rates import crude_rate, proportion
from healthgap.methods.dsr import dsr, DSR_MIN_COUNT
from healthgap.methods.life_expectancy import life_expectancy, LE_MIN_POPULATION, LIFE_TABLE_AGES, chiang_life_table, chiang_life_tables
from healthgap.methods.compare import rate_difference, rate_ratio
from healthgap.methods.sii import sii, SII_MIN_QUANTILES, SII_MAX_QUANTILES, SII_MIN_REPETITIONS

__all__ = ["MethodInputError", "confidence_levels", "z_value", "byars_limits", "exact_poisson_limits", "poisson_limits", "wilson_limits", "standard_population", "crude_rate", "proportion", "dsr", "life_expectancy", "sii", "rate_difference", "rate_ratio",
           "EXACT_BELOW", "DSR_MIN_COUNT", "LE_MIN_POPULATION", "LIFE_TABLE_AGES", "chiang_life_table",
           "chiang_life_tables", "SII_MIN_QUANTILES", "SII_MAX_QUANTILES", "SII_MIN_REPETITIONS"]
