"""Gap methods against hand calculations and the published figures."""

from __future__ import annotations

import pandas as pd
import pytest

from healthgap.analysis import analyse
from healthgap.gaps import absolute_gap, change_since_baseline, consecutive_run, gap_from_change, relative_gap


def test_absolute_and_relative_gap_mortality():
    # circulatory 1995-97: Spearhead 178, England 141.3 (Straight Statistics 2009)
    assert absolute_gap(178, 141.3) == pytest.approx(36.7)  # published gap 36.7
    assert relative_gap(178, 141.3) == pytest.approx(100 * 36.7 / 141.3)  # = 25.97 %; published 25.9 %


def test_gap_orientation_for_life_expectancy():
    # male LE 1995-97: Spearhead 72.7, England 74.6 -> gap 1.9 years, 1.9 / 74.6 = 2.547 %
    assert absolute_gap(72.7, 74.6, higher_is_worse=False) == pytest.approx(1.9)
    assert relative_gap(72.7, 74.6, higher_is_worse=False) == pytest.approx(2.5469, abs=1e-4)


def test_change_since_baseline_cancer():
    # (18.4 - 20.7) / 20.7 = -11.1 %; the DH published -11.3 % from unrounded gaps
    assert change_since_baseline(18.4, 20.7) == pytest.approx(-11.111, abs=1e-3)
    assert gap_from_change(20.7, change_since_baseline(18.4, 20.7)) == pytest.approx(18.4)


def test_series_work_elementwise():
    d, c = pd.Series([6.3, 5.4]), pd.Series([5.6, 4.7])
    # infant mortality 1997-99 and 2005-07: 6.3/5.6 - 1 = 12.5 %, 5.4/4.7 - 1 = 14.9 %
    assert relative_gap(d, c).round(1).tolist() == [12.5, 14.9]


@pytest.mark.parametrize(
    "values, expected",
    [
        ([19, 19, 18, 17], ("declined", 2)),  # DH relative gaps 2002-04..2004-06: "second consecutive" fall
        ([20.7, 18.1, 18.4], ("rose", 1)),  # cancer gap: "a slight rise" in 2004-06
        ([1, 2, 3, 4], ("rose", 3)),
        ([16, 16], ("unchanged", 1)),
        ([5], ("none", 0)),
    ],
)
def test_consecutive_run(values, expected):
    assert consecutive_run(values) == expected


def test_gap_record_prefers_levels_and_keeps_published(dataset):
    a = analyse(dataset, "circulatory", "persons")
    rel = a.record_of("relative_gap_pct").set_index("period")
    # 1995-97: levels give 36.7 / 141.3 = 25.97 %, the published 25.9 % is kept beside it
    assert rel.loc["1995-97", "gap_basis"] == "levels"
    assert rel.loc["1995-97", "gap"] == pytest.approx(25.973, abs=1e-3)
    assert rel.loc["1995-97", "gap_published"] == 25.9
    # 2006-08: 97.4 - 74.8 = 22.6; 22.6 / 74.8 = 30.21 % (published 30.2 %)
    assert rel.loc["2006-08", "gap"] == pytest.approx(30.214, abs=1e-3)
    ab = a.record_of("absolute_gap").set_index("period")
    # 2004-06 has no levels: the published gap 24.9 is used, and its change (24.9-36.7)/36.7 = -32.15 %
    assert ab.loc["2004-06", "gap_basis"] == "published"
    assert ab.loc["2004-06", "change_pct"] == pytest.approx(-32.153, abs=1e-3)
    assert ab.loc["2004-06", "change_published"] == -32.2


def test_gap_record_uses_published_change_where_no_gap(dataset):
    a = analyse(dataset, "life_expectancy", "female", "2004-06")
    row = a.target_record.set_index("period").loc["2004-06"]
    # only the change was published (+11 %, PharmaTimes Dec 2007); the gap it implies: 1.4/79.7 x 1.11
    assert row["change_basis"] == "published" and row["change_pct"] == 11
    assert row["gap_basis"] == "implied by published change"
    assert row["gap"] == pytest.approx(100 * 1.4 / 79.7 * 1.11)
    assert "life_expectancy-female-2004-06-gap-pct_change_relative_gap-vs1995-97" in row["inputs"]


def test_provisional_flag_travels(dataset):
    a = analyse(dataset, "infant_mortality", "persons")
    assert a.latest["period"] == "2008-10" and a.provisional
