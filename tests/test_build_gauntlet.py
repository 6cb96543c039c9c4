"""The build's gauntlet: what a full disk, a cut-short cache, a hostile title, a read-only folder and a kernel's
shutdown do to a build. Each case must end in its one line (or in silence, for a build that succeeds), with
the last briefing as it was.

The builds run toy notebooks (``tests/test_build.py``) on the project's data; an interrupted build (Ctrl-C,
SIGTERM, a killed build or worker) is ``tests/test_interrupt.py``'s, bad input files ``tests/test_gauntlet.py``'s.
"""

from __future__ import annotations

import asyncio
import csv
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell

from healthgap import cli
from healthgap.build import incremental, pipeline
from healthgap.build.pipeline import build_briefing
from tests.test_build import (
    figure_notebook,
    front_matter,
    no_back_matter,
    write_notebook,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth"
PROGRESS = re.compile(r"(running|reused) \S+\.ipynb( \(unchanged\))?|finished \S+\.ipynb in \d+\.\d s|"
                      r"wrote \S+briefing\.html in \d+\.\d s \(\d notebooks? run, \d reused\)|"
                      r"\S+briefing\.html is up to date: nothing changed \(\d+\.\d\d s\)")


@pytest.fixture
def toy_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Toy builds have no summary entries and no data tables: the real front and back matter are stubbed out."""
    monkeypatch.setitem(sys.modules, "healthgap.page.summary", types.SimpleNamespace(front_matter_html=front_matter))
    monkeypatch.setitem(sys.modules, "healthgap.page.appendix", types.SimpleNamespace(back_matter_html=no_back_matter))


def published(out: Path) -> dict[str, bytes]:
    """Every file a reader can open in the output folder (through its links), with its bytes."""
    files = {}
    for entry in sorted(out.iterdir()):
        if entry.name.startswith(".") or entry.name in ("site", "failed"):
            continue
        for path in [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file()):
            files[str(path.relative_to(out))] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def toy_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A published one-notebook toy briefing (its notebook, its output folder), for each test to copy."""
    root = tmp_path_factory.mktemp("toy")
    notebook = figure_notebook(root / "notebooks")
    build(root / "out", notebook)
    return notebook, root / "out"


@pytest.fixture
def toy_out(toy_build: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the toy briefing's output folder (its links are relative), which a test may break."""
    notebook, out = toy_build
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return notebook, tmp_path / "out"


def build(out: Path, *notebooks: Path, force: bool = False) -> list[str]:
    """A toy build (front and back matter of their own); the progress it reported."""
    events: list[str] = []
    build_briefing(DATA, out, None, notebooks=list(notebooks), front_matter=front_matter, back_matter=no_back_matter,
                   progress=events.append, force=force)
    return events


# --- noise: a build that succeeds says only what it did ------------------------------------------------------


HOSTILE = new_code_cell(
    "import csv, pathlib\n"
    "with open(pathlib.Path(output_dir, 'hostile.csv'), 'w', newline='') as handle:\n"
    "    csv.writer(handle, lineterminator='\\n').writerows([['area', 'gap', 'note'],\n"
    "        ['=HYPERLINK(\"https://example.org\",\"x\")', '-1.5', '@SUM(1)'],\n"
    "        ['+cmd', '-41%', '\\tTabbed'], ['Hartlepool', '2', '-']])\n")
"""A notebook cell writing a CSV of its own, with cells a spreadsheet would run as formulas."""


TOY_COMMAND = """\
import sys, types
from tests.test_build import front_matter, no_back_matter
sys.modules["healthgap.page.summary"] = types.SimpleNamespace(front_matter_html=front_matter)
sys.modules["healthgap.page.appendix"] = types.SimpleNamespace(back_matter_html=no_back_matter)
from healthgap import cli
sys.exit(cli.main(sys.argv[1:]))
"""
"""``healthgap`` as a command, in a process of its own (so its stderr is the terminal's, as its workers' and
kernels' are), with the toy front and back matter."""


@pytest.mark.notebooks
def test_a_successful_build_prints_its_progress_and_nothing_else(tmp_path: Path) -> None:
    """Workers and kernels write to the build's own stderr: no kernel ERROR line, no traceback, no warning, on a
    build that runs its notebooks two at a time, and on one that reuses every notebook (no empty pool). And every
    CSV it publishes is safe to open in a spreadsheet: a notebook's own too."""
    notebooks = [str(figure_notebook(tmp_path / "notebooks")),
                 str(write_notebook(tmp_path / "notebooks" / "hostile.ipynb", HOSTILE))]
    out = tmp_path / "out"
    command = [sys.executable, "-c", TOY_COMMAND, "build", "--data", str(DATA), "--out", str(out), "--jobs", "2",
               "--notebooks", *notebooks]
    ran = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (ran.returncode, ran.stderr) == (0, "")
    assert all(PROGRESS.fullmatch(line) for line in ran.stdout.splitlines()), ran.stdout
    assert ran.stdout.endswith("(2 notebooks run, 0 reused)\n")

    (out / ".healthgap" / "manifest.json").unlink()  # the page is rebuilt, every notebook reused
    reused = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (reused.returncode, reused.stderr) == (0, "")
    assert all(PROGRESS.fullmatch(line) for line in reused.stdout.splitlines()), reused.stdout
    assert reused.stdout.endswith("(0 notebooks run, 2 reused)\n")

    # text cells that a spreadsheet would run as a formula get a leading quote; numbers, negative ones too, do not
    with (out / "hostile.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["area", "gap", "note"], ["'=HYPERLINK(\"https://example.org\",\"x\")", "-1.5", "'@SUM(1)"],
                    ["'+cmd", "-41%", "'\tTabbed"], ["Hartlepool", "2", "'-"]]
    assert (out / "figures.csv").read_text() == "area,gap\nEngland,1.5\n"  # nothing to neutralise: byte for byte


@pytest.mark.notebooks
def test_a_kernel_shutting_down_is_not_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """jupyter_client interrupts a kernel (SIGINT) before asking it to shut down, which races papermill's last
    request and makes the kernel print "ERROR | KeyboardInterrupt caught in kernel" on a build that succeeded.
    The build's kernel manager shuts its kernels down without the interrupt, and leaves none of their files."""
    from healthgap.build.kernels import IPCKernelManager

    runtime = tmp_path / "runtime"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    sent: list[int] = []
    signal_kernel = IPCKernelManager._async_signal_kernel

    async def recorded(self, signum: int) -> None:
        sent.append(signum)
        await signal_kernel(self, signum)

    monkeypatch.setattr(IPCKernelManager, "_async_signal_kernel", recorded)

    async def start_ask_and_shut_down() -> str:
        manager = IPCKernelManager(kernel_name=pipeline.KERNEL_NAME)
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.kernel_info(reply=True, timeout=60)
        finally:
            client.stop_channels()
            await manager.shutdown_kernel()
        return reply["content"]["status"]

    assert asyncio.run(start_ask_and_shut_down()) == "ok"
    assert signal.SIGINT not in sent
    assert sorted(p.name for p in runtime.iterdir()) == []  # connection, socket and pid files removed


# --- a cache entry cut short, a full disk ------------------------------------------------------------------


@pytest.mark.notebooks
def test_a_truncated_cache_entry_is_run_again(toy_out: tuple[Path, Path]) -> None:
    """A full disk once cut a cached executed notebook short: the next builds failed ("Notebook does not appear
    to be JSON") until --force. Now a cache entry that cannot be read is a miss: its notebook runs again."""
    notebook, out = toy_out
    (cached,) = (out / ".healthgap" / "cache" / "figures").glob("*/executed.ipynb")
    cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])
    (out / ".healthgap" / "manifest.json").unlink()  # the page is rebuilt: the notebook would be reused

    events = build(out, notebook)
    assert "running figures.ipynb" in events and "reused figures.ipynb (unchanged)" not in events
    assert (out / "briefing.html").is_file() and (out / "figures.csv").read_text() == "area,gap\nEngland,1.5\n"
    json.loads(next((out / ".healthgap" / "cache" / "figures").glob("*/executed.ipynb")).read_text())  # whole again


@pytest.mark.notebooks
@pytest.mark.skipif(not getattr(shutil, "_USE_CP_SENDFILE", False), reason="copies are written with sendfile on Linux")
def test_a_full_disk_names_the_file_that_could_not_be_written(toy_out, toy_page, monkeypatch, capsys) -> None:
    """ENOSPC while the build keeps a notebook's result: one line naming the destination (a copy's error names
    its source), nothing half-written left in the cache, the last briefing and its files as they were."""
    notebook, out = toy_out
    command = ["build", "--data", str(DATA), "--out", str(out), "--jobs", "1", "--notebooks", str(notebook)]
    before = published(out)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "sendfile", full)
    assert cli.main([*command, "--force"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {os.strerror(errno.ENOSPC)}: ")
    named = Path(err.rstrip("\n").split(": ", 2)[2])
    assert named.is_relative_to((out / ".healthgap" / "cache").resolve()), named  # where it was written to
    assert not named.exists()
    assert published(out) == before
    assert not list((out / ".healthgap" / "cache").glob("*/.tmp-*"))
    assert len(list((out / ".healthgap" / "generations").iterdir())) == 1


# --- CSV files a spreadsheet may open ----------------------------------------------------------------------


def test_cells_that_would_start_a_formula_are_neutralised() -> None:
    from healthgap.read.csvfile import neutral

    for text in ("=1+2", "+SUM(A1)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx", "-", "=", "+44 20 7946 0000"):
        assert neutral(text) == "'" + text
    for number in ("-3.5", "+1", "-1,020.7", "-41%", "1e-3", "-.5", "12"):
        assert neutral(number) == number
    for text in ("Hartlepool", "'=already", " =spaced", ""):
        assert neutral(text) == text


def test_an_indicator_title_beginning_with_equals_is_no_formula_in_figures_csv(tmp_path: Path) -> None:
    """The own-data example with an indicator titled ``=HYPERLINK(...)``: its section and the back matter write
    ``figures.csv`` and the gap record as a build does; no cell starts a formula, numbers are as they were."""
    from healthgap.analysis.indicator import analyse_each_sex
    from healthgap.page.appendix import back_matter_html
    from healthgap.page.section import Section
    from healthgap.read.briefing import load

    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    config = data / "briefing.toml"
    hostile = '=HYPERLINK("https://example.org/","Preventable cancer mortality")'
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('title = "Preventable cancer mortality under 75"', f"title = '{hostile}'"),
                      encoding="utf-8")
    briefing = load(data)
    assert briefing.indicator("cancer").title == hostile
    out = tmp_path / "section"
    Section.of(briefing, "cancer", analyse_each_sex(briefing, "cancer")).write(out)
    back_matter_html(data, None, out, ["cancer"])
    cells = []
    for name in ("figures.csv", "cancer_gaps.csv"):
        with (out / name).open(newline="", encoding="utf-8") as handle:
            cells += [c for row in csv.reader(handle) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert not [c for c in cells if c.startswith("-") and not re.fullmatch(r"-[\d.,]+(e-?\d+)?%?", c)]
    assert sum(c.startswith("'" + hostile[:10]) for c in cells) >= 10  # the labels that carry the title


# --- a read-only output folder -------------------------------------------------------------------------------


@pytest.mark.notebooks
def test_an_up_to_date_check_writes_nothing(toy_out, toy_page, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a folder the user may read but not write (a shared drive, a published copy), "up to date" is answered
    without taking the lock or writing anything; debris a killed build left there stays until a build can write."""
    notebook, out = toy_out
    manifest = incremental.load_manifest(out)
    manifest["page"] = incremental.keys([(notebook.stem, notebook)], DATA, None)[1]  # as the real front matter does
    incremental.save_manifest(out, manifest)

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(out / ".healthgap" / "lock"))

    monkeypatch.setattr(pipeline, "exclusive", read_only)
    monkeypatch.setattr(incremental, "save_manifest", read_only)
    briefing = out.resolve() / "briefing.html"
    for debris in (False, True):
        if debris:  # a generation a killed build left
            (out / ".healthgap" / "generations" / "0123456789ab" / "site").mkdir(parents=True)
        events: list[str] = []
        assert build_briefing(DATA, out, None, notebooks=[notebook], progress=events.append) == briefing
        assert events == [f"{briefing} is up to date"]


# --- the build's own Jupyter runtime folder ------------------------------------------------------------------


def test_the_runtime_folder_is_the_builds_own_and_goes_with_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Kernel connection and socket files go in a folder of the build's own, inside ``<out>/.healthgap`` where its
    socket paths fit (107 bytes), in the system's temporary folder where they would not; it is removed when the
    build ends, however it ends."""
    import tempfile

    short = tmp_path_factory.mktemp("rt") / "out"
    deep = short.parent / ("a-long-folder-name-" * 4) / "out"
    for out, inside in ((short, True), (deep, False)):
        with pytest.raises(KeyboardInterrupt), pipeline.runtime_folder(out) as runtime:
            assert runtime.is_dir() and runtime.is_relative_to(out / ".healthgap") == inside
            if not inside:
                assert runtime.is_relative_to(tempfile.gettempdir())
                assert [p.resolve() for p in (out / ".healthgap").glob("run-*")] == [runtime.resolve()]
            assert len(os.fsencode(runtime / "hg-0123abcd-ipc-5")) <= 107
            (runtime / "hg-0123abcd.json").write_text("{}")
            raise KeyboardInterrupt
        assert not runtime.exists() and not list((out / ".healthgap").glob("run-*"))
    # a build killed outright leaves its temporary runtime folder: the next build removes it, and its link
    context = pipeline.runtime_folder(deep)
    runtime = context.__enter__()
    assert pipeline.debris(deep) == list((deep / ".healthgap").glob("run-*"))
    pipeline.clear_debris(deep)
    assert not runtime.exists() and pipeline.debris(deep) == []

