"""Words as the import compares them: lower case, punctuation ironed out, misspellings
corrected; and headers as shown."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache


class Unreadable(ValueError):
    """A value that cannot be read; the message says why, in the user's words."""


_MISSPELLINGS = {
    "recomendation": "recommendation",
    "reccomendation": "recommendation",
    "reccommendation": "recommendation",
    "recommedation": "recommendation",
    "recommendaton": "recommendation",
    "recommandation": "recommendation",
    "recommenation": "recommendation",
    "subrecommendation": "sub recommendation",
    "responce": "response",
    "reponse": "response",
    "repsonse": "response",
    "upate": "update",
    "udpate": "update",
    "updte": "update",
    "progess": "progress",
    "porgress": "progress",
    "acheivement": "achievement",
    "achievment": "achievement",
    "acheivment": "achievement",
    "adressee": "addressee",
    "addresee": "addressee",
    "adresee": "addressee",
    "addresse": "addressee",
    "reccomended": "recommended",
    "comment": "comment",
    "commentry": "commentary",
    "deadine": "deadline",
    "dealine": "deadline",
    "staus": "status",
    "stauts": "status",
    "responsibe": "responsible",
    "supporting": "supporting",
    "documnets": "documents",
    "evidance": "evidence",
    "subaction": "sub action",
    "subactions": "sub actions",
}


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, common misspellings corrected: 'Rec. No.' -> 'rec no',
    'Overall %' -> 'overall percent'."""
    text = text.casefold().replace("&", " and ").replace("%", " percent ").replace("#", " no ")
    fixed = []
    for word in re.sub(r"[\W_]+", " ", text).split():
        plural = word.endswith("s") and word[:-1] in _MISSPELLINGS
        base = word[:-1] if plural else word
        fixed.append(_MISSPELLINGS.get(base, base) + ("s" if plural else ""))
    return " ".join(fixed)


def clean_header(value: object) -> str:
    """A header as shown: white space collapsed, a trailing colon dropped."""
    if isinstance(value, dt.datetime | dt.date):
        return month_label(value)
    if value is None:
        return ""
    return " ".join(str(value).split()).rstrip(":").strip()


def month_label(value: dt.date) -> str:
    # A header typed "Nov-24" is stored by Excel as 1 November 2024: it names the month.
    day = value.date() if isinstance(value, dt.datetime) else value
    return f"{day:%B %Y}" if day.day == 1 else f"{day.day} {day:%B %Y}"


def phrases(text: str) -> frozenset[str]:
    """ "a|b c" -> {"a", "b c"}."""
    return frozenset(text.split("|"))


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())
