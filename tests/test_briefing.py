"""The briefing end to end: the four notebooks run with papermill on the real data, assembled
into one HTML file, and checked for what the Department of Health's editions said.

Expected figures carry their derivation: a published figure (with its source) or a hand
calculation from published figures.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

pytestmark = pytest.mark.notebooks


def text_of(html: str) -> str:
    """The briefing's visible text with tags removed and white space folded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"</?(a|strong|span|em|code|q)\b[^>]*>", "", body)  # inline: no word break
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def test_2004_06_cancer(edition_2004_06):
    text = text_of(edition_2004_06[1])
    # published gaps 20.7, 18.1, 18.4 (PharmaTimes on the DH December 2007 update)
    assert "20.7 (1995-97) → 18.1 (2003-05) → 18.4 (2004-06) deaths per 100,000" in text
    # (18.4 - 20.7) / 20.7 = -11.1 %; published -11.3 %; target: at least a 6 % cut
    assert (
        "In 2004-06 the absolute gap was 18.4 deaths per 100,000, 11.1% narrower than at the 1995-97 baseline (20.7), "
        "as computed from the rounded published gaps; the published change is 11.3% narrower." in text
    )
    assert "The target is a cut of at least 6% in the absolute gap between 1995-97 and 2009-11" in text


def test_2004_06_circulatory(edition_2004_06):
    text = text_of(edition_2004_06[1])
    # (24.9 - 36.7) / 36.7 = -32.15 %, published -32.2 %; target 36.7 x 0.6 = 22.02 -> 22.0
    assert "In 2004-06 the absolute gap was 24.9 deaths per 100,000, 32.2% narrower than at the 1995-97 baseline (36.7)" in text
    assert "a gap of 22.0 deaths per 100,000 or less" in text


def test_2004_06_infant_mortality(edition_2004_06):
    text = text_of(edition_2004_06[1])
    # published relative gaps 19 % (2002-04), 18 % (2003-05), 17 % (2004-06): two falls in a row
    assert "In 2004-06 the relative gap declined from 2003-05, the second consecutive period it declined." in text
    assert "Verdict: not on track" in text and "the target is in danger" in text


def test_2004_06_life_expectancy(edition_2004_06):
    text = text_of(edition_2004_06[1])
    # published: "For males, the relative gap was 2% wider than baseline, while for females it was 11% wider."
    assert "In 2004-06 the relative gap was 2% wider than at the 1995-97 baseline" in text
    assert "In 2004-06 the relative gap was 11% wider than at the 1995-97 baseline" in text


def test_2004_06_names_the_publication_and_later_sources(edition_2004_06):
    text = text_of(edition_2004_06[1])
    assert ("This edition corresponds to Tackling Health Inequalities: 2004-06 data and policy update "
            "(Department of Health, 2007-12).") in text
    # the circulatory baseline levels come from Straight Statistics (2009-12), after the December 2007 update
    assert "1995-97, England, rate: 141.3 published later" in text


def test_2004_06_edition_line(edition_2004_06):
    edition_2004_06 = edition_2004_06[1]
    assert re.search(r"Edition: data to 2004-06 · built \d{4}-\d{2}-\d{2} · data version [0-9a-f]{12}", text_of(edition_2004_06))


def test_latest_shows_whole_record_and_contrast(edition_latest):
    _, html = edition_latest
    text = text_of(html)
    assert "Edition: data to 2008-10" in text
    # Straight Statistics 2009: absolute gap 36.7 -> 22.6 while the relative gap rose 25.9 % -> 30.2 %;
    # levels give 36.7 / 141.3 = 26.0 % and 22.6 / 74.8 = 30.2 %
    assert (
        "The absolute and relative gaps tell different stories between 1995-97 and 2006-08: the absolute gap narrowed "
        "from 36.7 to 22.6 deaths per 100,000, while the relative gap widened from 26.0% (published: 25.9%) to 30.2%." in text
    )
    # infant mortality 2008-10: 10 % (Bambra 2012, provisional) against 11.7 %
    assert "(2008-10) → " not in text  # the record ends at 2008-10
    assert "10% (2008-10; provisional)" in text


def test_summary_table_has_every_target(edition_latest):
    _, html = edition_latest
    table = re.search(r'<table class="summary">.*?</table>', html, flags=re.S).group(0)
    rows = re.findall(r"<tr>.*?</tr>", table, flags=re.S)
    assert len(rows) == 1 + 5  # header + cancer, circulatory, infant mortality, LE male, LE female
    assert "not on track" in table and "on track" in table


def test_briefing_is_self_contained(edition_latest):
    path, html = edition_latest
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 10  # two charts for each of the 5 indicator-sex sections
    assert all('src="data:image/png;base64,' in img and 'alt="Line chart of' in img for img in images)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", html)
    assert "Traceback" not in html and "In&nbsp;[" not in html
    assert "import healthgap" not in html and "from healthgap" not in html
    assert 'alt="Line chart of' in html
    assert (path.parent / "cancer_gaps.csv").exists()


# --- every published edition, reproduced ------------------------------------------------------


def test_2005_07_edition(edition_2005_07):
    text = text_of(edition_2005_07[1])
    # Hansard HC 15 Jan 2009: LE relative gap "4 per cent. above baseline for men and 11 per cent. above
    # baseline for women"; infant mortality "16 per cent. higher than in the total population"
    assert "In 2005-07 the relative gap was 4% wider than at the 1995-97 baseline" in text
    assert "In 2005-07 the relative gap was 11% wider than at the 1995-97 baseline" in text
    # 5.4 / 4.7 - 1 = 14.9 % from the rounded rates; published 16 %
    assert "In 2005-07 the relative gap was 14.9% (published: 16%)" in text
    # Byar's 95 % interval for the R&M rate from its 3,749 deaths: 5.4 x (3628.9 / 3749, 3870.4 / 3749)
    assert "the routine and manual group in 2005-07, 5.4 deaths per 1,000 live births (5.2 to 5.6) from 3,749 deaths" in text


def test_2006_08_edition(edition_2006_08):
    text = text_of(edition_2006_08[1])
    # NAO HC 186 (2010) via BBC: the LE gap "grew by 7% for men and 14% for women"; from the rounded levels
    # (2.1/77.9) / (1.9/74.6) - 1 = +5.8 % and (1.6/82.0) / (1.4/79.7) - 1 = +11.1 %
    assert "5.8% wider than at the 1995-97 baseline (2.55%), as computed from the rounded published levels; the published change is 7% wider" in text
    assert "11.1% wider than at the 1995-97 baseline (1.76%), as computed from the rounded published levels; the published change is 14% wider" in text
    # Straight Statistics: "to 22.6 in 2006-08 – against a target of 22.0"
    assert "In 2006-08 the absolute gap was 22.6 deaths per 100,000" in text
    assert "a gap of 22.0 deaths per 100,000 or less" in text


def test_provisional_marked_wherever_it_appears(edition_latest):
    _, html = edition_latest
    # the 2008-10 infant-mortality figures are provisional (DH press notice, 8 Dec 2011)
    row = re.search(r'<tr id="reconcile-infant_mortality-persons-2008-10-gap-pct_change_relative_gap-vs1997-99">.*?</tr>', html, re.S)
    assert 'class="provisional"' in row.group(0)
    source = re.search(r'<li id="row-infant_mortality-persons-2008-10-gap-relative_gap_pct">.*?</li>', html, re.S)
    assert 'class="provisional"' in source.group(0)
    summary = re.search(r'<table class="summary">.*?</table>', html, re.S).group(0)
    assert summary.count('class="provisional"') == 2  # the latest gap and the status of infant mortality
