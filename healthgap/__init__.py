"""healthgap: health-inequality gaps, targets and their briefing, from sourced data."""

__version__ = "0.1.0"
from healthgap.methods import crude_rate, proportion, dsr, life_expectancy, rate_difference, rate_ratio, standard_population, MethodInputError  # noqa: F401
