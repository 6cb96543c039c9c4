"""Assemble executed notebooks into one self-contained HTML briefing.

nbconvert cannot merge notebooks, so the cells each executed notebook tags for the page (``page``) are
concatenated into one notebook (their outputs only: no code, no stderr streams, no error outputs) and
exported once with the ``briefing`` template in ``healthgap/page/templates``. Every other cell is the
analyst's working: it stays in the notebook, visible in Jupyter, and out of the page. That
template extends JupyterLab's layout, drops every script that would be fetched from a CDN,
places the front matter first and carries image alt text through.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

TEMPLATES_DIR = Path(__file__).parent / "templates"
"""Folder holding the nbconvert templates shipped with the package."""

TEMPLATE_NAME = "briefing"
"""The nbconvert template (a folder of ``TEMPLATES_DIR``) used for the briefing."""

PAGE_TAG = "page"
"""Cells carrying this tag are the page's; the others are the analysis shown in the notebook only."""


LOADED_URL_ATTRIBUTES = ("src", "srcset", "poster", "data")
"""Attributes whose URL a browser fetches when it renders the page (plus ``<link href>``)."""

_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*([^'")\s]+)""", re.IGNORECASE)


class NotSelfContainedError(ValueError):
    """The briefing would fetch something (an image, a script, a stylesheet) to render."""


def _is_embedded(url: str) -> bool:
    """True when ``url`` needs no fetch: a ``data:`` URI or a fragment of the page itself."""
    url = url.strip()
    return url.startswith(("data:", "#")) or not url


def _srcset_urls(srcset: str) -> list[str]:
    """The URLs of a ``srcset`` value (candidates are "URL [descriptor]", comma-separated)."""
    tokens = srcset.split()
    return [token.rstrip(",") for token in tokens if not re.fullmatch(r"[\d.]+[wx],?", token)]


def _css_urls(css: str) -> list[str]:
    """The URLs in ``url(...)`` and ``@import "..."`` of a piece of CSS."""
    return [match.group(1) for match in _CSS_URL.finditer(css)]


class _ResourceCollector(HTMLParser):
    """Collects the URLs a page fetches to render (see ``external_resources``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fetched = LOADED_URL_ATTRIBUTES + (("href",) if tag == "link" else ())
        for name, value in attrs:
            if value is None:
                continue
            if name == "srcset":
                self.urls.extend(_srcset_urls(value))
            elif name in fetched:
                self.urls.append(value)
            elif name == "style":
                self.urls.extend(_css_urls(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(_css_urls(data))


def external_resources(html: str) -> list[str]:
    """URLs the page would fetch to render: not ``data:`` URIs, not in-page fragments.

    Looks at ``src``/``srcset``/``poster``/``data`` attributes of any element, ``href`` of
    ``<link>`` elements, and ``url(...)``/``@import`` in ``<style>`` blocks and ``style``
    attributes. Ordinary hyperlinks (``<a href>``) are not fetched and are not reported.
    """
    collector = _ResourceCollector()
    collector.feed(html)
    collector.close()
    return [url for url in collector.urls if not _is_embedded(url)]


def _tags(cell: nbformat.NotebookNode) -> set[str]:
    """The cell's tags (an empty set when it has none)."""
    return set(cell.get("metadata", {}).get("tags", []))


def _is_reader_output(output: nbformat.NotebookNode) -> bool:
    """True for outputs meant for the reader: not stderr streams, not errors/tracebacks."""
    if output.get("output_type") == "error":
        return False
    return not (output.get("output_type") == "stream" and output.get("name") == "stderr")


def briefing_cells(
    executed: nbformat.NotebookNode, prefix: str
) -> list[nbformat.NotebookNode]:
    """Copies of the cells of one executed notebook that belong in the briefing.

    Keeps the cells tagged ``page`` (:data:`PAGE_TAG`), drops stderr streams and error outputs, and drops
    code cells left without any output (their input is hidden anyway, so they would render as empty boxes).
    Cell ids get ``prefix`` so that ids stay unique once several notebooks are concatenated.
    """
    kept: list[nbformat.NotebookNode] = []
    for cell in executed.cells:
        if PAGE_TAG not in _tags(cell):
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if _is_reader_output(o)]
            if not cell.outputs:
                continue
        if "id" in cell:
            cell.id = f"{prefix}-{cell.id}"[:64]
        kept.append(cell)
    return kept


def combine_notebooks(
    executed: Iterable[nbformat.NotebookNode], title: str
) -> nbformat.NotebookNode:
    """One notebook holding the briefing cells of ``executed``, in order, titled ``title``.

    Kernel and language metadata come from the first notebook (for syntax highlighting);
    papermill and widget metadata are left out.
    """
    notebooks = list(executed)
    combined = nbformat.v4.new_notebook()
    if notebooks:
        for key in ("kernelspec", "language_info"):
            if key in notebooks[0].metadata:
                combined.metadata[key] = copy.deepcopy(notebooks[0].metadata[key])
    combined.metadata["title"] = title
    for index, notebook in enumerate(notebooks):
        combined.cells.extend(briefing_cells(notebook, prefix=f"nb{index}"))
    return combined


def _source_dir(executed: list[nbformat.NotebookNode]) -> str:
    """Folder of the first source notebook (papermill records it), for markdown images."""
    for notebook in executed:
        input_path = notebook.metadata.get("papermill", {}).get("input_path")
        if input_path:
            return str(Path(input_path).parent)
    return ""


def briefing_exporter() -> HTMLExporter:
    """The HTML exporter configured for the briefing: no code, no prompts, no anchors."""
    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
        language_code="en",
        theme="light",
    )


def assemble_briefing(
    executed: list[nbformat.NotebookNode], front_matter_html: str, title: str, back_matter_html: str = ""
) -> str:
    """Render executed notebooks as one self-contained HTML page.

    ``front_matter_html`` (trusted HTML: title, edition line, summary table) opens the main
    content and ``back_matter_html`` (trusted HTML: appendices) closes it; ``title`` becomes the page ``<title>``. The page is exported once, with the
    ``briefing`` template: no code inputs or prompts, images as data URIs with their alt
    text, and no reference to any network resource. Raises NotSelfContainedError if some
    content (say a markdown image pointing at a web address) would still need a fetch.
    """
    combined = combine_notebooks(executed, title)
    resources = {
        "metadata": {"name": title, "path": _source_dir(executed)},
        "briefing": {"front_matter": front_matter_html, "back_matter": back_matter_html},
    }
    html, _ = briefing_exporter().from_notebook_node(combined, resources=resources)
    fetched = external_resources(html)
    if fetched:
        raise NotSelfContainedError(
            f"the briefing must be self-contained, but it would load {len(fetched)} resource(s)"
            f" from outside the page, first {fetched[0]!r}; embed images as notebook outputs"
        )
    return html
