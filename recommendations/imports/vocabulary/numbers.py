"""Recommendation numbers: in number cells, at the start of texts ("AFI 1 - ...", "R3 - ...",
"Recommendation 1:\n..."), and sub-recommendations with numbers leading or beside them."""

from __future__ import annotations

import datetime as dt
import re

from ..mapping import Meaning
from .headers import classify_header
from .text import Unreadable, normalise


def number_text(value: object) -> str:
    """A number cell as text: 7 and 7.0 read "7", 7.1 reads "7.1"."""
    if isinstance(value, bool):
        raise Unreadable("should be a recommendation number, not TRUE or FALSE.")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, "g")
    if isinstance(value, dt.date | dt.datetime):
        raise Unreadable("should be a recommendation number but holds a date.")
    return " ".join(str(value or "").split())


_NUMBER_SHAPE = re.compile(r"(?:[A-Za-z]{1,8}[ \-]?)?\d+[A-Za-z]?(?:[.\-][A-Za-z0-9]+)*")


def check_number(number: str) -> str:
    """The number, or Unreadable saying why it cannot number a recommendation."""
    if "/" in number:
        raise Unreadable(
            f'"{number[:40]}": a recommendation number cannot contain a slash ("/"): '
            "write 7.1 or 7-1."
        )
    if len(number) > 20 or not _NUMBER_SHAPE.fullmatch(number):
        raise Unreadable(f'"{number[:40]}" does not look like a recommendation number (7, 10.2).')
    return number


# After a number: a colon, a bracket, a dash with a space beside it, a full stop and a space,
# or a line break. "3-5 officers" and "1.5 million" do not open with a number.
_SEPARATOR = r"(?:\s*[:)]\s*|\s+[-–—]\s*|\s*[–—]\s*|\s*-\s+|\.\s+|\s*\n\s*)"
_LABELLED = re.compile(
    rf"(?i:recommendation|rec)\.?\s*(?i:no\.?|number)?\s*(?P<num>\d+(?:\.\d+)*[a-z]?)"
    rf"(?:{_SEPARATOR}(?P<rest>.*)|\s*$)",
    re.S,
)
_AFI = re.compile(
    rf"(?i:areas?\s+for\s+improvement|afi)\s*(?P<num>\d+(?:\.\d+)*[a-z]?)"
    rf"(?:{_SEPARATOR}(?P<rest>.*)|\s*$)",
    re.S,
)
_PREFIXED = re.compile(
    rf"(?P<num>[A-Z]{{1,4}} ?\d+(?:\.\d+)*[a-z]?)(?:{_SEPARATOR}(?P<rest>.*)|\s*$)", re.S
)
_DOTTED = re.compile(rf"(?P<num>\d+(?:\.\d+)+[a-z]?)(?:{_SEPARATOR}|\.?\s+)(?P<rest>.*)", re.S)
_BARE = re.compile(rf"(?P<num>\d+[a-z]?)(?:{_SEPARATOR})(?P<rest>.*)", re.S)
_YEAR_LIKE = re.compile(r"(19|20)\d\d")


def split_number(text: str) -> tuple[str, str] | None:
    """The number a text opens with and the text after it: "AFI 1 - The service..." ->
    ("AFI 1", "The service..."), "R3 - Police..." -> ("R3", ...), "Recommendation 1:\nBy 1
    August 2023..." -> ("1", "By 1 August 2023..."), "7.1 - Evidence..." -> ("7.1", ...).
    None when it opens with none (a year or a date is not a number)."""
    text = text.strip()
    if not text or not any(character.isdigit() for character in text[:30]):
        return None
    for pattern, prefix in (
        (_LABELLED, ""),
        (_AFI, "AFI "),
        (_PREFIXED, ""),
        (_DOTTED, ""),
        (_BARE, ""),
    ):
        match = pattern.match(text)
        if match is None:
            continue
        number = prefix + match.group("num")
        if _YEAR_LIKE.fullmatch(number):
            return None
        return number, (match.group("rest") or "").strip()
    return None


def strip_label(text: str, label: str) -> str:
    """The text without a leading repeat of its column's label, or of a label that names
    sub-recommendations: "Evidence requirements of progress/completion: Processes should..."
    -> "Processes should..."."""
    head, colon, rest = text.partition(":")
    if not colon or len(head) > 60:
        return text
    if (label and normalise(head) == normalise(label)) or (
        classify_header(head).meaning == Meaning.SUBS  # "Evidence requirements of progress"
    ):
        return rest.strip()
    return text


_SUB_NUMBER = r"\d+(?:\.\d+)+(?:[a-z](?![a-z]))?"
_SUB_LINE = re.compile(rf"(?P<num>{_SUB_NUMBER})(?:\s*[-–—:.)]\s*|\s+|$)(?P<rest>.*)", re.I | re.S)
# A number on its own in a column of actions: "3", "7.1", "A1", "AFI 1" (not "Phase 2").
_ACTION_NUMBER = re.compile(r"\d+(?:\.\d+)*[a-z]?|[A-Z]{1,4} ?\d+(?:\.\d+)*[a-z]?")
_NUMBERS_ONLY = re.compile(rf"\s*{_SUB_NUMBER}(?:[\s,;]+{_SUB_NUMBER})*[\s,;]*", re.I)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _numbered_line(line: str) -> tuple[str, str] | None:
    match = _SUB_LINE.fullmatch(line)
    if match:
        return match.group("num"), match.group("rest").strip()
    return split_number(line)


def parse_subs(numbers: str, texts: str = "") -> list[tuple[str, str]]:
    """Sub-recommendations or actions as (number, text) pairs, from one cell ("7.1 - text" per
    line, a line without a number continuing the one before; a cell with no number is one
    unnumbered item, number "") or from a cell of numbers beside a cell of texts, line by line.
    Unreadable when numbers and texts do not pair up."""
    numbers, texts = numbers.strip(), texts.strip()
    if numbers and texts:
        if _ACTION_NUMBER.fullmatch(numbers) and not _NUMBERS_ONLY.fullmatch(numbers):
            return [(numbers, texts)]  # one action numbered "1" or "A1" beside its text
        if not _NUMBERS_ONLY.fullmatch(numbers):
            raise Unreadable(
                "sub-recommendations are written in two columns: put only their numbers in "
                "the first and their texts in the second, one per line."
            )
        found = re.findall(_SUB_NUMBER, numbers, re.I)
        lines = _lines(texts)
        if len(found) == 1:
            lines = ["\n".join(lines)]
        if len(found) != len(lines):
            raise Unreadable(
                f"{len(found)} sub-recommendation numbers ({', '.join(found)}) but "
                f"{len(lines)} lines of text: put each text on its own line, in the order of "
                "the numbers."
            )
        pairs = []
        for number, line in zip(found, lines, strict=True):
            match = _SUB_LINE.fullmatch(line)
            # The text may repeat its number ("7.1 Processes..."): keep it once.
            same = match is not None and match.group("num") == number
            pairs.append((number, match.group("rest").strip() if same else line))
        return pairs
    source = numbers or texts
    if not source:
        return []
    if _NUMBERS_ONLY.fullmatch(source):
        return [(number, "") for number in re.findall(_SUB_NUMBER, source, re.I)]
    if _ACTION_NUMBER.fullmatch(source) and numbers:
        return [(source, "")]
    pairs: list[tuple[str, str]] = []
    for line in _lines(source):
        found = _numbered_line(line)
        if found is not None:
            pairs.append(found)
        elif pairs:
            number, text = pairs[-1]
            pairs[-1] = (number, f"{text}\n{line}" if text else line)
        else:
            pairs.append(("", line))
    if not any(number for number, _ in pairs):
        return [("", source)]
    return pairs
