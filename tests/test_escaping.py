"""Nothing injected: text from data reaches the page as text, wherever it appears.

Hostile strings are planted in every kind of field the page shows (a briefing title, a source's title, a
quote, a note, an indicator's name, an area's name) in the national tables and in an analyst's series; the
built page must show them escaped, run none of them, and keep its structure. A URL that is not http(s) is
refused before anything is built (the gauntlet, ``tests/test_gauntlet.py``).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from healthgap.build.pipeline import build_briefing

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = '<script>alert("title")</script>'
IMG = "<img src=x onerror=alert(1)>"
ATTRIBUTE = '"><svg onload=alert(2)>'

pytestmark = pytest.mark.notebooks


def replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def assert_inert(html: str) -> None:
    """None of the planted markup is live: no element or attribute it would create is in the page."""
    assert "<script>alert" not in html
    assert "<img src=x" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "<svg onload" not in html
    # the one <script> element is the page's own (it opens an appendix a link points into)
    scripts = re.findall(r"<script\b[^>]*>\s*(.{0,35})", html)
    assert scripts == ["/* A link into a collapsed appendix"], scripts


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(ROOT / "data", data)
    replace(data / "briefing.toml", 'title = "Health inequalities in England: progress on the 2010 targets"',
            f"title = '{SCRIPT} Health inequalities'")
    replace(data / "sources.csv", "Mixed achievement on reducing inequalities", f"Mixed achievement {IMG}")
    replace(data / "observations.csv", '"The gap in cancer mortality rates between the two groups',
            '"' + ATTRIBUTE.replace('"', '""') + ' The gap in cancer mortality rates between the two groups')
    replace(data / "indicators.csv", "Cancer mortality under 75", '"Cancer mortality under 75 ' + ATTRIBUTE.replace('"', '""') + '"')
    briefing = build_briefing(data, data.parent / "out", None, notebooks=[ROOT / "notebooks" / "cancer.ipynb"], jobs=1)
    return briefing.read_text(encoding="utf-8")


def test_national_strings_are_escaped(national):
    assert_inert(national)
    # shown as text, escaped once (not twice: "&amp;lt;" would show the reader the entity)
    for element in ("title", "h1"):
        assert re.search(rf"<{element}>&lt;script&gt;alert\((\"|&#34;|&quot;)title(\"|&#34;|&quot;)\)&lt;/script&gt; "
                         rf"Health inequalities</{element}>", national), element
    assert "Mixed achievement &lt;img src=x onerror=alert(1)&gt;" in national
    assert "&amp;lt;" not in national
    # the indicator's name, in a heading and in the chart's alt text (an attribute)
    assert re.search(r"Cancer mortality under 75 (\"|&#34;|&quot;)&gt;&lt;svg onload=alert\(2\)&gt;", national)
    for alt in re.findall(r'<img [^>]*alt="([^"]*)"', national):
        assert "<" not in alt and '"' not in alt


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile-series") / "data"
    shutil.copytree(ROOT / "data" / "examples" / "most-deprived-fifth", data)
    raw = data / "raw" / "preventable-cardiovascular-mortality-england.csv"
    before = hashlib.sha256(raw.read_bytes()).hexdigest()
    text = raw.read_text(encoding="utf-8-sig")
    assert ",Hartlepool," in text
    raw.write_text(text.replace(",Hartlepool,", f",Hartlepool {IMG},"), encoding="utf-8")
    replace(data / "briefing.toml", before, hashlib.sha256(raw.read_bytes()).hexdigest())
    replace(data / "briefing.toml", 'title = "Preventable cardiovascular mortality under 75"',
            'title = "Preventable cardiovascular mortality under 75 \\"><svg onload=alert(2)>"')
    replace(data / "briefing.toml", 'label = "the most deprived fifth of local authorities"',
            f'label = "the most deprived fifth {SCRIPT.replace(chr(34), chr(39))}"')
    briefing = build_briefing(data, data.parent / "out", None,
                              notebooks=[ROOT / "notebooks" / "circulatory.ipynb"], jobs=1)
    return briefing.read_text(encoding="utf-8")


def test_series_strings_are_escaped(series):
    assert_inert(series)
    # Hartlepool is among the most deprived fifth: its name is in the ranked table, escaped
    assert "Hartlepool &lt;img src=x onerror=alert(1)&gt;" in series
    assert "the most deprived fifth &lt;script&gt;" in series
    assert "&amp;lt;" not in series
    for alt in re.findall(r'<img [^>]*alt="([^"]*)"', series):
        assert "<" not in alt and '"' not in alt
