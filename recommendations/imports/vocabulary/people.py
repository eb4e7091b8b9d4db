"""Officers as forces name them: rank, name and role; and the lead lines of a title block."""

from __future__ import annotations

import re
from functools import lru_cache

from ..preview import Person
from .dates import BLANK_WORDS
from .text import Unreadable, normalise

_FULL_RANKS = (
    "Deputy Chief Constable|Assistant Chief Constable|Chief Constable|"
    "Deputy Assistant Commissioner|Assistant Commissioner|Deputy Commissioner|Commissioner|"
    "Commander|Chief Superintendent|Superintendent|Chief Inspector|Inspector|Sergeant|"
    "Constable|Deputy Chief Fire Officer|Assistant Chief Fire Officer|Chief Fire Officer|"
    "Area Manager|Group Manager|Station Manager|Watch Manager|Crew Manager"
)
_SHORT_RANKS = (
    "T/ACC|ACC|DCC|CC|DAC|AC|Cmdr|Cdr|Ch Supt|Ch. Supt|C/Supt|CSupt|Chief Supt|DCS|DSU|DSupt|"
    "Supt|Ch Insp|C/Insp|Chief Insp|DCI|CI|DI|Insp|Sgt|DS|PS|PC|DC|CFO|DCFO|ACFO|"
    "Mr|Mrs|Ms|Miss|Mx|Dr|Prof"
)


def _alternation(names: str) -> str:
    return "|".join(re.escape(name) for name in sorted(names.split("|"), key=len, reverse=True))


_RANK = (
    r"(?:(?:T|A|D|Det|Temp)\.?/\s*|(?:Det|Temp|Acting|Temporary|Detective|Det\.)\s+|(?i:"
    r"(?:temporary|acting|detective)\s+))*"
    rf"(?:(?i:{_alternation(_FULL_RANKS)})|{_alternation(_SHORT_RANKS)})\.?"
)
_PERSON = re.compile(rf"(?P<rank>{_RANK})\s+(?P<name>\S.*)")
_ROLE_WORDS = re.compile(
    r"(?i)\b(head|director|manager|lead|chief|officer|deputy|department|team|unit|of|for)\b"
)


def _ranked(parts: list[str]) -> tuple[Person, list[str]] | None:
    for index, part in enumerate(parts):
        match = _PERSON.fullmatch(part)
        if match:
            return Person(match.group("rank"), match.group("name")), parts[:index] + parts[
                index + 1 :
            ]
    return None


def read_person(value: object) -> Person | None:
    """An officer from a cell or a line: "D/Supt Abbie Leeson" -> rank "D/Supt", name "Abbie
    Leeson"; "Head of Crime - Detective Chief Superintendent Jo Bloggs" -> role "Head of
    Crime" as well; None when blank or "TBC"."""
    found = _person_parts(" ".join(str(value).split()) if value is not None else "")
    # A new Person each time: saving matches each one to an owner of its own.
    return Person(found[0], found[1], role=found[2]) if found else None


@lru_cache(maxsize=4096)
def _person_parts(text: str) -> tuple[str, str, str] | None:
    if not text or normalise(text) in BLANK_WORDS:
        return None
    roles = []
    bracketed = re.fullmatch(r"(.+?)\s*\((.+)\)", text)
    if bracketed and not _PERSON.fullmatch(bracketed.group(2)):
        text, roles = bracketed.group(1), [bracketed.group(2)]
    parts = [part for part in re.split(r"\s+[-–—]\s+", text) if part]
    found = _ranked(parts) or _ranked([p for p in re.split(r"\s*,\s+", text) if p])
    if found is None:
        # No rank: the part that reads as a job title is the role, the other the name.
        names = [part for part in parts if not _ROLE_WORDS.search(part)] or parts[:1]
        found = Person("", names[0]), [part for part in parts if part is not names[0]]
    person, rest = found
    role = " - ".join(rest + roles)
    if len(person.name) > 200 or len(person.rank) > 100 or len(role) > 200:
        raise Unreadable("is too long for a person's rank, name and role.")
    return person.rank, person.name, role


_LEAD_LINE = re.compile(
    r"\s*(?P<which>strategic\s*/\s*executive|executive|strategic|chief\s+officer|gold"
    r"|operational|tactical|silver|delivery)\s+lead(?:er)?(?:\s+officer)?"
    r"\s*(?:[:\-–]\s*|\s+)(?P<who>\S.*)"
    r"|\s*(?P<sro>senior\s+responsible\s+officer|sro)\s*(?:\(sro\))?\s*[:\-–]\s*(?P<sro_who>\S.*)",
    re.I,
)


def lead_line(text: str) -> tuple[str, str] | None:
    """("executive_lead" or "operational_lead", who) for a line such as "Executive Lead:
    Assistant Chief Constable Vaughn Lukey"; None for any other line."""
    match = _LEAD_LINE.fullmatch(text)
    if match is None:
        return None
    if match.group("sro"):
        return "executive_lead", match.group("sro_who").strip()
    which = match.group("which").casefold()
    operational = which in ("operational", "tactical", "silver", "delivery")
    return ("operational_lead" if operational else "executive_lead"), match.group("who").strip()
