"""A build's worker process: executes notebooks one after another, as the build asks, on kernels of its own.

``python -m healthgap.build.worker <runtime folder> <parent pid> <result fd>`` reads one notebook run a line
(JSON: notebook, executed, parameters) on its standard input and answers each on ``result fd`` (JSON: the
error, or null). It ends when its input ends.

A worker leads a session of its own, so a Ctrl-C at the terminal reaches only the build, which stops its
workers itself. A worker stops at once, its kernels with it and their files removed, when it is sent SIGTERM
(or SIGHUP), and when the build's process is gone (killed, say, with ``kill -9``): it then ends without a word
(no broken-pipe tracebacks from a result nobody reads).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from healthgap.build.processes import children, kill_group

PARENT_POLL = 0.1
"""Seconds between two looks at whether the build's process is still there."""


def _stop(status: int) -> None:
    """End the kernels this worker started (and anything else it started), their files, and the worker, at
    once."""
    try:
        for child in children(os.getpid()):  # a kernel just launched, not yet recorded, too
            kill_group(child)
        if "healthgap.build.kernels" in sys.modules:
            sys.modules["healthgap.build.kernels"].kill_all()
    finally:
        os._exit(status)


def _on_signal(signum, frame) -> None:
    _stop(128 + signum)


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            _stop(1)
        time.sleep(PARENT_POLL)


def serve(results) -> None:
    """Answer each run read on standard input on ``results``, until the input ends."""
    from healthgap.build.pipeline import NotebookRun, execute_notebook

    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        run = NotebookRun(Path(request["notebook"]), Path(request["executed"]), request["parameters"])
        outcome = execute_notebook(run)
        try:
            results.write(json.dumps({"error": outcome.error}) + "\n")
            results.flush()
        except OSError:  # the build is gone: nobody reads the answer
            _stop(1)


def main(argv: list[str]) -> None:
    runtime, parent, fd = argv[0], int(argv[1]), int(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build decides when its workers stop
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    if os.getppid() != parent:
        _stop(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    with open(fd, "w", encoding="utf-8", closefd=True) as results:
        serve(results)


if __name__ == "__main__":
    main(sys.argv[1:])
