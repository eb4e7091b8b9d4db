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


def _message(error: ValidationError) -> str:
    # A value that matches none of "null or a date" says why it is not a date, not that it is
    # not null as well: the most relevant of the alternatives' errors.
    if error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
    return error.message


def problems(document: Any) -> list[Problem]:
    """Every way `document` breaks the schema, in document order; empty when it is valid."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.path)))
    return [Problem(_where(error), _message(error)) for error in errors]


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
