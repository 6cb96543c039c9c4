"""An analyst's edits, each in one place, and the built page follows (README, "Editing a notebook"):

1. the cancer chart showing only the relative gap: one argument in ``notebooks/cancer.ipynb``;
2. one area left out of the group: one key, ``[group] exclude``; the area count, the group's value and the SII follow;
3. a paragraph that appears in one edition only: one cell.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

import healthgap as hg
from healthgap.build.pipeline import build_briefing

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth"
COMMENTARY = "Read with the Department of Health's December 2007 update, which this edition reproduces."

pytestmark = pytest.mark.notebooks


def edited_cancer(folder: Path) -> Path:
    """notebooks/cancer.ipynb with the two edits the README shows: the chart's one argument, and one cell."""
    notebook = nbformat.read(ROOT / "notebooks" / "cancer.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if "page.chart(a)" in c.source)
    cell.source = cell.source.replace("page.chart(a)", 'page.chart(a, measure="relative", levels=False)')
    heading = next(i for i, c in enumerate(notebook.cells) if "page.heading()" in c.source)
    notebook.cells.insert(heading + 1, nbformat.v4.new_code_cell(
        f'page.commentary("{COMMENTARY}", only_in="2004-06")', metadata={"tags": ["page"]}))
    path = folder / "notebooks" / "cancer.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The edited cancer notebook built on the national record (latest and 2004-06) and on the own-data example."""
    folder = tmp_path_factory.mktemp("edited")
    notebook = edited_cancer(folder)
    pages = {}
    for name, data, edition in (("2004-06", ROOT / "data", "2004-06"), ("example", EXAMPLE, None)):
        out = folder / f"out-{name}"
        pages[name] = build_briefing(data, out, edition, notebooks=[notebook], jobs=1).read_text("utf-8")
    return pages


def alts(html: str) -> list[str]:
    return re.findall(r'<img [^>]*alt="([^"]*)"', html)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_the_cancer_chart_shows_only_the_relative_gap(edited, example_build):
    # as shipped: both groups' rates beside the absolute gap (the gap without a target is the absolute one)
    before = [a for a in alts(example_build[1]) if "cancer mortality" in a and "slope index" not in a
              and "Dot chart" not in a]
    assert len(before) == 1 and before[0].startswith("Line chart of preventable cancer mortality under 75")
    assert "Chart of the absolute gap in preventable cancer mortality under 75" in before[0]
    # edited: the relative gap alone
    after = [a for a in alts(edited["example"]) if "slope index" not in a and "Dot chart" not in a]
    assert len(after) == 1 and after[0].startswith("Chart of the relative gap in preventable cancer mortality under 75:")
    assert "Line chart" not in after[0] and "absolute gap" not in after[0]
    # the national record publishes no relative gap for cancer: the edited section draws no chart there
    assert [a for a in alts(edited["2004-06"]) if "cancer" in a] == []


def test_a_paragraph_in_one_edition_only(edited):
    assert f'<p class="commentary">{COMMENTARY}</p>' in edited["2004-06"]
    assert COMMENTARY not in edited["example"]  # the latest edition of other data


def test_one_area_left_out_of_the_group(tmp_path, example_build):
    data = tmp_path / "example"
    shutil.copytree(EXAMPLE, data)
    config = data / "briefing.toml"
    code = hg.load(EXAMPLE).group.codes[0]  # the most deprived of the 58
    config.write_text(config.read_text(encoding="utf-8").replace(
        'areas = "cvd"', f'areas = "cvd"\nexclude = ["{code}"]'), encoding="utf-8")
    page = build_briefing(data, tmp_path / "out", None, sections=["circulatory"], jobs=1).read_text("utf-8")
    before, after = hg.analyse(hg.load(EXAMPLE), "circulatory", "persons"), \
        hg.analyse(hg.load(data), "circulatory", "persons")
    name = hg.load(EXAMPLE).areas.set_index("area_code").loc[code, "area_name"]
    # the area count
    assert f"leaving out {name} ({code}): 57 areas" in page
    assert "58 areas" in example_build[1] and f"leaving out {name}" not in example_build[1]
    # the group's value and the SII, as the page shows them, follow the analysis without the area
    for a, html in ((before, text(example_build[1])), (after, text(page))):
        group = a.levels[(a.levels["group"] == "group") & (a.levels["period"] == "2022-24")]["value"].iloc[0]
        assert f"areas' values of the most deprived fifth of local authorities was {group:.1f} deaths per 100,000" in html
        assert f"slope index of inequality in 2022-24 was {a.sii['sii'].iloc[-1]:.1f}" in html
    assert round(before.levels.query("group == 'group' and period == '2022-24'")["value"].iloc[0], 1) != \
        round(after.levels.query("group == 'group' and period == '2022-24'")["value"].iloc[0], 1)
    assert code not in set(after.areas["area_code"]) and len(after.areas) == len(before.areas) - 1
