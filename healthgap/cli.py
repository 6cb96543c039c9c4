"""Command line: ``healthgap build --data DIR --out DIR [--as-of PERIOD] [--jobs N] [--force]
[--sections NAMES...]``, ``healthgap check --data DIR [--as-of PERIOD]``, ``healthgap init DATA_DIR FILE...``
and ``healthgap fetch --indicator N
--area-type ID --into DIR`` (``--search WORDS``, ``--indicator N --area-types``; :mod:`healthgap.read.fetch`).

Every failure is printed as one ``error: ...`` line on stderr with exit status 1, no traceback: bad data
name the file, line and column; a failed notebook names its cell. ``--debug`` (or ``HEALTHGAP_DEBUG=1``;
``make report DEBUG=1``) shows the traceback.

Ctrl-C (SIGINT), SIGTERM and SIGHUP stop a command at once, at any moment: the build's workers and kernels
stop with it, and it says so in one line, ``error: interrupted; the last briefing is as it was``, with exit
status 128 + the signal's number (130, 143, 129). A second signal while it stops changes nothing.
"""

from __future__ import annotations

import os
import sys

from healthgap.build import stopping

if __name__ == "__main__" or os.path.basename(sys.argv[0]) == "healthgap":
    stopping.guard()  # the command itself: before the imports below, so an early Ctrl-C is caught too

import argparse
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from healthgap.build.pipeline import WRITE_ERRORS, BuildError, build_briefing, one_line


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


def positive_number(text: str) -> float:
    """argparse type for ``--timeout``: a number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def whole_number(text: str) -> int:
    """argparse type for ``--retries``: a whole number, 0 or more."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return int(text)


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
    start = commands.add_parser("init", help="write a first briefing.toml for the files you bring")
    start.add_argument("data_dir", type=Path, metavar="DATA_DIR", help="the data folder to make (or one without "
                       "a briefing.toml)")
    start.add_argument("files", nargs="+", metavar="FILE", help="the data files: exports, series, an Indices of "
                       "Deprivation summary, population estimates (copied into DATA_DIR/raw where outside it)")
    check = commands.add_parser("check", help="validate the data, as a build would, without building")
    check.add_argument("data_dir", nargs="?", type=Path, metavar="DATA_DIR",
                       help="folder of source data (as init takes it; or --data)")
    check.add_argument("--data", type=Path, help="folder of source data")
    check.add_argument("--as-of", default=None, metavar="PERIOD", help="period label such as 2004-06")
    fetch = commands.add_parser(
        "fetch", help="download Fingertips data by indicator and area type into a data folder, and record it",
        description="Download Fingertips' data for indicators and an area type into a data folder, byte for byte, "
                    "and record it in the folder's briefing.toml; or find indicators (--search) and where one is "
                    "published (--area-types).")
    fetch.add_argument("--indicator", nargs="+", metavar="N", help="Fingertips indicator number(s), e.g. 93722")
    fetch.add_argument("--area-type", type=positive_int, metavar="ID",
                       help="Fingertips area type of the areas, e.g. 501 (lower-tier local authorities)")
    fetch.add_argument("--parent-area-type", type=positive_int, default=15, metavar="ID",
                       help="area type of their parents (default: 15, England)")
    fetch.add_argument("--into", type=Path, metavar="DIR", help="data folder to write the file into")
    fetch.add_argument("--key", metavar="NAME",
                       help="name of the file and of its [files.NAME] record (default: fingertips_<N>_<ID>)")
    fetch.add_argument("--search", metavar="WORDS", help="list the indicators whose metadata match WORDS")
    fetch.add_argument("--area-types", action="store_true", help="list the area types an indicator is published for")
    fetch.add_argument("--timeout", type=positive_number, default=60.0, metavar="S",
                       help="seconds to wait to connect and for each part of a response (default: 60)")
    fetch.add_argument("--retries", type=whole_number, default=3, metavar="N",
                       help="retries after a failure that may pass, with exponential back-off (default: 3)")
    for command in (build, check, fetch, start):
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
        # a copy's error names its source first: a full disk concerns its destination
        path = error.filename2 if error.errno in WRITE_ERRORS and error.filename2 else error.filename
        where = f": {path}" if path else ""
        return f"error: {error.strerror}{where}"
    return (f"error: unexpected {type(error).__name__}: {one_line(str(error))} "
            f"(run again with --debug, or make ... DEBUG=1, for the traceback)")


def check(args: argparse.Namespace) -> int:
    """``healthgap check``: validate the data as ``build`` does; say what was read."""
    from healthgap.build.pipeline import validate_data

    given = {d for d in (args.data, args.data_dir) if d is not None}
    if len(given) != 1:
        raise BuildError("check: expected one data folder: healthgap check DATA_DIR (or --data DATA_DIR)")
    data = args.data or args.data_dir
    print(f"{data}: {validate_data(data.resolve(), args.as_of)}")
    return 0


def init(args: argparse.Namespace) -> int:
    """``healthgap init DATA_DIR FILE…``: write a first ``briefing.toml`` for the files; say what each holds."""
    from healthgap.read.init import init as start

    written, found = start(args.data_dir, args.files)
    for f in found:
        what = f"{f.layout}"
        if f.indicators:
            what += (f": {len(f.indicators)} indicator{'s' if len(f.indicators) != 1 else ''} "
                     f"({'; '.join(f'{i} {n}' for i, n in f.indicators.items())}), sexes {', '.join(f.sexes)}, "
                     f"{'ages ' + ', '.join(f.ages) + ', ' if f.ages else ''}periods {f.periods[0]} to {f.periods[-1]}")
        print(f"{f.path.name}: {what}")
    print(f"wrote {written}: edit the sources, the group, the comparator and the indicators' units, then make report "
          f"DATA={args.data_dir}")
    return 0


def fetch(args: argparse.Namespace) -> int:
    """``healthgap fetch``: one of ``--search WORDS``, ``--indicator N --area-types``, or ``--indicator N
    --area-type ID --into DIR``; print what was found or written."""
    from healthgap.read import fetch as fingertips

    client = fingertips.Client(timeout=args.timeout, retries=args.retries)
    fetching = (args.area_type, args.into, args.key)
    if args.search is not None:
        if args.indicator or args.area_types or any(v is not None for v in fetching):
            raise fingertips.FetchError("--search: expected on its own (with --timeout, --retries)")
        print(fingertips.describe_search(args.search, fingertips.search(args.search, client)))
        return 0
    if not args.indicator:
        raise fingertips.FetchError("expected --indicator N with --area-type ID --into DIR (or --area-types), "
                                    "or --search WORDS")
    ids = fingertips.parse_ids(args.indicator, "--indicator")
    if args.area_types:
        if any(v is not None for v in fetching):
            raise fingertips.FetchError("--area-types: expected with --indicator only")
        print("\n".join(fingertips.describe_area_types(i, client) for i in ids))
        return 0
    missing = [name for name, value in (("--area-type ID", args.area_type), ("--into DIR", args.into)) if value is None]
    if missing:
        raise fingertips.FetchError(f"--indicator: expected {' and '.join(missing)} too (or --area-types to list "
                                    f"the area types it is published for)")
    fetched = fingertips.fetch(ids, args.area_type, args.into, parent_area_type=args.parent_area_type, key=args.key,
                               client=client)
    print(fingertips.describe_fetched(fetched))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 1 an error, 128 + the signal's number when
    interrupted: 130 for Ctrl-C, 143 for SIGTERM).

    An error that ends a command after a stop was requested is the interrupt, whatever it became on the way up
    (Python wraps one that lands in a class's ``__set_name__`` in a RuntimeError)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = stopping.guard() if in_main_thread and not stopping.guarded() else {}
    try:
        with stopping.armed():
            args = parser().parse_args(argv)
            try:
                status = {"build": build, "check": check, "fetch": fetch, "init": init}[args.command](args)
            except Exception as error:
                if stopping.received() is not None:
                    raise stopping.Interrupted(stopping.received()) from error
                if args.debug:
                    raise
                print(error_line(error), file=sys.stderr)
                return 1
            stopping.check()  # a stop that something on the way swallowed
            return status
    except KeyboardInterrupt as error:
        published = getattr(error, "published", False)
        print("error: interrupted; " + ("the new briefing had been published" if published
                                        else "the last briefing is as it was"), file=sys.stderr, flush=True)
        return 128 + getattr(error, "signum", stopping.received() or signal.SIGINT)
    finally:
        if previous:  # called from Python (a test, a notebook): as it was
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            stopping.forget()


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
