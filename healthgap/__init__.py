"""healthgap: health-inequality gaps, targets and their briefing, from sourced data."""

__version__ = "0.1.0"
