"""Reconciliation: published derived statistics against their recomputation, checked by hand."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from healthgap.analysis.reconcile import (
    CANNOT,
    CONSISTENT,
    DIFFERS,
    VERDICTS,
    bounds,
    reconcile,
    rounding_interval,
    verdict,
    verdict_counts,
)
from healthgap.page.provenance import Ledger
from healthgap.page.reconcile import reason_words, reconciliation_html
from healthgap.read.briefing import load as load_dataset

DATA = Path(__file__).resolve().parent.parent / "data"


def reconciled(briefing) -> pd.DataFrame:
    """The reconciliation with each row's reason in the page's words."""
    found = reconcile(briefing)
    return found.assign(reason=[reason_words(r, briefing) for _, r in found.iterrows()])


@pytest.fixture(scope="module")
def frame(briefing) -> pd.DataFrame:
    return reconciled(briefing)


def row(frame: pd.DataFrame, observation_id: str) -> pd.Series:
    rows = frame[frame["id"] == observation_id]
    assert len(rows) == 1, observation_id
    return rows.iloc[0]


def set_value(data_dir: Path, observation_id: str, value: str) -> None:
    """Rewrite one observation's value in a copy of data/."""
    path = data_dir / "observations.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    for r in rows:
        if r["id"] == observation_id:
            r["value"] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


# --- intervals ------------------------------------------------------------------------------------


def test_rounding_interval():
    assert rounding_interval(20.7, 1) == pytest.approx((20.65, 20.75))  # one decimal place: ±0.05
    assert rounding_interval(178, 0) == pytest.approx((177.5, 178.5))  # whole number: ±0.5
    assert rounding_interval(-11.3, 1) == pytest.approx((-11.35, -11.25))
    assert rounding_interval(0.4, 1) == pytest.approx((0.35, 0.45))
    with pytest.raises(ValueError):
        rounding_interval(1.0, -1)


def test_bounds_of_a_difference_and_a_ratio():
    # x - y over x in [1, 2], y in [0, 0.5]: least 1 - 0.5 = 0.5, greatest 2 - 0 = 2
    assert bounds(lambda x, y: x - y, (1, 2), (0, 0.5)) == pytest.approx((0.5, 2))
    # x / y over x in [1, 2], y in [4, 5]: least 1/5 = 0.2, greatest 2/4 = 0.5
    assert bounds(lambda x, y: x / y, (1, 2), (4, 5)) == pytest.approx((0.2, 0.5))
    # x * y, x in [-1, 2], y in [3, 4]: corners -3, -4, 6, 8 (monotone in each argument; direction flips)
    assert bounds(lambda x, y: x * y, (-1, 2), (3, 4)) == pytest.approx((-4, 8))
    assert bounds(lambda x: 2 * x, (3, 3)) == (6, 6)  # a degenerate interval is a point


def test_bounds_only_sees_corners():
    # x (1 - x) is not monotone on [0, 1]: its maximum 0.25 at x = 0.5 is between the corners,
    # which is why the docstring restricts exactness to functions monotone in each argument
    assert bounds(lambda x: x * (1 - x), (0, 1)) == (0, 0)
    with pytest.raises(ValueError):
        bounds(lambda x: x, (2, 1))


def test_verdict_rule_touching_counts_as_overlap():
    # published "7" stands for 6.5 to 7.5
    assert verdict(7, 0, (7.5, 9)) == CONSISTENT  # touches at 7.5
    assert verdict(7, 0, (7.6, 9)) == DIFFERS
    assert verdict(7, 0, (2, 6.5)) == CONSISTENT
    assert verdict(7, 0, (2, 6.4)) == DIFFERS
    # float noise: 20.7 - 0.05 is 20.650000000000002 in binary, still meets an interval ending at 20.65
    assert verdict(20.7, 1, (19.0, 20.65)) == CONSISTENT


# --- the real data --------------------------------------------------------------------------------


def test_cancer_gap_change_2004_06(frame):
    r = row(frame, "cancer-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97")
    # published gaps 20.7 (1995-97) and 18.4 (2004-06): 100 x (18.4 - 20.7) / 20.7 = -11.111 %
    assert r["recomputed"] == pytest.approx(-11.1111, abs=1e-4)
    # least: (18.35 - 20.75) / 20.75 = -11.566 %; greatest: (18.45 - 20.65) / 20.65 = -10.654 %
    assert r["lower"] == pytest.approx(100 * (18.35 - 20.75) / 20.75)
    assert r["upper"] == pytest.approx(100 * (18.45 - 20.65) / 20.65)
    assert r["lower"] == pytest.approx(-11.566, abs=1e-3) and r["upper"] == pytest.approx(-10.654, abs=1e-3)
    # published -11.3 (-11.35 to -11.25) lies inside: consistent with rounding
    assert r["verdict"] == CONSISTENT
    assert r["difference"] == pytest.approx(-11.3 + 11.1111, abs=1e-4)  # published - recomputed = -0.189
    assert r["published_decimals"] == 1
    assert r["inputs"] == "cancer-persons-2004-06-gap-absolute_gap;cancer-persons-1995-97-gap-absolute_gap"
    assert r["formula"] == "100 × (18.4 − 20.7) / 20.7"
    assert "-11.1" in r["reason"]  # the point value would be published as -11.1, not -11.3


def test_circulatory_england_rate_change(frame):
    r = row(frame, "circulatory-persons-2006-08-england-pct_change_rate-vs1995-97")
    # 100 x (74.8 - 141.3) / 141.3 = -47.063 %
    assert r["recomputed"] == pytest.approx(-47.0630, abs=1e-4)
    # least (74.75 - 141.35) / 141.35 = -47.117 %; greatest (74.85 - 141.25) / 141.25 = -47.009 %
    assert (r["lower"], r["upper"]) == pytest.approx((-47.1171, -47.0088), abs=1e-4)
    assert r["verdict"] == CONSISTENT  # -47.1 (-47.15 to -47.05) overlaps
    assert r["formula"] == "100 × (74.8 − 141.3) / 141.3"


def test_circulatory_relative_gap_1995_97(frame):
    r = row(frame, "circulatory-persons-1995-97-gap-relative_gap_pct")
    # Spearhead 178 (published to 0 dp: 177.5 to 178.5), England 141.3 (141.25 to 141.35)
    # 100 x (178 - 141.3) / 141.3 = 25.973 %, which would be published as 26.0, not 25.9
    assert r["recomputed"] == pytest.approx(25.9731, abs=1e-4)
    # least 100 x (177.5 - 141.35) / 141.35 = 25.575 %; greatest 100 x (178.5 - 141.25) / 141.25 = 26.372 %
    assert (r["lower"], r["upper"]) == pytest.approx((25.5748, 26.3717), abs=1e-4)
    assert r["verdict"] == CONSISTENT  # 25.9 (25.85 to 25.95) inside
    assert r["inputs"] == "circulatory-persons-1995-97-spearhead-rate;circulatory-persons-1995-97-england-rate"


def test_circulatory_gap_change_uses_the_gaps_of_record(frame):
    r = row(frame, "circulatory-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97")
    # the gaps of record: 24.9 (2004-06) and 36.7 (1995-97), both published; the levels' 178 - 141.3 is only a check
    # 100 x (24.9 - 36.7) / 36.7 = -32.153 %
    # least (24.85 - 36.75) / 36.75 = -32.381 %; greatest (24.95 - 36.65) / 36.65 = -31.924 %
    assert r["recomputed"] == pytest.approx(-32.1526, abs=1e-4)
    assert (r["lower"], r["upper"]) == pytest.approx((-32.3810, -31.9236), abs=1e-4)
    assert r["verdict"] == CONSISTENT
    assert r["inputs"].split(";") == [
        "circulatory-persons-2004-06-gap-absolute_gap",
        "circulatory-persons-1995-97-gap-absolute_gap",
    ]


def test_life_expectancy_male_relative_gap_change_2006_08(frame):
    r = row(frame, "life_expectancy-male-2006-08-gap-pct_change_relative_gap-vs1995-97")
    # relative gap assumed = 100 x (England - Spearhead) / England
    # 1995-97: 100 x (74.6 - 72.7) / 74.6 = 2.5469 %; 2006-08: 100 x (77.9 - 75.8) / 77.9 = 2.6958 %
    # change: 100 x (2.6958 - 2.5469) / 2.5469 = +5.84 %, published +7
    assert r["recomputed"] == pytest.approx(5.8442, abs=1e-4)
    # least:    2006-08 at its smallest, 100 x (77.85 - 75.85) / 77.85 = 2.5690 %,
    #           1995-97 at its largest,  100 x (74.65 - 72.65) / 74.65 = 2.6792 %: 100 x (2.5690 / 2.6792 - 1) = -4.11 %
    # greatest: 100 x (77.95 - 75.75) / 77.95 = 2.8223 % against 100 x (74.55 - 72.75) / 74.55 = 2.4145 %: +16.89 %
    assert r["lower"] == pytest.approx(100 * (74.65 / 77.85 - 1), abs=1e-6)  # = -4.1104
    assert r["upper"] == pytest.approx(100 * ((2.2 * 74.55) / (1.8 * 77.95) - 1), abs=1e-6)  # = 16.8908
    # the published 7 (6.5 to 7.5) lies inside -4.11 to 16.89: consistent with rounding
    assert r["verdict"] == CONSISTENT
    assert "the gap as a percentage of England's life expectancy" in r["reason"]
    assert "not found" in r["reason"]
    assert len(r["inputs"].split(";")) == 4


def test_life_expectancy_female_relative_gap_change_2006_08(frame):
    r = row(frame, "life_expectancy-female-2006-08-gap-pct_change_relative_gap-vs1995-97")
    # 1995-97: 100 x 1.4 / 79.7 = 1.7566 %; 2006-08: 100 x 1.6 / 82.0 = 1.9512 %; change +11.08 %, published +14
    assert r["recomputed"] == pytest.approx(100 * ((1.6 / 82.0) / (1.4 / 79.7) - 1), abs=1e-6)
    assert r["verdict"] == CONSISTENT  # rounding allows -2.7 % to +26.9 %
    assert "not found" in r["reason"]


def test_cannot_recompute_life_expectancy_2004_06(frame):
    r = row(frame, "life_expectancy-male-2004-06-gap-pct_change_relative_gap-vs1995-97")
    # +2 % published, but the data has neither 2004-06 levels nor a published 2004-06 relative gap
    assert r["verdict"] == CANNOT
    assert pd.isna(r["recomputed"]) and pd.isna(r["lower"]) and pd.isna(r["difference"])
    assert r["reason"] == ("The data hold no life expectancy for the Spearhead Group or England in 2004-06, "
                           "and no relative gap was published for it.")


def test_cannot_recompute_infant_gap_without_the_comparator(frame):
    r = row(frame, "infant_mortality-persons-2007-09-gap-relative_gap_pct")
    assert r["verdict"] == CANNOT
    # the linked-method bulletin gave the routine and manual rate but no rate for all social groups
    assert r["reason"] == "The data hold no rate for all social groups in 2007-09."


def test_group_change_is_a_change_of_levels(frame):
    r = row(frame, "circulatory-persons-2006-08-spearhead-pct_change_rate-vs1995-97")
    # 100 x (97.4 - 178) / 178 = -45.281 %; least (97.35 - 178.5) / 178.5 = -45.462 %, greatest (97.45 - 177.5) / 177.5 = -45.099 %
    assert r["recomputed"] == pytest.approx(-45.2809, abs=1e-4)
    assert (r["lower"], r["upper"]) == pytest.approx((-45.4622, -45.0986), abs=1e-4)
    assert r["verdict"] == CONSISTENT


def test_no_recomputation_across_a_method_break(frame):
    # Bambra's 2008-10 changes from 1997-99 cross the 2009 change of method; the revised 1997-99 figures are not in the data
    for observation_id in ("infant_mortality-persons-2008-10-routine_and_manual-change-vs1997-99",
                           "infant_mortality-persons-2008-10-gap-pct_change_relative_gap-vs1997-99"):
        r = row(frame, observation_id)
        assert r["verdict"] == CANNOT and "method changed between 1997-99 and 2008-10" in r["reason"]


def test_every_published_derived_statistic_appears_once(frame):
    with (DATA / "observations.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    gap_measures = {"absolute_gap", "relative_gap_pct", "pct_change_absolute_gap", "pct_change_relative_gap"}
    expected = [
        r["id"].strip()
        for r in rows
        if (r["group"].strip() == "gap" and r["measure"].strip() in gap_measures)
        or r["measure"].strip() in {"pct_change_rate", "change"}
    ]
    assert expected, "the data has published derived statistics"
    assert frame["id"].is_unique
    assert sorted(frame["id"]) == sorted(expected)


def test_verdict_counts_cover_every_row(frame):
    counts = verdict_counts(frame)
    assert tuple(counts) == VERDICTS
    assert sum(counts.values()) == len(frame)
    assert set(frame["verdict"]) <= set(VERDICTS)
    # every recomputed row has an interval around its point value and its inputs
    done = frame[frame["verdict"] != CANNOT]
    assert (done["lower"] <= done["recomputed"] + 1e-9).all() and (done["recomputed"] <= done["upper"] + 1e-9).all()
    assert (done["inputs"] != "").all() and (done["formula"] != "").all()
    assert (frame.loc[frame["verdict"] == CANNOT, "reason"] != "").all()


# --- altered data ---------------------------------------------------------------------------------


def test_a_figure_outside_rounding_differs(data_copy):
    # publish the cancer change as -13.0 instead of -11.3: -13.05 to -12.95 misses -11.57 to -10.65
    set_value(data_copy, "cancer-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97", "-13.0")
    frame = reconciled(load_dataset(data_copy))
    r = row(frame, "cancer-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97")
    assert r["verdict"] == DIFFERS
    assert r["difference"] == pytest.approx(-13.0 + 11.1111, abs=1e-4)
    assert "-13.0" in r["reason"] and "-11.57 to -10.65" in r["reason"]
    assert verdict_counts(frame)[DIFFERS] >= 1
    html = str(reconciliation_html(Ledger(), frame, load_dataset(data_copy)))
    differing = html.split('<tr id="reconcile-cancer-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97">', 1)[1]
    assert DIFFERS in differing.split("</tr>", 1)[0]


def test_a_baseline_that_may_be_zero_cannot_be_divided_by(data_copy):
    # a 1995-97 cancer gap of 0.0 stands for -0.05 to 0.05: a % change from it is unbounded
    set_value(data_copy, "cancer-persons-1995-97-gap-absolute_gap", "0.0")
    r = row(reconciled(load_dataset(data_copy)), "cancer-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97")
    assert r["verdict"] == CANNOT
    assert "zero" in r["reason"]


# --- the appendix ---------------------------------------------------------------------------------


def test_html_appendix(frame, briefing):
    html = str(reconciliation_html(Ledger(), frame, briefing))
    assert html.startswith('<details class="appendix" id="reconciliation">')
    assert html.endswith("</details>")
    published, statements = html.split('<table class="statements">')
    assert "<caption>" in published and published.count('<th scope="col">') == 7
    # the sources' statements of movement, each beside what the figures show (statements.csv)
    assert "<caption>Statements of movement against the figures</caption>" in statements
    assert statements.count('<th scope="col">') == 6
    for observation_id in frame["id"]:
        assert html.count(f'<tr id="reconcile-{observation_id}">') == 1
    # ASCII minus in numbers, each linked to its provenance entry; the range beside the point value
    text = re.sub(r"<a [^>]*>|</a>", "", html)
    assert "<td>-11.3</td>" in text
    assert "-11.11 (-11.57 to -10.65)" in text
    assert '<a class="fig" href="#fig-reconcile-cancer-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97-lower">-11.57</a>' in html
    counts = verdict_counts(frame)
    assert f"Of the {len(frame)} published derived statistics" in text
    assert f"{counts[CANNOT]}\n{CANNOT}" in text or f"{counts[CANNOT]} {CANNOT}" in " ".join(text.split())


def test_html_escapes_data(data_copy):
    path = data_copy / "indicators.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Cancer mortality under 75", "<script>alert(1)</script>"),
                    encoding="utf-8")
    dataset = load_dataset(data_copy)
    html = str(reconciliation_html(Ledger(), reconcile(dataset), dataset))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_as_of_an_edition(briefing):
    # the 2004-06 edition: nothing published for a later period is reconciled, nor used as an input
    edition = reconcile(briefing.edition_of("2004-06"))
    assert not edition.empty
    ends = edition["period"].str[:4].astype(int)
    assert (ends <= 2004).all()
    assert "cancer-persons-2004-06-gap-pct_change_absolute_gap-vs1995-97" in set(edition["id"])
    assert "life_expectancy-male-2006-08-gap-pct_change_relative_gap-vs1995-97" not in set(edition["id"])
    assert not edition["inputs"].str.contains("2006-08|2008-10").any()
