"""Shared fixtures: the project's real data, and a writable copy of it for bad-input tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILT = "1767225600"
"""Every briefing the tests build says it was built on 1 January 2026 (``SOURCE_DATE_EPOCH``), so two builds either
side of midnight are still byte-identical."""
os.environ["SOURCE_DATE_EPOCH"] = BUILT
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def dataset():
    from healthgap.read.tables import load_dataset

    return load_dataset(DATA)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


NOTEBOOKS = [ROOT / "notebooks" / f"{name}.ipynb" for name in ("cancer", "circulatory", "infant_mortality", "life_expectancy")]


def shared(tmp_path_factory, name: str, make) -> tuple[Path, str]:
    """A briefing built once for the whole test run, however many workers run the tests (pytest-xdist): the first
    to need it builds it (``make(folder)`` returns the page's path) while the others wait on a lock, then all read
    it. Returns (path, html)."""
    import filelock

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "shared-builds" / name
    folder.parent.mkdir(exist_ok=True)
    done = folder / ".done"
    with filelock.FileLock(str(folder) + ".lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            path = make(folder)
            done.write_text(str(Path(path).relative_to(folder)), encoding="utf-8")
    path = folder / done.read_text(encoding="utf-8")
    return path, path.read_text(encoding="utf-8")


def build(tmp_path_factory, as_of):
    """The real briefing for one edition, built once; (path, html)."""
    from healthgap.build.pipeline import build_briefing

    return shared(tmp_path_factory, f"briefing-{as_of or 'latest'}",
                  lambda folder: build_briefing(DATA, folder / "out", as_of, jobs=2))


@pytest.fixture(scope="session")
def edition_2004_06(tmp_path_factory):
    return build(tmp_path_factory, "2004-06")


@pytest.fixture(scope="session")
def edition_latest(tmp_path_factory):
    return build(tmp_path_factory, None)


@pytest.fixture(scope="session")
def partial_build(tmp_path_factory):
    """The latest edition with the cancer section alone, as `healthgap build --sections cancer` gives it."""
    from healthgap.build.pipeline import build_briefing

    return shared(tmp_path_factory, "briefing-partial",
                  lambda folder: build_briefing(DATA, folder / "out", None, sections=["cancer"], jobs=1))


EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth"


@pytest.fixture(scope="session")
def example_build(tmp_path_factory):
    """The shipped own-data example, built as `make report DATA=data/examples/most-deprived-fifth` builds it."""
    from healthgap.build.pipeline import build_briefing

    return shared(tmp_path_factory, "briefing-example",
                  lambda folder: build_briefing(EXAMPLE, folder / "out", None, jobs=2))


COUNTS_EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth-2014"


@pytest.fixture(scope="session")
def counts_build(tmp_path_factory):
    """The shipped counts example (ONS's 2014 tables), built as `make report DATA=...` builds it."""
    from healthgap.build.pipeline import build_briefing

    return shared(tmp_path_factory, "briefing-counts",
                  lambda folder: build_briefing(COUNTS_EXAMPLE, folder / "out", None, jobs=2))


@pytest.fixture(scope="session")
def briefing():
    """The national record, read as `make report` reads it (the latest edition)."""
    from healthgap.read.briefing import load

    return load(DATA)
