"""The committed notebooks: each indicator's analysis, step by step, parameterised, committed without outputs,
its page cells tagged; each runs top to bottom on the national record and on an analyst's own data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("cancer", "circulatory", "infant_mortality", "life_expectancy", "indicator")
STEPS = ("The rows used", "The group's and the comparator's values", "The gap of record", "The target and the verdict",
         "Where the gap is heading", "The section, as the page shows it")


def notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    for cell in notebook(name).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_nbstripout_would_change_nothing():
    # `make strip` on the committed notebooks is a no-op: no outputs, counts or stray metadata
    nbstripout = Path(sys.executable).parent / "nbstripout"
    paths = [str(ROOT / "notebooks" / f"{name}.ipynb") for name in NAMES]
    result = subprocess.run([str(nbstripout), "--verify", *paths], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell(name):
    tagged = [c for c in notebook(name).cells if "parameters" in tags(c)]
    assert len(tagged) == 1
    parameters = papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"))
    assert {p: parameters[p]["default"] for p in parameters} == {
        # run by hand, a notebook writes to a scratch folder, never beside the published briefing
        "data_dir": '"../data"', "as_of": "None", "output_dir": '"../outputs/scratch"',
        # each indicator's notebook shows its own section; the generic one the section the build gives it
        "section": "None" if name == "indicator" else f'"{name}"'}


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_tells_the_analysis_in_order(name):
    cells = notebook(name).cells
    headings = [line[3:] for c in cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("## ")]
    found = [next((i for i, h in enumerate(headings) if h.startswith(step)), -1) for step in STEPS]
    assert -1 not in found and found == sorted(found), headings
    # every step is a call or two into healthgap, its result shown; the page's cells are tagged, at the end
    page = [i for i, c in enumerate(cells) if "page" in tags(c)]
    assert len(page) >= 3 and all(cells[i].cell_type == "code" for i in page)
    working = [i for i, c in enumerate(cells) if c.cell_type == "code" and "page" not in tags(c)
               and "parameters" not in tags(c)]
    assert len(working) >= 6 and working[0] < page[0]


@pytest.mark.parametrize("name", NAMES)
def test_no_figure_is_typed_into_a_notebook(name):
    # calls into healthgap and display only: no arithmetic on figures, no numbers typed in
    code = "\n".join(c.source for c in notebook(name).cells if c.cell_type == "code" and "parameters" not in tags(c))
    assert not re.search(r"\d", code), "a number is typed into the notebook"


def test_what_is_particular_to_an_indicator_lives_in_its_notebook():
    infant = "\n".join(c.source for c in notebook("infant_mortality").cells)
    assert "## The change of method" in infant and "briefing.breaks_for(" in infant
    assert "breaks_for" not in "\n".join(c.source for c in notebook("cancer").cells)
    life = "\n".join(c.source for c in notebook("life_expectancy").cells if c.cell_type == "markdown")
    assert "males and females are never pooled" in life


def ran_top_to_bottom(executed: Path) -> None:
    nb = nbformat.read(executed, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), executed.name  # every code cell ran, in order
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == [], executed.name


@pytest.mark.notebooks
@pytest.mark.parametrize("name", ("cancer", "circulatory", "infant_mortality", "life_expectancy"))
def test_each_runs_on_the_national_record(edition_latest, name):
    ran_top_to_bottom(edition_latest[0].parent / "notebooks" / f"{name}.ipynb")


@pytest.mark.notebooks
@pytest.mark.parametrize("name", ("cancer", "circulatory", "life_expectancy"))
def test_each_runs_on_an_analysts_own_data(example_build, name):
    ran_top_to_bottom(example_build[0].parent / "notebooks" / f"{name}.ipynb")


@pytest.mark.notebooks
def test_the_generic_notebook_runs_with_its_defaults(tmp_path):
    """Run by hand as committed (no section given): it reads the data and says there is nothing to show."""
    target = tmp_path / "indicator.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "indicator.ipynb"), str(target), kernel_name="python3",
                               cwd=str(ROOT / "notebooks"), progress_bar=False,
                               parameters={"output_dir": str(tmp_path / "scratch")})
    ran_top_to_bottom(target)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nbformat.read(target, as_version=4).cells
                   for o in c.get("outputs", []))
    assert "No section is given to this notebook: set <code>section</code> to one of cancer, circulatory" in html
