"""Ending the processes a build starts: its workers, their kernels, and whatever those started.

The standard library only: the build, its workers and the kernel manager all use it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def kill_group(pid: int) -> None:
    """End process ``pid`` and its process group at once (a kernel or a worker leads a session of its own, so its
    group is itself and what it started)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


def command_line(pid: int) -> str | None:
    """The command line of process ``pid``; None where the process is gone or the system does not say."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc; none found elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(stat.parent.name))
    return found


def kill_recorded(runtime: Path, worker: int | None = None) -> None:
    """End every kernel whose pid file (``hg-*.pid``: the kernel's pid and its worker's, written by
    :mod:`healthgap.build.kernels`) is in the build's runtime folder, and that still runs on its connection file
    there: a kernel whose worker was killed before it could end it. ``worker``: only that worker's kernels. Where
    the system cannot show a command line, a recorded kernel is ended if it is alive."""
    proc = Path("/proc").is_dir()
    for record in Path(runtime).glob("hg-*.pid"):
        try:
            pid, parent = (int(part) for part in record.read_text(encoding="ascii").split())
        except (OSError, ValueError):
            continue
        if worker is not None and parent != worker:
            continue
        command = command_line(pid)
        if (command is None and proc) or (command is not None and str(record.with_suffix(".json")) not in command):
            continue  # gone, or its id now another process's
        kill_group(pid)
