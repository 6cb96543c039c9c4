"""The kernel manager the build's notebooks run on (imported only by the process that runs them).

Each kernel runs in a session of its own (jupyter_client starts it so). The manager records every kernel it
starts, so that a worker told to stop (:func:`kill_all`) can end its kernels at once and remove their files;
and it writes each kernel's process id (and its own) beside the kernel's connection file (``<name>.pid``), so that the build can end
a kernel whose worker died before it could (:func:`healthgap.build.processes.kill_recorded`).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default

from healthgap.build.processes import kill_group

_LIVE: dict[int, IPCKernelManager] = {}
"""The kernels this process started and has not shut down, by process id."""


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager talking to its kernel over Unix sockets instead of TCP ports.

    Kernels started at the same moment by parallel builds can pick the same TCP port
    (``ZMQError: Address already in use``). IPC sockets are files named after the kernel's
    connection file, which is given a unique name here in Jupyter's runtime folder (the build gives its
    workers a runtime folder of their own; jupyter_client's own fallback, ``./kernel-ipc-N`` in the working
    folder, collides when two notebooks of one folder start together).

    A kernel being shut down is not interrupted first: jupyter_client sends SIGINT before its shutdown
    request, which races papermill's last ``kernel_info`` request and makes the kernel print "ERROR |
    KeyboardInterrupt caught in kernel" on a successful run.
    """

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("connection_file")
    def _default_connection_file(self) -> str:
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        # short: the socket paths derived from it (``hg-<8 hex>-ipc-<n>``) must fit in 107 bytes
        return str(runtime / f"hg-{uuid.uuid4().hex[:8]}.json")

    @property
    def pid_file(self) -> Path:
        """Where the kernel's process id is recorded: beside its connection file."""
        return Path(self.connection_file).with_suffix(".pid")

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        pid = self.provisioner.pid if self.provisioner is not None else None
        if pid:
            _LIVE[pid] = self
            self.pid_file.write_text(f"{pid} {os.getpid()}", encoding="ascii")

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # shutting down anyway: an interrupt only makes the kernel print an error
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        for pid, manager in list(_LIVE.items()):
            if manager is self:
                del _LIVE[pid]
        if not restart:
            self.pid_file.unlink(missing_ok=True)


def kill_all() -> None:
    """End every kernel this process started, at once, and remove their connection, socket and pid files.
    Safe to call from a signal handler: no waiting, no event loop."""
    for pid, manager in list(_LIVE.items()):
        kill_group(pid)
        for cleanup in (manager.cleanup_connection_file, manager.cleanup_ipc_files):
            with contextlib.suppress(Exception):  # stopping: a file already gone is no matter
                cleanup()
        manager.pid_file.unlink(missing_ok=True)
        _LIVE.pop(pid, None)
