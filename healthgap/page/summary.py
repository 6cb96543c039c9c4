"""The briefing's front matter: title, edition, the opening summary (one sentence per target) and the
summary table, assembled from the entries the sections wrote."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from markupsafe import Markup

from healthgap.read import tables as hd
from healthgap.page.render import date_element, render
from healthgap.page.section import read_summaries


def front_matter_html(data_dir: Path, as_of: str | None, output_dir: Path, sections: list[str] | None = None,
                      built: date | None = None) -> str:
    """Title, edition line, the publication reproduced, the introduction, and the summary of every
    section built (in ``sections`` order); a partial build says which sections it left out."""
    from healthgap.analysis import local

    summaries = {s["section"]: s for s in read_summaries(output_dir)}
    if local.is_series(data_dir):
        data = local.load(data_dir)
        config, version, edition = data.config, data.version, None
        latest = [hd.sort_periods(data.periods(i))[-1] for i in {s["indicator"] for s in summaries.values()} if i]
        period = as_of or (max(latest, key=hd.parse_period) if latest else "")
    else:
        dataset = hd.load_dataset(data_dir)
        config, version = dataset.config, dataset.version
        period = as_of or hd.latest_period(dataset.observations)
        edition = dataset.edition(period)
    order = sections if sections is not None else list(summaries)
    entries = [trusted_entry(e) for name in order if name in summaries for e in summaries[name]["entries"]]
    configured = list(config.sections) if config is not None else []
    built_names = [n for n in order if n in summaries]
    missing = [n.replace("_", " ") for n in configured if n not in built_names]
    edition_info = None
    if edition is not None:
        edition_info = {"title": edition["title"], "publisher": edition["publisher"],
                        "date": date_element(edition["published"]), "note": edition["note"]}
    return str(render(
        "front.html.j2", title=config.title if config else "Health-inequality briefing", period=period,
        built=date_element((built or date.today()).isoformat()), version=version, edition=edition_info,
        introduction=config.introduction if config else "", entries=entries,
        targets=any(str(e["cells"]["target"]) != "–" for e in entries) or not entries,
        comparator=getattr(config, "comparator_label", "England"),
        built_sections=[n.replace("_", " ") for n in built_names] if missing else [], missing=missing,
    ))


def trusted_entry(entry: dict) -> dict:
    """A summary entry read back from JSON, its HTML marked safe (the section rendered and escaped it)."""
    return {"sentence": Markup(entry["sentence"]), "cells": {k: Markup(v) for k, v in entry["cells"].items()}}
