"""An analyst's own data: indicator series for every local authority, a group of them against England.

A data directory of this kind holds the files as their publishers ship them (Fingertips exports, ONS
series, an Indices of Deprivation summary) and a ``briefing.toml`` with ``kind = "series"`` that names
each file (its layout, source, licence and sha256), the indicators each section shows, the areas
compared, the group rule and the comparator (see ``data/examples/most-deprived-fifth/briefing.toml``).

:func:`load` reads and checks it all; :func:`analyse` gives, for one indicator and sex, the same
:class:`~healthgap.analysis.indicator.Analysis` the national record gives: the group's and the comparator's
values with their intervals, the gap record (absolute and relative gaps with intervals, from the one
gap engine of :mod:`healthgap.analysis.gaps`), an optional target, and, for this kind of data, the slope index
of inequality across deprivation deciles and every area ranked in the latest period.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from healthgap.read import tables as hd
from healthgap.analysis import gaps
from healthgap.analysis import groups
from healthgap.read import layouts as series
from healthgap.analysis import targets
from healthgap.analysis.indicator import Analysis
from healthgap.read.errors import DataError
from healthgap.analysis.gaps import Comparison

CONFIG_NAME = "briefing.toml"
COMPARATORS = ("England", "rest of England")
MEASURES = ("rate", "life_expectancy", "proportion", "value")
LOG_SCALE = {"rate": True, "proportion": False, "life_expectancy": False, "value": False}


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


@dataclass(frozen=True)
class IndicatorSpec:
    """What one section shows: which rows of which file, and how to read and word them."""

    key: str
    title: str
    file: str
    select: dict
    measure: str
    unit: str
    decimals: int
    relative_decimals: int
    higher_is_worse: bool
    sexes: tuple[str, ...]
    population: str
    note: str
    baseline: str | None
    target: dict | None
    compute: str | None = None
    """For counts (ONS tables): the indicator computed from them (:data:`healthgap.analysis.counts.INDICATORS`)."""


COUNT_LAYOUTS = ("ons-deaths-by-age", "ons-deaths-and-rates", "ons-population-by-age", "ons-live-births")
"""ONS count tables as ONS ships them (:mod:`healthgap.read.ons`), computed into indicators by :mod:`healthgap.analysis.counts`."""


@dataclass(frozen=True)
class SeriesConfig:
    title: str
    introduction: str
    files: dict[str, FileSpec]
    indicators: dict[str, IndicatorSpec]
    sections: dict[str, str]
    tier: str
    comparator: str
    comparator_code: str
    comparator_label: str
    group: dict
    populations: str | None = None
    horizon: str | None = None
    """``[projection] horizon``: the period each gap without a target is projected to."""
    backtest_until: str | None = None
    """``[projection] backtest_until``: the last period of the trend set against what happened since."""


def is_series(data_dir: str | Path) -> bool:
    """Whether a data directory holds an analyst's series (``kind = "series"`` in its ``briefing.toml``)."""
    path = Path(data_dir) / CONFIG_NAME
    if not path.is_file():
        return False
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("kind") == "series"
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


# --- configuration ------------------------------------------------------------------------------------


class _Keys:
    """Typed access to one table of the configuration, each problem one line naming the key."""

    def __init__(self, table: dict, where: str) -> None:
        self.table, self.where = table, where

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if value is None or not isinstance(value, str) or (default is None and not value.strip()):
            raise DataError(f"{self.where}, key {key!r}: expected text, got {value!r}")
        return " ".join(value.split())

    def number(self, key: str, default: float | None = None) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise DataError(f"{self.where}, key {key!r}: expected a number, got {value!r}")
        return float(value)

    def choice(self, key: str, options, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if value not in options:
            raise DataError(f"{self.where}, key {key!r}: expected one of {', '.join(map(str, options))}, got {value!r}")
        return value


def load_config(data_dir: Path) -> SeriesConfig:
    """Read and check a series ``briefing.toml``."""
    path = Path(data_dir) / CONFIG_NAME
    name = CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{name}: {error}") from None
    top = _Keys(raw, name)
    files = {}
    for key, table in raw.get("files", {}).items():
        k = _Keys(table, f"{name}, [files.{key}]")
        file_path = Path(data_dir) / k.text("path")
        layout = k.choice("layout", (*series.READERS, "imd", "populations", *COUNT_LAYOUTS))
        url = k.text("url")
        if not url.startswith(("https://", "http://")):
            raise DataError(f"{name}, [files.{key}], key 'url': expected an http(s) URL, got {url!r}")
        files[key] = FileSpec(key=key, path=file_path, layout=layout, source=k.text("source"), url=url,
                              licence=k.text("licence"), published=k.text("published", ""), sha256=k.text("sha256"),
                              options=dict(table.get("options", {})))
    if not files:
        raise DataError(f"{name}: expected at least one [files.<name>] table naming a data file")
    indicators = {}
    for key, table in raw.get("indicators", {}).items():
        k = _Keys(table, f"{name}, [indicators.{key}]")
        from healthgap.analysis import counts

        computed = table.get("compute")
        if computed is not None:
            k.choice("compute", tuple(counts.INDICATORS))
            if not any(f.layout in COUNT_LAYOUTS for f in files.values()):
                raise DataError(f"{name}, [indicators.{key}], key 'compute': expected ONS count tables among [files]")
            file_key = ""
        else:
            file_key = k.text("file")
            if file_key not in files:
                raise DataError(f"{name}, [indicators.{key}], key 'file': expected one of {', '.join(files)}, "
                                f"got {file_key!r}")
        sexes = table.get("sexes", ["persons"])
        if not isinstance(sexes, list) or not sexes or any(s not in hd.SEXES for s in sexes):
            raise DataError(f"{name}, [indicators.{key}], key 'sexes': expected a list of persons, male, female")
        target = table.get("target")
        if target is not None:
            t = _Keys(target, f"{name}, [indicators.{key}.target]")
            target = {"baseline_period": t.text("baseline_period"), "target_period": t.text("target_period"),
                      "gap_measure": t.choice("gap_measure", gaps.GAP_MEASURES),
                      "reduction_pct": t.number("reduction_pct"), "wording": t.text("wording", ""),
                      "source": t.text("source", "")}
        indicators[key] = IndicatorSpec(
            key=key, title=k.text("title"), file=file_key, select=dict(table.get("select", {})),
            measure=k.choice("measure", MEASURES), unit=k.text("unit"), decimals=int(k.number("decimals", 1)),
            relative_decimals=int(k.number("relative_decimals", 1)),
            higher_is_worse=bool(table.get("higher_is_worse", True)), sexes=tuple(sexes),
            population=k.text("population", ""), note=k.text("note", ""),
            baseline=table.get("baseline"), target=target, compute=computed,
        )
    sections = raw.get("sections", {})
    for notebook, indicator in sections.items():
        if indicator not in indicators:
            raise DataError(f"{name}, [sections] {notebook}: expected an indicator of [indicators] "
                            f"({', '.join(indicators)}), got {indicator!r}")
    areas = _Keys(raw.get("areas", {}), f"{name}, [areas]")
    group = raw.get("group", {})
    g = _Keys(group, f"{name}, [group]")
    rule = g.choice("rule", ("deprivation", "indicator", "list"))
    if rule in ("deprivation", "indicator"):
        fraction = g.number("fraction")
        if not 0 < fraction < 1:
            raise DataError(f"{name}, [group], key 'fraction': expected a number between 0 and 1, got {fraction!r}")
    if rule == "list":
        listed = Path(data_dir) / g.text("path")
        if not listed.is_file():
            raise DataError(f"{name}, [group], key 'path': expected a CSV of area codes, {listed.name} not found")
        group["path"] = str(listed)
    if rule == "indicator" and group.get("indicator") not in indicators:
        raise DataError(f"{name}, [group], key 'indicator': expected an indicator of [indicators], "
                        f"got {group.get('indicator')!r}")
    if rule == "deprivation" and group.get("deprivation") not in files:
        raise DataError(f"{name}, [group], key 'deprivation': expected a file of [files], got {group.get('deprivation')!r}")
    projection = {}
    for key in ("horizon", "backtest_until"):
        value = raw.get("projection", {}).get(key)
        if value is not None:
            try:
                hd.parse_period(str(value))
            except ValueError:
                raise DataError(f"{name}, [projection], key {key!r}: expected a period like 2025-27, "
                                f"got {value!r}") from None
            projection[key] = str(value)
    return SeriesConfig(
        **projection,
        title=top.text("title"), introduction=top.text("introduction", ""), files=files, indicators=indicators,
        sections=dict(sections), tier=areas.choice("tier", tuple(groups.TIERS), "lower"),
        comparator=areas.choice("comparator", COMPARATORS, "England"),
        comparator_code=areas.text("comparator_code", "E92000001"),
        comparator_label=areas.text("comparator_label", "England"), group=dict(group),
        populations=_populations_key(raw.get("areas", {}), files, name),
    )


def _populations_key(areas: dict, files: dict, name: str) -> str | None:
    key = areas.get("populations")
    if key is None:
        return None
    if key not in files or files[key].layout != "populations":
        raise DataError(f"{name}, [areas], key 'populations': expected a file of [files] with layout \"populations\", "
                        f"got {key!r}")
    return key


# --- the data ------------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class SeriesData:
    """An analyst's data directory, read and checked: every file's rows, the group, the deprivation ranking."""

    data_dir: Path
    config: SeriesConfig
    values: dict[str, pd.DataFrame]
    imd: pd.DataFrame | None
    group: groups.Group
    version: str
    areas: pd.DataFrame
    populations: pd.DataFrame | None = None
    counts: object = None
    """The ONS count tables, matched (:class:`healthgap.analysis.counts.Counts`), where the data are counts."""
    _computed: dict = field(default_factory=dict)

    def computed(self, indicator: str) -> pd.DataFrame:
        """An indicator computed from the counts for every area (once per load)."""
        from healthgap.analysis import counts

        if indicator not in self._computed:
            self._computed[indicator] = counts.indicators(self.counts, [indicator])[indicator]
        return self._computed[indicator]

    def weights(self, period: str) -> pd.Series | None:
        """Each area's population in a period (by area code), or None when the data give no populations."""
        if self.populations is None:
            return None
        rows = self.populations[self.populations["period"] == period]
        if rows.empty:
            raise DataError(f"no populations for {period} in {self.populations['file'].iloc[0]}, which the weighted "
                            "means need")
        return rows.set_index("area_code")["population"]

    def rows(self, key: str, sex: str) -> pd.DataFrame:
        """The tidy rows of one indicator and sex: every area and the comparator, every period."""
        spec = self.config.indicators[key]
        frame = self.computed(spec.compute) if spec.compute else self.values[spec.file]
        for column, wanted in spec.select.items():
            frame = frame[frame[column].astype(str) == str(wanted)]
        frame = frame[(frame["sex"] == sex) & (frame["category_type"] == "")]
        return frame

    def periods(self, key: str) -> list[str]:
        spec = self.config.indicators[key]
        rows = self.rows(key, spec.sexes[0])
        return hd.sort_periods(rows["period"])


def load(data_dir: str | Path) -> SeriesData:
    """Read every file of the configuration, check its sha256, and define the group."""
    data_dir = Path(data_dir)
    config = load_config(data_dir)
    values: dict[str, pd.DataFrame] = {}
    imd = populations = None
    tables: dict[str, object] = {}
    digest = hashlib.sha256()
    for key, spec in config.files.items():
        if not spec.path.is_file():
            raise DataError(f"{spec.path.name}: file not found (named in {CONFIG_NAME}, [files.{key}])")
        found = sha256(spec.path)
        if found != spec.sha256:
            raise DataError(f"{spec.path.name}: expected sha256 {spec.sha256[:16]}… as recorded in {CONFIG_NAME}, got "
                            f"{found[:16]}…; the file is not the one published")
        digest.update(found.encode())
        if spec.layout == "imd":
            imd = groups.read_imd(spec.path)
        elif spec.layout in COUNT_LAYOUTS:
            tables[key] = _read_count_table(spec)
        elif spec.layout == "populations":
            found_populations = series.read_populations(spec.path)
            if key == config.populations:  # weights only where [areas] names them
                populations = found_populations
        else:
            values[key] = series.read(spec.path, spec.layout, **spec.options)
    digest.update((data_dir / CONFIG_NAME).read_bytes())
    counted = _assemble_counts(config, tables) if tables else None
    if counted is not None:
        values["counts"] = pd.DataFrame({"area_code": counted.deaths["area_code"].unique()}).assign(
            area_name=lambda f: f["area_code"].map(counted.names))
    ranked_file = config.group.get("areas", next(iter(values)) if values else None)
    if ranked_file in tables:
        ranked_file = "counts"
    if ranked_file not in values:
        raise DataError(f"{CONFIG_NAME}, [group], key 'areas': expected a data file of [files] whose areas are ranked, "
                        f"got {ranked_file!r}")
    areas = values[ranked_file][["area_code", "area_name"]].drop_duplicates("area_code")
    group = define_group(config, areas, imd, values)
    return SeriesData(data_dir=data_dir, config=config, values=values, imd=imd, group=group,
                      version=digest.hexdigest()[:12], areas=areas, populations=populations, counts=counted)


def _read_count_table(spec: FileSpec):
    from healthgap.read import ons

    readers = {"ons-deaths-by-age": ons.read_deaths_by_age, "ons-deaths-and-rates": ons.read_deaths_and_rates,
               "ons-population-by-age": ons.read_population_by_age, "ons-live-births": ons.read_live_births}
    return readers[spec.layout](spec.path)


def _assemble_counts(config: SeriesConfig, tables: dict):
    """The ONS count tables of the configuration, matched to codes (one of each; populations by sex)."""
    from healthgap.analysis import counts

    found: dict[str, object] = {}
    populations = {}
    for key, frame in tables.items():
        spec = config.files[key]
        if spec.layout == "ons-population-by-age":
            sex = spec.options.get("sex")
            if sex not in ("persons", "male", "female"):
                raise DataError(f"{CONFIG_NAME}, [files.{key}], key 'options': expected sex = \"persons\", \"male\" or "
                                f"\"female\" for a population table, got {sex!r}")
            populations[sex] = frame
        else:
            found[spec.layout] = frame
    for layout in ("ons-deaths-by-age", "ons-deaths-and-rates", "ons-live-births"):
        if layout not in found:
            raise DataError(f"{CONFIG_NAME}: expected a file with layout {layout!r} among the ONS count tables")
    period = str(config.group.get("period_of_counts", "")) or next(
        (str(f.options.get("period")) for f in config.files.values() if f.options.get("period")), "")
    if not period:
        raise DataError(f"{CONFIG_NAME}: expected options = {{ period = \"2014\" }} on the ONS count tables")
    return counts.assemble(found["ons-deaths-by-age"], found["ons-deaths-and-rates"], populations,
                           found["ons-live-births"], period)


def define_group(config: SeriesConfig, areas: pd.DataFrame, imd: pd.DataFrame | None,
                 values: dict[str, pd.DataFrame]) -> groups.Group:
    g = config.group
    label = g.get("label")
    if g["rule"] == "deprivation":
        return groups.by_deprivation(areas, imd, float(g["fraction"]), g.get("edition", "the named edition"),
                                     config.tier, label)
    if g["rule"] == "list":
        return groups.from_list(areas, Path(g["path"]), label or "the listed areas")
    spec = config.indicators[g["indicator"]]
    rows = values[spec.file]
    rows = rows[(rows["period"] == g["period"]) & (rows["sex"] == spec.sexes[0])]
    return groups.by_indicator(areas, rows, float(g["fraction"]), g["period"], config.tier, spec.higher_is_worse,
                               spec.title.lower(), label)


# --- one indicator and sex ---------------------------------------------------------------------------------


def indicator_meta(spec: IndicatorSpec, config: SeriesConfig) -> pd.Series:
    """The ``indicators.csv``-shaped row the narrative and charts read, for a configured indicator."""
    return pd.Series({
        "indicator": spec.key, "title": spec.title, "level_measure": spec.measure, "unit": spec.unit,
        "decimals": spec.decimals, "relative_gap_decimals": spec.relative_decimals,
        "disadvantaged_group": "group", "comparator_group": "comparator",
        "higher_is_worse": "yes" if spec.higher_is_worse else "no",
        "nested": "yes" if config.comparator == "England" else "no", "sexes": ";".join(spec.sexes),
        "population": spec.population, "note": spec.note,
    })


def tier_rows(data: SeriesData, rows: pd.DataFrame) -> pd.DataFrame:
    return rows[groups.in_tier(rows["area_code"], data.config.tier)]


def level_rows(data: SeriesData, key: str, sex: str, periods: list[str]) -> tuple[pd.DataFrame, str, float]:
    """The group's and the comparator's value per period, as rows the gap engine reads.

    Returns the rows (``group`` is ``group`` or ``comparator``; ``id`` names the data rows each rests on:
    the group's areas' rows, or England's published row), the method line and the group's share of the
    comparator (for the nested covariance).
    """
    spec = data.config.indicators[key]
    rows = data.rows(key, sex)
    log_scale = LOG_SCALE[spec.measure]
    tier = tier_rows(data, rows)
    members = tier[tier["area_code"].isin(data.group.codes)]
    others = tier[~tier["area_code"].isin(data.group.codes)]
    records, methods_used = [], set()
    for period in periods:
        weights = data.weights(period)
        if spec.compute:  # counts: the group's figure from its areas' summed counts
            from healthgap.analysis import counts

            g = counts.pooled(data.counts, spec.compute, sex, data.group.codes)
        else:
            g = groups.group_value(members[members["period"] == period], log_scale, weights, decimals=spec.decimals)
        if g["areas"] == 0:
            continue
        methods_used.add(g["method"])
        records.append({"group": "group", "period": period, "value": g["value"], "lower": g["lower"],
                        "upper": g["upper"], "decimals": spec.decimals, "log_scale": log_scale,
                        "id": ";".join(g["inputs"]), "inputs": ";".join(g["inputs"]),
                        "areas": g["areas"], "method": g["method"], "revision": "final", "status": "computed",
                        "interval": "confidence" if not math.isnan(g["se"]) else "rounding"})
        if data.config.comparator == "England":
            found = rows[(rows["area_code"] == data.config.comparator_code) & (rows["period"] == period)]
            if found.empty:
                continue
            c = found.iloc[0]
            status = "computed" if spec.compute else "published"  # from England's own counts, or as published
            records.append({"group": "comparator", "period": period, "value": c["value"], "lower": c["lower"],
                            "upper": c["upper"], "decimals": spec.decimals, "log_scale": log_scale, "id": c["row_id"],
                            "inputs": c["row_id"], "areas": 0,
                            "method": "computed from England's counts" if spec.compute else "published",
                            "revision": "final", "status": status,
                            "interval": "confidence" if not math.isnan(c["lower"]) else "rounding"})
        else:
            if spec.compute:
                from healthgap.analysis import counts

                r = counts.pooled(data.counts, spec.compute, sex, set(others["area_code"]))
            else:
                r = groups.group_value(others[others["period"] == period], log_scale, weights, decimals=spec.decimals)
            records.append({"group": "comparator", "period": period, "value": r["value"], "lower": r["lower"],
                            "upper": r["upper"], "decimals": spec.decimals, "log_scale": log_scale,
                            "id": ";".join(r["inputs"]), "inputs": ";".join(r["inputs"]),
                            "areas": r["areas"], "method": r["method"], "revision": "final", "status": "computed",
                            "interval": "confidence" if not math.isnan(r["se"]) else "rounding"})
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame, "", 0.0
    # the comparator's row is published with limits; a group with no limits has only its rounding
    frame.loc[frame["interval"] == "rounding", ["lower", "upper"]] = math.nan
    ranked = len(tier["area_code"].unique())
    share = len(set(members["area_code"])) / ranked if ranked else 0.0
    if data.populations is not None and periods:
        weights = data.weights(periods[-1])
        total = weights.reindex(tier["area_code"].unique()).sum()
        share = float(weights.reindex(list(set(members["area_code"]))).sum() / total) if total else share
    method = " and ".join(groups.METHOD_WORDS[m] for m in sorted(methods_used))
    bounds = frame["period"].map(hd.parse_period)
    frame["start"], frame["end"] = bounds.map(lambda b: b[0]), bounds.map(lambda b: b[1])
    return frame, method, share


def area_table(data: SeriesData, key: str, sex: str, period: str) -> pd.DataFrame:
    """Every area of the tier in one period: its value and limits, whether it is in the group, its
    deprivation decile (where the data has a ranking), in order of value (worst first)."""
    spec = data.config.indicators[key]
    rows = tier_rows(data, data.rows(key, sex))
    rows = rows[rows["period"] == period].dropna(subset=["value"])
    table = rows[["area_code", "area_name", "value", "lower", "upper", "row_id"]].copy()
    table["member"] = table["area_code"].isin(data.group.codes)
    if data.imd is not None:
        ranked = data.group.ranked if "imd_score" in data.group.ranked else None
        if ranked is not None:
            deciles = ranked.assign(decile=groups.deciles(ranked)).set_index("area_code")["decile"]
            table["decile"] = table["area_code"].map(deciles)
    table = table.sort_values("value", ascending=not spec.higher_is_worse).reset_index(drop=True)
    table["rank"] = range(1, len(table) + 1)
    return table


def sii_series(data: SeriesData, key: str, sex: str, periods: list[str]) -> pd.DataFrame:
    """The slope index of inequality across deprivation deciles of areas, per period (empty without a
    deprivation ranking or the method): each decile's value is its areas' mean (as the group's), its
    population share its population's share where the data give populations (else its share of the ranked
    areas), and :func:`healthgap.methods.sii` fits the line."""
    from healthgap import methods

    if not hasattr(methods, "sii") or data.imd is None or "imd_score" not in data.group.ranked:
        return pd.DataFrame()
    spec = data.config.indicators[key]
    ranked = data.group.ranked.assign(decile=groups.deciles(data.group.ranked))
    rows = tier_rows(data, data.rows(key, sex)).merge(ranked[["area_code", "decile"]], on="area_code")
    log_scale = LOG_SCALE[spec.measure]
    records = []
    for period in periods:
        weights = data.weights(period)
        for decile, part in rows[rows["period"] == period].groupby("decile"):
            if spec.compute:
                from healthgap.analysis import counts

                g = counts.pooled(data.counts, spec.compute, sex, part["area_code"])
                weights = data.counts.population.groupby("area_code")["population"].sum()
            else:
                g = groups.group_value(part, log_scale, weights, decimals=spec.decimals)
            if g["areas"]:
                population = float(weights.reindex(part["area_code"]).sum()) if weights is not None else g["areas"]
                records.append({"period": period, "decile": int(decile), "value": g["value"], "lower": g["lower"],
                                "upper": g["upper"], "se": g["se"], "areas": g["areas"], "population": population})
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame
    complete = frame.groupby("period")["decile"].transform("nunique") == 10
    frame = frame[complete]
    results = []
    for period, part in frame.groupby("period", sort=False):
        part = part.assign(population=part["population"].astype(float))
        has_limits = part["lower"].notna().all() and part["se"].notna().all()
        if has_limits:  # the deciles' 95 % limits: sii takes their standard errors on the log scale for rates
            result = methods.sii(part, quantile="decile", population="population", value="value", lower="lower",
                                 upper="upper", value_type="rate" if log_scale else "normal", confidence=0.95,
                                 repetitions=10_000, seed=20040101)
        else:  # no limits in the data: the point estimate only
            result = methods.sii(part.assign(se=0.0), quantile="decile", population="population", value="value",
                                 se="se", value_type="normal", confidence=0.95, repetitions=1_000, seed=1)
        row = result.iloc[0]
        results.append({"period": period, "sii": float(row["sii"]),
                        "lower": float(row["sii_lower"]) if has_limits else math.nan,
                        "upper": float(row["sii_upper"]) if has_limits else math.nan,
                        "rii": float(row["rii"])})
    out = pd.DataFrame(results)
    out["start"] = out["period"].map(lambda p: hd.parse_period(p)[0])
    return out.sort_values("start").reset_index(drop=True)


def analyse(data: SeriesData, key: str, sex: str, as_of: str | None = None) -> Analysis:
    """One indicator and sex of an analyst's data, analysed as the national record is."""
    spec = data.config.indicators[key]
    periods = data.periods(key)
    if as_of:
        end = hd.parse_period(as_of)[1]
        periods = [p for p in periods if hd.parse_period(p)[1] <= end]
    levels, method, share = level_rows(data, key, sex, periods)
    meta = indicator_meta(spec, data.config)
    comparison = Comparison(indicator=key, sex=sex, disadvantaged="group", comparator="comparator",
                            higher_is_worse=spec.higher_is_worse, decimals=spec.decimals,
                            relative_decimals=spec.relative_decimals, nested=data.config.comparator == "England",
                            share=share)
    published = pd.DataFrame(columns=["period", "measure", "reference_period", "value", "decimals", "id"])
    baseline = spec.target["baseline_period"] if spec.target else spec.baseline
    record = gaps.gap_record(levels, published, comparison, baseline)
    target = assessment = None
    if spec.target:
        points = record[spec.target["gap_measure"]]
        base = next((p for p in points if p.period == spec.target["baseline_period"]), None)
        row = pd.Series({**spec.target, "line": 0, "published_target_value": math.nan,
                         "published_target_source_id": "", "wording_source_id": "", "note": ""})
        target = targets.make_target(row, base, table=CONFIG_NAME)
        assessment = targets.assess(points, target)
    edition = periods[-1] if periods else ""
    intervals = pd.DataFrame({
        "period": levels["period"], "group": levels["group"], "value": levels["value"],
        "lower_ci": levels["lower"], "upper_ci": levels["upper"],
    }).dropna(subset=["lower_ci"]) if not levels.empty else pd.DataFrame()
    return Analysis(
        indicator=meta, comparison=comparison, sex=sex, as_of=edition, observations=levels, levels=levels,
        record=record, target=target, assessment=assessment, intervals=intervals,
        labels={"group": data.group.label, "comparator": data.config.comparator_label},
        extras={"horizon": data.config.horizon, "method": method, "share": share, "group": data.group,
                "areas": area_table(data, key, sex, edition) if edition else pd.DataFrame(),
                "sii": sii_series(data, key, sex, periods)},
    )
