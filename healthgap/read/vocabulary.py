"""The words the data may use: measures, sexes, statuses, and the key of a published figure."""

MEASURES = (
    "rate",
    "life_expectancy",
    "deaths",
    "change",
    "absolute_gap",
    "relative_gap_pct",
    "pct_change_rate",
    "pct_change_absolute_gap",
    "pct_change_relative_gap",
)
GAP_MEASURES = ("absolute_gap", "relative_gap_pct")
# each gap and the measure of its percentage change from a reference period
GAP_CHANGE_MEASURES = {"absolute_gap": "pct_change_absolute_gap", "relative_gap_pct": "pct_change_relative_gap"}
CHANGE_MEASURES = ("change", "pct_change_rate", *GAP_CHANGE_MEASURES.values())
GROUP_GAP_MEASURES = (*GAP_MEASURES, *GAP_CHANGE_MEASURES.values())  # rows about the gap itself: group "gap"
SEXES = ("persons", "male", "female")
STATUSES = ("published", "estimate", "derived")
"""``published``: as the source gave it; ``estimate``: the source gave it as an estimate;
``derived``: computed by the curator from other published figures."""
KEY = ["indicator", "sex", "period", "group", "measure", "reference_period"]

COUNT_INDICATORS = {
    "dsr_all_ages": "Mortality from all causes, all ages",
    "dsr_under_75": "Mortality from all causes under 75",
    "infant_mortality": "Infant mortality",
    "life_expectancy": "Life expectancy at birth",
}
COUNT_SEXES = {"dsr_all_ages": ("persons", "male", "female"), "dsr_under_75": ("persons", "male", "female"),
         "infant_mortality": ("persons",), "life_expectancy": ("male", "female")}
"""Indicators computed from ONS's count tables (:mod:`healthgap.analysis.counts`), and the sexes each has."""
