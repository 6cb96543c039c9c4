"""One loader, one typed briefing: everything a data folder holds, read and checked once.

:func:`load` reads ``briefing.toml`` (:mod:`healthgap.read.config`) and the data it names, and returns a
:class:`Briefing`: the indicators each section shows, their targets and method breaks, the published
figures and their sources, an analyst's files as published, the areas and the group with its comparator,
the projection settings, and the edition. The national record (``kind = "tables"``) and an analyst's own
data (``kind = "series"``) are two configurations of this one model:

* a ``tables`` folder publishes the group's and the comparator's values themselves (``observations.csv``:
  the Spearhead Group's rate beside England's, published gaps and changes, each with its source);
* a ``series`` folder holds values for every area (a Fingertips export, an ONS series) or the counts
  behind them (ONS's tables), from which the analysis computes the group's value; its group is a list of
  areas or a rule over them, defined here.

``as_of`` is checked once, here, against the periods the data hold: an unknown period is one line listing
the ones there are. The briefing's figures are then those known by that period (:meth:`Briefing.edition_of`
gives any other edition); nothing downstream interprets ``as_of`` again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from healthgap.read import areas as hareas
from healthgap.read import config as hconfig
from healthgap.read import layouts, tables
from healthgap.read.config import CONFIG_NAME, Config, FileSpec, IndicatorSpec
from healthgap.read.errors import DataError, display_name
from healthgap.read.periods import parse_period, sort_periods

GROUP, COMPARATOR = "group", "comparator"
"""The codes an analyst's group and comparator carry in the analysis (the national tables name theirs)."""


@dataclass(frozen=True)
class Indicator:
    """One indicator as a section shows it: what a value is, how it is worded, which way is worse, and who is
    compared with whom (``group`` and ``comparator`` are the codes their values carry in the data)."""

    key: str
    title: str
    measure: str
    unit: str
    decimals: int
    relative_decimals: int
    higher_is_worse: bool
    sexes: tuple[str, ...]
    group: str
    comparator: str
    nested: bool
    population: str = ""
    note: str = ""
    spec: IndicatorSpec | None = None
    """For an analyst's data: which rows of which file it takes (or the counts it is computed from)."""

    @property
    def short_unit(self) -> str:
        """The unit without its parenthetical qualifier: 'deaths per 100,000'."""
        return self.unit.split(" (")[0]

    @property
    def computed(self) -> bool:
        """Computed from counts (ONS's tables) rather than read as values."""
        return bool(self.spec is not None and self.spec.compute)


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(frozen=True)
class Briefing:
    """A data folder, read and checked, as of one edition (see the module's notes)."""

    data_dir: Path
    config: Config
    indicators: dict[str, Indicator]
    edition: str
    """The period the briefing stands at: ``as_of``, or the latest period in the data."""
    as_of: str | None
    version: str
    periods: tuple[str, ...]
    """Every period the data hold (the editions ``as_of`` may name), in time order."""
    # the published figures (a tables folder)
    observations: pd.DataFrame = field(default_factory=_empty)
    sources: pd.DataFrame = field(default_factory=_empty)
    targets: pd.DataFrame = field(default_factory=_empty)
    context: pd.DataFrame = field(default_factory=_empty)
    editions: pd.DataFrame = field(default_factory=_empty)
    groups: pd.DataFrame = field(default_factory=_empty)
    breaks: pd.DataFrame = field(default_factory=_empty)
    all_observations: pd.DataFrame = field(default_factory=_empty)
    all_context: pd.DataFrame = field(default_factory=_empty)
    statements: pd.DataFrame = field(default_factory=_empty)
    """What sources said a gap did, in words (``statements.csv``), known by the edition (by period)."""
    all_statements: pd.DataFrame = field(default_factory=_empty)
    # an analyst's data (a series folder)
    values: dict[str, pd.DataFrame] = field(default_factory=dict)
    all_values: dict[str, pd.DataFrame] = field(default_factory=dict)
    areas: pd.DataFrame = field(default_factory=_empty)
    group: hareas.Group | None = None
    imd: pd.DataFrame | None = None
    populations: pd.DataFrame | None = None
    population_years: pd.DataFrame | None = None
    """Populations by area and year, where the data give them so (ONS's mid-year estimates)."""
    counts: object = None
    """ONS's count tables matched to codes (:class:`healthgap.read.ons.Counts`), where the data are counts."""
    cache: dict = field(default_factory=dict, compare=False, repr=False)
    """Results computed from this briefing once (the analysis keeps them here)."""

    # --- what it is -------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def title(self) -> str:
        return self.config.title

    @property
    def introduction(self) -> str:
        return self.config.introduction

    @property
    def sections(self) -> dict[str, str]:
        """Each section (by name) and the indicator it shows, in the briefing's order."""
        return self.config.sections

    @property
    def comparator_label(self) -> str:
        return self.config.areas.comparator_label if self.kind == "series" else "England"

    def indicator(self, key: str) -> Indicator:
        if key not in self.indicators:
            raise KeyError(f"indicator {key!r} is not in the data (it has {', '.join(self.indicators)})")
        return self.indicators[key]

    def indicator_for(self, section: str) -> Indicator | None:
        """The indicator a section shows, or None where the data give that section none."""
        key = self.sections.get(section)
        return self.indicators[key] if key is not None else None

    def label(self, code: str) -> str:
        """A group's name on the page ("the Spearhead Group", "the most deprived fifth of ..."); the code itself
        where the data give it none."""
        if self.kind == "series":
            names = {GROUP: self.group.label if self.group is not None else "the group",
                     COMPARATOR: self.comparator_label}
            return names.get(code, code)
        if not self.groups.empty:
            rows = self.groups[self.groups["group"] == code]
            if not rows.empty:
                return str(rows.iloc[0]["label"])
        return code

    @property
    def labels(self) -> dict[str, str]:
        if self.kind == "series":
            return {GROUP: self.label(GROUP), COMPARATOR: self.label(COMPARATOR)}
        return dict(zip(self.groups["group"], self.groups["label"])) if not self.groups.empty else {}

    # --- the published record ------------------------------------------------------------------------

    def published(self, indicator: str, sex: str) -> pd.DataFrame:
        """The published rows of one indicator and sex known by the edition (empty for an analyst's data)."""
        if self.observations.empty:
            return self.observations
        o = self.observations
        return o[(o["indicator"] == indicator) & (o["sex"] == sex)].reset_index(drop=True)

    def statements_for(self, indicator: str, sex: str) -> pd.DataFrame:
        """The sources' statements of how one indicator's gap moved (``statements.csv``), known by the edition,
        each with its source's publisher, title, date and address."""
        if self.statements.empty:
            return self.statements
        s = self.statements
        rows = s[(s["indicator"] == indicator) & (s["sex"] == sex)].reset_index(drop=True)
        sources = self.sources.set_index("source_id")
        for column in ("publisher", "title", "published", "url"):
            rows[column] = rows["source_id"].map(sources[column])
        return rows

    def target(self, indicator: str, sex: str) -> pd.Series | None:
        """The target of one indicator and sex as a ``targets.csv`` row, or None where it has none."""
        if self.kind == "series":
            spec = self.indicator(indicator).spec
            if spec is None or spec.target is None:
                return None
            t = spec.target
            return pd.Series({"indicator": indicator, "sex": sex, "baseline_period": t.baseline_period,
                              "target_period": t.target_period, "gap_measure": t.gap_measure,
                              "reduction_pct": t.reduction_pct, "wording": t.wording, "source": t.source, "line": 0,
                              "published_target_value": float("nan"), "published_target_source_id": "",
                              "wording_source_id": "", "note": ""})
        if self.targets.empty:
            return None
        rows = self.targets[(self.targets["indicator"] == indicator) & (self.targets["sex"] == sex)]
        return None if rows.empty else rows.iloc[0]

    def baseline(self, indicator: str, sex: str) -> str | None:
        """The period changes are measured from: the target's baseline, else the configured one, else None
        (the first period of the record)."""
        target = self.target(indicator, sex)
        if target is not None:
            return str(target["baseline_period"])
        spec = self.indicator(indicator).spec
        return spec.baseline if spec is not None else None

    def breaks_for(self, indicator: str) -> pd.DataFrame:
        """The changes of method of an indicator that fall within the edition (by their first period)."""
        if self.breaks.empty:
            return self.breaks
        rows = self.breaks[self.breaks["indicator"] == indicator]
        end = parse_period(self.edition)[1]
        return rows[rows["first_period"].map(lambda p: parse_period(p)[1] <= end)]

    def source(self, source_id: str) -> pd.Series:
        return self.sources.set_index("source_id").loc[source_id]

    def publication(self) -> pd.Series | None:
        """The publication this edition reproduces (``editions.csv``), if the data name one."""
        if self.editions.empty:
            return None
        rows = self.editions[self.editions["period"] == self.edition]
        return None if rows.empty else rows.iloc[0]

    # --- an analyst's rows ---------------------------------------------------------------------------------

    def rows(self, indicator: str, sex: str | None = None) -> pd.DataFrame:
        """The tidy rows of an analyst's indicator (every area and England, every period known by the edition;
        one sex, or all it shows), as its configuration chooses them from its file. Empty for the national
        record, and for an indicator computed from counts (:func:`healthgap.analysis.levels.indicator_rows`)."""
        ind = self.indicator(indicator)
        spec = ind.spec
        if spec is None or spec.compute:
            return pd.DataFrame(columns=layouts.COLUMNS)
        frame = choose_rows(self.values[spec.file], spec, self.config.files[spec.file])
        sexes = [sex] if sex is not None else list(spec.sexes)
        return frame[frame["sex"].isin(sexes)].reset_index(drop=True)

    @property
    def deciles(self) -> pd.DataFrame:
        """Each area of the tier that the Indices of Deprivation rank, with its score and deprivation decile
        (1 = most deprived, by equal numbers of areas, as PHEindicatormethods' ``phe_sii`` expects), whatever rule
        chose the group; less any area the configuration excludes. Empty without the indices."""
        if self.imd is None or self.group is None:
            return pd.DataFrame(columns=["area_code", "imd_score", "decile"])
        if "_deciles" not in self.cache:
            tier = self.config.areas.tier
            data = self.areas[hareas.in_tier(self.areas["area_code"], tier)]
            ranking = self.imd[hareas.in_tier(self.imd["area_code"], tier)]
            ranked = data[["area_code"]].merge(ranking[["area_code", "imd_score"]], on="area_code")
            ranked = ranked[~ranked["area_code"].isin(self.group.excluded["area_code"])].reset_index(drop=True)
            self.cache["_deciles"] = ranked.assign(decile=hareas.deciles(ranked)) if len(ranked) else \
                ranked.assign(decile=[])
        return self.cache["_deciles"]

    def populations_note(self, periods: list[str]) -> str:
        """Which periods are weighted by populations of another year, where the data give populations by year:
        e.g. "populations for 2019, the latest in the data, weight 2020-22 to 2022-24"; "" where none is."""
        if self.population_years is None or not periods:
            return ""
        from healthgap.read import populations as hpopulations

        return hpopulations.populations_for_periods(self.population_years, periods)[1]

    def deciles_of_fingertips(self, indicator: str, sex: str) -> pd.DataFrame:
        """Fingertips' own deprivation-decile rows of an export (``Category Type`` naming deciles), where the
        file carries them; empty otherwise."""
        spec = self.indicator(indicator).spec
        if spec is None or spec.compute:
            return pd.DataFrame()
        frame = choose_rows(self.values[spec.file], spec, self.config.files[spec.file], categories=True)
        frame = frame[frame["category_type"].str.contains("decile", case=False) & (frame["sex"] == sex)]
        return frame.reset_index(drop=True)

    # --- editions ----------------------------------------------------------------------------------------

    def edition_of(self, period: str | None) -> Briefing:
        """The same data as of another edition: the figures known by ``period`` (None: the latest). An unknown
        period is one line listing the periods the data hold."""
        if period is not None and str(period).strip() == "":
            period = None
        if period is not None and period not in self.periods:
            raise DataError(f"as-of period {period!r} is not a period in the data (periods: {', '.join(self.periods)})")
        edition = period or (self.periods[-1] if self.periods else "")
        end = parse_period(edition)[1] if edition else None
        observations = self.all_observations
        if end is not None and not observations.empty:
            observations = observations[observations["end"] <= end].reset_index(drop=True)
        if period is not None and not self.editions.empty:
            rows = self.editions[self.editions["period"] == period]
            observations = tables.cited_as_known(observations, self.sources, None if rows.empty else rows.iloc[0])
        values = {k: (v[v["end"] <= end].reset_index(drop=True) if end is not None and "end" in v else v)
                  for k, v in self.all_values.items()}
        context = tables.context_known(self.all_context, self.sources, self.editions, period,
                                       self.periods[-1] if self.periods else None)
        statements = self.all_statements
        if end is not None and not statements.empty:
            statements = statements[statements["end"] <= end].reset_index(drop=True)
        return replace(self, edition=edition, as_of=period, observations=observations, values=values,
                       context=context, statements=statements, cache={})


def choose_rows(frame: pd.DataFrame, spec: IndicatorSpec, file: FileSpec, categories: bool = False) -> pd.DataFrame:
    """The rows of a file an indicator takes: its indicator, age and other chosen columns; the areas' own rows
    (not Fingertips' aggregates by category, unless ``categories``). A file that holds several indicators or
    ages for what the indicator asks stops with one line naming them: nothing is pooled across a dimension."""
    rows = frame
    if spec.indicator:
        rows = rows[(rows["indicator_id"].astype(str) == spec.indicator) | (rows["indicator"] == spec.indicator)]
        if rows.empty:
            raise DataError(_choice_message(file, spec, "indicator", frame, "matches no row"))
    if spec.age:
        rows = rows[rows["age"] == spec.age]
        if rows.empty:
            raise DataError(_choice_message(file, spec, "age", frame, "matches no row"))
    for column, wanted in spec.select.items():
        if column not in rows:
            raise DataError(f"{CONFIG_NAME}, [indicators.{spec.key}], key 'select': expected columns of the tidy rows "
                            f"({', '.join(layouts.COLUMNS[:10])}...), got {column!r}")
        kept = rows[rows[column].astype(str) == str(wanted)]
        if kept.empty:
            found = sorted(set(rows[column].astype(str)))
            raise DataError(f"{CONFIG_NAME}, [indicators.{spec.key}], key 'select': {column} = {wanted!r} matches no row of "
                            f"{file.path.name} (it holds {_listing(found)})")
        rows = kept
    if not categories:
        rows = rows[rows["category_type"] == ""]
    for dimension, key in (("indicator_id", "indicator"), ("age", "age")):
        found = sorted(set(rows[dimension].astype(str)))
        if len(found) > 1:
            raise DataError(_choice_message(file, spec, key, rows, "is not chosen"))
    return rows


def _listing(values: list[str], limit: int = 6) -> str:
    shown = [f"'{v}'" for v in values[:limit]]
    if len(values) > limit:
        shown.append(f"and {len(values) - limit} more")
    return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else (shown[0] if shown else "nothing")


def _choice_message(file: FileSpec, spec: IndicatorSpec, key: str, frame: pd.DataFrame, problem: str) -> str:
    column = "indicator_id" if key == "indicator" else key
    held = frame.attrs.get("held", {}).get(key)  # what the whole file holds, where only a selection was read
    found = sorted(held) if held is not None and problem != "is not chosen" else sorted(set(frame[column].astype(str)))
    words = {"indicator": "indicators", "age": "ages"}[key]
    if problem == "is not chosen":
        return (f"{file.path.name} holds {words} {_listing(found)} for [indicators.{spec.key}]: choose one with "
                f"`{key} = …` in {CONFIG_NAME}")
    return (f"{CONFIG_NAME}, [indicators.{spec.key}], key {key!r}: {getattr(spec, key)!r} matches no row of "
            f"{file.path.name} (its {words}: {_listing(found)})")


# --- loading -----------------------------------------------------------------------------------------------


def load(data_dir: str | Path, as_of: str | None = None) -> Briefing:
    """Read and check every file of a data folder once, and return the briefing as of ``as_of`` (None: the
    latest period). Any problem is one line naming the file, the line and the column, or the key of
    ``briefing.toml``."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{display_name(data_dir)}: data folder not found")
    kind = _kind(data_dir)
    briefing = _load_tables(data_dir) if kind == "tables" else _load_series(data_dir)
    return briefing.edition_of(as_of)


def _kind(data_dir: Path) -> str:
    path = data_dir / CONFIG_NAME
    if not path.is_file():
        return "tables"
    raw = hconfig.parse(hconfig.read_text(path, CONFIG_NAME), CONFIG_NAME)
    return "series" if raw.get("kind") == "series" else "tables"


def _load_tables(data_dir: Path) -> Briefing:
    dataset = tables.load_dataset(data_dir)
    known = list(dataset.indicators["indicator"])
    config = hconfig.read_config(data_dir, lambda: known)
    indicators = {}
    for _, row in dataset.indicators.iterrows():
        indicators[row["indicator"]] = Indicator(
            key=row["indicator"], title=row["title"], measure=row["level_measure"], unit=row["unit"],
            decimals=int(row["decimals"]), relative_decimals=int(row["relative_gap_decimals"]),
            higher_is_worse=row["higher_is_worse"] == "yes", sexes=tuple(row["sexes"].split(";")),
            group=row["disadvantaged_group"], comparator=row["comparator_group"], nested=row["nested"] == "yes",
            population=row["population"], note=row["note"])
    periods = tuple(sort_periods(dataset.observations["period"]))
    briefing = Briefing(
        data_dir=data_dir, config=config, indicators=indicators, edition=periods[-1] if periods else "", as_of=None,
        version=dataset.version, periods=periods, observations=dataset.observations, sources=dataset.sources,
        targets=dataset.targets, context=dataset.context, editions=dataset.editions, groups=dataset.groups,
        breaks=dataset.breaks, all_observations=dataset.observations, all_context=dataset.context,
        statements=dataset.statements, all_statements=dataset.statements)
    return briefing


def sha256(path: Path) -> str:
    from healthgap.read.digests import file_digest

    return file_digest(path)


def selection_for(config: Config, key: str) -> layouts.Selection:
    """What the configuration takes from file ``key``: the indicators and ages its indicators name, where every
    indicator reading the file names one (else all of that dimension, so an unchosen one is still reported)."""
    specs = [spec for spec in config.indicators.values() if spec.file == key]
    if not specs:
        return layouts.Selection()
    indicators = frozenset(s.indicator for s in specs) if all(s.indicator for s in specs) else None
    ages = frozenset(s.age for s in specs) if all(s.age for s in specs) else None
    return layouts.Selection(indicators, ages)


def read_values(spec: FileSpec, digest: str, selection: layouts.Selection) -> pd.DataFrame:
    """A file of values read as its layout reads it (the rows ``selection`` takes, where the layout can select),
    once: the checked rows are kept in the cache (keyed by the file's sha256, the layout, its options, the
    selection and the library's code) for the next process that needs them, such as each notebook's kernel, and
    a process that finds another filling the cache waits for it rather than reading the file again."""
    import pickle

    import filelock

    from healthgap.read.digests import library_digest
    from healthgap.read.tables import cache_dir

    sidecar = spec.path.with_suffix(".json")  # ONS's metadata beside its CSV is read with it
    # the selection sorted: a set's order varies between processes, and every kernel must find the same key
    chosen = [None if s is None else sorted(s) for s in (selection.indicators, selection.ages)]
    parts = (digest, spec.layout, repr(sorted(spec.options.items())), repr(chosen), library_digest(),
             sha256(sidecar) if sidecar.is_file() else "")
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
    folder = cache_dir()
    cached = folder / f"values-{key}.pickle"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(cached) + ".lock")
        lock.acquire()
    except OSError:  # a cache that cannot be written: read the file itself
        return _read_values(spec, selection)
    try:
        try:
            with cached.open("rb") as handle:
                frame, held = pickle.load(handle)
            frame.attrs["held"] = held
            return frame
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            pass  # absent or unreadable: a miss
        frame = _read_values(spec, selection)
        try:
            temporary = cached.with_suffix(f".{os.getpid()}.tmp")
            with temporary.open("wb") as handle:
                pickle.dump((frame, frame.attrs.get("held", {})), handle)
            temporary.replace(cached)
        except OSError:
            pass
        return frame
    finally:
        lock.release()


def _read_values(spec: FileSpec, selection: layouts.Selection) -> pd.DataFrame:
    if spec.layout == "fingertips-export":
        return layouts.read_fingertips_export(spec.path, selection)
    return layouts.read(spec.path, spec.layout, **spec.options)


def _load_series(data_dir: Path) -> Briefing:

    config = hconfig.read_config(data_dir)
    values: dict[str, pd.DataFrame] = {}
    imd = populations = None
    count_tables: dict[str, pd.DataFrame] = {}
    digest = hashlib.sha256()
    for key, spec in config.files.items():
        if not spec.path.is_file():
            raise DataError(f"{spec.path.name}: file not found (named in {CONFIG_NAME}, [files.{key}])")
        found = sha256(spec.path)
        if found != spec.sha256:
            raise DataError(f"{spec.path.name}: expected sha256 {spec.sha256[:16]}… as recorded in {CONFIG_NAME}, got "
                            f"{found[:16]}…; the file is not the one published")
        digest.update(found.encode())
        if spec.layout in ("imd", "imd-upper-tier"):
            ranking = hareas.read_imd(spec.path) if spec.layout == "imd" else hareas.read_imd_upper_tier(spec.path)
            if key == config.group.deprivation:
                imd = ranking
        elif spec.layout in hconfig.COUNT_LAYOUTS:
            count_tables[key] = _read_count_table(spec)
        elif spec.layout == "populations":
            if key == config.areas.populations:
                populations = layouts.read_populations(spec.path)
        elif spec.layout == "ons-myeb3":
            from healthgap.read import populations as hpopulations

            if key == config.areas.populations:
                yearly = hpopulations.read_myeb3(spec.path, boundaries=spec.options.get("boundaries", "2023"))
                populations = hpopulations.upper_tier(yearly) if config.areas.tier == "upper" else yearly
        else:
            values[key] = read_values(spec, found, selection_for(config, key))
    digest.update((data_dir / CONFIG_NAME).read_bytes())
    counted = _assemble_counts(config, count_tables) if count_tables else None
    indicators = {}
    for key, spec in config.indicators.items():
        sexes = spec.sexes
        indicators[key] = Indicator(
            key=key, title=spec.title, measure=spec.measure, unit=spec.unit, decimals=spec.decimals,
            relative_decimals=spec.relative_decimals, higher_is_worse=spec.higher_is_worse, sexes=sexes, group=GROUP,
            comparator=COMPARATOR, nested=config.areas.comparator == "England", population=spec.population,
            note=spec.note, spec=spec)
        if spec.file:
            chosen = choose_rows(values[spec.file], spec, config.files[spec.file])
            for sex in sexes:
                if not (chosen["sex"] == sex).any():
                    held = sorted(set(chosen["sex"]))
                    raise DataError(f"{config.files[spec.file].path.name} holds no rows for sex {sex!r} of "
                                    f"[indicators.{key}] (it holds {_listing(held)}): set sexes = [...] in {CONFIG_NAME}")
    # the areas the group is defined on
    ranked_key = config.group.areas or (next(iter(values)) if values else "")
    if ranked_key in count_tables or (not values and counted is not None):
        areas = pd.DataFrame({"area_code": counted.deaths["area_code"].unique()}).assign(
            area_name=lambda f: f["area_code"].map(counted.names))
    elif ranked_key in values:
        areas = values[ranked_key][["area_code", "area_name"]].drop_duplicates("area_code")
    else:
        raise DataError(f"{CONFIG_NAME}, [group], key 'areas': expected a data file of [files] whose areas are ranked, "
                        f"got {ranked_key!r}")
    group = _define_group(config, areas, imd, values)
    all_periods = set()
    for key, spec in config.indicators.items():
        if spec.file:
            all_periods |= set(choose_rows(values[spec.file], spec, config.files[spec.file])["period"])
        elif counted is not None:
            all_periods.add(counted.period)
    periods = tuple(sort_periods(all_periods))
    years = None
    if populations is not None and "year" in populations and "period" not in populations:
        from healthgap.read import populations as hpopulations

        years = populations
        populations, _ = hpopulations.populations_for_periods(years, list(periods))
        populations["file"] = config.files[config.areas.populations].path.name
    if populations is not None and group is not None and not config.areas.unweighted:
        _check_populations(config, populations, group)
    return Briefing(
        data_dir=data_dir, config=config, indicators=indicators, edition="", as_of=None,
        version=digest.hexdigest()[:12], periods=periods, values=values, all_values=values,
        areas=areas, group=group, imd=imd, populations=populations, population_years=years, counts=counted)


def _check_populations(config: Config, populations: pd.DataFrame, group) -> None:
    """Every area the group is ranked among has a population, which the group's weighted mean and the slope
    index need: one line at ``check`` rather than a failed build, with the likely cause for ONS's estimates
    (areas on 2023 boundaries, the estimates not converted to them)."""
    ranked = getattr(group, "ranked", None)
    if ranked is None or ranked.empty or "area_code" not in ranked:
        return
    missing = ranked[~ranked["area_code"].isin(set(populations["area_code"]))]
    if missing.empty:
        return
    key = config.areas.populations
    spec = config.files[key]
    first = missing.iloc[0]
    others = f", nor for {len(missing) - 1} other area{'s' if len(missing) > 2 else ''}" if len(missing) > 1 else ""
    hint = ""
    if spec.layout == "ons-myeb3" and str(spec.options.get("boundaries", "2023")) != "2023":
        hint = "; for areas on the 2023 boundaries set options = { boundaries = \"2023\" }"
    raise DataError(f"{CONFIG_NAME}, [files.{key}]: {spec.path.name} holds no population for {first['area_name']} "
                    f"({first['area_code']}){others}, which the weighted mean of the group and the slope index "
                    f"need{hint}")


def _read_count_table(spec: FileSpec) -> pd.DataFrame:
    from healthgap.read import ons

    readers = {"ons-deaths-by-age": ons.read_deaths_by_age, "ons-deaths-and-rates": ons.read_deaths_and_rates,
               "ons-population-by-age": ons.read_population_by_age, "ons-live-births": ons.read_live_births}
    return readers[spec.layout](spec.path)


def _assemble_counts(config: Config, found_tables: dict):
    """The ONS count tables of the configuration, matched to codes (one of each; populations by sex)."""
    from healthgap.read import ons

    found: dict[str, object] = {}
    populations = {}
    for key, frame in found_tables.items():
        spec = config.files[key]
        if spec.layout == "ons-population-by-age":
            populations[spec.options["sex"]] = frame
        else:
            found[spec.layout] = frame
    for layout in ("ons-deaths-by-age", "ons-deaths-and-rates", "ons-live-births"):
        if layout not in found:
            raise DataError(f"{CONFIG_NAME}: expected a file with layout {layout!r} among the ONS count tables")
    period = next((str(f.options.get("period")) for f in config.files.values() if f.options.get("period")), "")
    if not period:
        raise DataError(f"{CONFIG_NAME}: expected options = {{ period = \"2014\" }} on the ONS count tables")
    return ons.assemble(found["ons-deaths-by-age"], found["ons-deaths-and-rates"], populations,
                        found["ons-live-births"], period)


def _define_group(config: Config, areas: pd.DataFrame, imd: pd.DataFrame | None,
                  values: dict[str, pd.DataFrame]) -> hareas.Group:
    g = config.group
    tier = config.areas.tier
    if g.rule == "deprivation":
        group = hareas.by_deprivation(areas, imd, g.fraction, g.edition, tier, g.label or None)
    elif g.rule == "list":
        group = hareas.from_list(areas, g.path, g.label or "the listed areas")
    else:
        spec = config.indicators[g.indicator]
        if spec.compute:
            raise DataError(f"{CONFIG_NAME}, [group], key 'indicator': expected an indicator read from a file, not "
                            f"computed from counts, got {g.indicator!r}")
        rows = choose_rows(values[spec.file], spec, config.files[spec.file])
        rows = rows[(rows["period"] == g.period) & (rows["sex"] == spec.sexes[0])]
        if rows.empty:
            raise DataError(f"{CONFIG_NAME}, [group], key 'period': {g.period!r} is not a period of "
                            f"[indicators.{g.indicator}]")
        group = hareas.by_indicator(areas, rows, g.fraction, g.period, tier, spec.higher_is_worse,
                                    spec.title.lower(), g.label or None)
    if g.exclude:
        group = hareas.excluding(group, g.exclude, areas)
    return group
