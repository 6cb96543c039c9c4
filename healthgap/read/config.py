"""``briefing.toml``: one schema for every data folder, each key typed, bounded and documented.

A data folder's configuration says what the briefing shows and where its data come from. Two kinds of
folder share the one schema (:data:`SCHEMA`):

* ``kind = "tables"`` (the default): published figures in tidy CSV tables (``observations.csv``,
  ``indicators.csv``, ``targets.csv``... as ``data/README.md`` describes them), such as the national
  record of England's 2004-2010 targets;
* ``kind = "series"``: the publishers' own files (Fingertips exports, ONS series and count tables, an
  Indices of Deprivation summary) named under ``[files]``, the indicators under ``[indicators]``, and
  the areas, the group and the comparator under ``[areas]`` and ``[group]``.

:func:`read_config` checks the file against the schema and returns a typed :class:`Config`. Every problem
is one line naming the file, the line, the table and the key, and what was expected: a TOML syntax error as
TOML reports it; an unknown or misspelt key refused with the nearest valid key suggested
(``higher_is_wrose`` -> ``higher_is_worse``); a key that another makes meaningless refused rather than
ignored (``fraction`` in a group of listed areas); booleans that are booleans, decimals from 0 to 6, at
least one section. The reference for every key, ``docs/briefing-toml.md``, is made from the schema
(:func:`reference`), and a test holds the two together.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from healthgap.read.errors import DataError
from healthgap.read.periods import parse_period
from healthgap.read.vocabulary import COUNT_INDICATORS, SEXES

CONFIG_NAME = "briefing.toml"
KINDS = ("tables", "series")
LAYOUTS = ("fingertips-export", "fingertips-next", "ons-els", "fingertips-extract")
"""Layouts of indicator values (:mod:`healthgap.read.layouts`)."""
COUNT_LAYOUTS = ("ons-deaths-by-age", "ons-deaths-and-rates", "ons-population-by-age", "ons-live-births")
"""ONS count tables as ONS ships them (:mod:`healthgap.read.ons`)."""
OTHER_LAYOUTS = ("imd", "imd-upper-tier", "populations", "ons-myeb3")
MEASURES = ("rate", "life_expectancy", "proportion", "value")
GAP_MEASURES = ("absolute_gap", "relative_gap_pct")
TIERS = ("lower", "upper")
COMPARATORS = ("England", "rest of England")
RULES = ("deprivation", "indicator", "list")
MAX_DECIMALS = 6
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- the schema ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key of a table: its type, what it means, and when it may be given.

    ``type``: text, bool, int, number, period, url, sha256, path, choice, sexes, codes, table (free keys of
    text), indicator (an indicator of ``[indicators]``), file (a file of ``[files]``). ``when``: the key is
    allowed only where another key of the same table has one of some values (``("rule", ("list",))``);
    ``excludes``: keys it may not be given with (the other would be ignored).
    """

    name: str
    type: str
    doc: str
    required: bool = False
    default: object = None
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    when: tuple[str, tuple] | None = None
    excludes: tuple[str, ...] = ()
    layouts: tuple[str, ...] = ()
    """For a ``file`` key: the layouts the named file must have."""


@dataclass(frozen=True)
class Table:
    """A table of keys (``[group]``), or, with ``named``, a table of named tables (``[files.<name>]``);
    ``mapping``: free names, each with a text value (``[sections]``)."""

    name: str
    doc: str
    keys: tuple[Key, ...] = ()
    tables: tuple[Table, ...] = ()
    named: bool = False
    mapping: bool = False
    kinds: tuple[str, ...] = KINDS
    required: bool = False

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


TARGET = Table("target", "A target set on the gap, as the national targets were: cut the gap by a percentage "
               "between a baseline period and a target period.", keys=(
    Key("baseline_period", "period", "The baseline period the cut is measured from, e.g. `\"2001-03\"`.", True),
    Key("target_period", "period", "The period by which the cut is due, e.g. `\"2009-11\"`.", True),
    Key("gap_measure", "choice", "The gap the target is set on.", True, choices=GAP_MEASURES),
    Key("reduction_pct", "number", "The cut, in per cent of the baseline gap (10 for a tenth).", True,
        low=0, high=100, open_low=True),
    Key("wording", "text", "The target as its publisher worded it, shown with the verdict.", default=""),
    Key("source", "text", "Where the target was published.", default=""),
))

SCHEMA = Table(CONFIG_NAME, "The briefing a data folder builds.", keys=(
    Key("kind", "choice", "What the folder holds: `tables` (published figures in tidy CSV tables, as "
        "`data/README.md` describes) or `series` (the publishers' own files, named under `[files]`).",
        default="tables", choices=KINDS),
    Key("title", "text", "The briefing's title.", True),
    Key("introduction", "text", "The paragraph that opens the briefing.", default=""),
), tables=(
    Table("sections", "The sections of the briefing, in order: `name = \"indicator\"`. A section whose name is a "
          "notebook of `notebooks/` (`cancer`, `circulatory`, `infant_mortality`, `life_expectancy`) runs that "
          "notebook; any other runs the generic `notebooks/indicator.ipynb`. At least one.",
          mapping=True, required=True),
    Table("areas", "The areas compared and the comparator.", kinds=("series",), keys=(
        Key("tier", "choice", "Which local authorities are ranked and grouped: `lower` (unitary authorities, "
            "districts, metropolitan districts and London boroughs) or `upper` (unitary authorities, counties, "
            "metropolitan districts, London boroughs).", default="lower", choices=TIERS),
        Key("comparator", "choice", "What the group is compared with: `England` (its published value) or "
            "`rest of England` (derived from England's published value and the group's share).",
            default="England", choices=COMPARATORS),
        Key("comparator_code", "text", "The code of England's rows in the data.", default="E92000001"),
        Key("comparator_label", "text", "The comparator's name on the page (default: England, or the rest of "
            "England).", default=""),
        Key("populations", "file", "A file of `[files]` (layout `populations`: area_code, period, population; or "
            "`ons-myeb3`: ONS's mid-year estimates) whose populations weight the group's value and the deprivation "
            "deciles.", layouts=("populations", "ons-myeb3")),
        Key("unweighted", "bool", "Where the data give neither counts nor populations: use the unweighted mean "
            "of the areas' values, called so on the page. Without it such data stop with one line.",
            default=False, excludes=("populations",)),
    )),
    Table("group", "The disadvantaged group: a list of areas, or a rule over them.", kinds=("series",),
          required=True, keys=(
        Key("rule", "choice", "`deprivation`: the fraction of areas with the highest average IMD score; "
            "`indicator`: the fraction with the worst value of an indicator in a period; `list`: the areas "
            "listed in a CSV file (column `area_code`).", True, choices=RULES),
        Key("fraction", "number", "The fraction of the ranked areas in the group, e.g. 0.2 for a fifth.",
            low=0, high=1, open_low=True, open_high=True, when=("rule", ("deprivation", "indicator"))),
        Key("deprivation", "file", "The Indices of Deprivation file of `[files]` that ranks the areas (layout `imd`: "
            "the local-authority district summary, in long form; `imd-upper-tier`: the upper-tier summary, File 11): "
            "it chooses the group where `rule = \"deprivation\"`, and with any rule it gives the deprivation "
            "deciles of the slope index of inequality and of the ranking.", layouts=("imd", "imd-upper-tier")),
        Key("edition", "text", "The edition of the indices, named on the page.",
            default="the named edition", when=("rule", ("deprivation",))),
        Key("indicator", "indicator", "The indicator of `[indicators]` whose worst values choose the group.",
            when=("rule", ("indicator",))),
        Key("period", "period", "The period whose values choose the group.", when=("rule", ("indicator",))),
        Key("path", "path", "A CSV file of area codes (column `area_code`), relative to the data folder.",
            when=("rule", ("list",))),
        Key("label", "text", "The group's name on the page (default: said from the rule).", default=""),
        Key("areas", "file", "The file of `[files]` whose areas are ranked (default: the first file of "
            "values)."),
        Key("exclude", "codes", "Area codes left out of the group (and named on the page), e.g. "
            "`[\"E06000001\"]`.", default=()),
    )),
    Table("files", "Each file as its publisher shipped it, kept byte for byte: `[files.<name>]`.",
          kinds=("series",), named=True, required=True, keys=(
        Key("path", "path", "Where the file is, relative to the data folder.", True),
        Key("layout", "choice", "How to read it: " + ", ".join(f"`{x}`" for x in (*LAYOUTS, *COUNT_LAYOUTS,
            *OTHER_LAYOUTS)) + ".", True, choices=(*LAYOUTS, *COUNT_LAYOUTS, *OTHER_LAYOUTS)),
        Key("source", "text", "Who published it, and what it is.", True),
        Key("url", "url", "Where it was published (http or https).", True),
        Key("licence", "text", "Its licence, with the attribution it asks for.", True),
        Key("published", "text", "When it was published or retrieved (YYYY, YYYY-MM or YYYY-MM-DD).", default=""),
        Key("sha256", "sha256", "The SHA-256 of its bytes: a file that no longer matches stops the build.", True),
        Key("options", "table", "What its layout needs besides: `indicator_id` (fingertips-extract), `sex` "
            "(ons-population-by-age: persons, male or female), `period` (ONS count tables, e.g. \"2014\"), "
            "`boundaries` (ons-myeb3: the local-authority boundaries the estimates are converted to, those of the "
            "areas in the other files: \"2023\" by default (the 2023 unitary authorities summed from their "
            "districts), or \"2024\", or \"2020\", the file's own).", default={}),
    )),
    Table("indicators", "What each section shows: `[indicators.<name>]`.", kinds=("series",), named=True,
          required=True, keys=(
        Key("title", "text", "The indicator's name, as the data name it.", True),
        Key("file", "file", "The file of `[files]` its values come from.", excludes=("compute",),
            layouts=LAYOUTS),
        Key("compute", "choice", "Computed from ONS's count tables instead: " + ", ".join(
            f"`{k}` ({v.lower()})" for k, v in COUNT_INDICATORS.items()) + ".", choices=tuple(COUNT_INDICATORS)),
        Key("indicator", "text", "Where the file holds several indicators: the one to take (its id or name)."),
        Key("age", "text", "Where the file holds several ages: the one to take, as the file names it "
            "(e.g. `\"All ages\"`)."),
        Key("select", "table", "Any other column of the tidy rows and the value to keep, e.g. "
            "`{ area_type = \"County & UA\" }`.", default={}),
        Key("measure", "choice", "What a value is.", True, choices=MEASURES),
        Key("unit", "text", "Its unit, in words.", True),
        Key("decimals", "int", "Decimal places values are shown to.", default=1, low=0, high=MAX_DECIMALS),
        Key("relative_decimals", "int", "Decimal places of the relative gap (per cent).", default=1, low=0,
            high=MAX_DECIMALS),
        Key("higher_is_worse", "bool", "`true` for mortality and other harms, `false` for life expectancy.", True),
        Key("sexes", "sexes", "The sexes shown, each its own analysis: any of persons, male, female.",
            default=("persons",)),
        Key("population", "text", "Who the figures are about, in one line.", default=""),
        Key("note", "text", "A note the section shows under its heading.", default=""),
        Key("baseline", "period", "The period changes are measured from (default: the first).",
            excludes=("target",)),
    ), tables=(TARGET,)),
    Table("projection", "Where each gap is projected to, and the trend set against what happened since.",
          keys=(
        Key("horizon", "period", "The period each gap without a target is projected to."),
        Key("backtest_until", "period", "The last period of a trend set against the periods after it."),
    )),
))


# --- typed configuration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileSpec:
    """One file as its publisher shipped it: where it is, how to read it, and where it came from."""

    key: str
    path: Path
    layout: str
    source: str
    url: str
    licence: str
    published: str
    sha256: str
    options: dict = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class TargetSpec:
    baseline_period: str
    target_period: str
    gap_measure: str
    reduction_pct: float
    wording: str = ""
    source: str = ""


@dataclass(frozen=True)
class IndicatorSpec:
    """What one section shows: which rows of which file (or computed from counts), and how to word them."""

    key: str
    title: str
    measure: str
    unit: str
    higher_is_worse: bool
    file: str = ""
    compute: str = ""
    indicator: str = ""
    age: str = ""
    select: dict = field(default_factory=dict)
    decimals: int = 1
    relative_decimals: int = 1
    sexes: tuple[str, ...] = ("persons",)
    population: str = ""
    note: str = ""
    baseline: str | None = None
    target: TargetSpec | None = None


@dataclass(frozen=True)
class AreasSpec:
    tier: str = "lower"
    comparator: str = "England"
    comparator_code: str = "E92000001"
    comparator_label: str = "England"
    populations: str = ""
    unweighted: bool = False


@dataclass(frozen=True)
class GroupSpec:
    rule: str
    fraction: float = 0.0
    deprivation: str = ""
    edition: str = "the named edition"
    indicator: str = ""
    period: str = ""
    path: Path | None = None
    label: str = ""
    areas: str = ""
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """A data folder's ``briefing.toml``, checked and typed. ``sections`` maps each section (a notebook's
    name, or any name for the generic notebook) to the indicator it shows, in the briefing's order."""

    kind: str
    title: str
    introduction: str
    sections: dict[str, str]
    files: dict[str, FileSpec] = field(default_factory=dict)
    indicators: dict[str, IndicatorSpec] = field(default_factory=dict)
    areas: AreasSpec = field(default_factory=AreasSpec)
    group: GroupSpec | None = None
    horizon: str | None = None
    backtest_until: str | None = None
    path: Path | None = None


# --- where a key is, for the one-line errors ---------------------------------------------------------------


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=""")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", dotted))


def locate(text: str) -> dict[tuple[str, ...], int]:
    """The line each table and key starts on: ``("group",)`` for ``[group]``, ``("group", "fraction")`` for its
    key, keys of an inline table on their table's line."""
    where: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _parts(header.group(1))
            where.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            path = table + _parts(key.group(1))
            where.setdefault(path, number)
            for inner in re.findall(r"([A-Za-z0-9_-]+)\s*=", line[key.end():]):
                where.setdefault(path + (inner,), number)
    return where


PLACEHOLDER = re.compile(r"Who published .+, and what it is")
"""The ``source`` that ``healthgap init`` writes for the analyst to replace (:mod:`healthgap.read.init`)."""

_DRAFT: list[bool] = []


@contextlib.contextmanager
def draft():
    """Reading back a first configuration (``healthgap init``): its placeholders, for the analyst to replace,
    pass; anywhere else a placeholder is refused."""
    _DRAFT.append(True)
    try:
        yield
    finally:
        _DRAFT.pop()


class _Reader:
    """Checks raw TOML against the schema, one line per problem (the first found)."""

    def __init__(self, name: str, text: str, data_dir: Path) -> None:
        self.name, self.lines, self.data_dir = name, locate(text), data_dir

    def fail(self, path: tuple[str, ...], message: str) -> DataError:
        line = self.lines.get(path) or self.lines.get(path[:-1]) or next(
            (n for p, n in self.lines.items() if p[: len(path) - 1] == path[:-1]), None)
        where = f"{self.name}, line {line}" if line else self.name
        table = ".".join(path[:-1])
        if table:
            where += f", [{table}]"
        return DataError(f"{where}, key {path[-1]!r}: {message}" if path else f"{where}: {message}")

    def table_fail(self, path: tuple[str, ...], message: str) -> DataError:
        line = self.lines.get(path)
        where = f"{self.name}, line {line}" if line else self.name
        return DataError(f"{where}, [{'.'.join(path)}]: {message}")

    # one value
    def value(self, key: Key, path: tuple[str, ...], value):
        t = key.type
        if t in ("text", "path", "url", "sha256", "file", "indicator", "period"):
            if not isinstance(value, str):
                raise self.fail(path, f"expected text in quotes, got {value!r}")
            if CONTROL.search(value):
                raise self.fail(path, "expected text without control characters (a NUL, a backspace...)")
            value = " ".join(value.split()) if t == "text" else value.strip()
            if key.required and not value:
                raise self.fail(path, "expected text, got an empty string")
            if t == "text" and PLACEHOLDER.fullmatch(value) and not _DRAFT:
                raise self.fail(path, "still the placeholder healthgap init wrote: say who published the file and "
                                      "what it is")
        if t == "bool":
            if not isinstance(value, bool):
                raise self.fail(path, f"expected true or false (without quotes), got {value!r}")
            return value
        if t in ("int", "number"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (t == "int" and not isinstance(value, int)):
                raise self.fail(path, f"expected {'a whole number' if t == 'int' else 'a number'}, got {value!r}")
            low_ok = key.low is None or (value > key.low if key.open_low else value >= key.low)
            high_ok = key.high is None or (value < key.high if key.open_high else value <= key.high)
            if not (low_ok and high_ok) or value != value:
                if key.open_low and key.open_high:
                    bounds = f"between {key.low:g} and {key.high:g}"
                elif key.open_low:
                    bounds = f"above {key.low:g} and at most {key.high:g}"
                else:
                    bounds = f"from {key.low:g} to {key.high:g}"
                raise self.fail(path, f"expected {'a whole number' if t == 'int' else 'a number'} {bounds}, got {value!r}")
            return value
        if t == "choice":
            if value not in key.choices:
                raise self.fail(path, f"expected one of {', '.join(map(str, key.choices))}, got {value!r}"
                                      f"{_nearest(value, key.choices)}")
            return value
        if t == "period":
            try:
                parse_period(value)
            except ValueError:
                raise self.fail(path, f"expected a period like 2025-27 or 2014, got {value!r}") from None
            return value
        if t == "url":
            if not re.match(r"^https?://[^\s/]+", value):
                raise self.fail(path, f"expected an http(s) URL, got {value!r}")
            return value
        if t == "sha256":
            if not re.fullmatch(r"[0-9a-f]{64}", value):
                raise self.fail(path, f"expected 64 hexadecimal digits (the file's SHA-256), got {value!r}")
            return value
        if t == "path":
            if Path(value).is_absolute():
                raise self.fail(path, f"expected a path relative to the data folder, got {value!r}")
            return value
        if t == "sexes":
            if not isinstance(value, list) or not value or any(s not in SEXES for s in value) or len(set(value)) < len(value):
                raise self.fail(path, f"expected a list of {', '.join(SEXES)} (each once), got {value!r}")
            return tuple(value)
        if t == "codes":
            if not isinstance(value, list) or any(not isinstance(c, str) or not re.fullmatch(r"[EWSNK]\d{8}", c.strip())
                                                  for c in value):
                raise self.fail(path, f"expected a list of area codes such as [\"E06000001\"], got {value!r}")
            return tuple(c.strip() for c in value)
        if t == "table":
            if not isinstance(value, dict):
                raise self.fail(path, f"expected a table such as {{ name = \"value\" }}, got {value!r}")
            for k, v in value.items():
                if not isinstance(v, (str, int, float)) or isinstance(v, bool) or (isinstance(v, str) and CONTROL.search(v)):
                    raise self.fail((*path, k), f"expected text or a number, got {v!r}")
            return {k: str(v) for k, v in value.items()}
        return value

    # one table
    def table(self, table: Table, raw, path: tuple[str, ...], kind: str) -> dict:
        if not isinstance(raw, dict):
            raise self.fail(path, f"expected a table [{'.'.join(path)}], got {raw!r}")
        known = [k.name for k in table.keys] + [t.name for t in table.tables]
        for name in raw:
            if name not in known:
                raise self.fail((*path, name), "unknown key" + (_nearest(name, known) or
                                                                 f"; expected one of {', '.join(known)}"))
        out: dict = {}
        for key in table.keys:
            here = (*path, key.name)
            if key.name not in raw:
                if key.required and not (key.when and raw.get(key.when[0]) not in key.when[1]):
                    raise self.fail(here, f"expected a value ({key.doc.split('.')[0].lower()})")
                continue
            if key.when and raw.get(key.when[0], _default(table, key.when[0])) not in key.when[1]:
                raise self.fail(here, f"only for {key.when[0]} = {' or '.join(repr(v) for v in key.when[1])}; "
                                      f"with {key.when[0]} = {raw.get(key.when[0], _default(table, key.when[0]))!r} "
                                      f"it would be ignored: remove it")
            for other in key.excludes:
                if other in raw:
                    raise self.fail(here, f"not with {other!r}, which makes it meaningless: give one of the two")
            out[key.name] = self.value(key, here, raw[key.name])
        for sub in table.tables:
            if sub.name in raw:
                out[sub.name] = self.table(sub, raw[sub.name], (*path, sub.name), kind)
        return out


def _default(table: Table, name: str):
    key = table.key(name)
    return key.default if key is not None else None


def _nearest(value, options, words: str = "did you mean") -> str:
    """'; did you mean 'higher_is_worse'?' where a known option is close to ``value``."""
    if not isinstance(value, str):
        return ""
    lower = {str(o).lower(): str(o) for o in options}
    found = difflib.get_close_matches(value.lower(), list(lower), n=1, cutoff=0.6)
    return f"; {words} {lower[found[0]]!r}?" if found else ""


# --- reading ----------------------------------------------------------------------------------------------


def read_text(path: Path, name: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"{name}: cannot be read ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise DataError(f"{name}, line {line}, column {column}: expected UTF-8 text, got the byte "
                        f"0x{data[error.start]:02x}") from None


def parse(text: str, name: str) -> dict:
    """The TOML document, or one line saying where it is broken (TOML's own words, with line and column)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{name}: {error}") from None


def read_config(data_dir: str | Path, known_indicators: Callable[[], list[str]] | None = None) -> Config:
    """Read and check ``<data_dir>/briefing.toml`` against :data:`SCHEMA`.

    A ``tables`` folder without the file gets a title from the folder and one section per indicator of its
    ``indicators.csv`` (``known_indicators``); a ``series`` folder must have one.
    """
    data_dir = Path(data_dir)
    path = data_dir / CONFIG_NAME
    name = CONFIG_NAME
    if not path.is_file():
        known = known_indicators() if known_indicators is not None else []
        return Config(kind="tables", title=f"Health-inequality briefing: {data_dir.name}", introduction="",
                      sections={i: i for i in known}, path=None)
    text = read_text(path, name)
    raw = parse(text, name)
    reader = _Reader(name, text, data_dir)
    known = [k.name for k in SCHEMA.keys] + [t.name for t in SCHEMA.tables]
    for key in raw:
        if key not in known:
            raise reader.fail((key,), "unknown key" + (_nearest(key, known) or f"; expected one of {', '.join(known)}"))
    top = reader.table(Table(SCHEMA.name, SCHEMA.doc, SCHEMA.keys), {k: v for k, v in raw.items()
                                                                       if SCHEMA.table(k) is None}, (), "")
    kind = top.get("kind", "tables")
    for sub in SCHEMA.tables:
        if sub.name in raw and kind not in sub.kinds:
            raise reader.table_fail((sub.name,), f"only for kind = {' or '.join(repr(k) for k in sub.kinds)}; this "
                                                 f"folder is kind = {kind!r} ({'its tables give it' if kind == 'tables' else 'not used'})")
        if sub.required and kind in sub.kinds and sub.name not in raw:
            example = "e.g. cancer = \"cancer\"" if sub.name == "sections" else "see docs/briefing-toml.md"
            raise DataError(f"{name}: expected a [{sub.name}] table ({sub.doc.split(':')[0].split('.')[0].lower()}; "
                            f"{example})")
    sections = raw.get("sections", {})
    if not isinstance(sections, dict) or not sections:
        raise reader.table_fail(("sections",), "expected at least one section, e.g. cancer = \"cancer\"")
    for section, indicator in sections.items():
        if not isinstance(indicator, str) or not indicator.strip():
            raise reader.fail(("sections", section), f"expected the name of an indicator in quotes, got {indicator!r}")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", section):
            raise reader.fail(("sections", section), "expected a name of letters, digits and underscores, "
                                                   "starting with a letter (it names the section's notebook)")
    config = Config(kind=kind, title=top["title"], introduction=top.get("introduction", ""),
                    sections={k: v.strip() for k, v in sections.items()}, path=path)
    projection = reader.table(SCHEMA.table("projection"), raw.get("projection", {}), ("projection",), kind)
    config = _replace(config, horizon=projection.get("horizon"), backtest_until=projection.get("backtest_until"))
    if kind == "tables":
        known = known_indicators() if known_indicators is not None else []
        for section, indicator in config.sections.items():
            if known and indicator not in known:
                raise reader.fail(("sections", section), f"expected an indicator of indicators.csv ({', '.join(known)}), "
                                                         f"got {indicator!r}{_nearest(indicator, known)}")
        return config
    return _series(config, raw, reader, data_dir)


def _replace(config: Config, **changes) -> Config:
    from dataclasses import replace

    return replace(config, **changes)


def _series(config: Config, raw: dict, reader: _Reader, data_dir: Path) -> Config:
    files = {}
    for key, table in raw.get("files", {}).items():
        t = reader.table(SCHEMA.table("files"), table, ("files", key), "series")
        files[key] = FileSpec(key=key, path=data_dir / t["path"], layout=t["layout"], source=t["source"],
                              url=t["url"], licence=t["licence"], published=t.get("published", ""),
                              sha256=t["sha256"], options=t.get("options", {}),
                              line=reader.lines.get(("files", key), 0))
        _check_options(reader, files[key])
    if not files:
        raise reader.table_fail(("files",), "expected at least one [files.<name>] table naming a data file")
    published = _published_names(reader, files)
    indicators = {}
    schema = SCHEMA.table("indicators")
    for key, table in raw.get("indicators", {}).items():
        t = reader.table(schema, table, ("indicators", key), "series")
        if not t.get("compute") and not t.get("file"):
            raise reader.fail(("indicators", key, "file"), "expected the file of [files] its values come from "
                                                          "(or compute = … for ONS's count tables)")
        if t.get("file"):
            _check_file(reader, ("indicators", key, "file"), t["file"], files, schema.key("file").layouts)
        if t.get("compute") and not any(f.layout in COUNT_LAYOUTS for f in files.values()):
            raise reader.fail(("indicators", key, "compute"), "expected ONS count tables among [files]")
        target = None
        if "target" in t:
            g = t["target"]
            target = TargetSpec(g["baseline_period"], g["target_period"], g["gap_measure"], float(g["reduction_pct"]),
                                g.get("wording", ""), g.get("source", ""))
            if parse_period(target.target_period)[0] <= parse_period(target.baseline_period)[0]:
                raise reader.fail(("indicators", key, "target", "target_period"),
                                  f"expected a period after the baseline {target.baseline_period}, "
                                  f"got {target.target_period!r}")
        indicators[key] = IndicatorSpec(
            key=key, title=t["title"], measure=t["measure"], unit=t["unit"], higher_is_worse=t["higher_is_worse"],
            file=t.get("file", ""), compute=t.get("compute", ""), indicator=t.get("indicator", ""),
            age=t.get("age", ""), select=t.get("select", {}), decimals=t.get("decimals", 1),
            relative_decimals=t.get("relative_decimals", 1), sexes=t.get("sexes", ("persons",)),
            population=t.get("population", ""), note=t.get("note", ""), baseline=t.get("baseline"), target=target)
    if not indicators:
        raise reader.table_fail(("indicators",), "expected at least one [indicators.<name>] table")
    for section, indicator in config.sections.items():
        if indicator not in indicators:
            raise reader.fail(("sections", section), f"expected an indicator of [indicators] ({', '.join(indicators)}), "
                                                     f"got {indicator!r}{_nearest(indicator, list(indicators))}")
    a = reader.table(SCHEMA.table("areas"), raw.get("areas", {}), ("areas",), "series")
    if a.get("populations"):
        _check_file(reader, ("areas", "populations"), a["populations"], files, ("populations", "ons-myeb3"))
    comparator = a.get("comparator", "England")
    areas = AreasSpec(tier=a.get("tier", "lower"), comparator=comparator,
                      comparator_code=a.get("comparator_code", "E92000001"),
                      comparator_label=a.get("comparator_label") or (
                          "England" if comparator == "England" else "the rest of England"),
                      populations=a.get("populations", ""), unweighted=a.get("unweighted", False))
    g = reader.table(SCHEMA.table("group"), raw.get("group", {}), ("group",), "series")
    rule = g["rule"]
    for needed in {"deprivation": ("fraction", "deprivation"), "indicator": ("fraction", "indicator", "period"),
                   "list": ("path",)}[rule]:
        if needed not in g:
            raise reader.fail(("group", needed), f"expected a value for rule = {rule!r}")
    if g.get("deprivation"):
        _check_file(reader, ("group", "deprivation"), g["deprivation"], files, ("imd", "imd-upper-tier"))
    if rule == "indicator" and g["indicator"] not in indicators:
        raise reader.fail(("group", "indicator"), f"expected an indicator of [indicators] ({', '.join(indicators)}), "
                                                  f"got {g['indicator']!r}")
    listed = None
    if rule == "list":
        listed = data_dir / g["path"]
        if not listed.is_file():
            raise reader.fail(("group", "path"), f"expected a CSV of area codes; {g['path']} not found in the data folder")
        _check_published_name(reader, ("group", "path"), listed, published)
    if g.get("areas"):
        _check_file(reader, ("group", "areas"), g["areas"], files, (*LAYOUTS, *COUNT_LAYOUTS))
    group = GroupSpec(rule=rule, fraction=float(g.get("fraction", 0.0)), deprivation=g.get("deprivation", ""),
                      edition=g.get("edition", "the named edition"), indicator=g.get("indicator", ""),
                      period=g.get("period", ""), path=listed, label=g.get("label", ""), areas=g.get("areas", ""),
                      exclude=tuple(g.get("exclude", ())))
    return _replace(config, files=files, indicators=indicators, areas=areas, group=group)


PUBLISHED_BESIDE = ("briefing.toml", "README.md")
"""The data folder's own files the briefing publishes in ``data/`` beside the files of ``[files]``."""


def _check_published_name(reader: _Reader, where: tuple[str, ...], path: Path, published: dict[str, tuple[str, Path]]
                          ) -> None:
    """Refuse a file the briefing would publish in ``data/`` under the name of another (its inputs are published
    under their own names, and the page's links name them so): one line naming both."""
    name = path.name
    other = published.get(name.casefold())
    if other is not None and other[1] != path.resolve():
        raise reader.fail(where, f"expected a file name of its own: {_as_named(path, reader)} and {other[0]} would "
                                 f"both be published as data/{name}; rename one")
    published.setdefault(name.casefold(), (f"[{'.'.join(where[:-1])}] {_as_named(path, reader)}", path.resolve()))


def _as_named(path: Path, reader: _Reader) -> str:
    """A path as ``briefing.toml`` names it: relative to the data folder."""
    try:
        return Path(path).relative_to(reader.data_dir).as_posix()
    except ValueError:
        return str(path)


def _published_names(reader: _Reader, files: dict[str, FileSpec]) -> dict[str, tuple[str, Path]]:
    """The names the inputs will have in the published ``data/`` folder, each once (:func:`_check_published_name`)."""
    published = {name.casefold(): (f"the data folder's own {name}", reader.data_dir.resolve() / name)
                 for name in PUBLISHED_BESIDE}
    for key, spec in files.items():
        _check_published_name(reader, ("files", key, "path"), spec.path, published)
    return published


def _check_file(reader: _Reader, path: tuple[str, ...], key: str, files: dict[str, FileSpec],
                layouts: tuple[str, ...]) -> None:
    if key not in files:
        raise reader.fail(path, f"expected a file of [files] ({', '.join(files)}), got {key!r}"
                                f"{_nearest(key, list(files))}")
    if layouts and files[key].layout not in layouts:
        raise reader.fail(path, f"expected a file with layout {' or '.join(repr(x) for x in layouts)}; "
                                f"[files.{key}] is {files[key].layout!r}")


OPTIONS = {"fingertips-extract": {"indicator_id": None}, "ons-population-by-age": {"sex": SEXES},
           **{layout: {"period": None} for layout in ("ons-deaths-by-age", "ons-deaths-and-rates", "ons-live-births")},
           "fingertips-next": {}, "ons-myeb3": {"boundaries": ("2020", "2023", "2024")}}
"""The options each layout takes (None: any text), in ``[files.<name>] options``."""


def _check_options(reader: _Reader, spec: FileSpec) -> None:
    allowed = OPTIONS.get(spec.layout, {})
    for option, value in spec.options.items():
        here = ("files", spec.key, "options", option)
        if option not in allowed:
            listed = ", ".join(allowed) or "none"
            raise reader.fail(here, f"not an option of layout {spec.layout!r} (its options: {listed})"
                                    f"{_nearest(option, list(allowed))}")
        if allowed[option] is not None and value not in allowed[option]:
            raise reader.fail(here, f"expected one of {', '.join(allowed[option])}, got {value!r}")
    if spec.layout == "ons-population-by-age" and "sex" not in spec.options:
        raise reader.fail(("files", spec.key, "options"), "expected options = { sex = \"persons\", \"male\" or "
                                                          "\"female\" } for a population table")


# --- the reference ----------------------------------------------------------------------------------------


def _type_words(key: Key) -> str:
    words = {"text": "text", "bool": "true or false", "int": "whole number", "number": "number",
             "period": "period", "url": "http(s) URL", "sha256": "SHA-256 (64 hex digits)", "path": "path",
             "sexes": "list of sexes", "codes": "list of area codes", "table": "table", "indicator": "indicator name",
             "file": "file name"}
    if key.type == "choice":
        return "one of " + ", ".join(f"`{c}`" for c in key.choices)
    text = words[key.type]
    if key.low is not None or key.high is not None:
        low = ">" if key.open_low else "≥"
        high = "<" if key.open_high else "≤"
        text += f", {low} {key.low:g} and {high} {key.high:g}"
    return text


def _default_words(key: Key) -> str:
    if key.required:
        return "required"
    if key.default in (None, "", (), {}):
        return "–"
    value = key.default
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, tuple):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    return f"`{value!r}`".replace("'", '"')


def reference() -> str:
    """The reference of every key of ``briefing.toml``, in Markdown (``docs/briefing-toml.md``), from the schema."""
    out = ["# `briefing.toml`: every key", "",
           "<!-- Made from the schema in healthgap/read/config.py by `make docs`; a test holds the two together. -->",
           "", "Each data folder has a `briefing.toml`. Its keys are checked when the data are read (`make check`):",
           "an unknown or misspelt key is refused with the nearest valid key suggested, a key that another makes",
           "meaningless is refused rather than ignored, and every problem is one line naming the line and the key.",
           "`kind` says which tables apply: the top-level keys, `[sections]` and `[projection]` apply to both",
           "kinds; the others to `kind = \"series\"` only.", ""]

    def table(t: Table, heading: str) -> None:
        out.extend([f"## {heading}", "", t.doc + (" (`kind = \"series\"` only.)" if t.kinds == ("series",) else ""), ""])
        if t.keys:
            out.extend(["| key | type | default | meaning |", "|---|---|---|---|"])
            for k in t.keys:
                meaning = k.doc
                if k.when:
                    meaning += f" Only with `{k.when[0]} = " + "` or `".join(f'\"{v}\"' for v in k.when[1]) + "`."
                if k.excludes:
                    meaning += " Not with " + ", ".join(f"`{x}`" for x in k.excludes) + "."
                out.append(f"| `{k.name}` | {_type_words(k)} | {_default_words(k)} | {meaning} |")
            out.append("")
        for sub in t.tables:
            table(sub, f"{heading[:-1]}.{sub.name}]" if heading.endswith("]") else f"[{sub.name}]")

    table(Table("top level", SCHEMA.doc, SCHEMA.keys), "Top level")
    for sub in SCHEMA.tables:
        table(sub, f"[{sub.name}.<name>]" if sub.named else f"[{sub.name}]")
    return "\n".join(out).rstrip() + "\n"


def keys_of_schema() -> set[str]:
    """Every key of the schema as ``table.key`` (``group.fraction``, ``indicators.target.reduction_pct``)."""
    found = set()

    def walk(t: Table, prefix: str) -> None:
        for k in t.keys:
            found.add(f"{prefix}{k.name}")
        for sub in t.tables:
            found.add(f"{prefix}{sub.name}")
            walk(sub, f"{prefix}{sub.name}.")

    walk(SCHEMA, "")
    return found
