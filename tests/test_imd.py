"""The Indices of Deprivation readers (read/imd.py): lower-tier File 10 in long form, upper-tier File 11."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from healthgap.read import areas as hareas
from healthgap.read import imd, layouts
from healthgap.read.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
UPPER = ROOT / "data" / "examples" / "healthy-life-expectancy" / "raw" / "indices_of_deprivation_2025_utla.csv"
LOWER = ROOT / "data" / "examples" / "most-deprived-fifth" / "raw" / "indices_of_deprivation_2025_lad.csv"
CVD = ROOT / "data" / "examples" / "most-deprived-fifth" / "raw" / "preventable-cardiovascular-mortality-england.csv"


def test_groups_keeps_the_lower_tier_reader():
    assert hareas.read_imd is imd.read_imd
    lower = hareas.read_imd(LOWER)
    assert len(lower) == 296 and lower.set_index("area_code").loc["E06000002", "imd_score"] == pytest.approx(40.037, abs=5e-4)


def test_upper_tier_as_published():
    upper = imd.read_imd_upper_tier(UPPER)
    assert list(upper.columns) == ["area_code", "area_name", "imd_score", "imd_rank", "line"]
    assert len(upper) == 153
    assert upper["area_code"].str[:3].value_counts().to_dict() == {"E06": 63, "E09": 33, "E08": 36, "E10": 21}
    first = upper.iloc[0]
    assert (first["area_code"], first["area_name"], first["imd_score"], first["imd_rank"], first["line"]) == \
        ("E06000001", "Hartlepool", 37.58, 5, 2)
    # MHCLG's rank of average score is the order of the scores, 1 the most deprived (checked, not assumed);
    # Tameside and Rotherham tie at 29.836 as published to 3 dp, and MHCLG ranks them on the full score
    low = upper["imd_score"].rank(ascending=False, method="min")
    high = upper["imd_score"].rank(ascending=False, method="max")
    assert ((upper["imd_rank"] >= low) & (upper["imd_rank"] <= high)).all()
    assert sorted(upper["imd_rank"]) == list(range(1, 154))
    assert upper.loc[upper["imd_rank"] == 1, "area_name"].item() == "Blackpool"
    # an upper-tier unitary authority has the same average score in File 10 and File 11
    lower = imd.read_imd(LOWER).set_index("area_code")["imd_score"]
    unitary = upper[upper["area_code"].str[:3].isin(["E06", "E08", "E09"])].set_index("area_code")["imd_score"]
    differ = (unitary - lower.reindex(unitary.index)).abs() > 5e-4
    # ... all 132 but West Northamptonshire, 0.008 lower in File 11 than in File 10 as published
    assert differ.sum() == 1 and unitary[differ].index.tolist() == ["E06000062"]
    assert unitary["E06000062"] - lower["E06000062"] == pytest.approx(-0.008, abs=1e-9)


def test_areas_the_upper_tier_ranking_and_the_series_do_not_share():
    series = layouts.read_ons_els(CVD)
    areas = series.drop_duplicates("area_code")[["area_code", "area_name"]]
    upper = imd.read_imd_upper_tier(UPPER)
    tier = areas[hareas.in_tier(areas["area_code"], "upper")]
    assert len(tier) == 149
    unranked = sorted(set(areas["area_code"]) - set(upper["area_code"]) - {"E92000001"}
                      - set(areas.loc[areas["area_code"].str.startswith(("E12", "E07")), "area_code"]))
    assert unranked == ["E67000001", "E67000002"]  # Hackney with the City, Cornwall with Scilly: combined, not ranked
    assert sorted(set(upper["area_code"]) - set(tier["area_code"])) == ["E06000052", "E06000053", "E09000001", "E09000012"]
    group = hareas.by_deprivation(areas, upper, 0.1, "English Indices of Deprivation 2025", "upper")
    assert len(group.ranked) == 149 and len(group.codes) == 14
    assert set(group.unmatched["area_code"]) == {"E06000052", "E06000053", "E09000001", "E09000012"}


def test_bad_upper_tier_rows(tmp_path):
    lines = UPPER.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "utla.csv"
    bad.write_text(lines[0] + "\n" + lines[1].replace("37.580", "n/a") + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^utla.csv, line 2, column 'IMD - Average score': expected a number, got 'n/a'$"):
        imd.read_imd_upper_tier(bad)
    bad.write_text(lines[0] + "\n" + lines[1].replace("E06000001", "E07000001") + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^utla.csv, line 2, column 'Upper Tier Local Authority District code \(2024\)': "
                                        r"expected an upper-tier area code"):
        imd.read_imd_upper_tier(bad)
    bad.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[1] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^utla.csv, line 3: expected one upper-tier row per area; E06000001 appears twice$"):
        imd.read_imd_upper_tier(bad)
    assert isinstance(imd.read_imd_upper_tier(UPPER), pd.DataFrame)
