"""``healthgap init``: a first briefing.toml from the files an analyst brings, which `make report` then builds."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import pytest

import healthgap as hg
from healthgap import cli

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "fixtures" / "series" / "fingertips_export_campylobacter_2015_county_ua.csv"
IMD2019 = ROOT / "data" / "examples" / "most-deprived-fifth-2014" / "raw" / "indices_of_deprivation_2019_lad.csv"
HLE = ROOT / "data" / "examples" / "healthy-life-expectancy" / "raw"


def sourced(folder: Path) -> Path:
    """What the analyst does first: each file's source said (init leaves a placeholder, which is refused)."""
    path = folder / "briefing.toml"
    path.write_text(re.sub(r'source = "Who published (.+?), and what it is"', r'source = "The publisher of \1"',
                           path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def test_init_describes_the_files_and_writes_a_configuration_that_reads_back(tmp_path, capsys):
    folder = tmp_path / "campylobacter"
    assert cli.main(["init", str(folder), str(EXPORT), str(IMD2019)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "fingertips_export_campylobacter_2015_county_ua.csv: fingertips-export: 1 indicator (93356 Campylobacter "
        "incidence rate/100,000), sexes persons, ages 0-9 yrs, All ages, periods 2015 to 2017",
        "indices_of_deprivation_2019_lad.csv: imd",
        f"wrote {folder / 'briefing.toml'}: edit the sources, the group, the comparator and the indicators' units, "
        f"then make report DATA={folder}"]
    # the files copied in byte for byte, each recorded with its sha256
    config = tomllib.loads((folder / "briefing.toml").read_text(encoding="utf-8"))
    for key, source in (("campylobacter_incidence", EXPORT), ("imd2019", IMD2019)):
        copied = folder / config["files"][key]["path"]
        assert copied.read_bytes() == source.read_bytes()
        assert config["files"][key]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    # the age chosen, the other named; the group a rule over the indices; the areas' tier found in the data
    indicator = config["indicators"]["campylobacter_incidence"]
    assert indicator["age"] == "All ages" and indicator["sexes"] == ["persons"]
    assert config["areas"]["tier"] == "upper" and config["group"]["rule"] == "deprivation"
    assert config["group"]["edition"] == "English Indices of Deprivation 2019"
    assert config["sections"] == {"campylobacter_incidence": "campylobacter_incidence"}
    text = (folder / "briefing.toml").read_text(encoding="utf-8")
    assert "# The file holds ages 0-9 yrs, All ages: one is chosen; never pooled across ages." in text
    # every key explained with the schema's own words
    assert "# The fraction of the ranked areas in the group, e.g. 0.2 for a fifth." in text
    # it reads back as a build reads it: the group's 2015 value pooled from all ages only
    briefing = hg.load(sourced(folder))
    a = hg.analyse(briefing, "campylobacter_incidence", "persons")
    assert round(a.levels.set_index(["group", "period"]).loc[("group", "2015"), "value"], 1) == 72.6


def test_init_reads_ons_by_sex_file_and_populations(tmp_path, capsys):
    folder = tmp_path / "hle"
    files = [HLE / "healthy-life-expectancy.csv", HLE / "indices_of_deprivation_2025_utla.csv",
             HLE / "ons_myeb3_components_of_change_2001_2019_lad2020.csv"]
    assert cli.main(["init", str(folder), *map(str, files)]) == 0
    config = tomllib.loads((folder / "briefing.toml").read_text(encoding="utf-8"))
    assert config["areas"]["populations"] == "populations" and config["areas"]["tier"] == "upper"
    assert config["files"]["imd2025"]["layout"] == "imd-upper-tier"
    key = next(iter(config["indicators"]))
    assert config["indicators"][key]["sexes"] == ["male", "female"]
    assert hg.load(sourced(folder)).group is not None


@pytest.mark.parametrize("case, expected", [
    ("exists", "already exists; healthgap init writes a first briefing.toml and never replaces one"),
    ("unknown", "line 1: expected the header of a layout healthgap reads"),
    ("missing", "nowhere.csv: file not found"),
])
def test_init_refuses_with_one_line(tmp_path, capsys, case, expected):
    folder = tmp_path / "d"
    folder.mkdir()
    files = [str(EXPORT)]
    if case == "exists":
        (folder / "briefing.toml").write_text('title = "mine"\n')
    elif case == "unknown":
        (tmp_path / "other.csv").write_text("a,b\n1,2\n")
        files = [str(tmp_path / "other.csv")]
    else:
        files = [str(tmp_path / "nowhere.csv")]
    assert cli.main(["init", str(folder), *files]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
    if case == "exists":
        assert (folder / "briefing.toml").read_text() == 'title = "mine"\n'


@pytest.mark.notebooks
def test_make_report_builds_what_init_wrote(tmp_path, capsys):
    folder = tmp_path / "campylobacter"
    assert cli.main(["init", str(folder), str(EXPORT), str(IMD2019)]) == 0
    assert cli.main(["build", "--data", str(sourced(folder)), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    page = (tmp_path / "out" / "briefing.html").read_text(encoding="utf-8")
    assert "Campylobacter incidence rate/100,000" in page


def test_the_placeholder_source_init_writes_must_be_replaced(tmp_path):
    """init writes `source = "Who published <file>, and what it is"` for the analyst to fill in; left as it is, the
    configuration is refused in one line naming the key, so no page says "Who published ..." of its data."""
    import shutil

    from healthgap.read.errors import DataError

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy2(EXPORT, data / "campylobacter.csv")
    cli.main(["init", str(data), str(data / "campylobacter.csv")])
    with pytest.raises(DataError, match=r"briefing\.toml, line \d+, \[files\.\w+\], key 'source': still the "
                                        r"placeholder healthgap init wrote: say who published the file and what it is$"):
        hg.load(data)


def test_check_takes_the_data_folder_as_init_does(tmp_path, capsys):
    """`healthgap init DATA_DIR ...` then `healthgap check DATA_DIR`: the folder given the same way (or --data);
    none, or two different ones, is one line."""
    folder = HLE.parent
    assert cli.main(["check", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder}: valid: 3 files, 1 section; 14 of 149 areas in the group\n"
    for argv in (["check"], ["check", str(folder), "--data", str(tmp_path)]):
        assert cli.main(argv) == 1
        assert capsys.readouterr().err == ("error: check: expected one data folder: healthgap check DATA_DIR "
                                           "(or --data DATA_DIR)\n")
