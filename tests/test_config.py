"""``briefing.toml`` against its one schema: every key typed and bounded, unknown and meaningless keys refused
with the key named (and the nearest valid one suggested), every problem one line with its line number, and the
reference (``docs/briefing-toml.md``) made from the schema so the two cannot drift."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from healthgap.read import config
from healthgap.read.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
SERIES = ROOT / "data" / "examples" / "most-deprived-fifth"
NATIONAL = ROOT / "data"


@pytest.fixture
def series(tmp_path: Path) -> Path:
    folder = tmp_path / "series"
    shutil.copytree(SERIES, folder)
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "briefing.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(folder: Path, text: str) -> int:
    return next(i for i, line in enumerate((folder / "briefing.toml").read_text().splitlines(), 1) if text in line)


def refused(folder: Path) -> str:
    with pytest.raises(DataError) as caught:
        config.read_config(folder, lambda: ["cancer", "circulatory", "infant_mortality", "life_expectancy"])
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_shipped_configurations_are_valid():
    national = config.read_config(NATIONAL, lambda: ["cancer", "circulatory", "infant_mortality", "life_expectancy"])
    assert national.kind == "tables" and list(national.sections) == ["cancer", "circulatory", "infant_mortality",
                                                                      "life_expectancy"]
    example = config.read_config(SERIES)
    assert example.kind == "series" and example.group.rule == "deprivation" and example.group.fraction == 0.2
    assert example.indicators["life_expectancy"].sexes == ("male", "female")
    assert example.indicators["circulatory"].higher_is_worse is True
    assert example.indicators["life_expectancy"].higher_is_worse is False
    counts = config.read_config(ROOT / "data" / "examples" / "most-deprived-fifth-2014")
    assert counts.indicators["infant_mortality"].compute == "infant_mortality"


def test_a_misspelt_key_is_refused_with_the_nearest_valid_one(series):
    # today's worst case: the gap would flip silently
    edit(series, "higher_is_worse = true\nsexes = [\"persons\"]\npopulation = \"Deaths from card",
         "higher_is_wrose = true\nsexes = [\"persons\"]\npopulation = \"Deaths from card")
    line = line_of(series, "higher_is_wrose")
    assert refused(series) == (f"briefing.toml, line {line}, [indicators.circulatory], key 'higher_is_wrose': "
                               f"unknown key; did you mean 'higher_is_worse'?")


def test_an_unknown_key_far_from_any_is_refused_with_the_keys_there_are(series):
    edit(series, "[group]\n", "[group]\ncolour = \"red\"\n")
    message = refused(series)
    assert message.startswith(f"briefing.toml, line {line_of(series, 'colour')}, [group], key 'colour': unknown key; "
                              f"expected one of rule, fraction, deprivation, edition")


@pytest.mark.parametrize("old, new, expected", [
    ('kind = "series"', 'kind = "Series"', "key 'kind': expected one of tables, series, got 'Series'; did you mean 'series'?"),
    ("higher_is_worse = true", 'higher_is_worse = "false"',
     "[indicators.circulatory], key 'higher_is_worse': expected true or false (without quotes), got 'false'"),
    ("decimals = 1\nrelative_decimals = 1\nhigher_is_worse = true", "decimals = 400\nrelative_decimals = 1\nhigher_is_worse = true",
     "[indicators.circulatory], key 'decimals': expected a whole number from 0 to 6, got 400"),
    ("decimals = 1\nrelative_decimals = 1\nhigher_is_worse = true", "decimals = -3\nrelative_decimals = 1\nhigher_is_worse = true",
     "[indicators.circulatory], key 'decimals': expected a whole number from 0 to 6, got -3"),
    ("decimals = 1\nrelative_decimals = 1\nhigher_is_worse = true", "decimals = 1.5\nrelative_decimals = 1\nhigher_is_worse = true",
     "[indicators.circulatory], key 'decimals': expected a whole number, got 1.5"),
    ("fraction = 0.2", "fraction = 1.5", "[group], key 'fraction': expected a number between 0 and 1, got 1.5"),
    ('sexes = ["male", "female"]', 'sexes = ["men"]',
     "[indicators.life_expectancy], key 'sexes': expected a list of persons, male, female (each once), got ['men']"),
    ('horizon = "2027-29"', 'horizon = "2027/29"', "[projection], key 'horizon': expected a period like 2025-27 or 2014, "
                                                  "got '2027/29'"),
    ('path = "raw/preventable', 'path = "/raw/preventable', "[files.cvd], key 'path': expected a path relative to the data "
                                                              "folder, got '/raw/preventable"),
    ('sha256 = "d6ba', 'sha256 = "D6BA', "[files.cvd], key 'sha256': expected 64 hexadecimal digits"),
    ('rule = "deprivation"', 'rule = "list"\npath = "list.csv"',
     "[group], key 'fraction': only for rule = 'deprivation' or 'indicator'; with rule = 'list' it would be ignored: "
     "remove it"),
    ('deprivation = "imd2025"', 'deprivation = "imd2052"',
     "[group], key 'deprivation': expected a file of [files] (cvd, cancer, life, populations, imd2025), got 'imd2052'; did you mean "
     "'imd2025'?"),
    ('deprivation = "imd2025"', 'deprivation = "cvd"',
     "[group], key 'deprivation': expected a file with layout 'imd' or 'imd-upper-tier'; [files.cvd] is 'ons-els'"),
    ('file = "cvd"', 'file = "cvd"\ncompute = "dsr_under_75"', "[indicators.circulatory], key 'file': not with 'compute'"),
    ('options = { indicator_id = "40502" }', 'options = { indicator = "40502" }',
     "[files.cancer.options], key 'indicator': not an option of layout 'fingertips-extract' (its options: indicator_id); "
     "did you mean 'indicator_id'?"),
    ('title = "The most', 'title = "The\\u0000most', "key 'title': expected text without control characters"),
    ("[projection]", "[projections]", "key 'projections': unknown key; did you mean 'projection'?"),
    ('[files.cvd]', '[files]\nx = "y"\n[files.cvd]', "[files], key 'x': expected a table [files.x], got 'y'"),
])
def test_each_value_is_typed_and_bounded(series, old, new, expected):
    edit(series, old, new)
    message = refused(series)
    assert re.match(r"^briefing\.toml, line \d+, ", message), message
    assert expected in message, message


def test_a_configuration_without_sections_is_refused(series):
    text = (series / "briefing.toml").read_text()
    (series / "briefing.toml").write_text(text[: text.index("[sections]")])
    assert refused(series) == ("briefing.toml: expected a [sections] table (the sections of the briefing, in order; "
                               "e.g. cancer = \"cancer\")")


def test_a_syntax_error_is_reported_as_itself(series):
    edit(series, 'title = "The most', 'title "The most')
    assert refused(series) == "briefing.toml: Expected '=' after a key in a key/value pair (at line 5, column 7)"


def test_a_duplicate_key_is_reported_as_itself(series):
    edit(series, "fraction = 0.2", "fraction = 0.2\nfraction = 0.3")
    assert re.fullmatch(r"briefing\.toml: Cannot overwrite a value \(at line \d+, column \d+\)", refused(series))


def test_bytes_that_are_not_utf8_are_located(series):
    path = series / "briefing.toml"
    path.write_bytes(path.read_bytes().replace(b"The most", b"The m\xf6st", 1))
    assert refused(series) == "briefing.toml, line 5, column 15: expected UTF-8 text, got the byte 0xf6"


def test_a_tables_folder_refuses_a_series_table(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(NATIONAL, folder, ignore=shutil.ignore_patterns("examples"))
    (folder / "briefing.toml").write_text((folder / "briefing.toml").read_text() + '\n[group]\nrule = "list"\n')
    assert refused(folder).endswith("[group]: only for kind = 'series'; this folder is kind = 'tables' (its tables "
                                    "give it)")


def test_the_reference_is_made_from_the_schema():
    """docs/briefing-toml.md is what `make docs` writes: regenerate it after changing the schema."""
    assert (ROOT / "docs" / "briefing-toml.md").read_text(encoding="utf-8") == config.reference()


def test_the_reference_names_every_key():
    reference = (ROOT / "docs" / "briefing-toml.md").read_text(encoding="utf-8")
    for key in config.keys_of_schema():
        name = key.rsplit(".", 1)[-1]
        assert f"`{name}`" in reference or f"[{key}" in reference or f".{name}]" in reference, key
