"""The briefing end to end: the four notebooks run with papermill on the real data, assembled into one
HTML file, and read as a policy lead, a journalist and an auditor would read it.

Expected figures carry their derivation: a published figure (with its source) or a hand calculation
from published figures.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

pytestmark = pytest.mark.notebooks

TARGET_PERIODS = {"2009-11"}  # the targets' own period, named by their wording (targets.csv)


def text_of(html: str) -> str:
    """The briefing's text (collapsed appendices included) with tags removed and white space folded."""
    body = re.sub(r"<(script|style|title)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"<img[^>]*>", " ", body)
    body = re.sub(r"</?(a|strong|span|em|code|q|cite|abbr|time|sup)\b[^>]*>", "", body)  # inline: no word break
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def summary_of(html: str) -> str:
    """The opening summary: the "In brief" list of verdicts."""
    return text_of(html.split('<ul class="verdicts">', 1)[1].split("</ul>", 1)[0])


# --- the figures of record (issue: published figures lead) --------------------------------------


def test_latest_summary_leads_with_the_published_figures(edition_latest):
    summary = summary_of(edition_latest[1])
    # NAO (July 2010): the relative gap in life expectancy 7 % (males) and 14 % (females) wider in 2006-08
    assert "Life expectancy at birth, males: not on track (latest found: 2006-08). In 2006-08 the relative gap was 7% wider than at the 1995-97 baseline" in summary
    assert "Life expectancy at birth, females: not on track (latest found: 2006-08). In 2006-08 the relative gap was 14% wider than at the 1995-97 baseline" in summary
    # Bambra (2012, after the October 2011 bulletin: marked): 25 % narrower in 2008-10, provisional and an estimate,
    # across the change of method of 2007-09, which the verdict says
    assert ("Infant mortality: on track, on a change measured across the change of method in 2007-09. In 2008-10 the "
            "relative gap was 25%† narrower than at the 1997-99 baseline (provisional and an estimate by its source)") \
        in summary
    # cancer's latest published figure is 13 % narrower in 2005-07 (December 2008); nothing later was found
    assert "Cancer mortality under 75: on track (latest found: 2005-07). In 2005-07 the absolute gap was 13% narrower" in summary
    # circulatory (Straight Statistics, 2009): the absolute gap narrowed 36.7 -> 22.6 while the relative gap widened
    # 25.9 % -> 30.2 %, each beyond its rounding: the summary says both
    assert ("In 2006-08 the absolute gap was 22.6 deaths per 100,000, narrower than the 36.7 deaths per 100,000 of the "
            "1995-97 baseline, while the relative gap widened from 25.9% to 30.2%") in summary
    for recomputed in ("5.8%", "11.1%", "20.0%", "11.3%"):  # what the page showed before published figures led
        assert recomputed not in summary


def test_latest_summary_table(edition_latest):
    table = text_of(edition_latest[1].split('<table class="summary">', 1)[1].split("</table>", 1)[0])
    # the infant-mortality target as published (Hansard, 15 September 2004): 11.7 %, not 12.5 x 0.9 = 11.25
    assert "11.7% by 2009-11" in table and "11.3%" not in table
    # the circulatory target as published, 22.0; cancer's computed from the published baseline: 20.7 x 0.94 = 19.458
    assert "22.0 by 2009-11" in table and "19.5 by 2009-11 computed" in table
    # the life-expectancy baseline is computed from rounded levels, and says so: 100 x (74.6 - 72.7) / 74.6
    assert "2.55% in 1995-97 computed" in table
    assert "7% wider" in table and "14% wider" in table and "25%† narrower" in table
    # the change column agrees with its own gaps or says it is the published figure: 1.76 % -> 1.95 % is 11 % wider
    # (100 x (1.951 - 1.757) / 1.757 = 11.1), 14 % as published; 2.55 % -> 2.70 % is 6 %, 7 % as published
    assert "14% wider as published; the gaps shown give 11%" in table
    assert "7% wider as published; the gaps shown give 6%" in table


def test_2004_06_summary(edition_2004_06):
    summary = summary_of(edition_2004_06[1])
    # PharmaTimes (December 2007): "overall the gap has narrowed 11.3% since the baseline"
    assert "Cancer mortality under 75: on track. In 2004-06 the absolute gap was 11.3% narrower than at the 1995-97 baseline" in summary
    # "During 2004-6, the inequality gap is down 32.2%"
    assert "Circulatory disease mortality under 75: on track. In 2004-06 the absolute gap was 32.2% narrower" in summary
    # "the relative gap was 2% wider than baseline, while for females it was 11% wider"
    assert "males: not on track. In 2004-06 the relative gap was 2% wider" in summary
    assert "females: not on track. In 2004-06 the relative gap was 11% wider" in summary
    # BBC (March 2008, after the update: marked): 17 % higher in 2004-06, against 13 % in 1997-99; no change was
    # published, so the published gaps lead and the computed change (30.8 %) stays out of the summary. The
    # Department (December 2007): "the infant mortality gap has now declined for the second consecutive period"
    assert ("Infant mortality: not on track. In 2004-06 the relative gap was 17%†, wider than the 13% of the 1997-99 "
            "baseline; it narrowed for the second consecutive period, as the Department of Health said; the target "
            "is a cut of at least 10% by 2009-11.") in summary


def test_a_computed_figure_says_so_with_its_range(edition_latest):
    text = text_of(edition_latest[1])
    # 100 x (77.9 - 75.8) / 77.9 = 2.70 %; the rounding of 77.85-77.95 and 75.75-75.85 allows 2.57 % to 2.82 %
    assert ("In 2006-08 the relative gap between the Spearhead Group and England was 2.70% (computed from the rounded "
            "published levels, which allow 2.57% to 2.82%), 7% wider than at the 1995-97 baseline") in text


# --- no claim the data cannot show ----------------------------------------------------------------


def test_no_unchanged_claim_where_the_department_published_a_rise(edition_latest):
    text = text_of(edition_latest[1])
    assert "was unchanged from 2005-07" not in text
    # 11 % then 14 % wider (Hansard January 2009; NAO July 2010): beyond their rounding, a widening
    assert ("Between 2005-07 and 2006-08 the gap widened: the published change from the 1995-97 baseline went from "
            "11% wider to 14% wider.") in text


def test_consecutive_only_for_adjacent_periods(edition_latest, edition_2004_06):
    text = text_of(edition_latest[1])
    # circulatory: 24.9 (2004-06) then 22.6 (2006-08), with 2005-07 missing
    assert ("Since 2004-06, the previous period in the record, the gap has narrowed, from 24.9 to 22.6 deaths per "
            "100,000. The period between (2005-07) is not in the data") in text
    assert "second consecutive period it declined" not in text
    # life expectancy, males: 2 %, 4 %, 7 % wider in 2004-06, 2005-07, 2006-08 (adjacent periods)
    assert "went from 4% wider to 7% wider, the second consecutive period it widened." in text
    for match in re.finditer(r"Between (\S+) and (\S+) the gap \w+[:,][^.]*consecutive", text):
        start, end = (int(p[:4]) for p in match.groups())
        assert end == start + 1, match.group(0)
    # infant mortality in the 2004-06 edition: 19 %, 18 %, 17 % (2002-04 to 2004-06) at one precision show two falls,
    # as the Department said in December 2007
    early = text_of(edition_2004_06[1])
    assert "(18% and 17%) are too close" not in early


def test_no_trend_across_a_method_break(edition_latest):
    text = text_of(edition_latest[1])
    section = text.split("Infant mortality Infant deaths", 1)[1].split("Life expectancy at birth Life", 1)[0]
    # the 2009 bulletin linked deaths to births: 2006-08 is never compared with 2007-09
    assert "2006-08 and 2007-09" not in section and "from 2006-08" not in section
    assert "From the bulletin with data for 2009, infant deaths were linked to their birth records" in section
    # Bambra's changes across the break are published: kept, and labelled
    assert "25%† narrower than at the 1997-99 baseline (13%), as published by its source across the change of method" in section
    assert "Between 2007-09 and 2008-10 the gap narrowed, from 12%† to 10%†." in section
    # the verdict itself says it rests on a change across the break, provisional and an estimate
    assert ("Verdict: on track, on a change from the baseline measured across the change of method in 2007-09, "
            "provisional and an estimate by its source.") in section


def test_no_trend_sentence_across_bases(edition_2004_06):
    text = text_of(edition_2004_06[1])
    # life expectancy 2003-05 (computed from levels) against 2004-06 (only a published change)
    assert ("The 2003-05 and 2004-06 figures were obtained differently (2003-05: the gap computed from the two groups' "
            "rounded published levels; 2004-06: the change from the baseline, published), so no movement between them "
            "is stated.") in text


def test_a_stale_figure_is_said_to_be_stale(edition_latest):
    text = text_of(edition_latest[1])
    assert "Verdict: on track (latest found: 2005-07)." in text
    assert "latest available" not in text.split("Sources for cancer")[0]
    assert ("No absolute gap for a period after 2005-07 is in the data for this edition: the later figures found give "
            "only England's percentage change in the rate for 2008-10 and England's rate for 2008-10, from which no gap "
            "can be computed.") in text


# --- each edition keeps to its time -----------------------------------------------------------------

PERIOD = re.compile(r"(?<![\d-])((?:19|20)\d{2})[-–](\d{2})(?![\d-])")


def later_periods(text: str, as_of_end: int) -> list[str]:
    found = []
    for match in PERIOD.finditer(text):
        label = f"{match.group(1)}-{match.group(2)}"
        start = int(match.group(1))
        end = start - start % 100 + int(match.group(2))
        end += 100 if end < start else 0
        if end > as_of_end and label not in TARGET_PERIODS:
            found.append(text[max(0, match.start() - 60): match.end() + 20])
    return found


def test_2004_06_names_no_later_period(edition_2004_06):
    path, html = edition_2004_06
    assert later_periods(text_of(html), 2006) == []
    # nor does any figure it lists: figures.csv holds only periods to 2004-06 (and the targets' own)
    import pandas as pd

    figures = pd.read_csv(path.parent / "figures.csv", keep_default_na=False)
    periods = set(figures["period"]) - {""} - TARGET_PERIODS
    assert periods and all(int(p[:4]) <= 2004 for p in periods)


def test_2004_06_marks_what_was_published_later(edition_2004_06):
    text = text_of(edition_2004_06[1])
    assert ("This edition is set at the date of Tackling Health Inequalities: 2004-06 data and policy update "
            "(Department of Health, December 2007). It reproduces the update's gaps in cancer and circulatory "
            "mortality, its changes in the life-expectancy gaps and its statement on the infant-mortality gap, as "
            "PharmaTimes reported them") in text
    # and where the text uses a figure published later, it is marked there: the BBC's 17 % (March 2008)
    assert "In 2004-06 the relative gap between the routine and manual group and all social groups was 17%†" in text
    # the circulatory baseline levels come from Straight Statistics (December 2009), after the update
    assert "1995-97, England, rate: 141.3 published later." in text
    # the reconciliation marks its later rows too
    reconciliation = edition_2004_06[1].split('id="reconciliation"', 1)[1].split("</details>", 1)[0]
    assert "published later" in reconciliation
    # the life-expectancy target as the PSA worded it (March 2007), not a January 2009 answer
    assert "HC written answer, 15 January 2009" not in text


def test_edition_line(edition_2004_06, edition_latest):
    assert re.search(r"Data to 2004-06 · built 1 January 2026 · data version [0-9a-f]{12}", text_of(edition_2004_06[1]))
    # the latest edition's verdicts rest on 2005-07, 2006-08 and 2008-10: the edition line says which
    assert ("Latest figures found: 2005-07 for cancer mortality under 75; 2006-08 for circulatory disease mortality "
            "under 75 and life expectancy at birth; 2008-10 for infant mortality") in text_of(edition_latest[1])
    assert "Data to 2008-10" not in text_of(edition_latest[1])


# --- readable -------------------------------------------------------------------------------------

CODE_TOKEN = re.compile(r"\b\w+_\w+\b|\bpct\b|\b[a-z]+\.[a-z_]+\(|\bgaps\.\w+|\btargets\.\w+|\bmethods\.\w+")


@pytest.mark.parametrize("edition", ["edition_2004_06", "edition_latest", "partial_build"])
def test_no_internal_code_on_the_page(edition, request):
    _, html = request.getfixturevalue(edition)
    html = re.sub(r'<span class="version">.*?</span>', "", html)
    # file names (figures.csv, data/README.md) are how a reader finds the files beside the briefing: allowed
    text = re.sub(r"[\w/]+\.(?:csv|md|toml)\b", " ", text_of(html))
    tokens = sorted({m.group(0) for m in CODE_TOKEN.finditer(text)})
    assert tokens == []


@pytest.mark.parametrize("edition", ["edition_2004_06", "edition_latest", "partial_build"])
def test_every_internal_link_resolves(edition, request):
    _, html = request.getfixturevalue(edition)
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert targets, "the page has internal links"
    assert sorted(targets - ids) == []


def test_appendices_are_collapsed(edition_latest):
    html = edition_latest[1]
    for appendix in ("reconciliation", "provenance", "conflicts"):
        assert re.search(rf'<details class="appendix" id="{appendix}">', html)
    assert html.count('<details class="sources"') == 4
    assert "<details open" not in html
    # a link into a collapsed appendix opens it
    assert 'node.tagName === "DETAILS"' in html


def test_no_chart_of_a_single_point(edition_latest):
    html = edition_latest[1]
    alts = re.findall(r'alt="([^"]*)"', html)
    # cancer: England's rate is known for one period only; no levels chart is drawn for it
    cancer = [a for a in alts if "cancer" in a.lower()]
    assert cancer and not any("Line chart of cancer" in a for a in cancer)
    # the relative-gap axis says what the percentage is of, in the alt text's words too
    assert any("Chart of the relative gap in life expectancy at birth, males" in a for a in alts)


def test_one_intervals_note_per_section_worded_for_its_indicator(edition_latest):
    text = text_of(edition_latest[1])
    assert text.count("so no figure here has a confidence interval, the gap's included") == 3
    assert ("The life expectancy at birth figures were published rounded, without the deaths and populations by age "
            "behind them") in text
    assert "The cancer mortality under 75 figures were published rounded, without the counts and populations" in text
    # the reason no gap has an interval is that no counts were published, not that the groups are nested
    assert "so the two are not independent" not in text
    assert ("No interval is given for the gap: counts were published for both groups only in 2005-07, where the gap "
            "of record is the one its source published, without an interval.") in text
    # infant mortality: Byar's interval where the count was published, 4.7 per 1,000 from 8,709 deaths
    assert "all social groups in 2005-07, 4.7 (4.6 to 4.8) from 8,709 deaths" in text


def test_no_nested_brackets_in_the_prose(edition_latest):
    html = edition_latest[1]
    prose = " ".join(text_of(p) for p in re.findall(r'<p class="lead">.*?</p>', html, flags=re.S))
    depth, deepest = 0, 0
    for char in prose:
        depth += char == "("
        deepest = max(deepest, depth)
        depth -= char == ")"
    assert deepest == 1


def test_provisional_marked_wherever_it_appears(edition_latest):
    html = edition_latest[1]
    # the 2008-10 infant-mortality figures are provisional: in the summary, the section and the sources
    assert html.count('<span class="provisional">provisional</span>') >= 5
    assert "an estimate by its source" in text_of(html)


def test_partial_build_summarises_only_what_it_built(partial_build):
    text = text_of(partial_build[1])
    assert "Cancer mortality under 75: on track" in text
    assert "Infant mortality: " not in summary_of(partial_build[1])
    assert "This build shows only cancer; circulatory, infant mortality and life expectancy were not built." in text


def test_briefing_is_self_contained(edition_latest):
    from healthgap.page.report import external_resources

    assert external_resources(edition_latest[1]) == []


# --- where each gap is heading (the projections; their arithmetic is tested in test_projection.py) ---------


def _text(html: str) -> str:
    """The page's text: cells and blocks apart, inline markup (figure links) dropped."""
    spaced = re.sub(r"</(td|th|p|li|div|h\d)>|<br\s*/?>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", spaced))


def test_latest_edition_projects_each_target(edition_latest):
    """The five projections of the latest edition, each checked against an independent implementation of the
    model in test_projection.py (test_latest_edition_projects_four_of_the_five_targets)."""
    text = _text(edition_latest[1])
    # circulatory: every period, 1995-97, 2003-05, 2004-06 and 2006-08, on the log scale: 20.0 (18.2 to 22.0) on
    # two degrees of freedom, too few to judge the target
    assert ("At the pace since 1995-97 the gap would be 20.0 (18.2 to 22.0) in 2009-11, against a target of 22.0 "
            "or less. On four periods the trend is too short to say whether the gap will reach 22.0 (a likelihood "
            "needs at least 5).") in text
    # the pace, with its unit: (22.6 - 36.7) / (2007 - 1996) = -1.28 a year achieved; (22.0 - 22.6) / 3 = -0.20 needed
    assert ("Since 1995-97 the gap has narrowed by 1.28 deaths per 100,000 a year; to reach 22.0 by 2009-11 it must "
            "narrow by 0.20 deaths per 100,000 a year") in text
    # cancer: four periods (1995-97, 2003-05, 2004-06, 2005-07): a projection, too short to judge
    assert ("At the pace since 1995-97 the gap would be 16.8 (13.8 to 20.6) in 2009-11, against a target of 19.5 "
            "or less. On four periods the trend is too short") in text
    # infant mortality: two periods on the linked method; no pace measured across the change of method
    assert ("Too few periods to project: a trend with an interval needs at least 3 periods, and the series has two "
            "on the method used since 2007-09 (2007-09 and 2008-10).") in text
    assert "The pace since the 1997-99 baseline cannot be measured: the method changed in 2007-09." in text
    # life expectancy: five periods, three degrees of freedom, the whole interval above the target
    assert ("At the pace since 1995-97 the gap would be 2.69% (2.39% to 3.03%) in 2009-11, against a target of "
            "2.29% or less. The whole 95% interval misses the target: on this trend it is unlikely to be met.") in text
    assert ("At the pace since 1995-97 the gap would be 2.01% (1.72% to 2.35%) in 2009-11, against a target of "
            "1.58% or less. The whole 95% interval misses the target: on this trend it is unlikely to be met.") in text
    # the pace rests on the published 7 % widening: 100 x 1.9 / 74.6 x 0.07 / 11 = 0.016 a year, a widening however
    # the baseline and the change were rounded; no pace calls a published widening no movement
    assert ("Since 1995-97 the gap has widened by 0.016 percentage points a year (its published change from the "
            "baseline, spread over the years between)") in text
    assert "cannot tell from no movement" not in text
    # no likelihood anywhere on fewer than three degrees of freedom, and no method jargon in the sections
    assert text.count("likely to be met") == 2
    assert "least squares" not in text.split("How the projections are made, and how they have done")[0]
    assert "Computed from all four periods from 1995-97 to 2006-08, as a steady percentage change a year" in text
    # the summary table gives it under the target
    assert "22.0 by 2009-11 trend: 20.0 (18.2 to 22.0)" in text
    # and the chart's alt text says it
    assert "A dash-dot line and a hatched fan project the trend since 1995-97 to 2009-11: 20.0 (18.2 to 22.0)." \
        in edition_latest[1]


def test_the_back_test_of_the_2004_06_edition(edition_latest, edition_2004_06):
    text = _text(edition_latest[1])
    # infant mortality, 2004-06 edition, to 2006-08 (observed 16%): the new model on all six periods, 20% (13% to
    # 29%) on four degrees of freedom; the earlier model on 1997-99, 2001-03 and 2004-06, 20% (-41% to 80%) on one.
    assert ("2004-06 Infant mortality (relative gap) 23% (13% to 43%) in 2009-11 2006-08 16% 20% (13% to 29%) (4) "
            "inside 20% (-41% to 80%) (1) inside") in text
    # the other targets had two periods that share no year in 2004-06: the earlier model could not project; the
    # new one can, on one degree of freedom
    assert ("2004-06 Circulatory disease mortality under 75 (absolute gap) 20.2 (12.6 to 32.4) in 2009-11 2006-08 "
            "22.6 22.8 (16.5 to 31.6) (1) inside too few periods –") in text
    assert "Earlier model: projected (degrees of freedom)" in text
    # the 2004-06 edition itself shows no back-test: it cannot know what happened after it
    assert "What earlier editions' trends foresaw" not in edition_2004_06[1]


# --- issue 18: what the pages say about movement ------------------------------------------------------------------


def section_of(text: str, title: str, following: str | None) -> str:
    body = text.split(title, 1)[1]
    return body.split(following, 1)[0] if following else body


def test_2004_06_infant_mortality_declined_for_the_second_consecutive_period(edition_2004_06):
    text = text_of(edition_2004_06[1])
    section = section_of(text, "Infant mortality Infant deaths", "Life expectancy at birth Life")
    # 19 % (2002-04), 18 % (2003-05), 17 % (2004-06): one precision, each below the one before; the Department
    # (PharmaTimes, December 2007) said so in words; 17 % is still wider than 13 % (1997-99) and the target is off track
    assert ("Between 2003-05 and 2004-06 the gap narrowed, from 18%† to 17%†, the second consecutive period it "
            "narrowed, as the Department of Health said: “the infant mortality gap has now declined for the second "
            "consecutive period” (PharmaTimes, December 2007). It is still wider than at the 1997-99 baseline and off "
            "track.") in section
    assert "Verdict: not on track." in section


def test_no_page_calls_figures_of_one_precision_indistinguishable(edition_2004_06, edition_latest):
    early, late = text_of(edition_2004_06[1]), text_of(edition_latest[1])
    assert "18% and 17%" not in early
    # 74.6 - 72.7 = 1.9 and 77.9 - 75.8 = 2.1 years: their rounding ranges only touch at 2.0
    assert "1.9 and then 2.1 years" not in late and "1.4 and then 1.6 years" not in late
    assert "Between 1995-97 and 2006-08 the absolute gap widened from 1.9 to 2.1 years too." in late


def test_sources_statements_in_the_latest_edition(edition_latest):
    text = text_of(edition_latest[1])
    # the October 2011 bulletin's statements on the life-expectancy gaps, reproduced with their source
    assert ("No figure of the gap was found for a period after 2006-08, but sources said in words how it moved: "
            "Bambra (2012), of 2007-09: “while inequalities in male and female LE continued to increase (2007–2009)”"
            ) in text
    assert ("the Department of Health, of 1999-01 to 2008-10: “both the absolute and relative gaps in female life "
            "expectancy between these areas and England as a whole increased between 1999-01 and 2008-10” (Actuarial "
            "Post, October 2011)") in text
    # the reconciliation sets each statement beside the figures
    reconciliation = edition_latest[1].split('id="reconciliation"', 1)[1].split("</details>", 1)[0]
    assert "Statements of movement against the figures" in reconciliation
    assert "cannot be checked" in reconciliation


def test_the_header_claims_only_what_the_edition_reproduces(edition_latest):
    text = text_of(edition_latest[1])
    assert "This edition reproduces" not in text
    assert ("This edition is set at the date of Mortality Monitoring Bulletin: update to include data for 2010 "
            "(Department of Health, October 2011). It reproduces the bulletin's England figures for 2008-10 (life expectancy, and the cancer and circulatory death rates)") in text
    assert "Figures from sources published after it are marked † where the text uses them" in text
    # the introduction says where the figures come from
    assert "reproduces the Department's published figures" not in text
    assert "mostly as Parliament, the National Audit Office and the press reported them" in text


def test_no_jargon_in_the_sections(edition_latest):
    text = text_of(edition_latest[1])
    body = text.split("In brief", 1)[1].split("Where sources disagree", 1)[0]
    sections = re.sub(r"Sources for .*?(?=Cancer mortality under 75 Deaths|Circulatory disease mortality under 75 "
                      r"Deaths|Infant mortality Infant deaths|Life expectancy at birth Life|$)", " ", body)
    for jargon in ("least squares", "NS-SEC", "periods that share no year"):
        assert jargon not in sections, jargon


def test_the_female_life_expectancy_chart_shows_the_published_widening(edition_latest):
    alts = re.findall(r'alt="([^"]*)"', edition_latest[1])
    female = next(a for a in alts if "relative gap in life expectancy at birth, females" in a)
    # 100 x 1.4 / 79.7 = 1.757 % in 1995-97; 14 % wider in 2006-08 as published: 1.757 x 1.14 = 2.00 %
    assert "A dotted line gives the gap as the published changes from the baseline imply it: 1.95% in 2004-06; " \
           "1.95% in 2005-07; 2.00% in 2006-08." in female


def test_no_sentence_repeated_across_sections(edition_latest):
    text = text_of(edition_latest[1]).split("Where sources disagree", 1)[0]
    titles = ("Cancer mortality under 75 Deaths", "Circulatory disease mortality under 75 Deaths",
              "Infant mortality Infant deaths", "Life expectancy at birth Life")
    parts = [section_of(text, t, None).split("Sources for", 1)[0] for t in titles]
    seen: dict[str, int] = {}
    for i, part in enumerate(parts):
        for sentence in set(re.split(r"(?<=\.) ", part)):
            if len(sentence) > 60:
                seen.setdefault(sentence, set()).add(i)
    assert [s for s, where in seen.items() if len(where) > 1] == []
