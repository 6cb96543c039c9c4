"""Ctrl-C, SIGTERM, a killed build and a killed worker: the build stops at once, whole.

A build (the cancer section, one notebook at a time, rebuilt with ``--force`` over a published briefing) is
sent SIGINT at its process group, as a terminal's Ctrl-C is, and another SIGTERM, at ten moments: nine from
0.1 s to 70% of a build's time (start-up and imports, reading the data, starting the worker and its kernel, the
notebook running) and one just after the notebook finished (the page being assembled and published). Each must end with exit status 130 or 143 and the one line ``error: interrupted; the
last briefing is as it was`` (no traceback), leave no process of its own (workers, kernels), no file in its
Jupyter runtime folder, no generation half-made, and the last briefing and every file beside it byte-identical.

A build killed outright (``kill -9``) cannot say anything: its workers notice, end their kernels and remove
their files, without a word. A worker killed (as the out-of-memory killer would) fails its notebook in one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
INTERRUPTED = "error: interrupted; the last briefing is as it was\n"
MOMENTS = 10

pytestmark = [pytest.mark.notebooks,
              pytest.mark.skipif(not Path("/proc/self/cmdline").is_file(), reason="processes are found in /proc")]


def command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "healthgap.cli", "build", "--data", str(DATA), "--out", str(out),
            "--sections", "cancer", "--jobs", "1", *extra]


def start(out: Path, *extra: str, stderr=subprocess.PIPE) -> subprocess.Popen:
    """A build in a process group of its own, as a shell runs a command."""
    return subprocess.Popen(command(out, *extra), stdout=subprocess.PIPE, stderr=stderr, text=True,
                            start_new_session=True)


def published(out: Path) -> dict[str, bytes]:
    """Every file a reader can open in the output folder (through its links), with its bytes."""
    files = {}
    for entry in sorted(out.iterdir()):
        if entry.name.startswith(".") or entry.name in ("site", "failed"):
            continue
        assert entry.exists(), f"{entry.name} is a dangling link"
        for path in [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file()):
            files[str(path.relative_to(out))] = path.read_bytes()
    return files


def processes_of(out: Path) -> list[str]:
    """The processes still running on the output folder: a build's workers and kernels name its runtime folder
    (inside ``<out>/.healthgap``) on their command line."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(out) in text and cmdline.parent.name != str(os.getpid()):
            found.append(f"{cmdline.parent.name}: {text}")
    return found


def runtime_files(out: Path) -> list[str]:
    """Runtime folders, and kernel connection, socket or pid files, anywhere in the build's state."""
    state = out / ".healthgap"
    return sorted(str(p.relative_to(out)) for p in [*state.glob("run-*"), *state.rglob("hg-*")])


def generations(out: Path) -> list[Path]:
    return sorted((out / ".healthgap" / "generations").iterdir())


@pytest.fixture(scope="module")
def last_good(tmp_path_factory) -> tuple[dict[int, Path], dict[int, dict[str, bytes]], float]:
    """Two published one-section briefings, one for each signal's builds, and how long a build into each took
    (the two built at once, as the interrupted builds run)."""
    outs = {sig: tmp_path_factory.mktemp(sig.name) / "out" for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    builds = {sig: start(out) for sig, out in outs.items()}
    for process in builds.values():
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0 and stderr == "", stderr
    seconds = time.monotonic() - started
    return outs, {sig: published(out) for sig, out in outs.items()}, seconds


def moment(index: int, seconds: float) -> float | None:
    """The ``index``-th of ten moments: nine from 0.1 s to 70% of a build's time, closer together early on (where
    start-up and imports go by in a few tenths of a second); the tenth (None) just after the notebook finished,
    while the page is assembled and published."""
    if index == MOMENTS - 1:
        return None
    return round(0.1 * (0.7 * seconds / 0.1) ** (index / (MOMENTS - 2)), 2)


@pytest.mark.parametrize("index", range(MOMENTS), ids=[f"moment{i}" for i in range(MOMENTS)])
def test_interrupted_at_any_moment(last_good, index):
    outs, before, seconds = last_good
    at = moment(index, seconds)
    builds = {sig: start(out, "--force") for sig, out in outs.items()}
    ended: dict[int, tuple[int, str, str]] = {}

    def interrupt(sig: int, process: subprocess.Popen) -> None:
        shown = ""
        if at is None:  # once the notebook has finished: the page is being assembled
            while not shown.startswith("finished "):
                shown = process.stdout.readline()
                assert shown, process.communicate()
            time.sleep(0.1)
        else:
            time.sleep(at)
        os.killpg(process.pid, sig)  # the whole process group, as a terminal's Ctrl-C
        stdout, stderr = process.communicate(timeout=60)
        ended[sig] = (process.returncode, shown + stdout, stderr)

    threads = [threading.Thread(target=interrupt, args=item) for item in builds.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for sig, out in outs.items():
        status, stdout, stderr = ended[sig]
        when = "0.1 s after the notebook finished" if at is None else f"{at} s"
        print(f"{signal.Signals(sig).name} at {when}: exit {status}; {stdout.strip().splitlines()[-1:] or 'nothing'}")
        assert (status, stderr) == (128 + sig, INTERRUPTED), (when, stdout, stderr)
        assert processes_of(out) == []
        assert runtime_files(out) == []
        assert published(out) == before[sig]
        assert len(generations(out)) == 1  # the interrupted build's own was removed


def _running_kernel(out: Path, process: subprocess.Popen) -> Path:
    """Wait until the build's notebook runs on its kernel; the kernel's pid file."""
    deadline = time.monotonic() + 120
    while not list((out / ".healthgap").glob("run-*/hg-*.pid")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return next((out / ".healthgap").glob("run-*/hg-*.pid"))


def _gone(out: Path, within: float = 10.0) -> list[str]:
    """The processes still running on ``out`` after at most ``within`` seconds (a build's orphaned workers look
    for their build every tenth of a second)."""
    deadline = time.monotonic() + within
    while processes_of(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    return processes_of(out)


def test_a_killed_build_leaves_nothing_running(last_good, tmp_path):
    """``kill -9`` of the build while its notebook runs: its worker ends its kernel and their files, and says
    nothing (no broken pipe, no kernel's "parent appears to have exited")."""
    outs, before, _ = last_good
    out = outs[signal.SIGINT]
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        process = start(out, "--force", stderr=stderr)  # the orphans would write here too
        _running_kernel(out, process)
        process.kill()
        process.communicate(timeout=60)
    assert _gone(out) == []
    assert errors.read_text() == ""
    assert [p for p in runtime_files(out) if "hg-" in p] == []  # the kernel's files; the folder is the next build's
    assert published(out) == before[signal.SIGINT]


def test_a_killed_worker_fails_its_notebook_in_one_line(last_good):
    """A worker killed (as the out-of-memory killer would kill the biggest process): the build does not wait for
    it for ever; its notebook fails in one line, its kernel ends, and the last briefing stays."""
    outs, before, _ = last_good
    out = outs[signal.SIGTERM]
    process = start(out, "--force")
    record = _running_kernel(out, process)
    _, worker = (int(part) for part in record.read_text().split())
    os.kill(worker, signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and stderr.count("\n") == 1, stderr
    assert stderr.startswith("error: notebook cancer.ipynb: stopped before it finished: its process was killed "
                             "(SIGKILL, out of memory?)"), stderr
    assert processes_of(out) == [] and runtime_files(out) == []
    assert published(out) == before[signal.SIGTERM]


def test_interrupted_while_notebooks_run_in_parallel(tmp_path_factory):
    """Ctrl-C while two notebooks run at once, each in its worker on its kernel (a first build: nothing published
    yet): the build stops at once, both workers and kernels with it, and publishes nothing."""
    out = tmp_path_factory.mktemp("jobs2") / "out"  # short: its runtime folder is inside it
    process = subprocess.Popen([*command(out)[:-4], "--sections", "cancer", "circulatory", "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list((out / ".healthgap").glob("run-*/hg-*.pid"))) < 2:  # both kernels started
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (130, INTERRUPTED), (stdout, stderr)
    assert stdout.splitlines() == ["running cancer.ipynb", "running circulatory.ipynb"]
    assert processes_of(out) == [] and runtime_files(out) == []
    assert sorted(p.name for p in out.iterdir()) == [".healthgap"]  # nothing published, no generation left
    assert list((out / ".healthgap" / "generations").iterdir()) == []
