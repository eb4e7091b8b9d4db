"""Saved web pages (.htm, .html): lxml.html, one sheet for the page.

The page's text blocks come as one-cell rows and its tables' rows as rows of cells, in
document order; code, forms, hidden elements and (where the page marks its <main>) the site
around the content are left out. A cell a colspan or rowspan covers is a merged area.
"""

from __future__ import annotations

import codecs
import re

import lxml.html

from .limits import MAX_COLUMNS, MAX_HTML_TAGS, NotReadable, value_beyond_columns
from .sheets import Area, Counter, Row, Sheet, listed

# Never read: code, styling, templates, forms and embedded things.
_SKIPPED = {
    "script", "style", "noscript", "template", "form", "button", "select", "textarea", "input",
    "svg", "math", "iframe", "object", "embed", "canvas", "video", "audio", "map", "nav",
    "head", "title",
}  # fmt: skip
# Skipped as well when the page has no <main>: the site around the content.
_SITE = {"header", "footer", "aside"}
# Elements that start a text block of their own (a one-cell row).
_BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "div", "section", "article",
    "main", "header", "footer", "aside", "blockquote", "pre", "address", "figure",
    "figcaption", "ul", "ol", "dl", "details", "summary", "fieldset", "legend", "hr", "body",
    "caption", "center",
}  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)


def read(data: bytes) -> Sheet:
    """One sheet for the page: its text blocks and table rows in document order."""
    if data.count(b"<") > MAX_HTML_TAGS:
        raise NotReadable(
            f"This web page has more than {MAX_HTML_TAGS:,} tags, far more than a plan needs. "
            "Save only the plan's table (copy it into a spreadsheet) and import that."
        )
    text = _decode_page(data)
    # Given as UTF-8 bytes with the encoding named, so that neither an XML declaration nor a
    # <meta> charset makes libxml2 decode the page again.
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=False
    )
    try:
        document = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (ValueError, lxml.etree.ParserError) as error:
        raise NotReadable(
            "This web page is empty or cannot be read: save the page again from the browser "
            "(File > Save Page As, web page HTML only) and import that."
        ) from error
    title = document.find(".//title")
    name = _SPACE.sub(" ", title.text_content()).strip() if title is not None else ""
    main = document.xpath("(//main | //*[@role='main'])[1]")
    page = _Page(name or "Web page", skip_site=not main)
    page.walk(main[0] if main else document)
    page.flush()
    return Sheet(page.name, page.rows, page.merged)


def _decode_page(data: bytes) -> str:
    """By its byte order mark, else its <meta> charset, else UTF-8 (Windows-1252 where the
    page is not valid UTF-8)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    match = _META_CHARSET.search(data[:8192])
    if match:
        try:
            encoding = codecs.lookup(match[1].decode("ascii")).name
        except LookupError:
            encoding = "utf-8"
        if encoding in ("latin-1", "iso8859-1", "ascii"):
            encoding = "cp1252"  # as browsers read them
        if encoding not in ("utf-16-le", "utf-16-be", "utf-16"):
            return data.decode(encoding, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _hidden(element) -> bool:
    return (
        element.get("hidden") is not None
        or element.get("aria-hidden", "").lower() == "true"
        or bool(_HIDDEN_STYLE.search(element.get("style", "")))
    )


class _Page:
    """The rows of a page: text blocks as one-cell rows and table rows as rows of cells."""

    def __init__(self, name: str, *, skip_site: bool) -> None:
        self.name = name
        self.skip_site = skip_site
        self.rows: list[Row] = []
        self.merged: list[Area] = []
        self.number = 0  # rows so far: each text block and each table row is one
        self.lines: list[list[str]] = [[]]  # the current block's lines, as pieces of text
        self.counter = Counter()

    def skipped(self, element) -> bool:
        tag = element.tag if isinstance(element.tag, str) else ""
        return not tag or tag in _SKIPPED or (self.skip_site and tag in _SITE) or _hidden(element)

    def walk(self, element) -> None:
        if self.skipped(element):
            return
        if element.tag == "table":
            self.flush()
            self.table(element)
            return
        block = element.tag in _BLOCKS
        if block:
            self.flush()
        if element.tag == "br":
            self.lines.append([])
        elif element.text:
            self.lines[-1].append(element.text)
        for child in element:
            self.walk(child)
            if child.tail:
                self.lines[-1].append(child.tail)
        if block:
            self.flush()

    def flush(self) -> None:
        text = _joined(self.lines)
        self.lines = [[]]
        if text:
            self.add({0: text})

    def add(self, values: dict[int, object]) -> None:
        self.number += 1
        if values:
            self.counter.add(self.name, self.number, max(values), len(values))
            self.rows.append((self.number, listed(values)))

    def table(self, table) -> None:
        caption = table.find("caption")
        if caption is not None and not self.skipped(caption):
            text = _cell_text(caption, self)
            if text:
                self.add({0: text})
        covered: dict[int, int] = {}  # column: rows a rowspan above still covers
        first_merge = len(self.merged)
        for row in _table_rows(table):
            if self.skipped(row):
                continue
            values: dict[int, object] = {}
            column = 0
            for cell in row:
                if cell.tag not in ("td", "th") or self.skipped(cell):
                    continue
                while covered.get(column):
                    column += 1
                columns = _span(cell.get("colspan"), 1000)
                rows = _span(cell.get("rowspan"), 65534)
                value = _cell_text(cell, self)
                if value is not None:
                    if column >= MAX_COLUMNS:
                        raise value_beyond_columns(self.name, self.number + 1, column)
                    values[column] = value
                if rows > 1 or columns > 1:
                    self.counter.merge()
                    self.merged.append(
                        (self.number + 1, column, self.number + rows, column + columns - 1)
                    )
                for spanned in range(column, min(column + columns, MAX_COLUMNS)):
                    covered[spanned] = max(covered.get(spanned, 0), rows)
                column += columns
            self.add(values)
            covered = {key: left - 1 for key, left in covered.items() if left > 1}
        # A rowspan reaching past the table's last row ends with it.
        self.merged[first_merge:] = [
            (top, left, min(bottom, self.number), right)
            for top, left, bottom, right in self.merged[first_merge:]
        ]


def _table_rows(table):
    """The table's own rows in document order (not those of tables inside its cells)."""
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (row for row in child if row.tag == "tr")


def _span(value: str | None, largest: int) -> int:
    match = re.match(r"\s*([0-9]+)", value or "")
    return min(max(int(match[1]), 1), largest) if match else 1


def _cell_text(cell, page: _Page) -> str | None:
    """A cell's text: its paragraphs, line breaks, list items (and the cells of a table
    inside it) on lines of their own."""
    lines: list[list[str]] = [[]]

    def collect(element) -> None:
        if element.text:
            lines[-1].append(element.text)
        for child in element:
            if page.skipped(child):
                pass
            elif child.tag == "br":
                lines.append([])
            else:
                block = child.tag in _BLOCKS or child.tag in ("table", "tr", "td", "th")
                if block:
                    lines.append([])
                collect(child)
                if block:
                    lines.append([])
            if child.tail:
                lines[-1].append(child.tail)

    collect(cell)
    return _joined(lines) or None


def _joined(lines: list[list[str]]) -> str:
    """Lines of text pieces, white space collapsed within each, empty lines dropped."""
    collapsed = (_SPACE.sub(" ", "".join(pieces)).strip() for pieces in lines)
    return "\n".join(line for line in collapsed if line)
