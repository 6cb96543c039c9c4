"""Targets, trajectories and verdicts, against hand calculations and the DH's own verdicts."""

from __future__ import annotations

import pytest

from healthgap.analysis import estimates as est
from healthgap.analysis import targets
from tests.support import analysed
from healthgap.read.tables import parse_period
from healthgap.analysis.gaps import GapPoint


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


def points(decimals: int = 1, **changes) -> list[GapPoint]:
    """Gap points after a 1995-97 baseline with published changes (rounded to ``decimals``) from it."""
    found = [GapPoint("1995-97", 1995, 1997, "absolute_gap", 0, reference="1995-97")]
    for period, value in changes.items():
        start, end = parse_period(period)
        change = est.published({"value": value, "decimals": decimals, "id": period})
        found.append(GapPoint(period, start, end, "absolute_gap", 0, change=change, reference="1995-97"))
    return found


CANCER = targets.Target("absolute_gap", "1995-97", "2009-11", 6, None, "", "", "", "targets.csv:2")


@pytest.mark.parametrize(
    "changes, decimals, status",
    [
        ({}, 1, targets.NOT_YET_ASSESSABLE),
        ({"2004-06": -5.0}, 1, targets.ON_TRACK),  # -5.05..-4.95, all below -3.857
        ({"2004-06": -3.0}, 1, targets.NOT_ON_TRACK),  # -3.05..-2.95, all above -3.857
        ({"2004-06": -4.0}, 0, targets.TOO_CLOSE),  # -4.5..-3.5 straddles -3.857
        ({"2009-11": -6.1}, 1, targets.MET),  # -6.15..-6.05, all at or beyond the 6 % cut
        ({"2009-11": -5.9}, 1, targets.MISSED),  # -5.95..-5.85, short of it
        ({"2009-11": -6.0}, 0, targets.TOO_CLOSE),  # -6.5..-5.5 straddles -6
    ],
)
def test_assess_rule(changes, decimals, status):
    assert targets.assess(points(decimals, **changes), CANCER).status == status


def test_assess_uses_latest_period():
    verdict = targets.assess(points(1, **{"2003-05": -20.0, "2006-08": 1.0}), CANCER)
    assert verdict.period == "2006-08" and verdict.status == targets.NOT_ON_TRACK
    # the straight line required -6 x (2007 - 1996) / (2010 - 1996) = -4.714 % by 2006-08
    assert verdict.required.value == pytest.approx(-4.714, abs=1e-3)


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
        # the whole record: infant mortality 25 % narrower (provisional), beyond the 10 % cut
        ("infant_mortality", "persons", None, targets.ON_TRACK),
        # the 2007-09 edition: no change is computed across the method break, so the verdict rests on 2006-08
        ("infant_mortality", "persons", "2007-09", targets.NOT_ON_TRACK),
        ("life_expectancy", "female", None, targets.NOT_ON_TRACK),
    ],
)
def test_verdicts_on_real_data(briefing, indicator, sex, as_of, status):
    assert analysed(briefing, indicator, sex, as_of).assessment.status == status


def test_a_verdict_on_the_latest_available_change(briefing):
    a = analysed(briefing, "infant_mortality", "persons", "2007-09")
    assert a.assessment.period == "2006-08" and a.latest.period == "2007-09"
