"""Checking a force's return before collation takes it in: every reason to refuse it, each
naming the force and the row (see collation.take_return)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..exports import open_format
from ..models import Report

UNNAMED_FORCE = "A return that names no organisation"
UNSTORABLE = "contains a character that cannot be stored"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_PLACE = re.compile(r"^recommendations\[(\d+)\](?:\.actions\[(\d+)\])?(?:\.(.*))?$")


class ReturnRefused(Exception):
    """A return taken in whole or not at all; `messages` says each reason, naming the force
    and the row."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages[:5]))

    def first(self, limit: int = 50) -> list[str]:
        """The messages to show: a return broken everywhere is not listed to its end."""
        more = len(self.messages) - limit
        if more <= 0:
            return list(self.messages)
        return [*self.messages[:limit], f"... and {more} more problem{'s' if more != 1 else ''}."]


@dataclass
class Entry:
    """A recommendation or action of the document and where it stands in it."""

    item: dict[str, Any]
    row: int  # 1-based, among the document's recommendations
    action: int | None = None  # 1-based, among its recommendation's actions
    parent: Entry | None = None

    @property
    def number(self) -> str:
        return self.item["number"]

    def place(self, force: str) -> str:
        where = f"{force}, row {self.row}"
        if self.action is not None:
            where += f", action {self.action}"
        return f"{where} (recommendation {self.number})"

    @property
    def is_local(self) -> bool:
        return bool(self.item["local"]) or self.item["report_number"] is None


# ---------------------------------------------------------------------------- checking


def force_name(document: Any) -> str:
    """The force a document names, for messages, whatever else is wrong with it."""
    block = document.get("organisation") if isinstance(document, dict) else None
    name = block.get("name") if isinstance(block, dict) else None
    if not isinstance(name, str) or _UNSTORABLE.search(name):
        return UNNAMED_FORCE
    return name.strip() or UNNAMED_FORCE


def _number_at(document: dict, row: int, action: int | None) -> str:
    try:
        item = document["recommendations"][row]
        if action is not None:
            item = item["actions"][action]
        number = item["number"]
    except (KeyError, IndexError, TypeError):
        return "?"
    stored = isinstance(number, str) and number and not _UNSTORABLE.search(number)
    return number if stored else "?"


def schema_message(document: Any, problem: open_format.Problem) -> str:
    """A schema problem as a sentence naming the force and, inside the recommendations, the
    row and the recommendation's number."""
    force = force_name(document)
    found = _PLACE.match(problem.where)
    if found is None:
        where = f", {problem.where}" if problem.where else ""
        return f"{force}{where}: {problem.message}"
    row = int(found[1])
    action = int(found[2]) if found[2] is not None else None
    place = f"{force}, row {row + 1}"
    if action is not None:
        place += f", action {action + 1}"
    place += f" (recommendation {_number_at(document, row, action)})"
    detail = f"{found[3]}: " if found[3] else ""
    return f"{place}: {detail}{problem.message}"


def entries(document: dict) -> list[Entry]:
    found = []
    for row, item in enumerate(document["recommendations"], start=1):
        entry = Entry(item, row)
        found.append(entry)
        for action, child in enumerate(item["actions"], start=1):
            found.append(Entry(child, row, action, parent=entry))
    return found


def unstorable(document: Any) -> list[open_format.Problem]:
    """Each string of `document` (a value or a key) holding a NUL or a lone surrogate, which
    the database cannot store, named by where it is; in document order, read without
    recursion."""
    found = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                found.append(open_format.Problem(where, UNSTORABLE))
        elif isinstance(value, dict):
            children = []
            for key, child in value.items():
                place = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    place = f"{where}.?" if where else "?"
                    found.append(open_format.Problem(place, UNSTORABLE))
                children.append((place, child))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{where}[{i}]", child) for i, child in enumerate(value)]))
    return found


def refusals(document: Any, report: Report) -> list[str]:
    """Every reason to refuse `document` as a return to `report`; empty when it can be taken."""
    if open_format.too_deep(document):
        return [f"{force_name(document)}: {open_format.TOO_DEEP}"]
    # in document order: row 2 before row 10
    problems = unstorable(document) or open_format.problems(document)
    if problems:
        return [schema_message(document, problem) for problem in problems]
    force = force_name(document)
    if document["report"]["slug"] != report.slug:
        return [f"{force}: This return answers {document['report']['title']}, not {report.title}."]
    known = set(report.recommendations.values_list("number", flat=True))
    messages, seen = [], set()
    for entry in entries(document):
        number, report_number = entry.number, entry.item["report_number"]
        if number in seen:
            messages.append(
                f"{entry.place(force)}: the return gives recommendation {number} twice."
            )
        seen.add(number)
        if "/" in number:
            messages.append(
                f'{entry.place(force)}: a recommendation number cannot contain a slash ("/").'
            )
        if not entry.is_local and report_number not in known:
            messages.append(
                f"{entry.place(force)}: the report has no recommendation {report_number}."
            )
        if entry.action is not None and entry.item["actions"]:
            messages.append(f"{entry.place(force)}: an action cannot have actions of its own.")
    return messages
