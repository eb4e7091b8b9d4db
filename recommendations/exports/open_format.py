"""The open return format: a plan's return as JSON that another deployment can collate.

The format is described by a JSON Schema kept beside this module (schema/return-v1.schema.json,
documented in the README). Every document is checked against it on the way out (a failure there
is a fault in the tracker) and on the way in (a failure there is a return to refuse, with each
problem named by where it is in the document).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

FORMAT = "action-plan-return"
VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schema" / f"return-v{VERSION}.schema.json"
CONTENT_TYPE = "application/json"
MAX_DEPTH = 12  # a return is six levels deep; the schema check itself recurses
TOO_DEEP = "nested too deeply"
NO_ACTIONS = "an action cannot have actions of its own"


@dataclass(frozen=True)
class Problem:
    """One way a document breaks the schema: where (e.g. "recommendations[3].status") and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _where(error: ValidationError) -> str:
    where = ""
    for part in error.absolute_path:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return where


def _most_relevant(error: ValidationError) -> ValidationError:
    # A value that matches none of "null or a date" is reported as not being a date (where the
    # date is), not as not being null as well: the deepest of the alternatives' errors.
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
    return error


def _order(error: ValidationError) -> tuple:
    # Document order: row 2 before row 10, a row's own fields before the next row.
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.path)


def too_deep(document: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `document` nests lists and objects more than `limit` levels deep (read without
    recursion, so any depth is answered)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


def problems(document: Any) -> list[Problem]:
    """Every way `document` breaks the schema, in document order; empty when it is valid."""
    if too_deep(document):
        return [Problem("", TOO_DEEP)]
    errors = sorted(_validator().iter_errors(document), key=_order)
    found = []
    for error in errors:
        relevant = _most_relevant(error)
        message = relevant.message
        if relevant.validator == "maxItems" and relevant.validator_value == 0:
            message = NO_ACTIONS  # not the whole of what it holds
        found.append(Problem(_where(relevant), message))
    return found


class InvalidReturn(ValueError):
    """A document that is not a valid return; `problems` says each way it is not."""

    def __init__(self, found: list[Problem]) -> None:
        self.problems = found
        super().__init__("; ".join(map(str, found[:5])))


def check(document: Any) -> None:
    """Raise InvalidReturn unless `document` is a valid return of this version."""
    found = problems(document)
    if found:
        raise InvalidReturn(found)
