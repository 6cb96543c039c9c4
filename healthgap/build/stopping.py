"""A command's stop request: Ctrl-C (SIGINT), SIGTERM or SIGHUP, noted once and kept.

The first stopping signal raises :class:`Interrupted` where the main thread is, so that every ``finally`` on the
way up (stopping the notebooks, removing an unpublished generation) runs. The request is also *kept*: a library
that swallows the exception (an ``except BaseException`` or a bare ``except`` in an import, or Python wrapping it
in a ``RuntimeError`` when it lands in a class's ``__set_name__``) cannot lose it, because the build checks it
again (:func:`check`) before each step that cannot be undone and the command line reports any error that ends a
stopped command as the interrupt it was.

Before the command is ready to report (:func:`arm`), a signal is only noted; the command stops as soon as it is.
While the briefing is being published (:func:`publishing`), a signal waits until the switch is complete, so the
command can say truthfully whether the last briefing is as it was.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A stopping signal, raised where the main thread is; ``published`` when it came once the new briefing was
    being published (which was completed first)."""

    def __init__(self, signum: int, published: bool = False) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.published = published


_received: list[int] = []
"""The stopping signals received so far: only the first raises; the request stays until the command ends."""

_state = {"armed": False, "publishing": False, "published": False}


def _interrupt(signum: int, frame) -> None:
    _received.append(signum)
    if len(_received) == 1 and _state["armed"] and not _state["publishing"]:
        raise Interrupted(signum, published=_state["published"])


def guard() -> dict[int, object]:
    """Make SIGINT, SIGTERM and SIGHUP stop the command (the default SIGTERM would end the process there and
    then, leaving its workers and kernels running); forget earlier requests; the handlers replaced."""
    forget()
    return {signum: signal.signal(signum, _interrupt) for signum in STOPPING_SIGNALS}


def guarded() -> bool:
    """Whether the stopping signals are already handled here."""
    return signal.getsignal(signal.SIGTERM) is _interrupt


def received() -> int | None:
    """The first stopping signal received, None when there was none."""
    return _received[0] if _received else None


def check() -> None:
    """Raise :class:`Interrupted` when a stop was requested (again, if it was raised before and swallowed)."""
    if _received:
        raise Interrupted(_received[0], published=_state["published"])


def forget() -> None:
    """A command starts, or has ended (called from Python, a test or a notebook): no stop request outlives it."""
    _received.clear()
    _state["published"] = False


@contextlib.contextmanager
def armed() -> Iterator[None]:
    """While the command runs, ready to report: a signal noted before stops it at once."""
    _state["armed"] = True
    try:
        check()
        yield
    finally:
        _state["armed"] = False


@contextlib.contextmanager
def publishing() -> Iterator[None]:
    """Publishing the briefing: a stop requested before it starts prevents it; one that comes during it waits
    until it is complete and is then raised as ``Interrupted(..., published=True)``."""
    check()
    _state["publishing"] = True
    try:
        yield
        _state["published"] = True
    finally:
        _state["publishing"] = False
    check()
