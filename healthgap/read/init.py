"""``healthgap init DATA_DIR FILE…``: a first ``briefing.toml`` written from the files an analyst brings.

Each file's layout is recognised from its header (Fingertips' export, FingertipsNext's ``healthdata.csv``, ONS
Explore Local Statistics, a one-value-per-row extract, an Indices of Deprivation summary, ONS's mid-year
estimates, a populations table); each file of values is read as a build reads it, and what it holds is listed:
its indicators, sexes, ages, area types and periods. The configuration written names every file with its
sha256 (a file outside the data folder is copied into ``raw/`` first, byte for byte), one indicator per
indicator found (the age chosen where a file holds several, the others named in a comment), a group rule and a
comparator to edit, and every key with the schema's own words (:data:`healthgap.read.config.SCHEMA`). It is
checked by reading it back, as ``healthgap check`` would; ``make report DATA=DATA_DIR`` then builds.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from healthgap.read import config as hconfig
from healthgap.read import csvfile
from healthgap.read.digests import file_digest
from healthgap.read.errors import DataError

SIGNATURES = (
    ("fingertips-export", {"Indicator ID", "Area Code", "Time period", "Lower CI 95.0 limit"}),
    ("fingertips-next", {"IndicatorID", "AreaCode", "SexID", "LowerCI"}),
    ("ons-els", {"areacd", "observation", "lci_95", "period"}),
    ("fingertips-extract", {"area_code", "period", "value", "indicator"}),
    ("imd", {"index_domain", "average_score"}),
    ("imd-upper-tier", {"IMD - Average score"}),
    ("ons-myeb3", {"ladcode20", "population_2001"}),
    ("populations", {"area_code", "period", "population"}),
)
"""Each layout and the columns of a header that say a file is in it (names compared without surrounding spaces)."""

VALUES = ("fingertips-export", "fingertips-next", "ons-els", "fingertips-extract")

HOMES = {"fingertips-export": "https://fingertips.phe.org.uk/", "fingertips-next": "https://fingertips.phe.org.uk/",
         "fingertips-extract": "https://fingertips.phe.org.uk/",
         "ons-els": "https://www.ons.gov.uk/explore-local-statistics/",
         "imd": "https://www.gov.uk/government/collections/english-indices-of-deprivation",
         "imd-upper-tier": "https://www.gov.uk/government/collections/english-indices-of-deprivation",
         "ons-myeb3": "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates",
         "populations": "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates"}
"""Each layout's publisher, where a first configuration points until the analyst gives the file's own address."""


def indicator_key(found: "Found", indicator: str) -> str:
    """The key of an indicator of a file in the configuration: the file's, or the file's and the indicator's where
    the file holds several."""
    return found.key if len(found.indicators) <= 1 else f"{found.key}_{_slug(indicator)}"


@dataclass
class Found:
    """One file: its layout, where it is in the data folder, and what it holds."""

    path: Path
    layout: str
    key: str
    indicators: dict[str, str] = field(default_factory=dict)
    sexes: list[str] = field(default_factory=list)
    ages: list[str] = field(default_factory=list)
    area_types: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    counts: bool = False
    tiers: set[str] = field(default_factory=set)


def layout_of(path: Path) -> str:
    """The layout a file's header shows (:data:`SIGNATURES`), or one line saying it is not recognised."""
    text = csvfile.read_text(path, path.name, header=True)
    first = text.splitlines()[0] if text else ""
    import csv

    header = {h.strip() for h in next(csv.reader([first]), [])}
    for layout, needed in SIGNATURES:
        if needed <= header:
            return layout
    raise DataError(f"{path.name}, line 1: expected the header of a layout healthgap reads (a Fingertips export, "
                    f"FingertipsNext's healthdata.csv, an ONS Explore Local Statistics CSV, an Indices of Deprivation "
                    f"summary or ONS's mid-year estimates), got {first[:80]!r}")


def _key(path: Path, taken: set[str], layout: str = "", name: str = "") -> str:
    """A short key for a file: its indicator's first words for a file of values, ``imd`` (with the edition's year
    where its name gives one) for the indices, ``populations`` for population estimates; unique."""
    year = re.search(r"(20\d\d)", path.stem)
    if layout in ("imd", "imd-upper-tier"):
        key = "imd" + (year.group(1) if year else "")
    elif layout in ("ons-myeb3", "populations"):
        key = "populations"
    else:
        words = re.findall(r"[a-z0-9]+", (name or path.stem).lower())
        key = "_".join(words[:2]) or "file"
    key = key if key[0].isalpha() else f"f_{key}"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


def survey(path: Path, layout: str, key: str) -> Found:
    """What a file of values holds, read as a build reads it."""
    from healthgap.read import layouts

    found = Found(path=path, layout=layout, key=key)
    if layout not in VALUES:
        return found
    rows = layouts.read(path, layout)
    areas = rows[rows["category_type"] == ""]
    found.indicators = dict(zip(rows["indicator_id"].astype(str), rows["indicator"]))
    found.sexes = sorted(set(areas["sex"]), key=["persons", "male", "female"].index)
    found.ages = sorted(a for a in set(areas["age"]) if a)
    found.area_types = sorted(a for a in set(areas["area_type"]) if a)
    from healthgap.read.periods import sort_periods

    found.periods = sort_periods(areas["period"])
    found.counts = bool(areas["count"].notna().any() and areas["denominator"].notna().any())
    prefixes = set(areas["area_code"].str[:3])
    if "E07" in prefixes:
        found.tiers.add("lower")
    if "E10" in prefixes:
        found.tiers.add("upper")
    return found


def _comment(text: str, width: int = 110) -> list[str]:
    words, lines, line = text.split(), [], "#"
    for word in words:
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line] if line != "#" else lines


def _doc(table: str, key: str) -> str:
    t = hconfig.SCHEMA.table(table)
    k = t.key(key) if t is not None else hconfig.SCHEMA.key(key)
    if k is None and t is not None:
        for sub in t.tables:
            k = sub.key(key) or k
    return k.doc if k is not None else ""


def fetched_record(path: Path) -> dict | None:
    """The record ``healthgap fetch`` wrote beside a file it fetched into a folder without a briefing.toml
    (``<key>.source.toml``: source, url, licence, published), if there is one for ``path``."""
    import tomllib

    for sidecar in sorted(path.parent.glob("*.source.toml")):
        try:
            tables = tomllib.loads(sidecar.read_text(encoding="utf-8")).get("files", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        for table in tables.values():
            if isinstance(table, dict) and table.get("path") == path.name \
                    and all(isinstance(table.get(k), str) for k in ("source", "url", "licence", "published")):
                return table
    return None


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def configuration(found: list[Found], data_dir: Path) -> str:
    """The text of a commented ``briefing.toml`` for the files found."""
    values = [f for f in found if f.layout in VALUES]
    imd = next((f for f in found if f.layout in ("imd", "imd-upper-tier")), None)
    populations = next((f for f in found if f.layout in ("ons-myeb3", "populations")), None)
    tiers = set().union(*(f.tiers for f in values)) if values else set()
    tier = "upper" if tiers == {"upper"} or (imd is not None and imd.layout == "imd-upper-tier") else "lower"
    out = ["# A first briefing.toml, written by `healthgap init` from the files below: edit it, then check it with",
           "# `make check DATA=...` and build with `make report DATA=... OUT=...`. Every key is in docs/briefing-toml.md.",
           "", 'kind = "series"', *_comment(_doc("", "kind")),
           f"title = {_q('Health-inequality briefing: ' + data_dir.name)}", *_comment(_doc("", "title")),
           'introduction = ""', *_comment(_doc("", "introduction")), "", "[areas]"]
    out += [f"tier = {_q(tier)}", *_comment(_doc("areas", "tier") + f" Found: {', '.join(sorted(tiers)) or 'no tier'}."),
            'comparator = "England"', *_comment(_doc("areas", "comparator"))]
    if populations is not None:
        out += [f"populations = {_q(populations.key)}", *_comment(_doc("areas", "populations"))]
    elif not all(f.counts for f in values):
        out += ["unweighted = true", *_comment(_doc("areas", "unweighted") + " No populations were given: give ONS's "
                                                "mid-year estimates (layout ons-myeb3) and set populations instead.")]
    out += ["", "[group]"]
    if imd is not None:
        out += ['rule = "deprivation"', *_comment(_doc("group", "rule")), "fraction = 0.2",
                *_comment(_doc("group", "fraction")), f"deprivation = {_q(imd.key)}",
                f"edition = {_q(_edition(imd.path))}", *_comment(_doc("group", "edition") + " Check it.")]
    elif values:
        first = values[0]
        out += ['rule = "indicator"', *_comment(_doc("group", "rule") + " No Indices of Deprivation file was given: "
                                                 "this group is the worst fifth on the first indicator."),
                "fraction = 0.2", f"indicator = {_q(indicator_key(first, next(iter(first.indicators))))}",
                f"period = {_q(first.periods[-1])}"]
    if values:
        out += [f"areas = {_q(values[0].key)}", *_comment(_doc("group", "areas"))]
    for f in found:
        relative = f.path.relative_to(data_dir).as_posix()
        fetched = fetched_record(f.path)
        if fetched is not None:  # healthgap fetch recorded where it came from
            where = [f"source = {_q(fetched['source'])}", f"url = {_q(fetched['url'])}",
                     f"licence = {_q(fetched['licence'])}", f"published = {_q(fetched['published'])}"]
        else:
            where = [f"source = {_q('Who published ' + f.path.name + ', and what it is')}",
                     f'url = {_q(HOMES[f.layout])}  # check: replace with the address the file itself was published at',
                     'licence = "Open Government Licence v3.0"  # check: the licence the publisher gives']
        out += ["", f"[files.{f.key}]", f"path = {_q(relative)}", f"layout = {_q(f.layout)}", *where,
                f"sha256 = {_q(file_digest(f.path))}"]
        if f.layout == "ons-myeb3":
            out += ['options = { boundaries = "2023" }', *_comment(_doc("files", "options"))]
        if f.layout in VALUES:
            out += _comment(f"Holds: indicators {_listing([f'{i} ({n})' for i, n in f.indicators.items()])}; sexes "
                            f"{_listing(f.sexes)}; ages {_listing(f.ages) or 'not given'}; area types "
                            f"{_listing(f.area_types) or 'not given'}; periods {f.periods[0]} to {f.periods[-1]} "
                            f"({len(f.periods)}); {'counts and denominators' if f.counts else 'no counts'}.")
    sections = []
    for f in values:
        for indicator, name in f.indicators.items():
            key = indicator_key(f, indicator)
            sections.append(key)
            age = "All ages" if "All ages" in f.ages else (f.ages[0] if f.ages else "")
            out += ["", f"[indicators.{key}]", f"title = {_q(name)}", *_comment(_doc("indicators", "title")),
                    f"file = {_q(f.key)}"]
            if len(f.indicators) > 1:
                out.append(f"indicator = {_q(indicator)}")
            if len(f.ages) > 1:
                out += [f"age = {_q(age)}", *_comment(f"The file holds ages {_listing(f.ages)}: one is chosen; "
                                                      f"never pooled across ages.")]
            out += ['measure = "rate"', *_comment(_doc("indicators", "measure") + " Check: one of "
                                                  + ", ".join(hconfig.MEASURES) + "."),
                    'unit = "per 100,000"  # check: the unit the publisher gives', "decimals = 1",
                    "higher_is_worse = true", *_comment(_doc("indicators", "higher_is_worse") + " Check it."),
                    "sexes = [" + ", ".join(_q(s) for s in f.sexes) + "]", *_comment(_doc("indicators", "sexes"))]
    out += ["", "[sections]", *_comment(_doc("sections", "") or hconfig.SCHEMA.table("sections").doc)]
    out += [f"{key} = {_q(key)}" for key in sections]
    return "\n".join(out) + "\n"


def _edition(path: Path) -> str:
    """The edition of an Indices of Deprivation file, from the year its name gives ("English Indices of
    Deprivation 2019")."""
    year = re.search(r"(20\d\d)", path.stem)
    return f"English Indices of Deprivation {year.group(1)}" if year else "the named edition"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "x"


def _listing(items) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")


def init(data_dir: str | Path, files: list[str | Path]) -> tuple[Path, list[Found]]:
    """Write ``<data_dir>/briefing.toml`` for ``files`` (copied into ``raw/`` where outside the folder) and check it
    by reading it back; return its path and what was found. An existing ``briefing.toml`` is never replaced."""
    data_dir = Path(data_dir)
    target = data_dir / hconfig.CONFIG_NAME
    if target.exists():
        raise DataError(f"{target}: already exists; healthgap init writes a first briefing.toml and never replaces one")
    if not files:
        raise DataError("no files given: expected the data files to brief, e.g. healthgap init mydata export.csv")
    for name in files:
        if not Path(name).is_file():
            raise DataError(f"{name}: file not found")
    data_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    found = []
    placed: list[Path] = []
    for name in files:
        path = Path(name).resolve()
        layout = layout_of(path)
        try:
            path.relative_to(data_dir.resolve())
            inside = path
        except ValueError:
            inside = data_dir.resolve() / "raw" / path.name
            if inside.exists() and inside.read_bytes() != path.read_bytes():
                raise DataError(f"{inside}: a different file of that name is already in the data folder") from None
            inside.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, inside)
            placed.append(inside)
        first = ""
        if layout in VALUES:
            from healthgap.read import layouts

            names = layouts.read(inside, layout)["indicator"]
            first = str(names.iloc[0]) if len(names) else ""
        found.append(survey(inside, layout, _key(inside, taken, layout, first)))
    text = configuration(found, data_dir.resolve())
    temporary = target.with_name(".briefing.toml.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    from healthgap.read.briefing import load

    with hconfig.draft():  # its placeholder sources are the analyst's to replace
        load(data_dir)  # read back as a build reads it: a problem is one line, as `healthgap check` gives it
    return target, found
