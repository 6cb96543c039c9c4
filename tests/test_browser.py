"""The built briefings in a real browser, and their accessibility.

Each briefing (the national data in two editions, and the two own-data examples) is opened in headless
Chromium (Debian's `chromium`, driven by Playwright), offline, at 1280 x 1000 pixels. The page must render,
load every image, request nothing outside the file, log no console error, resolve every internal link,
stay within 15 screens with its appendices collapsed, and pass axe-core (vendored in tests/vendor/axe-core)
with no serious or critical violation. A screenshot of the top of each page is saved next to it as
screenshot-top.png.

The charts are also checked away from the browser: colours that stay apart for colour-blind readers, and
never the only cue (each legend entry also differs by marker, line style or fill).
"""

from __future__ import annotations

import itertools
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth"

PAGES = ["edition_latest", "edition_2004_06", "example_build", "counts_build"]
WIDTH, HEIGHT = 1280, 1000
SCREENS = 15  # the trust issue's limit: at most 15 screens with the appendices collapsed
# Chromium, headless and quiet: without the background-networking flags it calls home on start.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.(\d+))?(?!\d)")


@dataclass
class Visit:
    """What one briefing did and showed in the browser."""

    path: Path
    screenshot: Path
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    collapsed: dict = field(default_factory=dict)  # the page as loaded, appendices collapsed
    reveal: dict = field(default_factory=dict)  # a link into a collapsed appendix, followed
    opened: dict = field(default_factory=dict)  # the page with every <details> open
    violations: list[dict] = field(default_factory=list)  # axe-core's, with every <details> open


COLLAPSED = """() => {
  const details = [...document.querySelectorAll('details')];
  const initiallyOpen = details.filter(d => d.open).length;
  details.forEach(d => { d.open = false; });
  const h1 = document.querySelector('h1');
  const box = h1 ? h1.getBoundingClientRect() : null;
  return {
    title: document.title,
    h1: h1 ? h1.innerText : '',
    h1Top: box ? box.top : null,
    h1Visible: h1 ? h1.checkVisibility() : false,
    details: details.length,
    initiallyOpen: initiallyOpen,
    height: document.documentElement.scrollHeight,
    width: document.documentElement.scrollWidth,
    text: document.body.innerText,
  };
}"""

# The first visible link whose target sits in a collapsed <details>: marked, so the test can click it.
PROBE = """() => {
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const target = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
    if (!target || !a.checkVisibility()) { continue; }
    const details = target.closest('details');
    if (details && !details.open) { a.setAttribute('data-probe', ''); return a.getAttribute('href'); }
  }
  return null;
}"""

REVEALED = """(href) => {
  const target = document.getElementById(decodeURIComponent(href.slice(1)));
  const box = target.getBoundingClientRect();
  return {hash: location.hash, visible: target.checkVisibility(), top: box.top, innerHeight: innerHeight};
}"""

OPENED = """async () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const luminance = c => {
    const [r, g, b] = c.slice(0, 3).map(v => v / 255).map(v => v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = el => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) { return c; }
    }
    return [255, 255, 255];
  };
  const contrast = el => {
    const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const ids = new Set([...document.querySelectorAll('[id]')].map(e => e.id));
  const internal = [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href'));
  return {
    images: [...document.images].map(img => ({
      src: img.getAttribute('src').slice(0, 30), complete: img.complete, width: img.naturalWidth,
      alt: img.getAttribute('alt')})),
    internal: internal.length,
    dead: internal.filter(h => !ids.has(decodeURIComponent(h.slice(1)))),
    figLinks: [...document.querySelectorAll('a.fig')].map(a => getComputedStyle(a).textDecorationLine),
    provisional: [...document.querySelectorAll('.provisional')].map(contrast),
    tables: [...document.querySelectorAll('table')].map(t => ({
      caption: t.caption ? t.caption.innerText : '',
      th: t.querySelectorAll('th').length,
      thWithoutScope: t.querySelectorAll('th:not([scope])').length,
      headRow: t.querySelectorAll('thead th').length})),
  };
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
                                      targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, launched once for the module. Missing, the tests fail: CI must prove them."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()


def visit(browser, path: Path) -> Visit:
    """Open one briefing, look at it collapsed, follow a link into an appendix, then open every
    <details> and run axe-core over the whole page."""
    seen = Visit(path=path, screenshot=path.parent / "screenshot-top.png")
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, offline=True)
    try:
        page = context.new_page()
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on("requestfailed", lambda r: seen.failed.append(r.url))
        page.on("console", lambda m: seen.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.console.append(str(e)))
        page.goto(path.resolve().as_uri(), wait_until="load")
        seen.collapsed = page.evaluate(COLLAPSED)
        page.screenshot(path=seen.screenshot)
        href = page.evaluate(PROBE)
        if href:
            page.click("[data-probe]")
            page.wait_for_timeout(100)
            seen.reveal = {"href": href, **page.evaluate(REVEALED, href)}
        seen.opened = page.evaluate(OPENED)
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        seen.violations = page.evaluate(AXE_RUN)
    finally:
        context.close()
    return seen


@pytest.fixture(scope="module")
def visits():
    return {}


@pytest.fixture(params=PAGES)
def seen(request, browser, visits) -> Visit:
    """One briefing, visited once per module whichever test asks first."""
    if request.param not in visits:
        path, _ = request.getfixturevalue(request.param)
        visits[request.param] = visit(browser, path)
    return visits[request.param]


@pytest.mark.browser
def test_the_page_renders(seen):
    page = seen.collapsed
    assert page["title"] and page["h1"] and page["h1Visible"]
    assert 0 <= page["h1Top"] < HEIGHT, "the title is on the first screen"
    assert "In brief" in page["text"] and len(page["text"]) > 2000
    assert page["width"] <= WIDTH, "nothing overflows sideways at 1280 pixels"
    assert seen.screenshot.stat().st_size > 10_000  # a page, not a blank screen


@pytest.mark.browser
def test_every_image_loads(seen):
    images = seen.opened["images"]
    assert images, "the briefing has charts"
    assert [i["src"] for i in images if not (i["complete"] and i["width"] > 0)] == []
    assert all(i["src"].startswith("data:image/png;base64,") for i in images)


@pytest.mark.browser
def test_no_request_leaves_the_file(seen):
    assert seen.requests, "the page itself was requested"
    assert [u for u in seen.requests if not u.startswith(("file:", "data:", "about:blank"))] == []
    assert seen.failed == []


@pytest.mark.browser
def test_no_console_error(seen):
    assert seen.console == []


@pytest.mark.browser
def test_every_internal_link_resolves(seen):
    assert seen.opened["internal"] > 0, "the page links within itself"
    assert seen.opened["dead"] == []


@pytest.mark.browser
def test_a_link_into_a_collapsed_appendix_opens_it(seen):
    reveal = seen.reveal
    assert reveal, "some visible link leads into a collapsed <details>"
    assert reveal["hash"] == reveal["href"]
    assert reveal["visible"] and -1 <= reveal["top"] < reveal["innerHeight"], "scrolled into view"


@pytest.mark.browser
def test_at_most_fifteen_screens_with_the_appendices_collapsed(seen):
    page = seen.collapsed
    assert page["details"] > 0 and page["initiallyOpen"] == 0, "the appendices start collapsed"
    assert page["height"] <= SCREENS * HEIGHT, f"{page['height']} px is {page['height'] / HEIGHT:.1f} screens"


@pytest.mark.browser
def test_no_serious_or_critical_accessibility_violation(seen):
    serious = [v for v in seen.violations if v["impact"] in ("serious", "critical")]
    assert serious == []


@pytest.mark.browser
def test_figure_links_are_underlined_and_badges_have_contrast(seen, request):
    # link-in-text-block: the figure links take the text's colour, so they must be underlined
    decorations = seen.opened["figLinks"]
    assert decorations and all("underline" in d for d in decorations)
    # color-contrast: the provisional badge at least 4.5:1 (WCAG AA for body text)
    contrasts = seen.opened["provisional"]
    assert all(c >= 4.5 for c in contrasts), min(contrasts)
    if request.node.callspec.params["seen"] == "edition_latest":
        assert contrasts, "the latest edition shows provisional figures"


@pytest.mark.browser
def test_every_image_has_alt_text_without_false_precision(seen):
    alts = [i["alt"] or "" for i in seen.opened["images"]]
    assert all(len(a.strip()) > 40 and "chart" in a.lower() for a in alts), alts
    assert len(set(alts)) == len(alts), "each chart has its own description"
    # no number in a description with more decimals than any figure the page shows (no "18.43333")
    shown = max(len(m.group(1) or "") for m in NUMBER.finditer(seen.collapsed["text"]))
    assert shown <= 3  # a relative gap to two places; its pace a year to three
    precise = [m.group(0) for a in alts for m in NUMBER.finditer(a) if len(m.group(1) or "") > shown]
    assert precise == []


@pytest.mark.browser
def test_tables_have_header_cells(seen):
    tables = seen.opened["tables"]
    assert tables
    assert [t["caption"] for t in tables if t["th"] == 0 or t["thWithoutScope"] or not t["headRow"]] == []


# The charts, away from the browser ------------------------------------------------------------------------

# Machado, Oliveira and Fernandes (2009), severity 1: full protanopia, deuteranopia and tritanopia, on linear RGB.
DICHROMACY = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def lab(rgb: tuple[float, float, float], vision: str | None = None) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour (0-1), as seen with full dichromacy `vision` (None: as drawn)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    if vision:
        linear = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, linear)))) for row in DICHROMACY[vision]]
    r, g, b = linear
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def legend_entries(ax) -> list[tuple[str, tuple, tuple]]:
    """Each legend entry of an axes: (label, its colour, its non-colour cue: kind, marker, line style, fill)."""
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D

    entries = []
    for handle, label in zip(*ax.get_legend_handles_labels()):
        if isinstance(handle, Line2D):
            colour = to_rgb(handle.get_color())
            cue = ("line", str(handle.get_marker()), str(handle.get_linestyle()), handle.get_fillstyle())
        elif isinstance(handle, PathCollection):
            colour = tuple(handle.get_edgecolor()[0][:3])
            filled = bool(handle.get_facecolor().size) and tuple(handle.get_facecolor()[0][:3]) != (1.0, 1.0, 1.0)
            cue = ("points", handle.get_paths()[0].vertices.round(2).tobytes(), filled)
        elif isinstance(handle, PolyCollection):
            face = handle.get_facecolor()  # a hatched band has no face, only its hatching's colour
            colour = tuple((face if face.size else handle.get_edgecolor())[0][:3])
            cue = ("band", handle.get_hatch() or "")
        else:
            raise AssertionError(f"a legend entry of an unexpected kind: {type(handle).__name__} ({label})")
        entries.append((label, colour, cue))
    return entries


@pytest.fixture(scope="module")
def drawn(briefing):
    """Every kind of chart: levels and gap against a target (national data), the slope index and the
    ranking (an analyst's own series)."""
    import matplotlib.pyplot as plt

    import healthgap as hg
    from healthgap.page import charts
    from tests.support import analysed

    drawn = charts.charts(analysed(briefing, "life_expectancy", "male"))
    drawn += charts.charts(hg.analyse(hg.load(EXAMPLE), "circulatory", "persons"))
    figures = [(c.figure, c.alt) for c in drawn]
    yield figures
    for fig, _ in figures:
        plt.close(fig)


def test_every_kind_of_chart_is_drawn(drawn):
    titles = [ax.get_title(loc="left") for fig, _ in drawn for ax in fig.axes]
    for kind in ("both groups", "Relative gap", "Absolute gap", "Slope index", "Every area"):
        assert any(kind in t for t in titles), kind


def test_colour_is_never_the_only_cue(drawn):
    for fig, _ in drawn:
        for ax in fig.axes:
            entries = legend_entries(ax)
            assert len(entries) >= 2
            cues = [cue for _, _, cue in entries]
            assert len(set(cues)) == len(cues), f"{ax.get_title(loc='left')}: two entries differ by colour alone"


@pytest.mark.parametrize("vision", [None, *DICHROMACY])
def test_colours_stay_apart_for_colour_blind_readers(drawn, vision):
    for fig, _ in drawn:
        for ax in fig.axes:
            for (a, ca, _), (b, cb, _) in itertools.combinations(legend_entries(ax), 2):
                if ca == cb:
                    continue  # same colour: told apart by shape (above)
                distance = sum((p - q) ** 2 for p, q in zip(lab(ca, vision), lab(cb, vision))) ** 0.5
                seen_by = vision or "normal vision"
                assert distance >= 20, f"{a!r} and {b!r} are {distance:.0f} apart (CIE76) with {seen_by}"
