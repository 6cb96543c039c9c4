"""The committed notebooks: thin, parameterised, without outputs, and alike but for the indicator."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("cancer", "circulatory", "infant_mortality", "life_expectancy")


def notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


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
    tagged = [c for c in notebook(name).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    parameters = papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"))
    assert {p: parameters[p]["default"] for p in parameters} == {
        # run by hand, a notebook writes to a scratch folder, never beside the published briefing
        "data_dir": '"../data"', "as_of": "None", "output_dir": '"../outputs/scratch"'}


def code_without_indicator(name: str) -> list[str]:
    return [re.sub(r'SECTION = "\w+"', 'SECTION = "…"', c.source) for c in notebook(name).cells if c.cell_type == "code"]


def test_notebooks_differ_only_in_the_indicator():
    first = code_without_indicator(NAMES[0])
    for name in NAMES[1:]:
        assert code_without_indicator(name) == first


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_thin(name):
    # calls into healthgap and display only: no arithmetic on figures, no numbers typed in
    code = "\n".join(c.source for c in notebook(name).cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    assert not re.search(r"\d", code.replace("SECTION", "")), "a number is typed into the notebook"
    assert len(code.splitlines()) < 25
