"""Standard populations (ESP2013, ESP1976) for direct standardisation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from healthgap.methods.inputs import MethodInputError

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

# --------------------------------------------------------------------------------------
# Standard populations
# --------------------------------------------------------------------------------------


def standard_population(
    name: str, data_dir: str | Path | None = None, max_age: int | None = None
) -> pd.DataFrame:
    """Load a standard population from ``data/standard_populations.csv``.

    ``name`` is ``ESP2013`` (19 bands, 0-4 ... 85-89, 90+), ``ESP2013_21`` (Eurostat's 21
    bands: 0, 1-4, 5-9, ..., 90-94, 95+) or ``ESP1976`` (18 bands, 0-4 ... 80-84, 85+).
    ``max_age`` keeps the bands wholly below that age, e.g. ``max_age=75`` gives 0-4 ... 70-74
    for under-75 mortality; it must fall on a band boundary. Weights are persons in a
    standard population of 100,000 (before any cut); ``source_id`` points to ``sources.csv``.
    """
    path = Path(data_dir) if data_dir is not None else DATA_DIR
    table = pd.read_csv(
        path / "standard_populations.csv",
        dtype={"standard": str, "age_band": str, "age_lower": "int64", "age_upper": "Int64",
               "weight": "float64", "source_id": str},
    )
    names = list(dict.fromkeys(table["standard"]))
    if name not in names:
        raise MethodInputError(f"standard_population: {name!r} is not one of {', '.join(names)}")
    pop = table[table["standard"] == name].reset_index(drop=True)
    if max_age is not None:
        if max_age not in set(pop["age_lower"]):
            raise MethodInputError(
                f"standard_population: max_age {max_age} is not a band boundary of {name}"
            )
        pop = pop[pop["age_lower"] < max_age].reset_index(drop=True)
    return pop


