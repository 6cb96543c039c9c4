"""The one error of the reading layer: bad input, said in one line."""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """A data table does not meet its schema; the message is one line naming file, line and column."""


def display_name(path: Path) -> str:
    """A path as a user would type it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
