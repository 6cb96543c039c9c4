"""The own-data example end to end: the same four notebooks on Fingertips and ONS series for every
lower-tier local authority, the most deprived fifth against England."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from test_briefing import CODE_TOKEN, summary_of, text_of

pytestmark = pytest.mark.notebooks


def test_summary_states_the_gaps_with_their_intervals(example_build):
    summary = summary_of(example_build[1])
    # worked from the files: 76.0 - 60.8 = 15.2 in 2001-03, 40.5 - 30.2 = 10.3 in 2022-24; intervals do not overlap
    assert ("Preventable cardiovascular mortality under 75: narrowed significantly. In 2022-24 the absolute gap was "
            "10.3 deaths per 100,000 (95% confidence interval 9.7 to 11.0), against 15.2 deaths per 100,000 "
            "(14.2 to 16.2) in 2001-03.") in summary
    # life expectancy has no limits in the data: no movement beyond the values' rounding is claimed
    assert "Life expectancy at birth, males: no change beyond rounding." in summary


def test_the_circulatory_section(example_build):
    text = text_of(example_build[1])
    assert ("The most deprived fifth of local authorities' rate was 40.5 deaths per 100,000 (39.8 to 41.3) in 2022-24, "
            "against England's 30.2 (30.0 to 30.5).") in text
    assert "The relative gap tells a different story: it widened significantly from 25.0% to 34.1% between 2001-03 and 2022-24." in text
    assert ("The most deprived fifth of local authorities is the fifth of the 292 lower-tier local authorities with the "
            "highest average score on the Index of Multiple Deprivation (English Indices of Deprivation 2025): 58 areas. "
            "Its value in each period is the unweighted mean of its areas' values (the data give no populations).") in text
    assert "slope index of inequality in 2022-24 was" in text


def test_a_section_the_data_lacks_is_left_out_with_one_line(example_build):
    text = text_of(example_build[1])
    assert "The infant mortality section is left out: this data's configuration gives it no indicator." in text


def test_every_area_ranked_and_the_files_named(example_build):
    path, html = example_build
    ranking = html.split('id="ranking-section-circulatory"', 1)[1].split("</details>", 1)[0]
    assert ranking.count("<tr") == 293 and ranking.count('class="member"') == 58
    text = text_of(html)
    assert "Cornwall: not in the data (another boundary vintage, or part of a combined area)" in text
    assert (path.parent / "data" / "preventable-cardiovascular-mortality-england.csv").is_file()
    figures = pd.read_csv(path.parent / "figures.csv", keep_default_na=False)
    gap = figures.set_index("figure_id").loc["circulatory-persons-2022-24-absolute_gap-record"]
    assert gap["kind"] == "derived" and gap["derivation"].startswith("gaps.gap_interval: ")


def test_links_resolve_and_no_code_on_the_page(example_build):
    html = example_build[1]
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    assert sorted(set(re.findall(r'href="#([^"]+)"', html)) - ids) == []
    html = re.sub(r'<span class="version">.*?</span>', "", html)
    text = re.sub(r"[\w/.-]+\.(?:csv|md|toml|json)\b", " ", text_of(html))
    assert sorted({m.group(0) for m in CODE_TOKEN.finditer(text)}) == []
