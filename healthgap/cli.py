"""Command line: ``healthgap build --data DIR --out DIR [--as-of PERIOD] [--jobs N]
[--notebooks NAMES...]``.

Errors a user can act on (a notebook failed, a parameter is missing, the data do not
validate) are printed as one ``error: ...`` line on stderr with exit status 1, no traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from healthgap.build import BuildError, build_briefing, default_notebooks, one_line


def resolve_notebooks(names: Sequence[str]) -> list[Path]:
    """Turn ``--notebooks`` values into paths, in the order given.

    A value naming an existing file is used as is; otherwise it names one of the
    repository's notebooks, with or without ``.ipynb`` (``cancer`` or ``cancer.ipynb``).
    """
    known = {path.stem: path for path in default_notebooks()}
    paths: list[Path] = []
    for name in names:
        if Path(name).is_file():
            paths.append(Path(name))
        elif Path(name).stem in known and Path(name).suffix in ("", ".ipynb"):
            paths.append(known[Path(name).stem])
        else:
            raise BuildError(
                f"unknown notebook {name!r}; expected one of {', '.join(known)} or a .ipynb path"
            )
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
    build.add_argument("--notebooks", nargs="+", metavar="NAME",
                       help="notebooks to run, in order (default: all four)")
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 1 build error)."""
    args = parser().parse_args(argv)
    started = time.monotonic()
    events: list[str] = []

    def progress(message: str) -> None:
        events.append(message)
        if not message.endswith("is up to date"):
            print(message, flush=True)

    try:
        notebooks = resolve_notebooks(args.notebooks) if args.notebooks else None
        briefing = build_briefing(
            args.data, args.out, args.as_of, notebooks=notebooks, jobs=args.jobs, progress=progress,
            force=args.force,
        )
    except (BuildError, ValueError) as error:
        print(f"error: {one_line(str(error))}", file=sys.stderr)
        return 1
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
