"""A stop request survives whatever a library does with it: the command line, called in this process, is sent
SIGINT or SIGTERM from inside its command, where the interrupt is swallowed by an ``except BaseException`` (as
some imports do) or wrapped by Python in a RuntimeError (a signal landing in a class's ``__set_name__``, as one
did on a slow machine). Either way the command ends with the one line and 128 + the signal's number, and a build
does not publish once a stop was requested. The whole build interrupted at ten moments is
``tests/test_interrupt.py``'s."""

from __future__ import annotations

import os
import signal

import pytest

from healthgap import cli
from healthgap.build import stopping

INTERRUPTED = "error: interrupted; the last briefing is as it was\n"


def _run(monkeypatch, capsys, command) -> tuple[int, str]:
    monkeypatch.setattr(cli, "check", command)
    status = cli.main(["check", "--data", "data"])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_swallowed_interrupt_still_stops_the_command(monkeypatch, capsys, sig):
    ran = []

    def command(args):
        try:
            os.kill(os.getpid(), sig)
            ran.append("not reached")
        except BaseException:  # noqa: BLE001  (what a careless library does)
            ran.append("swallowed")
        return 0

    assert _run(monkeypatch, capsys, command) == (128 + sig, INTERRUPTED)
    assert ran == ["swallowed"]


def test_an_interrupt_wrapped_in_another_error_is_the_interrupt(monkeypatch, capsys):
    def command(args):
        class Landing:
            def __set_name__(self, owner, name):
                os.kill(os.getpid(), signal.SIGINT)

        type("Section", (), {"analyses": Landing()})  # Python 3.11 wraps it: RuntimeError: Error calling __set_name__
        return 0

    assert _run(monkeypatch, capsys, command) == (130, INTERRUPTED)


def test_a_stop_requested_prevents_publishing_and_one_during_it_waits(monkeypatch, capsys):
    published = []

    def command(args):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except KeyboardInterrupt:
            pass
        with stopping.publishing():
            published.append("switched")  # never: the stop came first
        return 0

    assert _run(monkeypatch, capsys, command) == (143, INTERRUPTED)
    assert published == []

    def during(args):
        with stopping.publishing():
            os.kill(os.getpid(), signal.SIGINT)
            published.append("switched")  # the switch completes before the stop
        return 0

    assert _run(monkeypatch, capsys, during) == (130, "error: interrupted; the new briefing had been published\n")
    assert published == ["switched"]


def test_no_stop_request_outlives_its_command(monkeypatch, capsys):
    def command(args):
        os.kill(os.getpid(), signal.SIGINT)
        return 0

    assert _run(monkeypatch, capsys, command)[0] == 130
    assert stopping.received() is None
    stopping.check()  # nothing raised: a later build from Python is not stopped
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
