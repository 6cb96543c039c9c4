"""Command line: ``healthgap build --data DIR --out DIR [--as-of PERIOD] [--jobs N] [--force]
[--sections NAMES...]`` and ``healthgap check --data DIR [--as-of PERIOD]``.

Every failure is printed as one ``error: ...`` line on stderr with exit status 1 (130 when
interrupted), no traceback: bad data name the file, line and column; a failed notebook names
its cell. ``--debug`` (or ``HEALTHGAP_DEBUG=1``; ``make report DEBUG=1``) shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from healthgap.build.pipeline import BuildError, build_briefing, one_line


def resolve_notebooks(names: Sequence[str]) -> list[Path]:
    """``--notebooks`` values as paths, in the order given: each an existing ``.ipynb`` file."""
    paths: list[Path] = []
    for name in names:
        if not (Path(name).is_file() and Path(name).suffix == ".ipynb"):
            raise BuildError(f"notebook {name!r} not found; expected the path of an .ipynb file (to build some "
                             f"sections of the data's briefing.toml, use --sections)")
        paths.append(Path(name))
    return paths


def positive_int(text: str) -> int:
    """argparse type for ``--jobs``: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``healthgap`` command."""
    main_parser = argparse.ArgumentParser(
        prog="healthgap", description="Health-inequality gaps and targets: build the briefing."
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="execute the notebooks and write the HTML briefing")
    build.add_argument("--data", required=True, type=Path, help="folder of source data")
    build.add_argument("--out", required=True, type=Path,
                       help="folder for briefing.html, the executed notebooks and CSV files")
    build.add_argument("--as-of", default=None, metavar="PERIOD",
                       help="period label such as 2004-06 (default: the latest in the data)")
    build.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                       help="notebooks to run at the same time (default: the number of cores)")
    build.add_argument("--force", action="store_true",
                       help="run every notebook and rebuild the page even if nothing changed")
    build.add_argument("--sections", nargs="+", metavar="NAME",
                       help="sections of briefing.toml to build, e.g. cancer (default: all of them)")
    build.add_argument("--notebooks", nargs="+", metavar="PATH",
                       help="run these notebooks instead, each as its own section (for a notebook of your own)")
    check = commands.add_parser("check", help="validate the data, as a build would, without building")
    check.add_argument("--data", required=True, type=Path, help="folder of source data")
    check.add_argument("--as-of", default=None, metavar="PERIOD", help="period label such as 2004-06")
    for command in (build, check):
        command.add_argument("--debug", action="store_true", default=bool(os.environ.get("HEALTHGAP_DEBUG")),
                             help="show the traceback of an error (also HEALTHGAP_DEBUG=1)")
    return main_parser


def error_line(error: BaseException) -> str:
    """The one line a user sees for an error: the message itself for errors about the input or the build,
    the operating system's words and the path for a file that cannot be read or written, and the error's
    kind for anything unexpected."""
    if isinstance(error, (BuildError, ValueError)):
        return f"error: {one_line(str(error))}"
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"error: {error.strerror}{where}"
    return (f"error: unexpected {type(error).__name__}: {one_line(str(error))} "
            f"(run again with --debug, or make ... DEBUG=1, for the traceback)")


def check(args: argparse.Namespace) -> int:
    """``healthgap check``: validate the data as ``build`` does; say what was read."""
    from healthgap.build.pipeline import validate_data

    print(f"{args.data}: {validate_data(args.data.resolve(), args.as_of)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 1 build error)."""
    args = parser().parse_args(argv)
    try:
        return check(args) if args.command == "check" else build(args)
    except KeyboardInterrupt:
        print("error: interrupted; the last briefing is as it was", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(error_line(error), file=sys.stderr)
        return 1


def build(args: argparse.Namespace) -> int:
    """``healthgap build``: run the notebooks that must run and publish the briefing; print a summary."""
    started = time.monotonic()
    events: list[str] = []

    def progress(message: str) -> None:
        events.append(message)
        if not message.endswith("is up to date"):
            print(message, flush=True)

    notebooks = resolve_notebooks(args.notebooks) if args.notebooks else None
    briefing = build_briefing(
        args.data, args.out, args.as_of, notebooks=notebooks, jobs=args.jobs, progress=progress, force=args.force,
        sections=args.sections,
    )
    seconds = time.monotonic() - started
    if events and events[-1].endswith("is up to date"):
        print(f"{briefing} is up to date: nothing changed ({seconds:.2f} s)")
        return 0
    run = sum(1 for e in events if e.startswith("finished "))
    reused = sum(1 for e in events if e.startswith("reused "))
    print(f"wrote {briefing} in {seconds:.1f} s ({run} notebook{'s' if run != 1 else ''} run, {reused} reused)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
