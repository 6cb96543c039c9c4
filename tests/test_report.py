"""Assembling executed notebooks into one self-contained HTML page (no notebook is run)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from healthgap.page.report import NotSelfContainedError, assemble_briefing, external_resources

# A 1x1 PNG, base64-encoded as notebooks store it.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAACAAAB4iG8MwAAAABJRU5ErkJggg=="
ALT = 'Gap "narrowed" <by 2%> & more'
FRONT = '<h1 id="front">Toy briefing</h1><p class="edition">Edition: test</p>'


PAGE = {"tags": ["page"]}


def executed_notebook(topic: str) -> nbformat.NotebookNode:
    """An executed notebook, as papermill leaves it, with every kind of cell the
    briefing must keep or drop: the cells tagged for the page, and the analyst's working cells."""
    figure = new_code_cell(
        "display(Image(png), metadata={'image/png': {'alt': alt}})",
        execution_count=3, metadata=PAGE,
        outputs=[
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Image>"},
                       metadata={"image/png": {"alt": ALT}}),
            new_output("stream", name="stderr", text="UserWarning: STDERR-NOISE\n"),
            new_output("stream", name="stdout", text=f"{topic} stdout kept\n"),
        ],
    )
    cells = [
        new_code_cell('data_dir = "../data"\nas_of = None\noutput_dir = "../outputs"',
                      metadata={"tags": ["parameters"]}),
        new_code_cell('data_dir = "/elsewhere"', metadata={"tags": ["injected-parameters"]},
                      outputs=[new_output("stream", name="stdout", text="INJECTED-OUTPUT\n")]),
        new_markdown_cell(f"# {topic.title()}\n\nThe {topic} gap narrowed.", metadata=PAGE),
        figure,
        new_code_cell("import pandas as pd", execution_count=4, metadata=PAGE),
        new_code_cell("working", execution_count=5,
                      outputs=[new_output("stream", name="stdout", text="REMOVED-CELL\n")]),
        new_markdown_cell("## A working note, out of the page: WORKING-NOTE"),
        new_code_cell("table", execution_count=5, metadata=PAGE, outputs=[new_output(
            "execute_result", execution_count=5,
            data={"text/html": "<table><tr><th>Area</th><td>1.5</td></tr></table>",
                  "text/plain": "table"})]),
        new_code_cell("1 / 0", execution_count=6, metadata=PAGE, outputs=[new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero",
            traceback=["Traceback (most recent call last)", "ZeroDivisionError"])]),
    ]
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })


class ImageCollector(HTMLParser):
    """The attributes of every <img> of a page, decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


@pytest.fixture(scope="module")
def html() -> str:
    return assemble_briefing(
        [executed_notebook("cancer"), executed_notebook("circulatory")], FRONT, "Toy & briefing"
    )


def test_page_is_self_contained(html: str) -> None:
    assert "<script src=" not in html
    tag_urls = re.findall(r"<(?:link|script|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", html)
    assert tag_urls, "expected at least the image"
    assert not [url for url in tag_urls if re.match(r"(https?:)?//", url)]
    assert external_resources(html) == []


def test_no_code_prompts_or_anchors(html: str) -> None:
    body = html[html.index("<body"):]  # the stylesheet mentions prompts in comments
    assert "In [" not in body and "In&nbsp;[" not in body and "Out[" not in body
    assert "display(Image" not in body and "import pandas" not in body
    assert "jp-InputPrompt" not in body and "jp-OutputPrompt" not in body
    assert "¶" not in body and "anchor-link" not in body


def test_image_is_embedded_with_its_alt_text(html: str) -> None:
    parser = ImageCollector()
    parser.feed(html)
    assert len(parser.images) == 2
    for image in parser.images:
        assert image["src"] == f"data:image/png;base64,{PNG}"
        assert image["alt"] == ALT
    assert "<by 2%>" not in html  # the alt text is escaped


def test_kept_and_dropped_content(html: str) -> None:
    assert "The cancer gap narrowed." in html and "cancer stdout kept" in html
    assert "<th>Area</th>" in html
    for dropped in ("INJECTED-OUTPUT", "REMOVED-CELL", "WORKING-NOTE", "STDERR-NOISE", "Traceback",
                    "ZeroDivisionError", 'data_dir = "'):
        assert dropped not in html


def test_front_matter_opens_main_then_notebooks_in_order(html: str) -> None:
    main, front = html.index("<main>"), html.index(FRONT)
    cancer, circulatory = html.index("The cancer gap"), html.index("The circulatory gap")
    assert main < front < cancer < circulatory
    assert html[main:front].count("<div") == 1  # only the front-matter wrapper in between


def test_page_language_title_and_style(html: str) -> None:
    assert '<html lang="en">' in html
    assert "<title>Toy &amp; briefing</title>" in html
    assert "max-width: 60rem" in html and ".provisional" in html and ".note" in html
    assert "@media print" in html


def test_cell_ids_stay_unique_across_notebooks(html: str) -> None:
    ids = re.findall(r'\bid="(cell-id=[^"]+)"', html)
    assert ids and len(ids) == len(set(ids))


def test_remote_image_in_markdown_is_refused() -> None:
    notebook = executed_notebook("cancer")
    notebook.cells.append(new_markdown_cell("![logo](https://example.org/logo.png)", metadata=PAGE))
    with pytest.raises(NotSelfContainedError, match="https://example.org/logo.png"):
        assemble_briefing([notebook], FRONT, "Toy")


def test_external_resources_finds_fetches_not_links() -> None:
    page = (
        '<link rel="stylesheet" href="https://cdn.example/a.css"><a href="https://ok.example">x</a>'
        '<script src="x.js"></script><img srcset="b.png 1x, data:image/png;base64,AA 2x">'
        '<div style="background: url(//cdn.example/c.png)"></div>'
        '<style>@import "http://cdn.example/d.css"; .e { background: url(data:image/png;base64,AA) }</style>'
        '<img src="data:image/png;base64,AA"><a href="#top">top</a>'
    )
    assert external_resources(page) == [
        "https://cdn.example/a.css", "x.js", "b.png", "//cdn.example/c.png", "http://cdn.example/d.css"
    ]
