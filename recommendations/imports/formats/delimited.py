"""CSV files: every value a string, never converted (the layout step reads "7" and
"27/03/2025"), rows numbered as a spreadsheet shows the file."""

from __future__ import annotations

import codecs
import csv
import io
import re

from .limits import MAX_COLUMNS, NotReadable, value_beyond_columns
from .sheets import Counter, Row, Sheet, listed, text_value

_DELIMITERS = ",;\t"


def read(data: bytes, name: str) -> Sheet:
    """Every value a string (blank: None), rows numbered as a spreadsheet shows the file."""
    text = _decode_text(data)
    first, _, rest = text.partition("\n")
    if re.fullmatch(r"sep=.\r?", first):  # Excel's own hint, not part of the table
        delimiter, text = first[4], rest
    else:
        delimiter = _delimiter(text[:4096])
    rows: list[Row] = []
    counter = Counter()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for number, record in enumerate(reader, start=1):
            values = {}
            for column, raw in enumerate(record):
                value = text_value(raw)
                if value is not None:
                    if column >= MAX_COLUMNS:
                        raise value_beyond_columns(name, number, column)
                    values[column] = value
            if values:
                counter.add(name, number, max(values), len(values))
                rows.append((number, listed(values)))
    except csv.Error as error:
        raise NotReadable(
            f"This CSV file cannot be read ({error}): most often a quotation mark that is "
            "never closed. Open it in Excel or LibreOffice, check the row and save it again."
        ) from error
    return Sheet(name, rows)


def _decode_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _delimiter(sample: str) -> str:
    """Comma, semicolon or tab, as csv.Sniffer finds it among those three; else the one the
    first line holds most of, outside quotes; else a comma. The sniffer's patterns backtrack
    (seconds for 32 KB of apostrophes and commas), so it only sees the first 4 KB."""
    cut = sample.rfind("\n")
    sample = sample[: cut + 1] if cut > 0 else sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        pass
    first = re.sub(r'"[^"]*"', "", sample.split("\n", 1)[0])
    counts = {delimiter: first.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","
