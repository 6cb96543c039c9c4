"""Build the briefing: execute the parameterised notebooks, then assemble one HTML page.

The build is incremental, parallel and all-or-nothing for the reader:

* Each notebook's result is keyed by a content hash of the notebook, the library, the data and the
  parameters (:mod:`healthgap.build.incremental`); an unchanged notebook is not run again, its executed copy
  and the files it wrote are reused from ``<out>/.healthgap/cache``; an unchanged page is not rebuilt. A cache
  entry is written under a temporary name and renamed whole into place, with the digest of every file; one
  that cannot be read is a miss.
* The notebooks that must run run in parallel (as many at a time as there are cores, by default),
  each on its own IPC kernel in a worker process (:mod:`healthgap.build.worker`), and the build reports each as
  it starts and ends. The workers and kernels keep their files in a runtime folder of the build's own.
* Ctrl-C, SIGTERM or SIGHUP stop the build at once, at any moment: its workers and kernels are ended, their
  files removed, and the generation being made is dropped (:func:`run_while_reading`); a build killed outright
  leaves workers that notice and end themselves and their kernels. A worker that dies fails its notebook.
* Everything is written into a new *generation* (``<out>/.healthgap/generations/<id>/site``); only when
  the whole of it is ready is ``<out>/site`` switched to it, by one rename of a symbolic link. The files
  a reader opens (``briefing.html``, ``figures.csv``, ``data/``, ``notebooks/``...) are links through
  ``site``, so they change together: a failed or killed build leaves the last good briefing and every
  companion file as they were, and the next build clears what it left behind.

When a notebook fails, the executed notebook with its error is kept in ``failed/`` for the analyst and a
one-line ``BuildError`` says where and why.

Heavy imports (papermill, nbformat, nbconvert, the kernels) happen inside the functions that need them,
so checking that nothing changed, and the command line's start, stay quick.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from healthgap.build import incremental, processes, stopping

if TYPE_CHECKING:
    import nbformat
    import papermill

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

PARAMETER_NAMES = ("data_dir", "as_of", "output_dir", "section")
"""The parameters every notebook declares in its cell tagged ``parameters``."""

GENERIC = "indicator"
"""The notebook (``notebooks/indicator.ipynb``) that briefs a section with no notebook of its own name."""

FrontMatter = Callable[[Path, "str | None", Path, "list[str]"], str]
"""(data_dir, as_of, staged output, section names in order) -> the HTML opening the briefing."""
BackMatter = Callable[[Path, "str | None", Path, "list[str]"], str]
"""(data_dir, as_of, staged output, indicators built) -> the HTML closing the briefing."""


class BuildError(RuntimeError):
    """The briefing could not be built; the message is one line, fit for a terminal."""


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


def describe_failure(notebook: Path, error: papermill.PapermillExecutionError, shown: str | None = None) -> str:
    """One line naming the notebook, the failing cell (index and first source line, as in
    the committed notebook) and the error name and value, e.g.
    ``cancer.ipynb, cell 4 ("gap = slope_index(rates)"): ValueError: rates must be positive``.
    """
    import nbformat

    committed = nbformat.read(notebook, as_version=4)
    index = committed_cell_index(committed, error.cell_index)
    cell = "the injected-parameters cell" if index is None else f"cell {index}"
    where = f'{cell} ("{_first_source_line(error.source)}")'
    message = one_line(error.evalue)
    return f"{shown or notebook.name}, {where}: {error.ename}" + (f": {message}" if message else "")


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


_PAPERMILL_PARAMETER = re.compile(
    r"^(?P<target>\w[\w_]*)\s*(:\s*[\"']?(?P<annotation>\w[\w_\[\],\s]*)[\"']?\s*)?=\s*(?P<value>.*?)"
    r"(\s*#\s*(type:\s*(?P<type_comment>[^\s]*)\s*)?(?P<help>.*))?$"
)
"""papermill's own pattern for a parameter line (``PythonTranslator.PARAMETER_PATTERN``, papermill 2.x)."""


def papermill_parameters(source: str) -> dict[str, str]:
    """The parameters papermill sees in a ``parameters`` cell, name -> default, by papermill's own rules
    (``papermill.translators.PythonTranslator.inspect``): blank and comment lines skipped; a line with
    more than one ``=`` skipped; a definition continued over lines joined, comments dropped but on its
    last line; each definition matched against papermill's pattern. Reproduced here so the check needs
    no papermill import (seconds); ``tests/test_build.py`` holds it to papermill's own answer."""
    groups: list[str] = []
    accumulator: list[str] = []

    def flatten(lines: list[str]) -> str:
        text = "".join(line[: line.index("#")].strip() if "#" in line else line.strip() for line in lines[:-1])
        return text + (lines[-1].strip() if lines else "")

    for line in source.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        if line.count("=") > 0:
            groups.append(flatten(accumulator))
            accumulator = []
            if line.count("=") > 1:
                continue
        accumulator.append(line)
    groups.append(flatten(accumulator))
    found = {}
    for definition in groups:
        match = _PAPERMILL_PARAMETER.match(definition) if definition else None
        if match is not None and match.group("target"):
            found[match.group("target").strip()] = str(match.group("value")).strip()
    return found


def check_parameters(notebook: Path, names: Sequence[str] = PARAMETER_NAMES) -> None:
    """Raise BuildError unless papermill would see every parameter of ``names`` in ``notebook``.

    papermill itself only logs a warning for a parameter the notebook does not declare, and the run
    then silently uses the notebook's own default. The names papermill sees come from
    :func:`papermill_parameters`; when a name is missing, the cell's own assignments say whether it is
    misspelt or only unreadable to papermill (papermill skips, for one, a line with two '='), and the
    message says which.
    """
    import json

    try:
        committed = json.loads(Path(notebook).read_text(encoding="utf-8"))
        cells = committed["cells"]
    except (OSError, ValueError, KeyError, TypeError) as error:  # unreadable JSON, not a notebook
        raise BuildError(
            f"cannot read the parameters of notebook {notebook.name}: {one_line(str(error))}"
        ) from error
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise BuildError(
            f"notebook {notebook.name} has no cell tagged 'parameters'; expected one declaring"
            f" {', '.join(names)}"
        )
    source = tagged[0].get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    declared = papermill_parameters(source)
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
    """One notebook to execute for one section: source, where the executed copy goes, and its parameters."""

    notebook: Path
    executed: Path
    parameters: dict[str, str | None]

    @property
    def name(self) -> str:
        """The executed notebook's name: the section's (``campylobacter.ipynb``, run from ``indicator.ipynb``)."""
        return Path(self.executed).name

    @property
    def shown(self) -> str:
        """The notebook as progress and errors name it: ``cancer.ipynb``; ``indicator.ipynb (section x)``."""
        stem = Path(self.executed).stem
        return self.notebook.name if self.notebook.stem == stem else f"{self.notebook.name} (section {stem})"


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
    import papermill

    from healthgap.build.kernels import IPCKernelManager

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
        return RunOutcome(run, describe_failure(run.notebook, error, run.shown))
    except Exception as error:  # the kernel died or would not start, a timeout, ...
        name = type(error).__name__
        return RunOutcome(run, f"{run.shown}: {name}: {one_line(str(error))}")
    return RunOutcome(run)


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """The default progress report: none."""


RUNTIME_PREFIX = "run-"
"""The build's own Jupyter runtime folder, ``<out>/.healthgap/run-<id>``: its kernels' connection and socket files,
removed when the build ends (by the next build, when the build was killed)."""

SOCKET_ROOM = 88
"""The longest runtime folder path whose kernel sockets (``<folder>/hg-<8 hex>-ipc-<n>``) fit the 107 bytes a
Unix socket path may have; a longer output folder gets a runtime folder in the system's temporary folder."""

STOP_GRACE = 3.0
"""Seconds a worker told to stop has to end its kernels before it is killed."""


@contextlib.contextmanager
def runtime_folder(out_dir: Path | None = None):
    """A Jupyter runtime folder of the build's own, removed with everything in it when the build ends, however it
    ends: ``<out>/.healthgap/run-<id>``, or, where that path is too long for a socket's, a temporary folder which
    ``<out>/.healthgap/run-<id>`` then links to (so the next build removes it, should this one be killed)."""
    import tempfile

    folder = record = None
    if out_dir is not None:
        record = state_dir(out_dir) / f"{RUNTIME_PREFIX}{uuid.uuid4().hex[:8]}"
        record.parent.mkdir(parents=True, exist_ok=True)
        if len(os.fsencode(record)) <= SOCKET_ROOM:
            record.mkdir()
            folder = record
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix=TEMPORARY_RUNTIME))
        if record is not None:
            os.symlink(folder, record)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if record is not None and record.is_symlink():
            record.unlink()


TEMPORARY_RUNTIME = "hg-"
"""The prefix of a runtime folder in the system's temporary folder."""


def _temporary_runtime(link: Path) -> Path | None:
    """The temporary runtime folder a ``run-<id>`` link names, if it is one (and so healthgap's to remove)."""
    import tempfile

    target = Path(os.readlink(link))
    if target.parent == Path(tempfile.gettempdir()) and target.name.startswith(TEMPORARY_RUNTIME):
        return target
    return None


class _Worker:
    """One worker process (:mod:`healthgap.build.worker`), in a session of its own, and the run it holds."""

    def __init__(self, runtime: Path) -> None:
        read, write = os.pipe()
        root = str(Path(__file__).resolve().parents[2])
        start = f"import sys; sys.path.insert(0, {root!r}); from healthgap.build.worker import main; main(sys.argv[1:])"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", start, str(runtime), str(os.getpid()), str(write)],
                stdin=subprocess.PIPE, pass_fds=(write,), start_new_session=True,
                env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}, text=True, encoding="utf-8")
        finally:
            os.close(write)
        self.results = os.fdopen(read, "r", encoding="utf-8")
        self.index: int | None = None
        self.started = 0.0

    def send(self, index: int, run: NotebookRun) -> None:
        self.index, self.started = index, time.monotonic()
        self.process.stdin.write(json.dumps({"notebook": str(run.notebook), "executed": str(run.executed),
                                             "parameters": run.parameters}) + "\n")
        self.process.stdin.flush()

    def receive(self) -> str | None:
        """The error of the run just finished (None on success); EOFError when the worker ended without one."""
        line = self.results.readline()
        if not line:
            raise EOFError
        self.index = None
        return json.loads(line)["error"]

    def died(self) -> str:
        """Why the worker ended."""
        code = self.process.wait()
        if code < 0:
            name = signal.Signals(-code).name
            return f"its process was killed ({name}{', out of memory?' if -code == signal.SIGKILL else ''})"
        return f"its process ended with status {code}"


def _kill_kernels_of(worker: _Worker, runtime: Path) -> None:
    processes.kill_recorded(runtime, worker.process.pid)


def _stop_workers(workers: Sequence[_Worker], runtime: Path, now: bool) -> None:
    """End the workers: idle ones when their input ends; with ``now``, busy ones at once too (SIGTERM: each
    ends its kernels and removes their files), and whatever is left after a grace period with SIGKILL; then any
    kernel still recorded in the runtime folder."""
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.process.stdin.close()
        if now and worker.process.poll() is None:
            with contextlib.suppress(OSError):
                worker.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:  # still there: killed, and its kernels below
            processes.kill_group(worker.process.pid)
            worker.process.wait()
        worker.results.close()
    processes.kill_recorded(runtime)


def execute_all(runs: Sequence[NotebookRun], jobs: int, progress: Progress = _quiet,
                abort: threading.Event | None = None, runtime: Path | None = None) -> list[RunOutcome]:
    """Execute ``runs`` in worker processes (:mod:`healthgap.build.worker`), ``jobs`` at a time: in order and
    stopping at the first failure when ``jobs`` is 1; otherwise all of them. Each notebook is reported as it
    starts and as it ends (with its time) through ``progress``.

    Outcomes come back in the order of ``runs``; with ``jobs`` 1 they end at the first failure. When ``abort``
    is set (the data turned out bad, or the build was interrupted), the workers and their kernels are stopped
    at once and the outcomes end where they had got to. A worker that dies (killed by the system, say) fails
    its notebook. The kernels' files go in ``runtime`` (default: a temporary folder, removed at the end); no
    worker is started when there is nothing to run.
    """
    if not runs:
        return []
    if runtime is None:
        with runtime_folder() as folder:
            return execute_all(runs, jobs, progress, abort, folder)
    results: dict[int, RunOutcome] = {}
    queue = list(enumerate(runs))
    workers: list[_Worker] = []
    selector = selectors.DefaultSelector()
    failed = aborted = False
    try:
        while not aborted:
            sequential_stop = jobs <= 1 and failed
            idle = [w for w in workers if w.index is None and w.process.poll() is None]
            while queue and not sequential_stop:
                if not idle:
                    if len([w for w in workers if w.process.poll() is None]) >= max(1, jobs):
                        break
                    worker = _Worker(runtime)
                    workers.append(worker)
                    selector.register(worker.results, selectors.EVENT_READ, worker)
                    idle.append(worker)
                index, run = queue.pop(0)
                progress(f"running {run.shown}")
                worker = idle.pop(0)
                try:
                    worker.send(index, run)
                except OSError:  # the worker died while idle
                    with contextlib.suppress(KeyError):
                        selector.unregister(worker.results)
                    results[index] = RunOutcome(run, f"{run.shown}: not started: {worker.died()}")
                    failed = True
            if not any(w.index is not None for w in workers):
                break
            for key, _ in selector.select(timeout=0.05):
                worker = key.data
                index = worker.index
                try:
                    error = worker.receive()
                except EOFError:
                    with contextlib.suppress(KeyError):
                        selector.unregister(worker.results)
                    if index is None:
                        continue
                    error = f"{runs[index].shown}: stopped before it finished: {worker.died()}"
                    worker.index = None
                    _kill_kernels_of(worker, runtime)  # its kernel, orphaned
                results[index] = RunOutcome(runs[index], error)
                failed = failed or error is not None
                _report(progress, results[index], time.monotonic() - worker.started)
            aborted = abort is not None and abort.is_set()
    finally:
        selector.close()
        _stop_workers(workers, runtime, now=aborted or any(w.index is not None for w in workers))
    return [results[i] for i in range(len(runs)) if i in results]


def run_while_reading(runs: Sequence[NotebookRun], jobs: int, progress: Progress, data_dir: Path,
                      as_of: str | None, runtime: Path) -> tuple[list[RunOutcome], str]:
    """Run the notebooks (:func:`execute_all`, driven from a thread) while the data are read and validated here;
    the outcomes and the briefing's title.

    Whatever stops this thread (bad data, Ctrl-C, SIGTERM, at any moment, the first imports included) stops the
    notebooks at once, their workers and kernels with them, before it goes on up; nothing is left running."""
    ran: dict[str, object] = {}
    abort, done = threading.Event(), threading.Event()

    def drive() -> None:
        try:
            ran["outcomes"] = execute_all(runs, jobs, progress, abort, runtime)
        except BaseException as error:  # noqa: BLE001  (raised again in the caller's thread)
            ran["error"] = error
        finally:
            done.set()

    # Waited for on an Event, never with Thread.join(): a join that a signal handler interrupts marks the thread
    # as ended while it still runs (Python 3.11), and the build would end with its workers still running. And the
    # thread imports nothing (its modules are imported with this one): an import it waited for, in this thread,
    # that a signal handler interrupted could leave the module's lock never released to it (Python 3.11).
    driver = threading.Thread(target=drive, name="healthgap-notebooks", daemon=True)
    try:
        driver.start()
        title = briefing_title(data_dir, as_of)
        import nbformat  # noqa: F401  (slow to import: done while the notebooks run)

        import healthgap.page.report  # noqa: F401

        while not done.wait(0.1):
            stopping.check()  # a stop that an import swallowed: the notebooks are stopped all the same
        stopping.check()
    except BaseException:
        abort.set()  # bad data or an interrupt: the notebooks' results would be thrown away; stop them
        raise
    finally:
        while not done.wait(0.1):  # at once when aborted: the workers and kernels are stopped first
            if driver.ident is None:  # never started
                break
    if "error" in ran:
        raise ran["error"]
    return ran["outcomes"], title


def _report(progress: Progress, outcome: RunOutcome, seconds: float) -> None:
    state = "failed" if outcome.error else "finished"
    progress(f"{state} {outcome.run.shown} in {seconds:.1f} s")


# --- moving results into place ---------------------------------------------------------------


def portable_notebook(executed: Path, data_dir: Path, as_of: str | None, published_dir: Path,
                      section: str | None = None) -> None:
    """Make an executed notebook the same whichever build, machine or cached run it came from, and fit to
    re-run by hand from where it is published (``<out>/notebooks/``).

    The injected parameters name the data by a path relative to that folder and write to ``../scratch``
    (a scratch folder beside the briefing, never the published files); the injected cell gets a fixed id;
    papermill's and Jupyter's clock readings (start, end, duration of the notebook and of each cell) and the
    build's own folders are dropped from the metadata. Two builds from the same inputs then publish the
    same bytes.
    """
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    parameters = {"data_dir": os.path.relpath(data_dir, published_dir), "as_of": as_of,
                  "output_dir": os.path.join("..", "scratch"), "section": section or Path(executed).stem}
    for cell in notebook.cells:
        for key in ("execution", "papermill"):
            cell.metadata.pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
            cell.source = "# Parameters\n" + "\n".join(f"{name} = {value!r}" if value is None else
                                                        f"{name} = {json.dumps(value)}"
                                                        for name, value in parameters.items()) + "\n"
    papermill = notebook.metadata.get("papermill", {})
    notebook.metadata["papermill"] = {"parameters": parameters, "version": papermill.get("version", "")}
    with writing(executed):
        nbformat.write(notebook, executed)


WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
"""Errors of writing a file (a full disk, a quota, a read-only file system): they concern the destination."""


@contextlib.contextmanager
def writing(destination: Path):
    """Name ``destination`` in an error of writing it. A copy's error names its source (Python's ``shutil`` gives
    the source as the error's file name), and an error while writing to an open file names no file at all; a
    full disk must name the file that could not be written."""
    try:
        yield
    except OSError as error:
        if error.errno in WRITE_ERRORS or not error.filename:
            raise OSError(error.errno, error.strerror or one_line(str(error)), str(destination)) from None
        raise


def copy_file(source: Path, target: Path) -> None:
    """Copy a file (its times too); an error of writing names ``target``."""
    with writing(target):
        shutil.copy2(source, target)


def copy_tree(source: Path, target: Path) -> None:
    """Copy a folder, file by file (:func:`copy_file`): an error stops at once and names what could not be
    written (``shutil.copytree`` gathers errors into one that names neither)."""
    Path(target).mkdir(parents=True, exist_ok=True)
    for entry in sorted(Path(source).iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            copy_tree(entry, Path(target) / entry.name)
        else:
            copy_file(entry, Path(target) / entry.name)


ENTRY = "entry.json"
"""In each cache entry, written last: the SHA-256 of every other file of the entry, by path."""


def _entry_files(entry: Path) -> dict[str, str]:
    return {path.relative_to(entry).as_posix(): incremental.file_digest(path)
            for path in sorted(Path(entry).rglob("*")) if path.is_file() and path.name != ENTRY}


def reusable(entry: Path) -> bool:
    """Whether a cache entry is whole: its record lists every file it holds, each with the bytes recorded. An
    entry that cannot be read (cut short by a full disk, say, or written by an earlier healthgap without a
    record) is a miss, not an error: its notebook runs again."""
    try:
        recorded = json.loads((Path(entry) / ENTRY).read_text(encoding="utf-8"))
        return (isinstance(recorded, dict) and "executed.ipynb" in recorded
                and recorded == _entry_files(entry))
    except (OSError, ValueError):
        return False


def store(entry: Path, output: Path, executed: Path) -> None:
    """Keep a notebook's result in the cache (``<entry>/output/``, ``<entry>/executed.ipynb``): written under a
    temporary name, with its record last, and renamed into place, so an entry is whole or absent. The section's
    older entries go."""
    entry = Path(entry)
    entry.parent.mkdir(parents=True, exist_ok=True)
    temporary = entry.parent / f"{TEMPORARY_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        copy_tree(output, temporary / "output")
        copy_file(executed, temporary / "executed.ipynb")
        with writing(temporary / ENTRY):
            (temporary / ENTRY).write_text(json.dumps(_entry_files(temporary), indent=1), encoding="utf-8")
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(temporary, entry)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    for other in entry.parent.iterdir():
        if other != entry:
            shutil.rmtree(other, ignore_errors=True)


def neutralise_csvs(site: Path) -> list[Path]:
    """Make every cell of every CSV file the build wrote beside the briefing :func:`neutral` (the input files
    under ``data/`` are copies of the sources, kept byte for byte); the files rewritten."""
    from healthgap.read.csvfile import neutralise_csv

    written = []
    for path in sorted(Path(site).glob("*.csv")):
        with writing(path):
            if neutralise_csv(path):
                written.append(path)
    return written


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
            target = out_dir / FAILED_DIR / outcome.run.name
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
            (failed_dir / outcome.run.name).unlink(missing_ok=True)
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


NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
"""The repository's notebooks: one per indicator of the national record, and the generic one."""


def default_notebooks() -> list[Path]:
    """The four indicators' notebooks of the repository, in the national briefing's order."""
    return [NOTEBOOKS / f"{name}.ipynb" for name in ("cancer", "circulatory", "infant_mortality", "life_expectancy")]


def notebook_for(section: str, folder: Path = NOTEBOOKS) -> Path:
    """The notebook that briefs a section: the one of its name, else the generic ``indicator.ipynb``."""
    own = Path(folder) / f"{section}.ipynb"
    return own if own.is_file() else Path(folder) / f"{GENERIC}.ipynb"


def configured_sections(data_dir: Path) -> list[str]:
    """The sections a data folder's ``briefing.toml`` names, in order (read without the heavy imports; the
    configuration's problems are reported when the data are read)."""
    from healthgap.read import config

    try:
        return list(config.read_config(data_dir, lambda: list(_indicators_csv(data_dir))).sections)
    except ValueError:
        return []


def _indicators_csv(data_dir: Path) -> list[str]:
    import csv

    path = Path(data_dir) / "indicators.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row.get("indicator", "") for row in csv.DictReader(handle)]


def plan(data_dir: Path, notebooks: Sequence[Path] | None = None, sections: Sequence[str] | None = None
         ) -> list[tuple[str, Path]]:
    """Each section to run and its notebook, in the briefing's order: explicit ``notebooks`` (each its own
    section, named by its file), or the sections ``briefing.toml`` names (only ``sections`` where given),
    each with :func:`notebook_for`."""
    if notebooks is not None:
        return [(Path(n).stem, Path(n).resolve()) for n in notebooks]
    configured = configured_sections(data_dir)
    if sections is not None:
        unknown = [s for s in sections if s not in configured]
        if unknown:
            import difflib

            near = difflib.get_close_matches(unknown[0], configured, n=1)
            raise BuildError(f"unknown section {unknown[0]!r}; expected one of {', '.join(configured) or 'none'} "
                             f"(the [sections] of {Path(data_dir).name}/briefing.toml)"
                             + (f"; did you mean {near[0]!r}?" if near else ""))
        configured = [s for s in configured if s in sections]
    return [(name, notebook_for(name)) for name in configured]


def read_data(data_dir: Path, as_of: str | None = None):
    """Read and validate every file of a data folder as a build does (:func:`healthgap.read.briefing.load`):
    a problem raises :class:`~healthgap.read.errors.DataError` naming file, line and column."""
    from healthgap.analysis.levels import check
    from healthgap.read.briefing import load

    if not Path(data_dir).is_dir():
        raise BuildError(f"data folder {data_dir} not found; expected a folder of source data")
    briefing = load(data_dir, as_of)
    check(briefing)
    return briefing


def validate_data(data_dir: Path, as_of: str | None = None) -> str:
    """Validate a data folder (:func:`read_data`); a one-line account of what was read."""
    briefing = read_data(data_dir, as_of)
    sections = f"{len(briefing.sections)} section{'s' if len(briefing.sections) != 1 else ''}"
    if briefing.kind == "series":
        files = len(briefing.config.files)
        ranked = len(briefing.group.ranked) or len(briefing.areas)
        return (f"valid: {files} file{'s' if files != 1 else ''}, {sections}; {len(briefing.group.codes)} of "
                f"{ranked} areas in the group")
    return (f"valid: {len(briefing.all_observations)} observations of {len(briefing.indicators)} indicators from "
            f"{len(briefing.sources)} sources, {sections}")


def briefing_title(data_dir: Path, as_of: str | None) -> str:
    """The page title from the data's ``briefing.toml``, naming the period when the briefing is as of one.

    Reading the data validates it, so bad data stops the build with its own one-line error.
    """
    briefing = read_data(data_dir, as_of)
    return briefing.title if as_of is None else f"{briefing.title} (data to {as_of})"


def built_indicators(folder: Path) -> list[str]:
    """The indicators the sections that ran showed, from the summary entries they wrote."""
    import json

    found = []
    for path in sorted(Path(folder).glob(f"{SUMMARY_PREFIX}*.json")):
        indicator = json.loads(path.read_text(encoding="utf-8")).get("indicator")
        if indicator:
            found.append(indicator)
    return found


# --- publishing a generation as one unit ---------------------------------------------------------

SITE = "site"
GENERATIONS = "generations"
CACHE = "cache"


def state_dir(out_dir: Path) -> Path:
    return Path(out_dir) / incremental.STATE_DIR


def new_generation(out_dir: Path) -> Path:
    """A fresh folder for one build's whole output, on the output folder's file system."""
    generation = state_dir(out_dir) / GENERATIONS / uuid.uuid4().hex[:12]
    (generation / SITE).mkdir(parents=True)
    return generation


def current_site(out_dir: Path) -> Path | None:
    """The generation the reader sees now (what ``<out>/site`` points to), if any."""
    link = Path(out_dir) / SITE
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


@contextlib.contextmanager
def exclusive(out_dir: Path, wait: bool = True):
    """Hold the output folder's lock (``<out>/.healthgap/lock``) while building into it, so two builds
    never publish into one folder at once or clear each other's generation. The operating system drops
    the lock when the process ends, however it ends. With ``wait`` False, yields whether the lock was free
    instead of raising BuildError."""
    import fcntl

    state = state_dir(out_dir)
    state.mkdir(parents=True, exist_ok=True)
    with open(state / "lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait:
                raise BuildError(f"another build is writing to {out_dir}; wait for it to finish") from None
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


TEMPORARY_PREFIX = ".tmp-"
"""A cache entry being written (:func:`store`) is named ``.tmp-<id>`` until it is whole."""


def debris(out_dir: Path) -> list[Path]:
    """What an interrupted or killed build left: generations no longer published, half-written links, runtime
    folders, cache entries never finished.

    Only healthgap's own debris is named: generations, runtime folders and unfinished cache entries under
    ``.healthgap/``, and symbolic links named ``.link-<8 hex digits>``, the temporary names :func:`_link` uses;
    nothing else in the folder."""
    found: list[Path] = []
    current = current_site(out_dir)
    state = state_dir(out_dir)
    generations = state / GENERATIONS
    if generations.is_dir():
        found += [g for g in generations.iterdir() if current is None or current.parent != g.resolve()]
    if state.is_dir():
        found += [r for r in state.glob(f"{RUNTIME_PREFIX}*") if r.is_symlink() or r.is_dir()]
    found += [e for e in state.glob(f"{CACHE}/*/{TEMPORARY_PREFIX}*") if e.is_dir()]
    found += [leftover for leftover in Path(out_dir).glob(".link-*")
              if leftover.is_symlink() and re.fullmatch(r"\.link-[0-9a-f]{8}", leftover.name)]
    return found


def clear_debris(out_dir: Path) -> None:
    """Remove what an interrupted or killed build left (:func:`debris`). Called with the output folder's lock
    held, so no other build's folders are touched."""
    for leftover in debris(out_dir):
        if leftover.is_symlink():
            runtime = _temporary_runtime(leftover) if leftover.name.startswith(RUNTIME_PREFIX) else None
            if runtime is not None:
                shutil.rmtree(runtime, ignore_errors=True)
            leftover.unlink(missing_ok=True)
        else:
            shutil.rmtree(leftover, ignore_errors=True)


PUBLISHED = (SITE, BRIEFING_NAME, "figures.csv", "data", NOTEBOOKS_DIR, FAILED_DIR)
"""The names a build always writes at the top of its output folder (besides ``.healthgap/``); the
sections add their own tables (``cancer_gaps.csv``...), checked when they are known."""


def _ours(out_dir: Path, name: str) -> bool:
    """Whether ``<out>/name`` is healthgap's to replace: absent; a link healthgap made (``site`` into its
    generations, any other entry into ``site/``); ``failed/`` holding only notebooks of failed builds; or
    a ``briefing.html`` that is byte for byte the one the manifest says healthgap wrote."""
    path = Path(out_dir) / name
    if not os.path.lexists(path):
        return True
    if path.is_symlink():
        target = os.readlink(path)
        if name == SITE:
            return Path(target).parts[:2] == (incremental.STATE_DIR, GENERATIONS)
        return target == f"{SITE}/{name}"
    if name == FAILED_DIR and path.is_dir():
        return all(entry.is_file() and entry.suffix == ".ipynb" for entry in path.iterdir())
    if name == BRIEFING_NAME and path.is_file():
        recorded = incremental.load_manifest(out_dir).get("briefing_sha256")
        return recorded is not None and recorded == incremental.file_digest(path)
    return False


def check_ownership(out_dir: Path, names: Sequence[str] = PUBLISHED) -> None:
    """Raise BuildError, before anything is written, if ``out_dir`` holds a file or folder of one of
    ``names`` that healthgap did not write: the output folder is the user's, and healthgap replaces only
    what it published there itself (its links into ``site``, see :func:`publish`)."""
    for name in names:
        if not _ours(out_dir, name):
            path = Path(out_dir) / name
            kind = "folder" if path.is_dir() and not path.is_symlink() else "file"
            raise BuildError(
                f"{path} is a {kind} healthgap did not write, and a build would replace it; build into another "
                f"folder (--out, or make report OUT=...), or move it away")


def _link(out_dir: Path, name: str, target: str) -> None:
    """Make ``<out>/name`` a symbolic link to ``target`` with one rename. Only an entry healthgap wrote is
    ever replaced (:func:`check_ownership` has been asked first); this checks again, as a last guard."""
    check_ownership(out_dir, [name])
    temporary = Path(out_dir) / f".link-{uuid.uuid4().hex[:8]}"
    os.symlink(target, temporary)
    os.replace(temporary, Path(out_dir) / name)


KILL_AT = "HEALTHGAP_KILL_AT"
"""For the kill tests: the environment variable naming a point of publishing at which the build kills
itself (``page-written``, ``links-made``, ``site-switched``), as ``kill -9`` or a power cut would."""


def _kill_point(point: str) -> None:
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def publish(generation: Path, out_dir: Path) -> None:
    """Make a generation the one the reader sees, all its files at once.

    Each entry of the generation's ``site`` gets a link ``<out>/<entry> -> site/<entry>`` first (a new
    name dangles harmlessly until the switch); then ``<out>/site`` is pointed at the generation by one
    ``os.replace`` of a symbolic link, which is atomic; links to entries the new generation lacks go last.
    """
    site = generation / SITE
    check_ownership(out_dir, [entry.name for entry in site.iterdir()] + [SITE])
    for entry in sorted(site.iterdir()):
        link = Path(out_dir) / entry.name
        if not (link.is_symlink() and os.readlink(link) == f"{SITE}/{entry.name}"):
            _link(out_dir, entry.name, f"{SITE}/{entry.name}")
    _kill_point("links-made")
    _link(out_dir, SITE, os.path.relpath(site, out_dir))
    _kill_point("site-switched")
    for link in Path(out_dir).iterdir():
        if link.is_symlink() and os.readlink(link).startswith(f"{SITE}/") and not link.exists():
            link.unlink()


# --- the build -------------------------------------------------------------------------------


def _cached(out_dir: Path, section: str, key: str) -> Path:
    return state_dir(out_dir) / CACHE / section / key


def build_briefing(
    data_dir: Path,
    out_dir: Path,
    as_of: str | None,
    notebooks: list[Path] | None = None,
    jobs: int | None = None,
    sections: Sequence[str] | None = None,
    front_matter: FrontMatter | None = None,
    back_matter: BackMatter | None = None,
    progress: Progress = _quiet,
    force: bool = False,
) -> Path:
    """Execute the notebooks on ``data_dir`` and publish ``out_dir/briefing.html``; return it.

    Each section ``briefing.toml`` names runs its notebook (:func:`plan`: ``notebooks/<section>.ipynb``, else
    the generic ``notebooks/indicator.ipynb``, run once per such section); ``sections`` picks some of them,
    and explicit ``notebooks`` replace the plan (each its own section, named by its file).

    Nothing runs when the page's inputs are unchanged and the published briefing is the one recorded
    (``force`` builds anyway); a notebook whose inputs are unchanged is reused from the cache. Before
    anything runs, the notebooks' parameters are checked (BuildError). The notebooks that must run run
    ``jobs`` at a time (default: the number of cores), each with ``data_dir``, ``as_of`` and its own
    ``output_dir``; meanwhile the data are read and validated, and a bad table stops the build with its
    own one-line error (a DataError naming file, line and column), whatever the notebooks did.

    Then ``front_matter(data_dir, as_of, site, sections)`` (default:
    ``healthgap.page.summary.front_matter_html``) opens the page from the sections' summary entries, and
    ``back_matter(data_dir, as_of, site, indicators)`` (default: ``healthgap.page.appendix.back_matter_html``)
    closes it, writing ``figures.csv`` and ``data/``; the generation is published as one unit
    (:func:`publish`). On failure the executed notebook is kept as ``out_dir/failed/<name>.ipynb``,
    nothing the reader sees changes, and a BuildError names notebook, cell and error.
    """
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    if not data_dir.is_dir():
        raise BuildError(f"data folder {data_dir} not found; expected a folder of source data")
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"output folder {out_dir} is a file; expected a folder (or a path that does not exist yet)")
    planned = plan(data_dir, notebooks, sections)
    if not planned:
        read_data(data_dir, as_of)  # a configuration without sections says so, as itself
        raise BuildError(f"no sections to build: {data_dir.name}/briefing.toml names none")
    missing = [n for _, n in planned if not n.is_file()]
    if missing:
        raise BuildError(f"notebook {missing[0]} not found; expected an existing .ipynb file")
    names = [name for name, _ in planned]
    briefing = out_dir / BRIEFING_NAME
    keys, page = incremental.keys(planned, data_dir, as_of)
    if not force and front_matter is None and back_matter is None and incremental.up_to_date(out_dir, page, briefing):
        if debris(out_dir):  # what a killed build left; nothing is written when there is none
            with contextlib.suppress(OSError), exclusive(out_dir, wait=False) as alone:
                if alone:
                    clear_debris(out_dir)
        progress(f"{briefing} is up to date")
        return briefing
    check_notebooks(list(dict.fromkeys(n for _, n in planned)))
    if front_matter is None:
        from healthgap.page.summary import front_matter_html as front_matter
    if back_matter is None:
        from healthgap.page.appendix import back_matter_html as back_matter

    if out_dir.is_dir():
        check_ownership(out_dir)  # refused before anything is written there, the lock included
    out_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(out_dir):
        check_ownership(out_dir)  # before anything runs: the folder's own files are never replaced
        clear_debris(out_dir)
        generation = new_generation(out_dir)
        published = False
        try:
            site = generation / SITE
            outputs = generation / "sections"
            executed_dir = site / NOTEBOOKS_DIR
            executed_dir.mkdir()
            runs = []
            for name, notebook in planned:
                cached = _cached(out_dir, name, keys[name])
                output = outputs / name
                run = NotebookRun(notebook, executed_dir / f"{name}.ipynb",
                                  {"data_dir": str(data_dir), "as_of": as_of, "output_dir": str(output),
                                   "section": name})
                if not force and reusable(cached):
                    copy_tree(cached / "output", output)
                    copy_file(cached / "executed.ipynb", run.executed)
                    progress(f"reused {run.shown} (unchanged)")
                    continue
                output.mkdir(parents=True)
                runs.append(run)
            # the data are read and validated while the notebooks run: a bad table stops the build with its own
            # one-line error, in preference to the notebooks' failures it causes
            with runtime_folder(out_dir) as runtime:
                outcomes, title = run_while_reading(runs, jobs or os.cpu_count() or 1, progress, data_dir, as_of,
                                                    runtime)
            forget_failures(outcomes, out_dir)
            if any(outcome.error for outcome in outcomes):
                raise BuildError(failure_message(outcomes, keep_failed(outcomes, out_dir)))
            for run in runs:  # keep each fresh result for the next build
                section = run.parameters["section"]
                store(_cached(out_dir, section, keys[section]), Path(run.parameters["output_dir"]), run.executed)
            for name in names:
                for path in (outputs / name).iterdir():
                    os.replace(path, site / path.name)
                portable_notebook(executed_dir / f"{name}.ipynb", data_dir, as_of, out_dir / NOTEBOOKS_DIR, name)
            shutil.rmtree(outputs)

            import nbformat

            from healthgap.page.report import assemble_briefing

            executed = [nbformat.read(executed_dir / f"{name}.ipynb", as_version=4) for name in names]
            with writing(site):
                front_html = front_matter(data_dir, as_of, site, names)
                back_html = back_matter(data_dir, as_of, site, built_indicators(site))
            for summary in site.glob(f"{SUMMARY_PREFIX}*.json"):
                summary.unlink()
            neutralise_csvs(site)
            with writing(site / BRIEFING_NAME):
                (site / BRIEFING_NAME).write_text(assemble_briefing(executed, front_html, title, back_html),
                                                  encoding="utf-8")
            _kill_point("page-written")
            with stopping.publishing():  # a stop requested before prevents it; one during waits for it
                publish(generation, out_dir)
                published = True
                incremental.save_manifest(out_dir, {
                    "page": page if front_matter.__module__ == "healthgap.page.summary" else "",
                    "notebooks": keys, "briefing_sha256": incremental.file_digest(briefing),
                })
            clear_debris(out_dir)
            return briefing
        finally:
            if not published:
                shutil.rmtree(generation, ignore_errors=True)
