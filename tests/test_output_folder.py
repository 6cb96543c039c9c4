"""The output folder is the user's: a build replaces only what healthgap itself published there.

A build into a folder holding a ``data/`` or ``notebooks/`` of the user's (the repository's root with
``OUT=.``, a home folder, an analyst's data folder) is refused with one line before anything is written;
the user's files are untouched, byte for byte. Other files of the user's in the folder survive a build.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from healthgap import cli
from healthgap.build.pipeline import BuildError, build_briefing, check_ownership, clear_debris

ROOT = Path(__file__).resolve().parent.parent


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and link under ``folder`` (the build's own state folder aside), with its content's hash."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if ".healthgap" in path.relative_to(folder).parts:
            continue
        if path.is_symlink():
            found[str(path.relative_to(folder))] = "-> " + str(path.readlink())
        elif path.is_file():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[str(path.relative_to(folder))] = "dir"
    return found


@pytest.fixture
def repository_copy(tmp_path: Path) -> Path:
    """A copy of the repository's data, notebooks and README, as ``OUT=.`` from its root would meet them."""
    root = tmp_path / "repo"
    for name in ("data", "notebooks"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy2(ROOT / "README.md", root / "README.md")
    return root


def test_out_dot_in_the_repository_is_refused_and_nothing_is_touched(repository_copy: Path, capsys) -> None:
    before = snapshot(repository_copy)
    status = cli.main(["build", "--data", str(repository_copy / "data"), "--out", str(repository_copy)])
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ") and "is a folder healthgap did not write" in err
    assert f"{repository_copy / 'data'}" in err and "--out" in err
    assert snapshot(repository_copy) == before
    assert not (repository_copy / ".healthgap").exists()  # not even the lock was written


def test_a_home_like_folder_is_refused(tmp_path: Path, capsys) -> None:
    home = tmp_path / "home"
    (home / "notebooks").mkdir(parents=True)
    (home / "notebooks" / "thesis.ipynb").write_text('{"cells": []}')
    (home / "Documents").mkdir()
    (home / "Documents" / "letter.txt").write_text("Dear ...")
    (home / "figures.csv").write_text("my,own\n1,2\n")
    before = snapshot(home)
    status = cli.main(["build", "--data", str(ROOT / "data"), "--out", str(home)])
    err = capsys.readouterr().err.strip()
    assert status == 1 and len(err.splitlines()) == 1
    # the first entry a build would replace is named: here the user's own figures.csv
    assert "figures.csv is a file healthgap did not write" in err
    assert snapshot(home) == before


def test_an_own_data_folder_with_its_notebooks_is_refused(tmp_path: Path) -> None:
    analyst = tmp_path / "my-briefing"
    shutil.copytree(ROOT / "data" / "examples" / "most-deprived-fifth", analyst)
    (analyst / "notebooks").mkdir()
    (analyst / "notebooks" / "cancer.ipynb").write_text('{"cells": []}')
    before = snapshot(analyst)
    with pytest.raises(BuildError, match=r"my-briefing/notebooks is a folder healthgap did not write"):
        build_briefing(analyst, analyst, None)
    assert snapshot(analyst) == before


@pytest.mark.parametrize("name,kind", [("briefing.html", "file"), ("data", "folder"), ("notebooks", "folder"),
                                       ("site", "folder"), ("figures.csv", "file"), ("failed", "folder")])
def test_each_published_name_is_checked(tmp_path: Path, name: str, kind: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if kind == "file":
        (out / name).write_text("mine")
    else:
        (out / name).mkdir()
        (out / name / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match=f"{name} is a {kind} healthgap did not write"):
        check_ownership(out)


def test_links_healthgap_made_are_its_own(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".healthgap" / "generations" / "abc" / "site" / "data").mkdir(parents=True)
    (out / "site").symlink_to(Path(".healthgap/generations/abc/site"))
    (out / "data").symlink_to(Path("site/data"))
    (out / "failed").mkdir()
    (out / "failed" / "cancer.ipynb").write_text("{}")
    check_ownership(out)  # nothing raised: every entry is healthgap's
    # a link of the user's own, pointing elsewhere, is not
    (out / "notebooks").symlink_to(tmp_path)
    with pytest.raises(BuildError, match="notebooks is a file healthgap did not write"):
        check_ownership(out)


def test_clearing_debris_leaves_the_users_dot_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".link-mine").write_text("a user's file named like healthgap's temporary links")
    (out / ".staging-notes").mkdir()
    (out / ".link-0123abcd").symlink_to("site/briefing.html")  # healthgap's own half-made link
    clear_debris(out)
    assert (out / ".link-mine").read_text().startswith("a user's file")
    assert (out / ".staging-notes").is_dir()
    assert not (out / ".link-0123abcd").is_symlink()


@pytest.mark.notebooks
def test_a_build_keeps_the_users_other_files(tmp_path: Path) -> None:
    """A real build into a folder that holds the user's own files of other names: they survive it, and the
    next build, untouched."""
    from tests.test_build import figure_notebook, front_matter, no_back_matter

    out = tmp_path / "out"
    out.mkdir()
    (out / "README.txt").write_text("my notes")
    (out / "archive").mkdir()
    (out / "archive" / "briefing.html").write_text("<p>last year's</p>")
    before = snapshot(out)
    notebook = figure_notebook(tmp_path / "notebooks")
    for _ in range(2):
        build_briefing(ROOT / "data", out, None, notebooks=[notebook], front_matter=front_matter,
                       back_matter=no_back_matter, force=True)
    after = snapshot(out)
    assert {name: after[name] for name in before} == before
    assert (out / "briefing.html").is_symlink() and (out / "figures.csv").read_text().startswith("area,gap")


def test_make_report_out_dot_is_refused_from_the_command_line(repository_copy: Path) -> None:
    """As a user types it: ``healthgap build --out .`` from the repository's root."""
    before = snapshot(repository_copy)
    result = subprocess.run([sys.executable, "-m", "healthgap.cli", "build", "--data", "data", "--out", "."],
                            cwd=repository_copy, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "did not write" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(repository_copy) == before
