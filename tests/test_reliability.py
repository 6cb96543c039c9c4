"""Nothing lost, nothing changed by chance: builds killed at several points, and two builds compared byte by byte.

A build is killed with SIGKILL (as ``kill -9``, an out-of-memory killer or a power cut would) while a
notebook runs, just after the page is written, after the new links are made but before the switch, and
just after the switch. Before the switch the reader must see the last good briefing and every companion
file byte-identical; after it, the new one whole. The next build must succeed and leave no debris.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from healthgap.build.pipeline import GENERATIONS, KILL_AT, SITE

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
HIDDEN = {".healthgap", "scratch", "failed"}

pytestmark = pytest.mark.notebooks


def command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "healthgap.cli", "build", "--data", str(DATA), "--out", str(out),
            "--sections", "cancer", "--jobs", "1", *extra]


def run(out: Path, *extra: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({KILL_AT: kill_at} if kill_at else {})}
    return subprocess.run(command(out, *extra), env=env, capture_output=True, text=True, timeout=300)


def published(out: Path) -> dict[str, bytes]:
    """Every file a reader can open in the output folder (through its links), by path, with its bytes."""
    files = {}
    for entry in sorted(out.iterdir()):
        if entry.name in HIDDEN or entry.name == SITE or entry.name.startswith("."):
            continue
        assert entry.exists(), f"{entry.name} is a dangling link"
        paths = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
        for path in paths:
            files[str(path.relative_to(out))] = path.read_bytes()
    return files


def generations(out: Path) -> list[Path]:
    folder = out / ".healthgap" / GENERATIONS
    return sorted(folder.iterdir()) if folder.is_dir() else []


def debris(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith((".link-", ".staging-")))


def forget_page(out: Path) -> None:
    """Make the next build rebuild the page (reusing the executed notebook): drop the manifest."""
    (out / ".healthgap" / "manifest.json").unlink()


@pytest.fixture(scope="module")
def last_good(tmp_path_factory):
    """A published one-notebook briefing, and the bytes of every file a reader sees."""
    out = tmp_path_factory.mktemp("kill") / "out"
    result = run(out)
    assert result.returncode == 0, result.stderr
    return out, published(out)


@pytest.mark.parametrize("point", ["page-written", "links-made"])
def test_killed_before_the_switch_leaves_the_last_briefing(last_good, point):
    out, before = last_good
    forget_page(out)
    result = run(out, kill_at=point)
    assert result.returncode == -signal.SIGKILL
    assert published(out) == before  # every companion file byte-identical, no dangling link
    assert len(generations(out)) == 2  # the killed build's generation is left for the next build to clear
    # the next build clears what was left and publishes
    result = run(out)
    assert result.returncode == 0, result.stderr
    assert len(generations(out)) == 1 and debris(out) == []
    assert published(out) == before  # same inputs, same day: the same bytes


def test_killed_after_the_switch_shows_the_new_briefing_whole(last_good):
    out, before = last_good
    forget_page(out)
    result = run(out, kill_at="site-switched")
    assert result.returncode == -signal.SIGKILL
    after = published(out)
    assert after == before  # the new generation, whole (same inputs: the same bytes)
    site = (out / SITE).resolve()
    for entry in out.iterdir():  # every link a reader follows goes into the one published generation
        if entry.is_symlink() and entry.name != SITE:
            assert entry.resolve().parent == site, entry
    result = run(out)
    # the manifest was not written, so the page is rebuilt (from the cached notebook) and the old
    # generation cleared
    assert result.returncode == 0, result.stderr
    assert "reused cancer.ipynb" in result.stdout
    assert len(generations(out)) == 1 and debris(out) == []


def test_killed_while_a_notebook_runs(last_good):
    out, before = last_good
    process = subprocess.Popen(command(out, "--force"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        # papermill writes the executed notebook as it goes: once it exists in the new generation, the
        # notebook is running
        while not any((g / SITE / "notebooks" / "cancer.ipynb").exists() for g in generations(out)
                      if g != (out / SITE).resolve().parent):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert published(out) == before
    result = run(out)
    assert result.returncode == 0, result.stderr
    assert len(generations(out)) == 1 and debris(out) == []


def test_killed_at_start_up(last_good):
    out, before = last_good
    process = subprocess.Popen(command(out, "--force"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)  # importing, checking the notebooks, making the generation
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert published(out) == before


def test_a_failed_build_keeps_everything(last_good, tmp_path):
    """Bad data stop the build with one line; the briefing and its companions are untouched."""
    import shutil

    out, before = last_good
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    text = (data / "targets.csv").read_text(encoding="utf-8")
    (data / "targets.csv").write_text(text.replace("1995-97,2009-11", "1995-97,1990-92", 1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "healthgap.cli", "build", "--data", str(data), "--out", str(out),
                             "--sections", "cancer", "--jobs", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "targets.csv, line 2, column 'target_period'" in result.stderr
    assert published(out) == before


# --- determinism ------------------------------------------------------------------------------------


def test_two_builds_are_byte_identical(partial_build, tmp_path_factory):
    """The cancer section built twice, its kernels in different processes (so with different hash seeds),
    into different folders: every file a reader sees is byte-identical (the build stamp is the date)."""
    from healthgap.build.pipeline import build_briefing

    first_out = partial_build[0].parent
    # a folder beside the first, so the data's path relative to it (in the executed notebook) is the same
    import uuid

    again = first_out.parent / f"again-{uuid.uuid4().hex[:8]}"
    assert again.parent == first_out.parent
    second = build_briefing(DATA, again, None, sections=["cancer"], jobs=1)
    first, again = published(first_out), published(second.parent)
    assert sorted(first) == sorted(again)
    assert "briefing.html" in first and "figures.csv" in first
    for name in first:
        assert first[name] == again[name], name
    # the page holds no clock reading finer than the build date, and no path of the machine
    page = first["briefing.html"].decode("utf-8")
    assert str(first_out) not in page and str(ROOT) not in page


def test_one_build_at_a_time(last_good, capsys):
    """A second build into a folder that a build holds stops with one line and touches nothing."""
    from healthgap import cli
    from healthgap.build.pipeline import exclusive

    out, before = last_good
    with exclusive(out):
        status = cli.main(["build", "--data", str(DATA), "--out", str(out), "--sections", "cancer", "--force"])
    err = capsys.readouterr().err
    assert status == 1 and err == f"error: another build is writing to {out.resolve()}; wait for it to finish\n"
    assert published(out) == before
