"""Build the briefing: execute the parameterised notebooks, then assemble one HTML page.

The build is all-or-nothing for the reader. Notebooks run with papermill into a staging
folder inside the output folder. Only when every notebook succeeded and the page is written
are the executed notebooks and the files the notebooks wrote moved out of staging, and the
new ``briefing.html`` renamed over the old one (``os.replace``: atomic on one file system).
When a notebook fails, the executed notebook with its error is kept in ``failed/`` for the
analyst, the last good briefing stays untouched, and a one-line ``BuildError`` says where
and why.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default

from healthgap.report import assemble_briefing

KERNEL_NAME = "python3"
"""The Jupyter kernel every notebook runs on (registered in the project's environment)."""

BRIEFING_NAME = "briefing.html"
FAILED_DIR = "failed"
NOTEBOOKS_DIR = "notebooks"
STAGING_PREFIX = ".staging-"

BRIEFING_TITLE = "Health-inequality briefing"
"""The page title when the data gives none; the period the briefing is ``as_of`` is appended when one is given."""

SUMMARY_PREFIX = "summary-"
"""Each section writes ``summary-<notebook>.json``: its lines of the opening summary."""

PARAMETER_NAMES = ("data_dir", "as_of", "output_dir")
"""The parameters every notebook declares in its cell tagged ``parameters``."""

FrontMatter = Callable[[Path, "str | None", Path, "list[str]"], str]
"""(data_dir, as_of, staged output, section names in order) -> the HTML opening the briefing."""
BackMatter = Callable[[Path, "str | None", Path, "list[str]"], str]
"""(data_dir, as_of, staged output, indicators built) -> the HTML closing the briefing."""


class BuildError(RuntimeError):
    """The briefing could not be built; the message is one line, fit for a terminal."""


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager talking to its kernel over Unix sockets instead of TCP ports.

    Kernels started at the same moment by parallel builds can pick the same TCP port
    (``ZMQError: Address already in use``). IPC sockets are files named after the kernel's
    connection file, which is given a unique name here in Jupyter's runtime folder
    (jupyter_client's own fallback, ``./kernel-ipc-N`` in the working folder, collides
    when two notebooks of one folder start together).
    """

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("connection_file")
    def _default_connection_file(self) -> str:
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        # short: the socket paths derived from it must fit in 107 bytes
        return str(runtime / f"hg-{uuid.uuid4().hex[:12]}.json")


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) collapsed to one space."""
    return " ".join(str(text).split())


def _first_source_line(source: str, width: int = 80) -> str:
    """The first non-blank line of a cell's source, shortened to ``width`` characters."""
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def _first_tagged(notebook: nbformat.NotebookNode, tag: str) -> int:
    """Index of the first cell tagged ``tag``, or -1 when none is."""
    for index, cell in enumerate(notebook.cells):
        if tag in cell.get("metadata", {}).get("tags", []):
            return index
    return -1


def committed_cell_index(committed: nbformat.NotebookNode, executed_index: int) -> int | None:
    """Map papermill's cell index (which counts the injected-parameters cell) to the
    committed notebook's own 0-based index; None when the injected cell itself is meant.

    papermill inserts its ``injected-parameters`` cell right after the ``parameters`` cell,
    or replaces an ``injected-parameters`` cell the notebook already has.
    """
    injected = _first_tagged(committed, "injected-parameters")
    if injected >= 0:
        return None if executed_index == injected else executed_index
    inserted_at = _first_tagged(committed, "parameters") + 1
    if executed_index == inserted_at:
        return None
    return executed_index - 1 if executed_index > inserted_at else executed_index


def describe_failure(notebook: Path, error: papermill.PapermillExecutionError) -> str:
    """One line naming the notebook, the failing cell (index and first source line, as in
    the committed notebook) and the error name and value, e.g.
    ``cancer.ipynb, cell 4 ("gap = slope_index(rates)"): ValueError: rates must be positive``.
    """
    committed = nbformat.read(notebook, as_version=4)
    index = committed_cell_index(committed, error.cell_index)
    cell = "the injected-parameters cell" if index is None else f"cell {index}"
    where = f'{cell} ("{_first_source_line(error.source)}")'
    message = one_line(error.evalue)
    return f"{notebook.name}, {where}: {error.ename}" + (f": {message}" if message else "")


# --- checking the notebooks before anything runs -------------------------------------------


def _assignment_lines(source: str) -> dict[str, int]:
    """Names assigned at the top level of Python ``source``, with their 1-based line."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    lines: dict[str, int] = {}
    for statement in tree.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else (
            [statement.target] if isinstance(statement, ast.AnnAssign) else [])
        for target in targets:
            if isinstance(target, ast.Name):
                lines.setdefault(target.id, statement.lineno)
    return lines


def _unreadable_parameter(notebook: Path, name: str, source: str, line: int) -> str:
    """Why papermill cannot see parameter ``name``, assigned on ``line`` of ``source``."""
    text = source.splitlines()[line - 1].strip()
    reason = (
        "papermill skips a line with more than one '=', comment included" if text.count("=") > 1
        else "papermill cannot parse that line"
    )
    return (
        f"notebook {notebook.name}: papermill cannot read parameter {name!r} on line {line} of"
        f" its 'parameters' cell, {text!r} ({reason}); expected `{name} = value  # comment`"
        f" with a single '='"
    )


def check_parameters(notebook: Path, names: Sequence[str] = PARAMETER_NAMES) -> None:
    """Raise BuildError unless papermill sees every parameter of ``names`` in ``notebook``.

    papermill itself only logs a warning for a parameter the notebook does not declare,
    and the run then silently uses the notebook's own default. The names come from
    ``papermill.inspect_notebook``; when a name is missing, the cell's own assignments say
    whether it is misspelt or only unreadable to papermill (papermill skips, for one, a
    line with two '='), and the message says which.
    """
    try:
        committed = nbformat.read(notebook, as_version=4)
        with _quiet_papermill():
            declared = papermill.inspect_notebook(str(notebook))
    except Exception as error:  # unreadable JSON, no kernelspec, ...
        raise BuildError(
            f"cannot read the parameters of notebook {notebook.name}: {one_line(str(error))}"
        ) from error
    index = _first_tagged(committed, "parameters")
    if index < 0:
        raise BuildError(
            f"notebook {notebook.name} has no cell tagged 'parameters'; expected one declaring"
            f" {', '.join(names)}"
        )
    source = committed.cells[index].source
    assigned = _assignment_lines(source)
    for name in names:
        if name in declared:
            continue
        if name in assigned:
            raise BuildError(_unreadable_parameter(notebook, name, source, assigned[name]))
        raise BuildError(
            f"notebook {notebook.name} does not declare parameter {name!r} in its"
            f" 'parameters' cell (it declares {', '.join(assigned) or 'nothing'};"
            f" expected {', '.join(names)})"
        )


@contextlib.contextmanager
def _quiet_papermill() -> Iterator[None]:
    """Silence papermill's log warnings (check_parameters reports the problems itself)."""
    papermill_logger = logging.getLogger("papermill")
    level = papermill_logger.level
    papermill_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        papermill_logger.setLevel(level)


def check_notebooks(notebooks: Sequence[Path]) -> None:
    """Raise BuildError if a notebook is missing, named twice or lacks a parameter."""
    if not notebooks:
        raise BuildError("no notebooks to build; expected at least one .ipynb")
    names = [notebook.name for notebook in notebooks]
    for notebook in notebooks:
        if not notebook.is_file():
            raise BuildError(f"notebook {notebook} not found; expected an existing .ipynb file")
        if names.count(notebook.name) > 1:
            raise BuildError(f"notebook name {notebook.name} appears twice; names must be unique")
    for notebook in notebooks:
        check_parameters(notebook)


# --- running the notebooks -------------------------------------------------------------------


@dataclass(frozen=True)
class NotebookRun:
    """One notebook to execute: source, where the executed copy goes, and its parameters."""

    notebook: Path
    executed: Path
    parameters: dict[str, str | None]


@dataclass(frozen=True)
class RunOutcome:
    """What came of a NotebookRun: ``error`` is a one-line description, None on success."""

    run: NotebookRun
    error: str | None = None


def execute_notebook(run: NotebookRun) -> RunOutcome:
    """Execute one notebook with papermill, in the notebook's folder, on an IPC kernel.

    Never raises for a failing notebook: the failure comes back as a one-line description
    (papermill has already saved the executed notebook, error included, at ``run.executed``).
    Being a module-level function of picklable data, it runs in a worker process as well.
    """
    try:
        papermill.execute_notebook(
            str(run.notebook),
            str(run.executed),
            parameters=run.parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(run.notebook.parent),
            progress_bar=False,
            kernel_manager_class=IPCKernelManager,
        )
    except papermill.PapermillExecutionError as error:
        return RunOutcome(run, describe_failure(run.notebook, error))
    except Exception as error:  # the kernel died or would not start, a timeout, ...
        name = type(error).__name__
        return RunOutcome(run, f"{run.notebook.name}: {name}: {one_line(str(error))}")
    return RunOutcome(run)


def execute_all(runs: Sequence[NotebookRun], jobs: int) -> list[RunOutcome]:
    """Execute ``runs``, in order and stopping at the first failure when ``jobs`` is 1, or
    ``jobs`` at a time in spawned worker processes (all of them run) otherwise.

    Outcomes come back in the order of ``runs``; with ``jobs`` 1 they end at the first failure.
    """
    if jobs <= 1 or len(runs) == 1:
        outcomes: list[RunOutcome] = []
        for run in runs:
            outcomes.append(execute_notebook(run))
            if outcomes[-1].error:
                break
        return outcomes
    context = multiprocessing.get_context("spawn")  # a forked pool hangs with papermill
    with ProcessPoolExecutor(max_workers=min(jobs, len(runs)), mp_context=context) as pool:
        return list(pool.map(execute_notebook, runs))


# --- moving results into place ---------------------------------------------------------------


def repoint_output_dir(executed: Path, staged_output: Path, out_dir: Path) -> None:
    """Make an executed notebook's injected ``output_dir`` name where its files were published,
    so an analyst who re-runs the kept copy writes beside the briefing, not to the removed staging folder."""
    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(repr(str(staged_output)), repr(str(out_dir))).replace(
                f'"{staged_output}"', f'"{out_dir}"'
            )
    nbformat.write(notebook, executed)


def move_tree(source: Path, target: Path) -> None:
    """Move every file under ``source`` to the same relative place under ``target``,
    replacing files of the same name and keeping the other files already in ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            move_tree(entry, target / entry.name)
        else:
            os.replace(entry, target / entry.name)


def keep_failed(outcomes: Sequence[RunOutcome], out_dir: Path) -> list[Path]:
    """Move the executed copy of each failed notebook to ``out_dir/failed/``; return them."""
    kept: list[Path] = []
    for outcome in outcomes:
        if outcome.error and outcome.run.executed.is_file():
            target = out_dir / FAILED_DIR / outcome.run.notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(outcome.run.executed, target)
            kept.append(target)
    return kept


def forget_failures(outcomes: Sequence[RunOutcome], out_dir: Path) -> None:
    """Delete ``out_dir/failed/<name>`` of each notebook that succeeded, and ``failed/``
    itself once it is empty."""
    failed_dir = out_dir / FAILED_DIR
    for outcome in outcomes:
        if not outcome.error:
            (failed_dir / outcome.run.notebook.name).unlink(missing_ok=True)
    if failed_dir.is_dir() and not any(failed_dir.iterdir()):
        failed_dir.rmdir()


def failure_message(outcomes: Sequence[RunOutcome], kept: Sequence[Path]) -> str:
    """The one-line BuildError message for a build where some notebook failed."""
    failures = [outcome.error for outcome in outcomes if outcome.error]
    message = f"notebook {failures[0]}"
    if len(failures) > 1:
        message += f" (and {len(failures) - 1} more notebook(s) failed)"
    if kept:
        message += f"; executed notebook kept in {kept[0].parent}"
    return message


# --- the build -------------------------------------------------------------------------------


def default_notebooks() -> list[Path]:
    """The four briefing notebooks of the repository, in briefing order.

    Located from this module's own file (``healthgap/build.py`` -> ``notebooks/``), which
    holds even when an editable install imports ``healthgap`` as a namespace package
    (whose ``__file__`` is None).
    """
    folder = Path(__file__).resolve().parent.parent / "notebooks"
    names = ("cancer", "circulatory", "infant_mortality", "life_expectancy")
    return [folder / f"{name}.ipynb" for name in names]


def briefing_title(data_dir: Path, as_of: str | None) -> str:
    """The page title from the data's ``briefing.toml``, naming the period when the briefing is as of one.

    Loading the data validates it, so bad data stops the build before any notebook runs.
    """
    from healthgap.data import load_dataset

    from healthgap import local
    from healthgap.data import as_of as known_as_of

    if local.is_series(data_dir):
        data = local.load(data_dir)
        title = data.config.title
    else:
        dataset = load_dataset(data_dir)
        known_as_of(dataset.observations, as_of)  # an edition must name a period of the data
        title = dataset.config.title if dataset.config is not None else BRIEFING_TITLE
    return title if as_of is None else f"{title} (data to {as_of})"


def built_indicators(folder: Path) -> list[str]:
    """The indicators the sections that ran showed, from the summary entries they wrote."""
    import json

    found = []
    for path in sorted(Path(folder).glob(f"{SUMMARY_PREFIX}*.json")):
        indicator = json.loads(path.read_text(encoding="utf-8")).get("indicator")
        if indicator:
            found.append(indicator)
    return found


def build_briefing(
    data_dir: Path,
    out_dir: Path,
    as_of: str | None,
    notebooks: list[Path] | None = None,
    jobs: int = 1,
    front_matter: FrontMatter | None = None,
    back_matter: BackMatter | None = None,
) -> Path:
    """Execute the notebooks on ``data_dir`` and write ``out_dir/briefing.html``; return it.

    Before anything runs, the notebooks' parameters are checked (BuildError) and the data is read
    and validated (a DataError, one line naming file, line and column). Then each notebook runs
    with papermill in its own folder, with ``data_dir``, ``as_of`` and a staging ``output_dir`` as
    parameters, ``jobs`` at a time; each writes its section's summary entries, figures and tables
    into the staging folder.

    After the notebooks succeed, ``front_matter(data_dir, as_of, staged_output, sections)``
    (default: ``healthgap.summary.front_matter_html``) opens the page from the sections' summary
    entries, and ``back_matter(data_dir, as_of, staged_output, indicators)`` (default:
    ``healthgap.appendix.back_matter_html``) closes it; it may write files into the staged output,
    which go to ``out_dir`` with the notebooks' own.

    On success the briefing replaces the old one atomically, the executed notebooks go to
    ``out_dir/notebooks/`` and whatever the notebooks wrote to ``output_dir`` goes to
    ``out_dir``; ``out_dir/failed/`` copies of notebooks that now succeed are removed.
    On failure the executed notebook is kept as ``out_dir/failed/<name>.ipynb``, nothing
    else in ``out_dir`` changes, and a BuildError names notebook, cell and error.
    """
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    if notebooks is None:
        notebooks = default_notebooks()
    notebooks = [Path(notebook).resolve() for notebook in notebooks]
    if not data_dir.is_dir():
        raise BuildError(f"data folder {data_dir} not found; expected a folder of source data")
    check_notebooks(notebooks)
    title = briefing_title(data_dir, as_of)  # reads and validates the data before anything runs
    if front_matter is None:
        from healthgap.summary import front_matter_html as front_matter
    if back_matter is None:
        from healthgap.appendix import back_matter_html as back_matter

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    try:
        staged_output = staging / "output"
        staged_notebooks = staging / NOTEBOOKS_DIR
        staged_output.mkdir()
        staged_notebooks.mkdir()
        parameters = {"data_dir": str(data_dir), "as_of": as_of, "output_dir": str(staged_output)}
        runs = [NotebookRun(nb, staged_notebooks / nb.name, parameters) for nb in notebooks]
        outcomes = execute_all(runs, jobs)
        forget_failures(outcomes, out_dir)
        if any(outcome.error for outcome in outcomes):
            raise BuildError(failure_message(outcomes, keep_failed(outcomes, out_dir)))

        executed = [nbformat.read(run.executed, as_version=4) for run in runs]
        sections = [notebook.stem for notebook in notebooks]
        front_html = front_matter(data_dir, as_of, staged_output, sections)
        back_html = back_matter(data_dir, as_of, staged_output, built_indicators(staged_output))
        for summary in staged_output.glob(f"{SUMMARY_PREFIX}*.json"):
            summary.unlink()
        staged_briefing = staging / BRIEFING_NAME
        staged_briefing.write_text(assemble_briefing(executed, front_html, title, back_html), encoding="utf-8")
        for run in runs:
            repoint_output_dir(run.executed, staged_output, out_dir)
        move_tree(staged_notebooks, out_dir / NOTEBOOKS_DIR)
        move_tree(staged_output, out_dir)
        # Last step, atomic (the staging folder is on out_dir's file system): readers see
        # the previous briefing or the new one, never a half-written file.
        briefing = out_dir / BRIEFING_NAME
        os.replace(staged_briefing, briefing)
        return briefing
    finally:
        shutil.rmtree(staging, ignore_errors=True)
