"""The build pipeline: checking, executing (papermill), failing safely and publishing atomically.

Tests marked ``notebooks`` execute small toy notebooks written into pytest's tmp_path.
"""

from __future__ import annotations

import re
import shutil
import sys
import types
from datetime import datetime
from pathlib import Path

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from healthgap import cli
from healthgap.build import incremental

DATA = Path(__file__).resolve().parent.parent / "data"
from healthgap.build.pipeline import (
    BuildError,
    build_briefing,
    check_parameters,
    committed_cell_index,
    describe_failure,
)

PARAMETERS = 'data_dir = "../data"\nas_of = None\noutput_dir = "../outputs"\nsection = None'
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAACAAAB4iG8MwAAAABJRU5ErkJggg=="
ALT = "Cancer mortality gap, 1995-97 to 2004-06: narrowing"
FIGURE = f"""\
import base64, pathlib, sys
from IPython.display import Image, display
pathlib.Path(output_dir, "figures.csv").write_text("area,gap\\nEngland,1.5\\n")
print("data folder exists:", pathlib.Path(data_dir).is_dir(), "as of", as_of)
print("STDERR-NOISE", file=sys.stderr)
display(Image(base64.b64decode("{PNG}")), metadata={{"image/png": {{"alt": "{ALT}"}}}})
"""
VALIDATION_MESSAGE = "observations.csv line 7: rate -3.0 is negative; expected a rate >= 0"


def write_notebook(path: Path, *cells: nbformat.NotebookNode, parameters: str = PARAMETERS) -> Path:
    """Write a committed (output-free) notebook whose first cell is tagged ``parameters``."""
    notebook = new_notebook(
        cells=[new_code_cell(parameters, metadata={"tags": ["parameters"]}), *cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                  "language_info": {"name": "python"}},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


PAGE = {"tags": ["page"]}


def figure_notebook(folder: Path) -> Path:
    """Markdown, then a figure with alt text; writes figures.csv into output_dir (both cells for the page)."""
    return write_notebook(folder / "figures.ipynb", new_markdown_cell("# Figures\n\nThe gap narrowed.", metadata=PAGE),
                          new_code_cell(FIGURE, metadata=PAGE))


def text_notebook(folder: Path) -> Path:
    """Markdown and printed text for the page, plus a working cell that stays out of it."""
    return write_notebook(
        folder / "text.ipynb",
        new_markdown_cell("## Life expectancy\n\nA second section.", metadata=PAGE),
        new_code_cell("print('REMOVED')"),
        new_code_cell("print('life expectancy gap: 2.1 years')", metadata=PAGE),
    )


def broken_notebook(folder: Path) -> Path:
    """Fails in its fourth cell (index 3) with a data-validation error."""
    return write_notebook(
        folder / "broken.ipynb",
        new_markdown_cell("# Broken"),
        new_code_cell("class DataValidationError(ValueError):\n    pass"),
        new_code_cell(f"\n# validate the data\nraise DataValidationError({VALIDATION_MESSAGE!r})"),
        new_code_cell("print('never reached')"),
    )


def front_matter(data_dir: Path, as_of: str | None, output_dir: Path, sections: list[str]) -> str:
    """Toy front matter with a build timestamp (the only part allowed to differ)."""
    return f'<h1>Toy briefing</h1><p class="edition">Data as of {as_of}; built {datetime.now().isoformat()}</p>'


def without_timestamp(html: str) -> str:
    return re.sub(r"built \S+</p>", "built TIME</p>", html)


def no_back_matter(data_dir: Path, as_of: str | None, output_dir: Path, indicators: list[str]) -> str:
    return ""


@pytest.fixture(autouse=True)
def build_no_back_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Toy builds have no data tables: the real back matter (healthgap.page.appendix) is stubbed out."""
    monkeypatch.setitem(sys.modules, "healthgap.page.appendix",
                        types.SimpleNamespace(back_matter_html=no_back_matter))


@pytest.fixture
def build_data(tmp_path: Path) -> Path:
    """A copy of the project's data: the build reads and validates it before any notebook runs."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    return data


# --- fast checks: nothing is executed ---------------------------------------------------------


def test_committed_cell_index_skips_the_injected_cell() -> None:
    committed = new_notebook(cells=[new_markdown_cell("# T"), new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                                    new_code_cell("y = 2"), new_code_cell("z = 3")])
    # executed: 0 markdown, 1 parameters, 2 injected-parameters, 3 "y = 2", 4 "z = 3"
    assert [committed_cell_index(committed, i) for i in range(5)] == [0, 1, None, 2, 3]
    committed.cells.insert(2, new_code_cell("x = 5", metadata={"tags": ["injected-parameters"]}))
    assert committed_cell_index(committed, 2) is None and committed_cell_index(committed, 3) == 3


def test_describe_failure_is_one_line_in_committed_terms(tmp_path: Path) -> None:
    notebook = broken_notebook(tmp_path)
    error = papermill.PapermillExecutionError(
        cell_index=4, exec_count=3, source="\n# validate\nraise X()", ename="DataValidationError",
        evalue="rate is\nnegative", traceback=[])
    assert describe_failure(notebook, error) == (
        'broken.ipynb, cell 3 ("# validate"): DataValidationError: rate is negative')


def test_misspelt_parameter_is_an_error(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "typo.ipynb",
                              parameters='data_dri = "../data"\nas_of = None\noutput_dir = "../outputs"\nsection = None')
    with pytest.raises(BuildError, match=r"typo\.ipynb does not declare parameter 'data_dir'"):
        check_parameters(notebook)


def test_parameter_papermill_cannot_parse_is_an_error(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "comment.ipynb", parameters=(
        'data_dir = "../data"\nas_of = None  # None = the latest\noutput_dir = "../outputs"\nsection = None'))
    with pytest.raises(BuildError, match=r"comment\.ipynb: papermill cannot read parameter 'as_of' on line 2"
                                         r".*more than one '='"):
        check_parameters(notebook)


def test_missing_parameters_cell_is_an_error(tmp_path: Path) -> None:
    notebook = tmp_path / "bare.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), notebook)
    with pytest.raises(BuildError, match=r"bare\.ipynb has no cell tagged 'parameters'"):
        check_parameters(notebook)


def test_bad_parameters_stop_the_build_before_anything_runs(tmp_path: Path, build_data: Path) -> None:
    good = figure_notebook(tmp_path / "notebooks")
    typo = write_notebook(tmp_path / "notebooks" / "typo.ipynb",
                          parameters='data_dir = "../data"\nasof = None\noutput_dir = "../outputs"\nsection = None')
    called: list[str | None] = []
    with pytest.raises(BuildError, match=r"typo\.ipynb does not declare parameter 'as_of'"):
        build_briefing(build_data, tmp_path / "out", None, notebooks=[good, typo],
                       front_matter=lambda data, as_of: called.append(as_of) or "")
    assert called == [] and not (tmp_path / "out").exists()


def test_missing_data_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="data folder .* not found"):
        build_briefing(tmp_path / "nowhere", tmp_path / "out", None,
                       notebooks=[figure_notebook(tmp_path)], front_matter=front_matter, back_matter=no_back_matter)


def test_cli_reports_build_errors_on_one_line(tmp_path: Path, build_data: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    typo = write_notebook(tmp_path / "typo.ipynb", parameters='data_dir = "../data"\nas_of = None')
    status = cli.main(["build", "--data", str(build_data), "--out", str(tmp_path / "out"),
                       "--notebooks", str(typo)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: notebook typo.ipynb does not declare parameter 'output_dir'")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_reports_data_validation_errors(tmp_path: Path, build_data: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # an edition that names no period of the data stops the build before any notebook runs
    status = cli.main(["build", "--data", str(build_data), "--out", str(tmp_path / "out"),
                       "--as-of", "2099-01", "--notebooks", str(figure_notebook(tmp_path))])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("error: as-of period '2099-01' is not a period in the data (periods: 1995-97, ")
    assert err.count("\n") == 1 and not (tmp_path / "out" / "briefing.html").exists()
    assert [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")] == []


def test_cli_rejects_unknown_section_names(tmp_path: Path, build_data: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["build", "--data", str(build_data), "--out", str(tmp_path / "out"),
                       "--sections", "cancre"])
    assert status == 1
    assert ("unknown section 'cancre'; expected one of cancer, circulatory, infant_mortality, life_expectancy "
            "(the [sections] of data/briefing.toml)") in capsys.readouterr().err


# --- executing notebooks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def build_sequential(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """A successful one-at-a-time build of two toy notebooks, over a stale failed/ copy."""
    root = tmp_path_factory.mktemp("sequential")
    shutil.copytree(DATA, root / "data")
    notebooks = [figure_notebook(root / "notebooks"), text_notebook(root / "notebooks")]
    stale = root / "out" / "failed" / "figures.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    briefing = build_briefing(root / "data", root / "out", "2004-06", notebooks=notebooks,
                              front_matter=front_matter, back_matter=no_back_matter)
    return root, briefing, notebooks


@pytest.mark.notebooks
def test_build_writes_a_self_contained_briefing(build_sequential: tuple[Path, Path, list[Path]]) -> None:
    root, briefing, _ = build_sequential
    assert briefing == (root / "out").resolve() / "briefing.html"
    html = briefing.read_text(encoding="utf-8")
    body = html[html.index("<body"):]
    assert "<script src=" not in html
    assert not re.search(r"<(?:link|script|img)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", html)
    assert "In [" not in body and "In&nbsp;[" not in body and "display(Image" not in body
    assert f'alt="{ALT}"' in html and f'src="data:image/png;base64,{PNG}"' in html
    assert "STDERR-NOISE" not in html and "REMOVED" not in html
    assert "data folder exists: True as of 2004-06" in html
    assert html.index("Toy briefing") < html.index("The gap narrowed.") < html.index("life expectancy gap")


@pytest.mark.notebooks
def test_build_publishes_notebooks_and_outputs(build_sequential: tuple[Path, Path, list[Path]]) -> None:
    root, _, _ = build_sequential
    out = root / "out"
    assert (out / "figures.csv").read_text() == "area,gap\nEngland,1.5\n"
    executed = nbformat.read(out / "notebooks" / "figures.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    # the kept copy, re-run by hand, writes to a scratch folder: never into the published output
    assert 'output_dir = "../scratch"' in injected[0].source  # relative to the published notebooks/ folder
    assert injected[0].id == "injected-parameters"
    # no clock readings and no build folders in the published copy: two builds publish the same bytes
    assert set(executed.metadata["papermill"]) == {"parameters", "version"}
    assert not any("execution" in c.metadata or "papermill" in c.metadata for c in executed.cells)
    assert (out / "notebooks" / "text.ipynb").is_file()
    assert not (out / "failed").exists()  # the stale copy of a notebook that now succeeds
    assert not list(out.glob(".staging-*")) and not list(out.glob(".link-*"))
    # one generation is kept, the one published
    assert len(list((out / ".healthgap" / "generations").iterdir())) == 1


@pytest.mark.notebooks
def test_failing_notebook_keeps_the_last_good_briefing(tmp_path: Path, build_data: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    last_good = b"<!DOCTYPE html><title>last good briefing</title>\n"
    (out / "briefing.html").write_bytes(last_good)
    # a briefing healthgap wrote (as an earlier version did, a file rather than a link): the manifest records it
    incremental.save_manifest(out, {"briefing_sha256": incremental.file_digest(out / "briefing.html")})
    notebooks = [figure_notebook(tmp_path / "notebooks"), broken_notebook(tmp_path / "notebooks")]

    with pytest.raises(BuildError) as caught:
        build_briefing(build_data, out, None, notebooks=notebooks, front_matter=front_matter, back_matter=no_back_matter)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith('notebook broken.ipynb, cell 3 ("# validate the data"): '
                              f"DataValidationError: {VALIDATION_MESSAGE}")
    assert str(out / "failed") in message
    assert (out / "briefing.html").read_bytes() == last_good
    failed = nbformat.read(out / "failed" / "broken.ipynb", as_version=4)
    errors = [o for c in failed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].evalue == VALIDATION_MESSAGE
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["briefing.html", "failed"]
    assert list((out / ".healthgap" / "generations").iterdir()) == []  # the failed generation is gone


@pytest.mark.notebooks
def test_parallel_build_gives_the_same_briefing(tmp_path: Path,
                                                build_sequential: tuple[Path, Path, list[Path]]) -> None:
    root, sequential, notebooks = build_sequential
    parallel = build_briefing(root / "data", tmp_path / "out", "2004-06", notebooks=notebooks,
                              jobs=2, front_matter=front_matter, back_matter=no_back_matter)
    assert without_timestamp(parallel.read_text(encoding="utf-8")) == without_timestamp(
        sequential.read_text(encoding="utf-8"))
    assert (tmp_path / "out" / "figures.csv").is_file()


@pytest.mark.notebooks
def test_parallel_build_reports_the_first_failure_in_notebook_order(tmp_path: Path, build_data: Path) -> None:
    folder = tmp_path / "notebooks"
    notebooks = [broken_notebook(folder), figure_notebook(folder)]
    with pytest.raises(BuildError, match=r"^notebook broken\.ipynb, cell 3 "):
        build_briefing(build_data, tmp_path / "out", None, notebooks=notebooks, jobs=2,
                       front_matter=front_matter, back_matter=no_back_matter)
    assert not (tmp_path / "out" / "briefing.html").exists()
    assert not (tmp_path / "out" / "figures.csv").exists()


@pytest.mark.notebooks
def test_cli_build_prints_where_it_wrote(tmp_path: Path, build_data: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "healthgap.page.summary", types.SimpleNamespace(front_matter_html=front_matter))
    status = cli.main(["build", "--data", str(build_data), "--out", str(tmp_path / "out"),
                       "--notebooks", str(text_notebook(tmp_path / "notebooks"))])
    assert status == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"running text\.ipynb\nfinished text\.ipynb in \d+\.\d s\n"
                        r"wrote \S+briefing\.html in \d+\.\d s \(1 notebook run, 0 reused\)\n", out)
    assert (tmp_path / "out" / "briefing.html").is_file()


# --- incremental builds -----------------------------------------------------------------------


@pytest.mark.notebooks
def test_unchanged_inputs_build_nothing_and_an_edit_reruns_only_its_notebook(tmp_path: Path, build_data: Path) -> None:
    import os

    folder = tmp_path / "notebooks"
    notebooks = [figure_notebook(folder), text_notebook(folder)]
    out = tmp_path / "out"
    events: list[str] = []
    briefing = build_briefing(build_data, out, None, notebooks=notebooks, progress=events.append)
    assert sorted(e.split()[0] for e in events) == ["finished", "finished", "running", "running"]
    site = os.readlink(out / "site")

    events.clear()
    assert build_briefing(build_data, out, None, notebooks=notebooks, progress=events.append) == briefing
    assert events == [f"{briefing} is up to date"] and os.readlink(out / "site") == site

    text = nbformat.read(notebooks[1], as_version=4)
    text.cells[-1].source = "print('life expectancy gap: 2.2 years')"
    nbformat.write(text, notebooks[1])
    events.clear()
    build_briefing(build_data, out, None, notebooks=notebooks, progress=events.append)
    assert "reused figures.ipynb (unchanged)" in events and "running text.ipynb" in events
    assert "running figures.ipynb" not in events
    assert "life expectancy gap: 2.2 years" in (out / "briefing.html").read_text(encoding="utf-8")
    assert os.readlink(out / "site") != site  # a new generation, published as one unit

    events.clear()  # another edition: every notebook's parameters changed
    build_briefing(build_data, out, "2004-06", notebooks=notebooks, progress=events.append)
    assert sorted(e for e in events if e.startswith("running")) == ["running figures.ipynb", "running text.ipynb"]


def test_the_up_to_date_check_imports_nothing_heavy(tmp_path: Path, build_data: Path) -> None:
    import json
    import subprocess

    from healthgap.build import incremental

    notebook = figure_notebook(tmp_path / "notebooks")
    out = tmp_path / "out"
    out.mkdir()
    (out / "briefing.html").write_text("<html></html>", encoding="utf-8")
    _, page = incremental.keys([(notebook.stem, notebook)], build_data, None)
    incremental.save_manifest(out, {"page": page, "notebooks": {},
                                    "briefing_sha256": incremental.file_digest(out / "briefing.html")})
    script = (
        "import sys; from healthgap import cli; "
        f"status = cli.main(['build', '--data', {str(build_data)!r}, '--out', {str(out)!r}, "
        f"'--notebooks', {str(notebook)!r}]); "
        "import json; print(json.dumps([status, sorted(m for m in ('scipy', 'nbformat', 'papermill', 'matplotlib', "
        "'pandas', 'nbconvert') if m in sys.modules)]))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0].endswith("is up to date: nothing changed (" + lines[0].rsplit("(", 1)[1])
    assert json.loads(lines[-1]) == [0, []]


@pytest.mark.parametrize("source", [
    'data_dir = "../data"  # folder\nas_of = None\noutput_dir = "out"',
    'data_dir = "a"  # a = b has two equals\nas_of = None',
    'x: int = 3\ny = [1,\n     2]  # a list over lines\n# comment\n\nz = {"a": 1}',
    'bad line without assignment\nname="v"',
])
def test_parameter_parsing_agrees_with_papermill(tmp_path: Path, source: str) -> None:
    from healthgap.build.pipeline import papermill_parameters

    notebook = write_notebook(tmp_path / "p.ipynb", parameters=source)
    expected = {name: p["default"] for name, p in papermill.inspect_notebook(str(notebook)).items()}
    assert papermill_parameters(source) == expected
