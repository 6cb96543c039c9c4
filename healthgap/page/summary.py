"""The briefing's front matter: title, edition, the opening summary (one sentence per target) and the
summary table, assembled from the entries the sections wrote."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from markupsafe import Markup

from healthgap.page.render import date_element, render
from healthgap.page.section import read_summaries


def front_matter_html(data_dir: Path, as_of: str | None, output_dir: Path, sections: list[str] | None = None,
                      built: date | None = None) -> str:
    """Title, edition line, the publication reproduced, the introduction, and the summary of every
    section built (in ``sections`` order); a partial build says which sections it left out."""
    from healthgap.read.briefing import load

    briefing = load(data_dir, as_of)
    summaries = {s["section"]: s for s in read_summaries(output_dir)}
    edition = briefing.publication()
    order = sections if sections is not None else list(summaries)
    entries = [trusted_entry(e) for name in order if name in summaries for e in summaries[name]["entries"]]
    built_names = [n for n in order if n in summaries]
    missing = [n.replace("_", " ") for n in briefing.sections if n not in built_names]
    edition_info = None
    if edition is not None:
        edition_info = {"title": edition["title"], "publisher": edition["publisher"],
                        "date": date_element(edition["published"]), "note": edition["note"]}
    return str(render(
        "front.html.j2", title=briefing.title, period=briefing.edition, latest=latest_periods(entries, briefing.edition),
        built=date_element((built or build_date()).isoformat()), version=briefing.version, edition=edition_info,
        introduction=briefing.introduction, entries=entries,
        targets=any(str(e["cells"]["target"]) != "–" for e in entries) or not entries,
        comparator=briefing.comparator_label,
        built_sections=[n.replace("_", " ") for n in built_names] if missing else [], missing=missing,
    ))


def build_date() -> date:
    """The date the page says it was built: today, or the day of ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC)
    where it is set, as reproducible builds expect (https://reproducible-builds.org/specs/source-date-epoch/), so
    that two builds of the same inputs are byte-identical whenever they run."""
    import os
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    return date.today()


def trusted_entry(entry: dict) -> dict:
    """A summary entry read back from JSON, its HTML marked safe (the section rendered and escaped it)."""
    return {"sentence": Markup(entry["sentence"]), "cells": {k: Markup(v) for k, v in entry["cells"].items()}}


def latest_periods(entries: list[dict], edition: str) -> list[dict]:
    """Where the sections' latest figures stand, when not all at the edition's period: each period (earliest
    first) with the indicators whose latest figure is from it ("2005-07 for cancer mortality under 75"), so the
    edition line does not claim data to 2008-10 for verdicts that rest on 2005-07. Empty when every section's
    latest figure is the edition's own."""
    from healthgap.read.periods import parse_period

    by_period: dict[str, list[str]] = {}
    for e in entries:
        period = str(e["cells"].get("latest_period", ""))
        name = str(e["cells"].get("title", e["cells"].get("indicator", "")))
        if not period:
            continue
        names = by_period.setdefault(period, [])
        if name and name not in names:
            names.append(name)
    if not by_period or set(by_period) == {edition}:
        return []
    return [{"period": p, "names": [Markup(n[:1].lower() + n[1:]) for n in by_period[p]]}
            for p in sorted(by_period, key=parse_period)]
