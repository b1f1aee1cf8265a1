"""Learner text in files we hand out: spreadsheet cells that cannot run formulas, and Markdown that cannot
forge headings, scores or carry HTML. Pure functions, no Django."""

import re

# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What can start markup mid-line (emphasis, code, links, tables, HTML, entities, strikethrough) or, after a
# list marker, a heading. "1." and "-" only act at the start of a line, which this text never is.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>#|~&])")
_BACKTICK_RUNS = re.compile(r"`+")


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet shows as text: numbers pass through; text starting like a formula gets a
    leading apostrophe (OWASP's advice)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def html_field(html: str) -> str:
    """An HTML field (Anki's import) a spreadsheet will not read as a formula: the first character becomes its
    HTML entity, which Anki renders as the same character."""
    html = html.lstrip("\t\r")
    if html[:1] in ("=", "+", "-", "@"):
        return f"&#{ord(html[0])};{html[1:]}"
    return html


def plain_tag(tag: str) -> str:
    """A tag (plain text, no HTML in Anki's tags column) without formula-starting characters in front."""
    return tag.lstrip("=+-@\t\r") or "tag"


def markdown_inline(text: str) -> str:
    """Text on one Markdown line that renders as itself: line breaks become spaces and Markdown and HTML
    punctuation is backslash-escaped, so it cannot start a heading, bold a score or open a tag."""
    one_line = " ".join(str(text).split())
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", one_line)


def markdown_fence(text: str, info: str = "text") -> str:
    """Multi-line text as a fenced code block whose fence is longer than any run of backticks inside, so the
    text cannot close it: headings, tables and HTML inside show literally."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"
