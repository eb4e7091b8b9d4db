"""Dates as forces write them: cells, Excel day numbers, "27/03/25", "27th March 2025", "March
2025", "Nov-24", "Q1 2025", "By 27 March 2025 ..." (see the package's docstring for months and
quarters)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache

from .text import Unreadable, normalise

_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTHS = {name[:3].casefold(): number for number, name in enumerate(calendar.month_name) if name}
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATE_PATTERNS = [
    # (pattern, what it names)
    (
        rf"(?P<year>\d{{4}})-(?P<mon>\d{{1,2}})-{_DAY}"
        r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
        "day",
    ),
    (rf"{_DAY}[/.\-](?P<mon>\d{{1,2}})[/.\-](?P<year>\d{{4}}|\d{{2}})", "day"),
    (rf"{_DAY}(?:\s+of)?[\s\-]+{_MONTH},?[\s\-]+(?P<year>\d{{4}}|\d{{2}})", "day"),
    (rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}", "day"),
    (rf"{_MONTH}(?:\s*[\-'/]\s*|\s+')(?P<year>\d{{2}})", "month"),
    (rf"{_MONTH},?\s*{_YEAR}", "month"),
    (
        r"(?:q|quarter\s*)(?P<q>[1-4])\s*[\-/,]?\s*(?P<fy>fy\s*)?"
        r"(?P<year>\d{4}|\d{2}(?=\s*[/\-]))(?:\s*[/\-]\s*(?P<span>\d{2}|\d{4}))?",
        "quarter",
    ),
    (
        r"(?P<fy>fy\s*)?(?P<year>\d{4}|\d{2})\s*[/\-]\s*(?P<span>\d{2}|\d{4})\s*(?:q|quarter\s*)(?P<q>[1-4])",
        "quarter",
    ),
]
_SEARCH = [(re.compile(rf"(?<![\w/]){p}(?![\w/])", re.I), kind) for p, kind in _DATE_PATTERNS]
_WHOLE = [(re.compile(p, re.I), kind) for p, kind in _DATE_PATTERNS]
# Words that stand for "no date yet" in date and person cells.
BLANK_WORDS = {"tbc", "tbd", "n a", "na", "none", "ongoing", "not set", "not applicable", "nil"}
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _from_match(match: re.Match[str], kind: str) -> dt.date:
    parts = match.groupdict()
    year = _year(parts["year"])
    if kind == "quarter":
        quarter = int(parts["q"])
        if parts.get("span") or parts.get("fy"):
            # Financial year from April: Q1 ends in June of its first year, Q4 in March.
            month = quarter * 3 + 3
            return _month_end(year + (month > 12), (month - 1) % 12 + 1)
        return _month_end(year, quarter * 3)
    month = int(parts["mon"]) if parts.get("mon") else _MONTHS[parts["month"][:3].casefold()]
    if kind == "month":
        return _month_end(year, month)
    return dt.date(year, month, int(parts["day"]))


def date_in_text(text: str) -> dt.date | None:
    """The first date, month or quarter named anywhere in a text ("March 2026 update", "Q1
    2025", "Initial response 21st November 2024"), or None."""
    if not any(character.isdigit() for character in text):
        return None
    found = []
    for pattern, kind in _SEARCH:
        match = pattern.search(text)
        if match:
            try:
                found.append((match.start(), -len(match.group(0)), _from_match(match, kind)))
            except ValueError:
                continue
    return min(found)[2] if found else None


def _leading_date(text: str) -> tuple[dt.date, int] | None:
    """The longest date, month or quarter a text opens with, and where it ends."""
    best = None
    for pattern, kind in _WHOLE:
        match = pattern.match(text)
        if match is None or (match.end() < len(text) and text[match.end()].isalnum()):
            continue
        if best is None or match.end() > best[1].end():
            best = (kind, match)
    if best is None:
        return None
    try:
        return _from_match(best[1], best[0]), best[1].end()
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _date_from_text(text: str) -> dt.date | None:
    key = " ".join(text.split()).strip(" .,")
    if not key or normalise(key) in BLANK_WORDS or key in {"-", "–", "—"}:
        return None
    key = _LEADING_BY.sub("", key)
    found = _leading_date(key)
    # A date followed by a remark ("31/03/2025 (revised)") still gives its date.
    if found is not None and (found[1] == len(key) or not key[found[1]].isdigit()):
        return found[0]
    raise Unreadable(
        f'"{text[:40]}" is not a date this import can read: write it as 27/03/2025, '
        "27 March 2025 or March 2025."
    )


def read_date(value: object, *, serials: bool = True) -> dt.date | None:
    """A date cell, an Excel day number (in a date column) or a text such as 27/03/2025,
    27/03/25, 27th March 2025, March 2025, Nov-24, Q1 2025, "By 27 March 2025" or 2025-03-27;
    None when blank or "TBC"."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise Unreadable("should be a date, not TRUE or FALSE.")
    if isinstance(value, int | float):
        if serials and 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise Unreadable(f"should be a date but holds the number {value}.")
    return _date_from_text(str(value))


_LEADING_BY = re.compile(r"(?i)^\s*(?:by|before|due|due by)\s+(?:the\s+)?(?:end\s+of\s+)?")


def due_date_in_text(text: str) -> dt.date | None:
    """The deadline a text opens with ("By 27 March 2025, where required..."), if readable."""
    match = _LEADING_BY.match(text)
    if not match:
        return None
    found = _leading_date(text[match.end() :].strip())
    return found[0] if found else None


_AS_OF = re.compile(r"\bas\s+(?:of|at)\s+(?P<when>.+)$", re.I)


def as_of_date(text: str) -> dt.date | None:
    """The date a title says its contents stand at ("... Summary Report as of 1 November
    2023")."""
    match = _AS_OF.search(text)
    return date_in_text(match.group("when")) if match else None
