"""The bad-input gauntlet: every file the project reads, broken one way at a time.

Each case copies a real data folder (the national tables, the own-data series example, the ONS counts
example), breaks one file in one way, and runs ``healthgap check`` on it as a user would. Each must end in
exactly one line on stderr, ``error: <file>, line <n>, column '<name>': expected ...`` (file-wide problems
name the file and, where there is one, the line), and exit status 1, with no traceback. ``healthgap build``
reads the data through the same function (tested at the end, with the last briefing kept).

Valid but unusual input (a byte-order mark, Windows line ends, trailing spaces, a quoted field holding a
newline, blank lines) must be accepted and read to the same values.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from healthgap import cli

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "data"
SERIES = ROOT / "data" / "examples" / "most-deprived-fifth"
COUNTS = ROOT / "data" / "examples" / "most-deprived-fifth-2014"

Mutation = Callable[[Path], None]


# --- ways to break a file -----------------------------------------------------------------------


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def cell(table: str, row: int, column: str, value: str) -> Mutation:
    """Set one cell of a tidy table: data row ``row`` (0-based; it sits on line ``row + 2``)."""
    def mutate(folder: Path) -> None:
        fields, rows = _rows(folder / table)
        rows[row][column] = value
        _write(folder / table, fields, rows)
    return mutate


def rename_column(table: str, old: str, new: str | None) -> Mutation:
    """Rename a column (``new`` None: drop it)."""
    def mutate(folder: Path) -> None:
        fields, rows = _rows(folder / table)
        for r in rows:
            value = r.pop(old)
            if new:
                r[new] = value
        fields = [(new if f == old else f) for f in fields if new or f != old]
        _write(folder / table, fields, rows)
    return mutate


def add_column(table: str, name: str) -> Mutation:
    def mutate(folder: Path) -> None:
        fields, rows = _rows(folder / table)
        for r in rows:
            r[name] = "x"
        _write(folder / table, [*fields, name], rows)
    return mutate


def duplicate_row(table: str, row: int, **changes: str) -> Mutation:
    """Append a copy of a row, with some fields changed (it lands on the last line)."""
    def mutate(folder: Path) -> None:
        fields, rows = _rows(folder / table)
        rows.append({**rows[row], **changes})
        _write(folder / table, fields, rows)
    return mutate


def replace_text(table: str, old: str, new: str, count: int = 1) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / table
        text = path.read_bytes().decode("utf-8")
        assert old in text, f"{old!r} not in {table}"
        path.write_bytes(text.replace(old, new, count).encode("utf-8"))
    return mutate


def write_bytes(table: str, content: bytes) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / table).write_bytes(content)
    return mutate


def header_only(table: str) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / table
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return mutate


def remove(table: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / table).unlink()
    return mutate


def latin1(table: str, row: int, column: str, value: str) -> Mutation:
    """Set a cell to text with an accent, then save the whole file as Latin-1 (as an old Excel would)."""
    def mutate(folder: Path) -> None:
        cell(table, row, column, value)(folder)
        path = folder / table
        path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    return mutate


def raw_cell(file: str, line: int, index: int, value: str) -> Mutation:
    """Set field ``index`` (0-based) of line ``line`` of a publisher's file, keeping every other byte."""
    def mutate(folder: Path) -> None:
        path = folder / file
        lines = path.read_bytes().decode("utf-8").split("\n")
        fields = next(csv.reader([lines[line - 1]]))
        fields[index] = value
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(fields)
        lines[line - 1] = buffer.getvalue()
        path.write_bytes("\n".join(lines).encode("utf-8"))
    return mutate


def reseal(*mutations: Mutation) -> Mutation:
    """Apply mutations to a series folder's raw files, then record their new sha256 in ``briefing.toml``
    (an analyst who edits a file on purpose updates its checksum; a forgotten checksum is its own case)."""
    def mutate(folder: Path) -> None:
        config = folder / "briefing.toml"
        before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "raw").iterdir() if p.is_file()}
        for mutation in mutations:
            mutation(folder)
        text = config.read_text(encoding="utf-8")
        for path, old in before.items():
            if path.exists():
                text = text.replace(old, hashlib.sha256(path.read_bytes()).hexdigest())
        config.write_text(text, encoding="utf-8")
    return mutate


def same_base_name(key: str, path: str) -> Mutation:
    """Add a second file of ``[files]`` with the base name of ``[files.<key>]``'s, in another folder (an earlier
    edition of the same export, say): the published ``data/`` would hold one of them under that name."""
    def mutate(folder: Path) -> None:
        copy = folder / "2019" / Path(path).name
        copy.parent.mkdir()
        copy.write_bytes((folder / path).read_bytes())
        config = folder / "briefing.toml"
        text = config.read_text(encoding="utf-8")
        table = text[text.index(f"[files.{key}]"):].split("\n\n", 1)[0]
        second = table.replace(f"[files.{key}]", f"[files.{key}_2019]").replace(path, f"2019/{Path(path).name}")
        config.write_text(text.replace(table, f"{table}\n\n{second}"), encoding="utf-8")
    return mutate


# --- the cases: (folder, file broken, mutation, what the one line must say) ------------------------
# In observations.csv, data row 0 (line 2) is the published cancer gap of 1995-97 (20.7, group "gap"), row 5
# (line 7) England's cancer rate in 2008-10 (110) and row 9 (line 11) the Spearhead circulatory rate of 1995-97.

OBS, SRC, IND, TGT, CTX = "observations.csv", "sources.csv", "indicators.csv", "targets.csv", "context.csv"

CASES: list[tuple[str, Path, str, Mutation, str]] = [
    # -- observations.csv: the national record
    ("obs-missing-file", NATIONAL, OBS, remove(OBS), r"observations\.csv: file not found"),
    ("obs-empty", NATIONAL, OBS, write_bytes(OBS, b""), r"observations\.csv, line 1: expected a header row, got an empty file"),
    ("obs-blank-lines-only", NATIONAL, OBS, write_bytes(OBS, b"\n\n  \n"), r"observations\.csv, line 1: expected a header row, got an empty file"),
    ("obs-header-only", NATIONAL, OBS, header_only(OBS), r"observations\.csv, line 2: expected data rows after the header, found none"),
    ("obs-missing-column", NATIONAL, OBS, rename_column(OBS, "unit", None), r"observations\.csv, line 1: missing column 'unit' \(expected columns: id, "),
    ("obs-misspelt-column", NATIONAL, OBS, rename_column(OBS, "value", "valeu"), r"observations\.csv, line 1: missing column 'value'; found 'valeu', misspelt\?"),
    ("obs-extra-column", NATIONAL, OBS, add_column(OBS, "comment"), r"observations\.csv, line 1, column 'comment': unexpected column"),
    ("obs-blank-column-name", NATIONAL, OBS, replace_text(OBS, ",note\n", ",note,\n"), r"observations\.csv, line 1, column 16: expected a column name, got nothing"),
    ("obs-repeated-column", NATIONAL, OBS, replace_text(OBS, ",note\n", ",note,note\n"), r"observations\.csv, line 1, column 'note': expected each column once, got it twice"),
    ("obs-non-numeric", NATIONAL, OBS, cell(OBS, 0, "value", "twenty"), r"observations\.csv, line 2, column 'value': expected a finite number, got 'twenty'"),
    ("obs-thousands-comma", NATIONAL, OBS, cell(OBS, 0, "value", "1,020.7"), r"observations\.csv, line 2, column 'value': expected a finite number, got '1,020.7'"),
    ("obs-infinite", NATIONAL, OBS, cell(OBS, 0, "value", "inf"), r"observations\.csv, line 2, column 'value': expected a finite number, got 'inf'"),
    ("obs-nan", NATIONAL, OBS, cell(OBS, 0, "value", "NaN"), r"observations\.csv, line 2, column 'value': expected a finite number, got 'NaN'"),
    ("obs-overflow", NATIONAL, OBS, cell(OBS, 0, "value", "1e999"), r"observations\.csv, line 2, column 'value': expected a finite number, got '1e999'"),
    ("obs-blank-value", NATIONAL, OBS, cell(OBS, 0, "value", ""), r"observations\.csv, line 2, column 'value': expected a non-empty value, got ''"),
    ("obs-negative-rate", NATIONAL, OBS, cell(OBS, 5, "value", "-110"), r"observations\.csv, line 7, column 'value': expected a value above zero for the measures rate, life_expectancy, deaths, got '-110'"),
    ("obs-zero-england-rate", NATIONAL, OBS, cell(OBS, 5, "value", "0"), r"observations\.csv, line 7, column 'value': expected a value above zero for the measures rate, life_expectancy, deaths, got '0'"),
    ("obs-period-one-digit", NATIONAL, OBS, cell(OBS, 0, "period", "1995-7"), r"observations\.csv, line 2, column 'period': expected a period like 1995-97, got '1995-7'"),
    ("obs-period-two-digit-years", NATIONAL, OBS, cell(OBS, 0, "period", "95-97"), r"observations\.csv, line 2, column 'period': expected a period like 1995-97, got '95-97'"),
    ("obs-period-slash", NATIONAL, OBS, cell(OBS, 0, "period", "2004/06"), r"observations\.csv, line 2, column 'period': expected a period like 1995-97, got '2004/06'"),
    ("obs-period-ends-before-start", NATIONAL, OBS, cell(OBS, 0, "period", "2006-04"), r"observations\.csv, line 2, column 'period': expected a period like 1995-97, got '2006-04'"),
    ("obs-duplicate-key", NATIONAL, OBS, duplicate_row(OBS, 0, id="a-second-id"), r"observations\.csv, line 109: expected a unique \(indicator, sex, period, group, measure, reference_period\) among rows with preferred = yes"),
    ("obs-duplicate-id", NATIONAL, OBS, duplicate_row(OBS, 0, preferred="no", note="a copy"), r"observations\.csv, line 109: expected a unique \(id\)"),
    ("obs-unknown-indicator", NATIONAL, OBS, cell(OBS, 0, "indicator", "cancers"), r"observations\.csv, line 2, column 'indicator': expected one of: cancer, circulatory, infant_mortality, life_expectancy, got 'cancers'"),
    ("obs-unknown-sex", NATIONAL, OBS, cell(OBS, 0, "sex", "men"), r"observations\.csv, line 2, column 'sex': expected one of: persons, male, female, got 'men'"),
    ("obs-sex-not-reported", NATIONAL, OBS, cell(OBS, 0, "sex", "female"), r"observations\.csv, line 2, column 'sex': expected one of persons for indicator 'cancer'"),
    ("obs-unknown-group", NATIONAL, OBS, cell(OBS, 9, "group", "Spearheads"), r"observations\.csv, line 11, column 'group': expected a group of groups\.csv \(England, Spearhead, .*\) or gap, got 'Spearheads'"),
    ("obs-unknown-measure", NATIONAL, OBS, cell(OBS, 0, "measure", "gap"), r"observations\.csv, line 2, column 'measure': expected one of: rate, life_expectancy, "),
    ("obs-unknown-source", NATIONAL, OBS, cell(OBS, 0, "source_id", "dh_2007"), r"observations\.csv, line 2, column 'source_id': expected a source_id of sources\.csv, got 'dh_2007'"),
    ("obs-change-without-reference", NATIONAL, OBS, replace_text(OBS, "vs1995-97,cancer,persons,2005-07,gap,pct_change_absolute_gap,-13,%,1995-97", "vs1995-97,cancer,persons,2005-07,gap,pct_change_absolute_gap,-13,%,"), r"observations\.csv, line \d+, column 'reference_period': expected a reference_period for the measures change, "),
    ("obs-reference-after-period", NATIONAL, OBS, replace_text(OBS, "vs1995-97,cancer,persons,2005-07,gap,pct_change_absolute_gap,-13,%,1995-97", "vs1995-97,cancer,persons,2005-07,gap,pct_change_absolute_gap,-13,%,2006-08"), r"observations\.csv, line \d+, column 'reference_period': expected a reference_period before the period"),
    ("obs-preferred-maybe", NATIONAL, OBS, cell(OBS, 0, "preferred", "maybe"), r"observations\.csv, line 2, column 'preferred': expected one of: yes, no, got 'maybe'"),
    ("obs-unknown-status", NATIONAL, OBS, cell(OBS, 0, "status", "official"), r"observations\.csv, line 2, column 'status': expected one of: published, estimate, derived, got 'official'"),
    ("obs-latin1", NATIONAL, OBS, latin1(OBS, 3, "note", "café"), r"observations\.csv, line 5, column 'note': expected UTF-8 text, got the byte 0xe9"),
    ("obs-stray-quote", NATIONAL, OBS, replace_text(OBS, ',"The gap in cancer mortality', ',"The gap in cancer "mortality'), r"observations\.csv, line 2: expected a comma or the end of the line after a closing double quote \(a double quote inside a quoted value is written twice: \"\"\)"),
    ("obs-unclosed-quote", NATIONAL, OBS, lambda f: (f / OBS).write_text((f / OBS).read_text() + 'x,"unclosed\n'), r"observations\.csv, line 109: expected a closing double quote; the quoted field that starts on this line runs to the end of the file"),
    ("obs-too-many-fields", NATIONAL, OBS, replace_text(OBS, "cancer-persons-1995-97-gap-absolute_gap,cancer,persons,1995-97,gap,absolute_gap,20.7,", "cancer-persons-1995-97-gap-absolute_gap,cancer,persons,1995-97,gap,absolute_gap,20,7,"), r"observations\.csv, line 2: expected 15 fields as in the header, got 16 \(a comma in a value must be inside double quotes\)"),
    ("obs-too-few-fields", NATIONAL, OBS, replace_text(OBS, "in 1995-7\",\n", "in 1995-7\"\n"), r"observations\.csv, line 2, column 'note': expected 15 fields as in the header, got 14"),
    ("obs-not-preferred-no-reason", NATIONAL, OBS, duplicate_row(OBS, 0, id="b", preferred="no", note=""), r"observations\.csv, line 109, column 'note': expected a note saying why a row that is not preferred is kept"),
    ("obs-file-is-a-folder", NATIONAL, OBS, lambda f: ((f / OBS).unlink(), (f / OBS).mkdir()), r"observations\.csv: expected a file, found a folder"),
    # -- sources.csv
    ("src-javascript-url", NATIONAL, SRC, cell(SRC, 0, "url", "javascript:alert(1)"), r"sources\.csv, line 2, column 'url': expected an http\(s\) URL, got 'javascript:alert\(1\)'"),
    ("src-ftp-url", NATIONAL, SRC, cell(SRC, 0, "url", "ftp://example.org/x"), r"sources\.csv, line 2, column 'url': expected an http\(s\) URL"),
    ("src-duplicate-id", NATIONAL, SRC, duplicate_row(SRC, 0), r"sources\.csv, line 43: expected a unique \(source_id\)"),
    ("src-date-words", NATIONAL, SRC, cell(SRC, 0, "published", "December 2007"), r"sources\.csv, line 2, column 'published': expected YYYY, YYYY-MM or YYYY-MM-DD, got 'December 2007'"),
    ("src-id-spaces", NATIONAL, SRC, cell(SRC, 0, "source_id", "DH update"), r"sources\.csv, line 2, column 'source_id': expected lower-case letters, digits, _, got 'DH update'"),
    ("src-empty-title", NATIONAL, SRC, cell(SRC, 0, "title", "  "), r"sources\.csv, line 2, column 'title': expected a non-empty value"),
    ("src-missing", NATIONAL, SRC, remove(SRC), r"sources\.csv: file not found"),
    # -- indicators.csv
    ("ind-decimals-words", NATIONAL, IND, cell(IND, 0, "decimals", "one"), r"indicators\.csv, line 2, column 'decimals': expected a whole number of decimal places, got 'one'"),
    ("ind-yes-no", NATIONAL, IND, cell(IND, 0, "higher_is_worse", "true"), r"indicators\.csv, line 2, column 'higher_is_worse': expected one of: yes, no, got 'true'"),
    ("ind-sexes", NATIONAL, IND, cell(IND, 0, "sexes", "men;women"), r"indicators\.csv, line 2, column 'sexes': expected sexes from persons, male, female separated by ;"),
    ("ind-unknown-group", NATIONAL, IND, cell(IND, 0, "comparator_group", "UK"), r"indicators\.csv, line 2, column 'comparator_group': expected a group of groups\.csv \(England, .*\), got 'UK'"),
    ("ind-level-measure", NATIONAL, IND, cell(IND, 0, "level_measure", "ratio"), r"indicators\.csv, line 2, column 'level_measure': expected one of: rate, life_expectancy, got 'ratio'"),
    ("ind-header-only", NATIONAL, IND, header_only(IND), r"indicators\.csv, line 2: expected data rows after the header, found none"),
    # -- targets.csv
    ("tgt-before-baseline", NATIONAL, TGT, cell(TGT, 0, "target_period", "1990-92"), r"targets\.csv, line 2, column 'target_period': expected a target_period after the baseline_period .*, got '1990-92'"),
    ("tgt-impossible-reduction", NATIONAL, TGT, cell(TGT, 0, "reduction_pct", "600"), r"targets\.csv, line 2, column 'reduction_pct': expected a reduction above 0 and at most 100 per cent, got '600'"),
    ("tgt-negative-reduction", NATIONAL, TGT, cell(TGT, 0, "reduction_pct", "-6"), r"targets\.csv, line 2, column 'reduction_pct': expected a reduction above 0 and at most 100 per cent, got '-6'"),
    ("tgt-unknown-indicator", NATIONAL, TGT, cell(TGT, 0, "indicator", "diabetes"), r"targets\.csv, line 2, column 'indicator': expected one of: cancer, circulatory, infant_mortality, life_expectancy, got 'diabetes'"),
    ("tgt-value-without-source", NATIONAL, TGT, cell(TGT, 0, "published_target_value", "19.5"), r"targets\.csv, line 2, column 'published_target_source_id': expected a published_target_source_id for a published_target_value"),
    ("tgt-value-infinite", NATIONAL, TGT, cell(TGT, 1, "published_target_value", "-inf"), r"targets\.csv, line 3, column 'published_target_value': expected a finite number or nothing, got '-inf'"),
    ("tgt-gap-measure", NATIONAL, TGT, cell(TGT, 1, "gap_measure", "ratio"), r"targets\.csv, line 3, column 'gap_measure': expected one of: absolute_gap, relative_gap_pct, got 'ratio'"),
    ("tgt-unknown-wording-source", NATIONAL, TGT, cell(TGT, 0, "wording_source_id", "psa_2004"), r"targets\.csv, line 2, column 'wording_source_id': expected a source_id of sources\.csv, got 'psa_2004'"),
    ("tgt-duplicate", NATIONAL, TGT, duplicate_row(TGT, 0), r"targets\.csv, line 7: expected a unique \(indicator, sex\)"),
    # -- context.csv, editions.csv, groups.csv, breaks.csv
    ("ctx-unknown-indicator", NATIONAL, CTX, cell(CTX, 0, "indicator", "cancre"), r"context\.csv, line 2, column 'indicator': expected one of: cancer, .*, got 'cancre'"),
    ("ctx-unknown-source", NATIONAL, CTX, cell(CTX, 0, "source_id", "nowhere"), r"context\.csv, line 2, column 'source_id': expected a source_id of sources\.csv, got 'nowhere'"),
    ("ctx-no-period", NATIONAL, CTX, cell(CTX, 0, "period", ""), r"context\.csv, line 2, column 'period_as_stated': expected a period, or in period_as_stated what the source says of it"),
    ("edi-date-words", NATIONAL, "editions.csv", cell("editions.csv", 0, "published", "Dec 2007"), r"editions\.csv, line 2, column 'published': expected YYYY, YYYY-MM or YYYY-MM-DD, got 'Dec 2007'"),
    ("edi-duplicate-period", NATIONAL, "editions.csv", duplicate_row("editions.csv", 0), r"editions\.csv, line \d+: expected a unique \(period\)"),
    ("grp-duplicate", NATIONAL, "groups.csv", duplicate_row("groups.csv", 0), r"groups\.csv, line 9: expected a unique \(group\)"),
    ("brk-unknown-indicator", NATIONAL, "breaks.csv", cell("breaks.csv", 0, "indicator", "infant"), r"breaks\.csv, line 2, column 'indicator': expected one of: cancer, "),
    ("brk-bad-period", NATIONAL, "breaks.csv", cell("breaks.csv", 0, "first_period", "2007/09"), r"breaks\.csv, line 2, column 'first_period': expected a period like 1995-97, got '2007/09'"),
    # -- briefing.toml (national)
    ("toml-syntax", NATIONAL, "briefing.toml", replace_text("briefing.toml", "title = ", "title "), r"briefing\.toml: Expected '=' after a key in a key/value pair \(at line \d+, column \d+\)"),
    ("toml-blank-title", NATIONAL, "briefing.toml", lambda f: (f / "briefing.toml").write_text('title = " "\n'), r"briefing\.toml, line 1, key 'title': expected text, got an empty string"),
    ("toml-unknown-section", NATIONAL, "briefing.toml", replace_text("briefing.toml", 'cancer = "cancer"', 'cancer = "cancers"'), r"briefing\.toml, line \d+, \[sections\], key 'cancer': expected an indicator of indicators\.csv \(cancer, circulatory, infant_mortality, life_expectancy\), got 'cancers'; did you mean 'cancer'\?"),
    # -- an analyst's series (Fingertips / ONS Explore Local Statistics files), checksums updated
    ("els-non-numeric", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 2, 5, "sixty")), r"preventable-cardiovascular-mortality-england\.csv, line 2, column 'observation': expected a number, got 'sixty'"),
    ("els-negative", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 2, 5, "-60.8")), r"preventable-cardiovascular-mortality-england\.csv, line 2, column 'observation': expected a non-negative number, got '-60.8'"),
    ("els-infinite", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 2, 5, "Infinity")), r"preventable-cardiovascular-mortality-england\.csv, line 2, column 'observation': expected a finite number, got 'Infinity'"),
    ("els-lower-above-value", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 2, 8, "70.1")), r"preventable-cardiovascular-mortality-england\.csv, line 2, column 'lower': expected a lower limit at or below the value 60\.768\d, got 70\.1"),
    ("els-period", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 2, 4, "2001-01-01/P3M")), r"preventable-cardiovascular-mortality-england\.csv, line 2, column 'period': expected a period such as 2015, 2013 - 15, 2019/20 or 2001-01-01/P3Y, got '2001-01-01/P3M'"),
    ("els-area-code", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 2, 0, "England")), r"preventable-cardiovascular-mortality-england\.csv, line 2, column 'areacd': expected a GSS area code such as E06000001, got 'England'"),
    ("els-duplicate", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 3, 4, "2001-01-01/P3Y")), r"preventable-cardiovascular-mortality-england\.csv, line 3: expected one row per indicator, area, sex, age, category and period; E92000001 persons 2001-03 appears twice"),
    ("els-json-sidecar", SERIES, "preventable-cardiovascular-mortality-england.json", reseal(replace_text("raw/preventable-cardiovascular-mortality-england.json", "{", "{,")), r"preventable-cardiovascular-mortality-england\.json, line 1, column 2: expected JSON \(Expecting property name enclosed in double quotes\)"),
    ("extract-blank-value", SERIES, "u75_preventable_cancer_mortality_40502.csv", reseal(raw_cell("raw/u75_preventable_cancer_mortality_40502.csv", 2, 3, "about 118")), r"u75_preventable_cancer_mortality_40502\.csv, line 2, column 'value': expected a number, got 'about 118'"),
    ("extract-sex", SERIES, "life_expectancy_at_birth_90366.csv", reseal(raw_cell("raw/life_expectancy_at_birth_90366.csv", 2, 9, "Men")), r"life_expectancy_at_birth_90366\.csv, line 2, column 'inequality': expected Persons, Male or Female, got 'Men'"),
    ("extract-missing-column", SERIES, "life_expectancy_at_birth_90366.csv", reseal(replace_text("raw/life_expectancy_at_birth_90366.csv", "area_code,area_name,area_type,period", "code,area_name,area_type,period")), r"life_expectancy_at_birth_90366\.csv, line 1: missing column 'area_code'"),
    ("extract-period", SERIES, "u75_preventable_cancer_mortality_40502.csv", reseal(raw_cell("raw/u75_preventable_cancer_mortality_40502.csv", 2, 2, "2003-01")), r"u75_preventable_cancer_mortality_40502\.csv, line 2, column 'period': expected a period such as 2015"),
    ("imd-score", SERIES, "indices_of_deprivation_2025_lad.csv", reseal(raw_cell("raw/indices_of_deprivation_2025_lad.csv", 2, 7, "high")), r"indices_of_deprivation_2025_lad\.csv, line 2, column 'average_score': expected a number, got 'high'"),
    ("series-populations", SERIES, "ons_myeb3_components_of_change_2001_2019_lad2020.csv", reseal(raw_cell("raw/ons_myeb3_components_of_change_2001_2019_lad2020.csv", 2, 3, "n/a")), r"ons_myeb3_components_of_change_2001_2019_lad2020\.csv, line 2, column 'population_2001': expected a positive whole number, got 'n/a'"),
    ("series-checksum", SERIES, "preventable-cardiovascular-mortality-england.csv", raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 2, 5, "60.8"), r"preventable-cardiovascular-mortality-england\.csv: expected sha256 [0-9a-f]{16}… as recorded in briefing\.toml, got [0-9a-f]{16}…; the file is not the one published"),
    ("series-file-missing", SERIES, "u75_preventable_cancer_mortality_40502.csv", remove("raw/u75_preventable_cancer_mortality_40502.csv"), r"u75_preventable_cancer_mortality_40502\.csv: file not found \(named in briefing\.toml, \[files\.cancer\]\)"),
    ("series-fraction", SERIES, "briefing.toml", replace_text("briefing.toml", "fraction = 0.2", "fraction = 1.5"), r"briefing\.toml, line \d+, \[group\], key 'fraction': expected a number between 0 and 1, got 1\.5"),
    ("series-layout", SERIES, "briefing.toml", replace_text("briefing.toml", 'layout = "ons-els"', 'layout = "excel"'), r"briefing\.toml, line \d+, \[files\.cvd\], key 'layout': expected one of .*, got 'excel'"),
    ("series-url", SERIES, "briefing.toml", replace_text("briefing.toml", 'url = "https://github.com/ONSdigital', 'url = "javascript:alert(1)//github.com/ONSdigital'), r"briefing\.toml, line \d+, \[files\.cvd\], key 'url': expected an http\(s\) URL, got 'javascript:alert\(1\)//github\.com/ONSdigital"),
    # -- ONS count tables, checksums updated
    ("ons-deaths-words", COUNTS, "ons_deaths2014_table2_deaths_by_age_sex_area.csv", reseal(raw_cell("raw/ons_deaths2014_table2_deaths_by_age_sex_area.csv", 19, 3, "three")), r"ons_deaths2014_table2_deaths_by_age_sex_area\.csv, line 19, column '0 male': expected a number, got 'three'"),
    ("ons-deaths-negative", COUNTS, "ons_deaths2014_table2_deaths_by_age_sex_area.csv", reseal(raw_cell("raw/ons_deaths2014_table2_deaths_by_age_sex_area.csv", 19, 3, "-3")), r"ons_deaths2014_table2_deaths_by_age_sex_area\.csv, line 19, column '0 male': expected a non-negative number, got '-3'"),
    ("ons-deaths-above-population", COUNTS, "ons_deaths2014_table2_deaths_by_age_sex_area.csv", reseal(raw_cell("raw/ons_deaths2014_table2_deaths_by_age_sex_area.csv", 19, 3, "3000")), r"ons_deaths2014_table2_deaths_by_age_sex_area\.csv, line 19, column '0 male': expected deaths no more than the population of that age and sex \(551 in ons_mye2_mid2014_males_single_year_age_by_LA\.csv:11\), got 3,000"),
    ("ons-infant-deaths-above-births", COUNTS, "ons_births2014_table3_live_births_by_area.csv", reseal(raw_cell("raw/ons_births2014_table3_live_births_by_area.csv", 19, 1, "5")), r"ons_deaths2014_table1a_rates_by_area\.csv, line 22, column 'infant_deaths': expected infant deaths no more than the live births \(5 in ons_births2014_table3_live_births_by_area\.csv, line 19\), got 7"),
    ("ons-rates-words", COUNTS, "ons_deaths2014_table1a_rates_by_area.csv", reseal(raw_cell("raw/ons_deaths2014_table1a_rates_by_area.csv", 22, 12, "high")), r"ons_deaths2014_table1a_rates_by_area\.csv, line 22, column 'asmr_male': expected a number, got 'high'"),
    ("ons-population-code", COUNTS, "ons_mye2_mid2014_males_single_year_age_by_LA.csv", reseal(raw_cell("raw/ons_mye2_mid2014_males_single_year_age_by_LA.csv", 11, 0, "Hartlepool")), r"ons_mye2_mid2014_males_single_year_age_by_LA\.csv, line 11, column 'CODE': expected a GSS area code, got 'Hartlepool'"),
    ("ons-population-words", COUNTS, "ons_mye2_mid2014_males_single_year_age_by_LA.csv", reseal(raw_cell("raw/ons_mye2_mid2014_males_single_year_age_by_LA.csv", 11, 5, "many")), r"ons_mye2_mid2014_males_single_year_age_by_LA\.csv, line 11, column '2': expected a number, got 'many'"),
    ("ons-females-blank", COUNTS, "ons_mye2_mid2014_females_single_year_age_by_LA.csv", reseal(raw_cell("raw/ons_mye2_mid2014_females_single_year_age_by_LA.csv", 11, 4, "")), r"ons_mye2_mid2014_females_single_year_age_by_LA\.csv, line 11, column '1': expected a number, got ''"),
    ("ons-persons-not-sum", COUNTS, "ons_mye2_mid2014_persons_single_year_age_by_LA.csv", reseal(raw_cell("raw/ons_mye2_mid2014_persons_single_year_age_by_LA.csv", 11, 3, "2,065")), r"ons_mye2_mid2014_persons_single_year_age_by_LA\.csv, line 11, column 'ALL AGES': expected the persons population of E06000001 to be the males' plus the females' \(92,590\), got 93,590"),
    ("ons-births-words", COUNTS, "ons_births2014_table3_live_births_by_area.csv", reseal(raw_cell("raw/ons_births2014_table3_live_births_by_area.csv", 19, 1, "about 1000")), r"ons_births2014_table3_live_births_by_area\.csv, line 19, column 'Live births': expected a number, got 'about 1000'"),
    ("ons-empty", COUNTS, "ons_births2014_table3_live_births_by_area.csv", reseal(write_bytes("raw/ons_births2014_table3_live_births_by_area.csv", b"")), r"ons_births2014_table3_live_births_by_area\.csv, line 1: expected an ONS table, got an empty file"),
    ("ons-latin1", COUNTS, "ons_deaths2014_table2_deaths_by_age_sex_area.csv", reseal(lambda f: (f / "raw/ons_deaths2014_table2_deaths_by_age_sex_area.csv").write_bytes((f / "raw/ons_deaths2014_table2_deaths_by_age_sex_area.csv").read_bytes().replace(b"Hartlepool ", b"H\xe4rtlepool", 1))), r"ons_deaths2014_table2_deaths_by_age_sex_area\.csv, line 19: expected UTF-8 text, got the byte 0xe4"),
    ("ons-no-header", COUNTS, "ons_deaths2014_table1a_rates_by_area.csv", reseal(replace_text("raw/ons_deaths2014_table1a_rates_by_area.csv", "Area of usual residence", "Area")), r"ons_deaths2014_table1a_rates_by_area\.csv: expected a header row starting 'Area of usual residence', found none"),
    # -- control characters, refused where every file is read (a NUL is what a failing disk or program leaves)
    ("series-nul-in-area-name", SERIES, "u75_preventable_cancer_mortality_40502.csv", reseal(raw_cell("raw/u75_preventable_cancer_mortality_40502.csv", 2, 1, "Greater\x00Manchester")), r"u75_preventable_cancer_mortality_40502\.csv, line 2, column 'area_name': expected text without control characters$"),
    ("series-escape-in-export", SERIES, "preventable-cardiovascular-mortality-england.csv", reseal(raw_cell("raw/preventable-cardiovascular-mortality-england.csv", 3, 0, "E92000001\x1b[2J")), r"preventable-cardiovascular-mortality-england\.csv, line 3, column 'areacd': expected text without control characters$"),
    ("obs-control-in-note", NATIONAL, OBS, cell(OBS, 0, "note", "gap\x08\x08\x08widened"), r"observations\.csv, line 2, column 'note': expected text without control characters$"),
    ("src-nul-in-title", NATIONAL, SRC, cell(SRC, 1, "title", "\x00"), r"sources\.csv, line 3, column 'title': expected text without control characters$"),
    ("ons-nul-in-area-name", COUNTS, "ons_births2014_table3_live_births_by_area.csv", reseal(raw_cell("raw/ons_births2014_table3_live_births_by_area.csv", 19, 0, "Hartle\x00pool UA")), r"ons_births2014_table3_live_births_by_area\.csv, line 19, column 1: expected text without control characters$"),
    # -- two files that data/ would publish under one name
    ("series-same-base-name", SERIES, "briefing.toml", same_base_name("life", "raw/life_expectancy_at_birth_90366.csv"), r"briefing\.toml, line \d+, \[files\.life_2019\], key 'path': expected a file name of its own: 2019/life_expectancy_at_birth_90366\.csv and \[files\.life\] raw/life_expectancy_at_birth_90366\.csv would both be published as data/life_expectancy_at_birth_90366\.csv; rename one$"),
]


def run_check(folder: Path, capsys) -> tuple[int, str, str]:
    status = cli.main(["check", "--data", str(folder)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.mark.parametrize("case, source, file, mutate, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_one_line(case, source, file, mutate, expected, tmp_path, capsys):
    folder = copy(source, tmp_path / "data")
    mutate(folder)
    status, out, err = run_check(folder, capsys)
    assert status == 1, f"accepted: {out}"
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    message = err[len("error: "):].rstrip("\n")
    assert re.search(r"(^|/)" + expected, message), message
    # the file named is the one broken, and where a row is at fault its line is named
    assert Path(file).name in message.split(":")[0] or Path(file).name in message


def test_the_gauntlet_covers_every_file_read():
    by_file = Counter(Path(c[2]).name for c in CASES)
    national = {"observations.csv", "sources.csv", "indicators.csv", "targets.csv", "context.csv", "editions.csv",
                "groups.csv", "breaks.csv", "briefing.toml"}
    series = {p.name for p in (SERIES / "raw").glob("*.csv")} | {p.name for p in (SERIES / "raw").glob("*.json")}
    counts = {p.name for p in (COUNTS / "raw").glob("ons_*.csv")}
    assert national | series | counts <= set(by_file), sorted((national | series | counts) - set(by_file))
    assert len(CASES) >= 60


# --- valid but unusual input is accepted --------------------------------------------------------


def _values(folder: Path) -> list[tuple[str, float]]:
    from healthgap.read.tables import load_dataset

    observations = load_dataset(folder).observations
    return sorted(zip(observations["id"], observations["value"]))


def test_unusual_but_valid_input_is_accepted(tmp_path, capsys):
    folder = copy(NATIONAL, tmp_path / "data")
    expected = _values(NATIONAL)
    path = folder / OBS
    text = path.read_text(encoding="utf-8")
    # a byte-order mark and Windows line ends (Excel's "CSV UTF-8"), a quoted note spanning two lines,
    # spaces around values, and blank lines at the end
    fields, rows = _rows(path)
    rows[0]["note"] = "First line of a note\nand its second line"
    rows[1]["value"] = f"  {rows[1]['value']} "
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8") + b"\r\n\r\n")
    assert text != path.read_text(encoding="utf-8-sig")
    status, out, err = run_check(folder, capsys)
    assert (status, err) == (0, "")
    assert out.rstrip().endswith("valid: 107 observations of 4 indicators from 41 sources, 4 sections")
    assert _values(folder) == expected
    # the note kept its line break, and each row after it keeps its own line in the file: the third
    # data row starts on line 5, not 4, because the note of the first spans lines 2 and 3
    from healthgap.read.tables import load_dataset

    observations = load_dataset(folder).observations.set_index("id")
    assert observations.loc[rows[0]["id"], "note"] == "First line of a note\nand its second line"
    assert observations.loc[rows[2]["id"], "line"] == 5


def test_a_row_after_a_quoted_newline_is_reported_on_its_own_line(tmp_path, capsys):
    folder = copy(NATIONAL, tmp_path / "data")
    fields, rows = _rows(folder / OBS)
    rows[0]["note"] = "one\ntwo\nthree"
    rows[4]["value"] = "n/a"
    _write(folder / OBS, fields, rows)
    status, _, err = run_check(folder, capsys)
    # the header is line 1; row 0 spans lines 2-4; rows 1-3 are lines 5-7; row 4 is line 8
    assert status == 1 and err.rstrip().endswith("observations.csv, line 8, column 'value': expected a finite number, got 'n/a'")


def test_series_accept_a_byte_order_mark_and_windows_line_ends(tmp_path, capsys):
    folder = copy(SERIES, tmp_path / "data")
    path = folder / "raw" / "u75_preventable_cancer_mortality_40502.csv"
    reseal(lambda f: path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n")))(folder)
    status, out, err = run_check(folder, capsys)
    assert (status, err) == (0, ""), err
    assert out.rstrip().endswith("valid: 5 files, 3 sections; 58 of 292 areas in the group")


# --- the command line: no traceback unless asked, and the build reads the data the same way --------


def test_debug_shows_the_traceback(tmp_path):
    from healthgap.read.tables import DataError

    folder = copy(NATIONAL, tmp_path / "data")
    cell(TGT, 0, "reduction_pct", "600")(folder)
    with pytest.raises(DataError, match=r"targets\.csv, line 2, column 'reduction_pct'"):
        cli.main(["check", "--data", str(folder), "--debug"])


def test_an_unexpected_error_is_one_line_too(monkeypatch, tmp_path, capsys):
    from healthgap.build import pipeline as build

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(build, "read_data", broken)
    status = cli.main(["check", "--data", str(NATIONAL)])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1
    assert err.startswith("error: unexpected KeyError: 'boom' (run again with --debug")


def test_out_pointing_at_a_file(tmp_path, capsys):
    target = tmp_path / "briefing.html"
    target.write_text("not a folder")
    status = cli.main(["build", "--data", str(NATIONAL), "--out", str(target)])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1
    assert err.startswith("error: output folder ") and err.rstrip().endswith(
        "is a file; expected a folder (or a path that does not exist yet)")
    assert target.read_text() == "not a folder"


def test_out_below_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    status = cli.main(["build", "--data", str(NATIONAL), "--out", str(tmp_path / "file" / "out")])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and err.startswith("error: Not a directory: ")


def test_a_control_character_in_a_large_export_is_refused_by_the_fast_reader_too(tmp_path, capsys):
    """A Fingertips export is read in chunks by pandas, not through ``csvfile.read_text``: a control character in it
    is refused in the same one line."""
    from test_own_data import folder

    from healthgap.read.csvfile import read_rows

    data = folder(tmp_path, "All ages")
    export = data / "campylobacter.csv"
    before = hashlib.sha256(export.read_bytes()).hexdigest()
    # the export's rows span two lines (a newline inside the quoted indicator name): a row is named by its first
    line = next(n for n, row in read_rows(export, short_rows=True)[1] if row["Area Name"] == "Hartlepool")
    export.write_bytes(export.read_bytes().replace(b",Hartlepool,", b",Hartle\x00pool,", 1))
    config = data / "briefing.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(before, hashlib.sha256(export.read_bytes())
                                                                 .hexdigest()), encoding="utf-8")
    status, out, err = run_check(data, capsys)
    assert status == 1 and err.count("\n") == 1, (out, err)
    assert err == f"error: campylobacter.csv, line {line}, column 'Area Name': expected text without control characters\n"
