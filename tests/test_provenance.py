"""Every number in the briefing is a figure of figures.csv, and every figure links to its provenance."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from healthgap.page.provenance import Figure, Ledger, anchor

pytestmark = pytest.mark.notebooks

# Text that is not the briefing's own prose: verbatim source quotes, source titles (links out, cite),
# data-table notes (em), dates (time), headings, what each indicator covers and its unit (indicators.csv), the
# introduction (briefing.toml), references to a line of a data table, the
# figures not used (context.csv, each with its source), formulas and the reconciliation's reasons (which
# restate the figures cited beside them), the provenance entries' labels, the edition line (build date,
# data version) and the page's style and script.
SKIPPED_TAGS = {"q", "cite", "code", "em", "style", "script", "title", "h1", "h2", "h3", "h4", "caption", "time"}
SKIPPED_CLASSES = {"edition", "about", "intro", "unit", "formula", "reason", "unused", "version", "what", "ref"}
VOID = {"br", "img", "meta", "link", "hr", "input", "col", "wbr", "source"}


class ProseText(HTMLParser):
    """Collects the text of the page outside the skipped elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        external = tag == "a" and (attrs.get("href") or "").startswith("http")
        self.stack.append(tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES) or external)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.chunks.append(data)


NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
# dates, period labels and years
ALLOWED = re.compile(r"\b(19|20)\d{2}-\d{2}-\d{2}\b|\b(19|20)\d{2}-\d{2}\b|\b(19|20)\d{2}\b")


def numbers(text: str) -> list[str]:
    return NUMBER.findall(ALLOWED.sub(" ", text))


def figure_numbers(figures: pd.DataFrame) -> set[float]:
    found = set()
    for shown in figures["displayed"].astype(str):
        found.update(abs(float(n.replace(",", ""))) for n in NUMBER.findall(shown))
    return found


@pytest.mark.parametrize("edition", ["edition_2004_06", "edition_latest", "partial_build"])
def test_no_number_in_the_prose_is_typed(edition, request):
    path, html = request.getfixturevalue(edition)
    figures = pd.read_csv(path.parent / "figures.csv", dtype={"displayed": str}, keep_default_na=False)
    known = figure_numbers(figures)
    parser = ProseText()
    parser.feed(html)
    text = " ".join(parser.chunks)
    # names and units from the data tables (indicators.csv: "Cancer mortality under 75", "per 100,000")
    from healthgap.read.tables import load_dataset

    indicators = load_dataset(path.parent / "data").indicators
    for name in sorted([*indicators["title"], *indicators["unit"], *indicators["unit"].str.split(" [(]").str[0]],
                       key=len, reverse=True):
        text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    stray = [n for n in numbers(text) if abs(float(n.replace(",", ""))) not in known]
    assert stray == [], f"numbers in the briefing that are not figures of figures.csv: {stray[:10]}"
    assert len(numbers(text)) > 50  # the check really saw the prose


@pytest.mark.parametrize("edition", ["edition_2004_06", "edition_latest", "partial_build"])
def test_every_figure_link_has_an_entry(edition, request):
    path, html = request.getfixturevalue(edition)
    targets = set(re.findall(r'href="#(fig-[^"]+)"', html))
    ids = set(re.findall(r'id="(fig-[^"]+)"', html))
    assert targets and targets <= ids
    figures = pd.read_csv(path.parent / "figures.csv", keep_default_na=False)
    assert {anchor(f) for f in figures["figure_id"]} == ids


def test_figures_csv_columns_and_derivations(edition_latest):
    path, _ = edition_latest
    figures = pd.read_csv(path.parent / "figures.csv", keep_default_na=False)
    assert list(figures.columns) == [
        "figure_id", "label", "indicator", "sex", "period", "measure", "value", "displayed", "kind", "source_rows",
        "derivation"]
    assert figures["figure_id"].is_unique
    row = figures.set_index("figure_id").loc["circulatory-persons-2006-08-absolute_gap-check"]
    # the published 22.6 leads; its check from the levels: 97.4 - 74.8 = 22.6
    assert row["kind"] == "derived" and float(row["value"]) == pytest.approx(22.6)
    assert row["derivation"] == "gaps.absolute_gap: 97.4 − 74.8"
    assert row["source_rows"] == "circulatory-persons-2006-08-spearhead-rate;circulatory-persons-2006-08-england-rate"
    assert row["label"] == "Circulatory disease mortality under 75, 2006-08: absolute gap recomputed from the levels"
    published = figures.set_index("figure_id").loc["circulatory-persons-2006-08-absolute_gap-record"]
    assert published["kind"] == "published" and published["source_rows"] == "circulatory-persons-2006-08-gap-absolute_gap"
    assert (path.parent / "data" / "observations.csv").exists()


def test_provenance_entries_name_rows_in_words(edition_latest):
    _, html = edition_latest
    entry = re.search(r'<li id="fig-circulatory-persons-2006-08-absolute_gap-check">(.*?)</li>', html, flags=re.S).group(1)
    text = re.sub(r"<[^>]+>", "", entry)
    assert "computed as 97.4 − 74.8" in text
    assert "2006-08 the Spearhead Group rate (Straight Statistics (Nigel Hawkes), December 2009)" in text
    assert 'href="#row-circulatory-persons-2006-08-spearhead-rate"' in entry


def test_every_figure_list_gives_a_gap_change_its_direction(edition_latest):
    """Read alone, the list of every figure says which way a gap moved: the page shows a change as its size
    beside "narrower" (the cancer gap 13% narrower in 2005-07 than in 1995-97, as published), and so does the
    list; figures.csv keeps the signed value."""
    path, html = edition_latest
    figures = pd.read_csv(path.parent / "figures.csv", dtype={"displayed": str}, keep_default_na=False)
    row = figures.set_index("figure_id").loc["cancer-persons-2005-07-pct_change_absolute_gap-1995-97-record"]
    assert (float(row["value"]), row["displayed"]) == (-13.0, "13%")
    entry = re.search(r'<li id="fig-cancer-persons-2005-07-pct_change_absolute_gap-1995-97-record">(.*?)</li>', html,
                      flags=re.S).group(1)
    assert "change in the absolute gap since 1995-97: 13% narrower" in re.sub(r"<[^>]+>", "", entry)
    widened = figures.set_index("figure_id").loc["life_expectancy-male-2006-08-pct_change_relative_gap-1995-97-record"]
    assert (float(widened["value"]), widened["displayed"]) == (7.0, "7%")
    entry = re.search(r'<li id="fig-life_expectancy-male-2006-08-pct_change_relative_gap-1995-97-record">(.*?)</li>',
                      html, flags=re.S).group(1)
    assert "7% wider" in re.sub(r"<[^>]+>", "", entry)


def test_ledger_refuses_two_displays_of_one_figure():
    ledger = Ledger()
    figure = Figure("x", "a label", "cancer", "persons", "2004-06", "absolute_gap", 18.4, "18.4", "published", "row")
    assert ledger.cite(figure) == '<a class="fig" href="#fig-x">18.4</a>'
    ledger.cite(figure)
    assert len(ledger) == 1
    with pytest.raises(ValueError, match="displayed as '18.40' and as '18.4'"):
        ledger.cite(Figure("x", "a label", "cancer", "persons", "2004-06", "absolute_gap", 18.4, "18.40", "published", "row"))


def test_text_from_data_is_escaped():
    ledger = Ledger()
    html = ledger.cite(Figure("a<b", "l", "i", "persons", "2004-06", "m", 1.0, "<1>", "published", ""))
    assert "<1>" not in html and "&lt;1&gt;" in html
