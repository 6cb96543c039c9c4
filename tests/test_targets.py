"""Targets, trajectories and verdicts, against hand calculations and the DH's own verdicts."""

from __future__ import annotations

import pandas as pd
import pytest

from healthgap import targets
from healthgap.analysis import analyse


def test_target_value():
    # circulatory: 36.7 x (1 - 0.40) = 22.02, published "22.0" (Straight Statistics 2009)
    assert targets.target_value(36.7, 40) == pytest.approx(22.02)
    # infant mortality: 13 x 0.9 = 11.7 (Hansard HC 15 Sep 2004)
    assert targets.target_value(13, 10) == pytest.approx(11.7)


def test_trajectory_is_a_straight_line_on_period_midpoints():
    line = targets.target_trajectory("1995-97", 36.7, "2009-11", 22.02, ["1995-97", "2004-06", "2009-11"])
    # midpoints 1996, 2005, 2010: 36.7 - 14.68 x 9/14 = 27.263
    assert line["value"].tolist() == pytest.approx([36.7, 27.2629, 22.02], abs=1e-4)
    assert line["midpoint"].tolist() == [1996, 2005, 2010]


def test_required_change():
    # cancer, 6 % cut 1995-97 -> 2009-11, at 2004-06: -6 x 9/14 = -3.857 %
    assert targets.required_change("1995-97", "2009-11", "2004-06", 6) == pytest.approx(-3.857, abs=1e-3)


def frame(**changes):
    return pd.DataFrame({"period": list(changes), "change_pct": list(changes.values())})


@pytest.mark.parametrize(
    "changes, status",
    [
        ({}, targets.NOT_YET_ASSESSABLE),
        ({"2004-06": -5.0}, targets.ON_TRACK),  # -5 <= -3.857
        ({"2004-06": -3.0}, targets.NOT_ON_TRACK),  # -3 > -3.857
        ({"2009-11": -6.0}, targets.MET),
        ({"2009-11": -5.9}, targets.MISSED),
    ],
)
def test_assess_rule(changes, status):
    data = frame(**{k: v for k, v in changes.items()}) if changes else pd.DataFrame(columns=["period", "change_pct"])
    assert targets.assess(data, "1995-97", "2009-11", 6).status == status


def test_assess_uses_latest_period():
    verdict = targets.assess(frame(**{"2003-05": -20.0, "2006-08": 1.0}), "1995-97", "2009-11", 10)
    assert verdict.period == "2006-08" and verdict.status == targets.NOT_ON_TRACK


@pytest.mark.parametrize(
    "indicator, sex, as_of, status",
    [
        # December 2007 update: cancer "well overshooting the target"; circulatory "well on the way"
        ("cancer", "persons", "2004-06", targets.ON_TRACK),
        ("circulatory", "persons", "2004-06", targets.ON_TRACK),
        # infant mortality 17 % against 13 %, life expectancy gaps wider than baseline: in danger
        ("infant_mortality", "persons", "2004-06", targets.NOT_ON_TRACK),
        ("life_expectancy", "male", "2004-06", targets.NOT_ON_TRACK),
        ("life_expectancy", "female", "2004-06", targets.NOT_ON_TRACK),
        # the whole record: infant mortality 10 % (provisional) below the 11.7 % line
        ("infant_mortality", "persons", None, targets.ON_TRACK),
        ("life_expectancy", "female", None, targets.NOT_ON_TRACK),
    ],
)
def test_verdicts_on_real_data(dataset, indicator, sex, as_of, status):
    assert analyse(dataset, indicator, sex, as_of).assessment.status == status
