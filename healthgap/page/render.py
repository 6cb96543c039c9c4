"""HTML from Jinja2 templates with autoescaping: the briefing's sentences, tables and appendices.

The templates live in ``healthgap/templates/fragments``. Python computes (the analysis, the
figures, which sentence applies); the templates word it. Every value from data reaches the page
through a template, so it is escaped there, once; only HTML the library made itself (a cited
figure, a rendered fragment) is passed as :class:`markupsafe.Markup`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

FRAGMENTS_DIR = Path(__file__).parent / "templates" / "fragments"

ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth", 9: "ninth"}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def possessive(name: str) -> str:
    """"England's", "all social groups'", "the most deprived fifth of local authorities'"."""
    return f"{name}'" if str(name).endswith("s") else f"{name}'s"


def ordinal(n: int) -> str:
    return ORDINALS.get(n, f"{n}th")


def date_words(text: str) -> str:
    """A source date in words: "2009-12" -> "December 2009"; "2008-01-07" -> "7 January 2008"; "2008" -> "2008".

    Dates are written in words so that no date on the page can be read as a period label.
    """
    parts = str(text).split("-")
    if len(parts) == 1:
        return parts[0]
    month = MONTHS[int(parts[1]) - 1]
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month} {parts[0]}"


def date_element(text: str) -> Markup:
    """A source date as a ``<time>`` element in words: '<time datetime="2009-12">December 2009</time>'."""
    if not text:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(text, date_words(text))


def series(items: list[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def markup_series(items: list, conjunction: str = "and") -> Markup:
    """:func:`series` over HTML pieces, escaping any that are plain text."""
    escaped = [Markup.escape(i) for i in items]
    if len(escaped) <= 1:
        return Markup("").join(escaped)
    return Markup(", ").join(escaped[:-1]) + Markup(f" {conjunction} ") + escaped[-1]


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(FRAGMENTS_DIR)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters.update(capitalise=capitalise, ordinal=ordinal, possessive=possessive, date_words=date_words, date=date_element,
                       series=markup_series)
    return env


def render(template: str, **context) -> Markup:
    """Render a template of ``templates/fragments`` as HTML."""
    return Markup(environment().get_template(template).render(**context).strip())


def sentences():
    """The macros of ``sentences.html.j2``: one per kind of sentence, each returning HTML."""
    return environment().get_template("sentences.html.j2").module


def squash(html: str) -> Markup:
    """Whitespace inside rendered HTML collapsed to single spaces (templates are written on many lines)."""
    return Markup(" ".join(str(html).split()))


class Fragment(Markup):
    """HTML the page is made of, shown as HTML where a notebook displays it (the last value of a cell, or
    ``display(fragment)``), and in the briefing where the cell is tagged for the page."""

    def _repr_html_(self) -> str:
        return str(self)


def section_anchor(indicator: str) -> str:
    """The id of an indicator's section on the page (what the summary and the appendices link to)."""
    return f"section-{indicator}"


def bound_words(formula: str, end: str, confidence: bool) -> str:
    """How an end of a figure's range is computed, for the list of every figure: "the lower end of 199.432 − 153
    over the ranges its figures' rounding allows" (or "of the 95% confidence interval of ..."); "" without a
    formula (a published figure's own range)."""
    if not formula:
        return ""
    if formula.startswith("computed "):  # words, not a formula: "computed from England's counts"
        return f"the {end} end of the 95% confidence interval of the figure {formula}" if confidence else \
            f"the {end} end of the range the rounding of the figure {formula} allows"
    return (f"the {end} end of the 95% confidence interval of {formula}" if confidence else
            f"the {end} end of {formula} over the ranges its figures' rounding allows")
