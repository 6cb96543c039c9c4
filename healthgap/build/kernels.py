"""The kernel manager the build's notebooks run on (imported only by the process that runs them)."""

from __future__ import annotations

import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default


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
