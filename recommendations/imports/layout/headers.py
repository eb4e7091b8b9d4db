"""Header rows: which row heads a table (one or two rows of short texts naming meanings the
tracker knows), and the columns under it."""

from __future__ import annotations

import datetime as dt
import re

from openpyxl.utils import get_column_letter

from .. import vocabulary as words
from ..mapping import Meaning, column_key
from .model import MAX_HEADER_CHARS, SAMPLE_CHARS, Column, at, cell_text, is_blank


def header_guesses(values: list[object]) -> dict[int, words.HeaderGuess] | None:
    """The meaning of each cell if the row is a header row, else None."""
    for value in values:
        if isinstance(value, bool | int | float):
            return None  # data: a number, a count, a percentage
        if type(value) is str and len(value) > MAX_HEADER_CHARS:
            return None
    cells = [(index, value) for index, value in enumerate(values) if not is_blank(value)]
    if len(cells) < 2 or any(_numbered(value) for _, value in cells):
        return None
    guesses = {index: words.classify_header(words.clean_header(value)) for index, value in cells}
    known = [guess.meaning for guess in guesses.values() if guess.meaning]
    keys = {Meaning.NUMBER, Meaning.TEXT, Meaning.SUBS}
    if len(known) >= 2 and keys & set(known) and len(known) * 2 >= len(cells):
        return guesses
    return None


_NUMBER_ALONE = re.compile(r"\s*(?:[A-Z]{1,4} ?)?\d+(?:\.\d+)*[a-z]?[.)]?\s*")


def _numbered(value: object) -> bool:
    """A cell that is, or opens with, a recommendation's number: data, not a header."""
    return type(value) is str and bool(_NUMBER_ALONE.fullmatch(value) or words.split_number(value))


def make_columns(header: list[object], guesses: dict[int, words.HeaderGuess], rows) -> list[Column]:
    width = max([len(header), *(len(values) for _, values in rows)])
    filled, first = [0] * width, [None] * width
    for _, values in rows:
        for index, value in enumerate(values):
            if value is not None and (type(value) is not str or value.strip()):
                if not filled[index]:
                    first[index] = value
                filled[index] += 1
    columns, keys = [], set()
    for index in range(width):
        title = words.clean_header(at(header, index))
        if not title and not filled[index]:
            continue
        key = column_key(title, letter=get_column_letter(index + 1))
        if key in keys:  # a repeated header in one table: "status", "status 2"
            key = next(f"{key} {n}" for n in range(2, width + 2) if f"{key} {n}" not in keys)
        keys.add(key)
        guess = guesses.get(index) or words.HeaderGuess(None)
        sample = cell_text(first[index])
        columns.append(
            Column(
                index=index,
                header=title,
                key=key,
                guess=guess,
                filled=filled[index],
                sample=sample if len(sample) <= SAMPLE_CHARS else sample[: SAMPLE_CHARS - 1] + "…",
                # Only a column of actions needs telling whether it holds counts instead.
                whole_numbers=guess.meaning == Meaning.SUBS
                and filled[index] > 0
                and all(
                    _whole_number(value)
                    for _, values in rows
                    if not is_blank(value := at(values, index))
                ),
                numbers=guess.meaning is None
                and filled[index] > 0
                and all(
                    _whole_number(value) or bool(_NUMBER_ALONE.fullmatch(cell_text(value)))
                    for _, values in rows
                    if not is_blank(value := at(values, index))
                ),
            )
        )
    return columns


def _whole_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and value.strip().isdigit()


def second_header(
    header: list[object], values: list[object]
) -> tuple[list[object], dict[int, words.HeaderGuess]] | None:
    """A header of two rows: the row under the header names the columns a cell of the header
    spans ("Progress updates" over "April 2023", "October 2023"). The header row's values and
    guesses with the two merged, or None when the row under it is data."""
    cells = [(index, value) for index, value in enumerate(values) if not is_blank(value)]
    if not cells or not any(is_blank(at(header, index)) for index, _ in cells):
        return None
    for _, value in cells:
        if isinstance(value, dt.date):
            continue
        if type(value) is not str or len(value) > MAX_HEADER_CHARS or _numbered(value):
            return None
    merged, group = list(header) + [None] * (len(values) - len(header)), ""
    lower = dict(cells)
    for index, value in enumerate(merged):
        upper = words.clean_header(value)
        group = upper or group
        if index in lower:
            below = words.clean_header(lower[index])
            known = words.classify_header(below).meaning is not None
            merged[index] = below if known or not group else f"{group} {below}"
    texts = {i: words.clean_header(v) for i, v in enumerate(merged) if not is_blank(v)}
    guesses = {index: words.classify_header(text) for index, text in texts.items()}
    if sum(guess.meaning is not None for guess in guesses.values()) * 2 < len(guesses):
        return None
    return merged, guesses
