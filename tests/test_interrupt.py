"""Ctrl-C, SIGTERM, a killed build and a killed worker: the build stops at once, whole.

A build (the cancer section, one notebook at a time, rebuilt with ``--force`` over a published briefing) is
sent SIGINT at its process group, as a terminal's Ctrl-C is, and another SIGTERM, at ten moments: 0.1, 0.2,
0.35, 0.6, 1 and 1.5 s from its start (start-up and imports, reading the data), as it starts its worker, as its
kernel starts, 1 s into the notebook, and just after the notebook finished (the page being assembled and
published). Each must end with exit status 130 or 143 and the one line ``error: interrupted; the
last briefing is as it was`` (no traceback), leave no process of its own (workers, kernels), no file in its
Jupyter runtime folder, no generation half-made, and the last briefing and every file beside it byte-identical.

A build killed outright (``kill -9``) cannot say anything: its workers notice, end their kernels and remove
their files, without a word. A worker killed (as the out-of-memory killer would) fails its notebook in one line.
"""

from __future__ import annotations

import os
import shutil
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


def _stat(pid: str) -> tuple[str, int] | None:
    """A process's state and parent (from /proc/<pid>/stat), None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> dict[int, str]:
    """Every process descended from ``pid`` (its workers, their kernels...), with its command line."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*"):
        found = _stat(stat.name)
        if found is not None:
            parents[int(stat.name)] = found[1]
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                try:
                    found[child] = (Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
                                    .decode(errors="replace"))
                except OSError:
                    continue
                frontier.append(child)
    return found


def alive(processes: dict[int, str]) -> list[str]:
    """Those of ``processes`` still running (a zombie waiting to be reaped is not)."""
    return [f"{pid}: {command}" for pid, command in processes.items()
            if (_stat(str(pid)) or ("Z", 0))[0] not in ("Z", "X")]


def connection_files(processes: dict[int, str]) -> list[str]:
    """The connection files the kernels among ``processes`` were started on (``-f <file>``), wherever they are,
    that still exist."""
    files = []
    for command in processes.values():
        words = command.split()
        if "ipykernel_launcher" in command and "-f" in words:
            files.append(words[words.index("-f") + 1])
    return [f for f in files if Path(f).exists()]


def runtime_files(out: Path) -> list[str]:
    """Runtime folders, and kernel connection, socket or pid files, anywhere in the build's state."""
    state = out / ".healthgap"
    return sorted(str(p.relative_to(out)) for p in [*state.glob("run-*"), *state.rglob("hg-*")])


def generations(out: Path) -> list[Path]:
    return sorted((out / ".healthgap" / "generations").iterdir())


@pytest.fixture(scope="module")
def last_good(partial_build, tmp_path_factory) -> tuple[dict[int, Path], dict[int, dict[str, bytes]]]:
    """Two copies of a published one-section briefing (the cancer section, as ``--sections cancer`` builds it), one
    for each signal's builds, each as deep in the temporary folder as the original (the executed notebook names the
    data by a path relative to it, so a build that gets as far as publishing publishes the same bytes)."""
    source = partial_build[0].parent
    outs = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        outs[sig] = tmp_path_factory.mktemp(sig.name)
        while len(outs[sig].parts) < len(source.parts):
            outs[sig] = outs[sig] / "out"
        assert len(outs[sig].parts) == len(source.parts)
        shutil.copytree(source, outs[sig], symlinks=True, dirs_exist_ok=True)
    return outs, {sig: published(out) for sig, out in outs.items()}


MOMENTS = [
    ("0.1 s", None, 0.1), ("0.2 s", None, 0.2), ("0.35 s", None, 0.35), ("0.6 s", None, 0.6), ("1 s", None, 1.0),
    ("1.5 s", None, 1.5),
    ("the worker starting", "running ", 0.0),
    ("the kernel starting", "kernel", 0.0),
    ("the notebook running", "kernel", 1.0),
    ("the page being assembled", "finished ", 0.1),
]
"""When the build is interrupted: a time from its start (start-up, imports, reading the data), or a time after
what it says (``running ...``: it starts the worker; ``finished ...``: it assembles and publishes the page) or
after its kernel's process appears."""


def _wait_for(event: str | None, process: subprocess.Popen) -> str:
    """Wait until the build reaches ``event``; what it printed meanwhile."""
    shown = ""
    if event == "kernel":
        _running_kernels(process)
    elif event is not None:
        line = ""
        while not line.startswith(event):
            line = process.stdout.readline()
            assert line, process.communicate()
            shown += line
    return shown


@pytest.mark.parametrize("when, event, delay", MOMENTS, ids=[f"moment{i}" for i in range(len(MOMENTS))])
def test_interrupted_at_any_moment(last_good, when, event, delay):
    outs, before = last_good
    builds = {sig: start(out, "--force") for sig, out in outs.items()}
    ended: dict[int, tuple[int, str, str]] = {}
    started: dict[int, dict[int, str]] = {}

    def interrupt(sig: int, process: subprocess.Popen) -> None:
        shown = _wait_for(event, process)
        time.sleep(delay)
        started[sig] = descendants(process.pid)
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
        print(f"{signal.Signals(sig).name} at {when}: exit {status}; {stdout.strip().splitlines()[-1:] or 'nothing'}")
        assert (status, stderr) == (128 + sig, INTERRUPTED), (when, stdout, stderr)
        assert alive(started[sig]) == [] and processes_of(out) == []
        assert connection_files(started[sig]) == [] and runtime_files(out) == []
        assert published(out) == before[sig]
        assert len(generations(out)) == 1  # the interrupted build's own was removed


def _running_kernels(process: subprocess.Popen, count: int = 1) -> dict[int, str]:
    """Wait until the build's notebooks run on ``count`` kernels; its processes then."""
    deadline = time.monotonic() + 120
    while True:
        found = descendants(process.pid)
        if sum("ipykernel_launcher" in command for command in found.values()) >= count:
            return found
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _gone(processes: dict[int, str], within: float = 10.0) -> list[str]:
    """Those of ``processes`` still running after at most ``within`` seconds (a build's orphaned workers look for
    their build every tenth of a second)."""
    deadline = time.monotonic() + within
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive(processes)


def test_a_killed_build_leaves_nothing_running(last_good, tmp_path):
    """``kill -9`` of the build while its notebook runs: its worker ends its kernel and removes its connection
    file, without a word (no broken pipe, no kernel's "parent appears to have exited")."""
    outs, before = last_good
    out = outs[signal.SIGINT]
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        process = start(out, "--force", stderr=stderr)  # the orphans would write here too
        started = _running_kernels(process)
        process.kill()
        process.communicate(timeout=60)
    assert _gone(started) == [] and processes_of(out) == []
    assert errors.read_text() == ""
    assert connection_files(started) == []
    assert [p for p in runtime_files(out) if "hg-" in p] == []  # the runtime folder itself is the next build's
    assert published(out) == before[signal.SIGINT]


def test_a_killed_worker_fails_its_notebook_in_one_line(last_good):
    """A worker killed (as the out-of-memory killer would kill the biggest process): the build does not wait for
    it for ever; its notebook fails in one line, its kernel ends, and the last briefing stays."""
    outs, before = last_good
    out = outs[signal.SIGTERM]
    process = start(out, "--force")
    started = _running_kernels(process)
    (kernel,) = [pid for pid, command in started.items() if "ipykernel_launcher" in command]
    worker = _stat(str(kernel))[1]
    assert worker != process.pid  # the kernel is a worker's, not the build's own
    os.kill(worker, signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and stderr.count("\n") == 1, stderr
    assert stderr.startswith("error: notebook cancer.ipynb: stopped before it finished: its process was killed "
                             "(SIGKILL, out of memory?)"), stderr
    assert alive(started) == [] and processes_of(out) == []
    assert connection_files(started) == [] and runtime_files(out) == []
    assert published(out) == before[signal.SIGTERM]


def test_interrupted_while_notebooks_run_in_parallel(tmp_path_factory):
    """Ctrl-C while two notebooks run at once, each in its worker on its kernel (a first build: nothing published
    yet): the build stops at once, both workers and kernels with it, and publishes nothing."""
    out = tmp_path_factory.mktemp("jobs2") / "out"  # short: its runtime folder is inside it
    process = subprocess.Popen([*command(out)[:-4], "--sections", "cancer", "circulatory", "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    started = _running_kernels(process, 2)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (130, INTERRUPTED), (stdout, stderr)
    assert stdout.splitlines() == ["running cancer.ipynb", "running circulatory.ipynb"]
    assert alive(started) == [] and processes_of(out) == []
    assert connection_files(started) == [] and runtime_files(out) == []
    assert sorted(p.name for p in out.iterdir()) == [".healthgap"]  # nothing published, no generation left
    assert list((out / ".healthgap" / "generations").iterdir()) == []
