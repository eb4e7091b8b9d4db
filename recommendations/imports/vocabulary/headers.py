"""Headers by meaning, whatever their punctuation: what a column holds."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ..mapping import Meaning
from .dates import date_in_text
from .text import clean_header, normalise, phrases, word_set


@dataclass(frozen=True)
class HeaderGuess:
    """What a header says its column holds (None: the import does not know) and, for progress
    and status columns, the date or period the header names."""

    meaning: str | None
    period_end: dt.date | None = None
    period: str = ""  # "Status (March 2026 update)" -> "March 2026 update"


_EXACT: dict[str, str] = {}
for _meaning, _names in [
    (
        Meaning.NUMBER,
        "rec no|rec number|rec ref|recommendation no|recommendation number|recommendation ref|"
        "recommendation reference|no|number|ref|ref no|reference|reference number|item|item no|"
        "id|afi no|afi number|afi ref|rec|recommendation id",
    ),
    (Meaning.ADDRESSEE, "rec owner|rec owners|recommendation owner|recommendation owners"),
    (Meaning.UPDATE_DATE, "date|date updated|last updated|updated|update date|date of update|"),
    (Meaning.UPDATE_DATE, "date of last update|last update|date last updated|updated on|as at"),
    (Meaning.DETAIL, "supporting documents|supporting evidence|evidence|notes|note|links"),
    (
        Meaning.DETAIL,
        "overall percent|percent complete|percentage complete|overall progress percent",
    ),
    (Meaning.TEXT, "summary|recommendation summary|afi summary"),
    (Meaning.DUE, "by when|when|completion date|expected completion|target completion"),
]:
    _EXACT |= dict.fromkeys(phrases(_names) - {""}, _meaning)

_SUB_PHRASES = ("sub rec", "evidence requirement", "sub action", "sub task")
_STATUS_WORDS = word_set("status statuses rag rating")
_DUE_WORDS = word_set("due deadline deadlines target timescale timescales timeframe")
_NUMBER_WORDS = word_set("no number ref reference id num nr")
_NUMBER_OWNERS = word_set("rec recommendation afi item area for improvement")
_OWNER_WORDS = word_set("owner owners lead leads responsible accountable officer")
_ADDRESSEE_WORDS = word_set("addressee addressees addressed recipient recipients")
_PROGRESS_WORDS = word_set(
    "update updates response responses position progress achievement achievements comment "
    "comments commentary narrative return activity activities taken undertaken rationale"
)
_TEXT_WORDS = word_set(
    "recommendation recommendations afi afis finding findings improvement description issue "
    "wording text"
)
# Words naming the kind of a column, not which period it speaks of ("Status Q1", "Update Q1").
KIND_WORDS = word_set(
    "status statuses rag rating current overall latest date dated updated of for the at as on "
    "update updates response responses position progress comment comments commentary narrative "
    "force lead officer owner"
)
_ACTION_WORDS = word_set("action actions task tasks milestone milestones step steps")
_DETAIL_WORDS = word_set("percent percentage evidence document documents priority")


@lru_cache(maxsize=2048)
def classify_header(header: str) -> HeaderGuess:
    """What a column holds, judged by the meaning of its header, whatever its punctuation."""
    name = normalise(header)
    words = set(name.split())
    if not name:
        return HeaderGuess(None)
    if name in _EXACT:
        return HeaderGuess(_EXACT[name])
    if any(phrase in name for phrase in _SUB_PHRASES):
        return HeaderGuess(Meaning.SUBS)
    if words & _STATUS_WORDS:
        if "date" in words:
            return HeaderGuess(Meaning.UPDATE_DATE)
        return _status_header(header)
    if words & _DUE_WORDS:
        return HeaderGuess(Meaning.DUE)
    if words & _NUMBER_WORDS and words <= _NUMBER_WORDS | _NUMBER_OWNERS:
        return HeaderGuess(Meaning.NUMBER)
    if words & _NUMBER_WORDS and words & (_ACTION_WORDS | {"sub"}) and len(words) <= 3:
        return HeaderGuess(Meaning.SUBS)  # "Action no.": the actions' own numbers
    if words & _PROGRESS_WORDS and words & {"date", "dated", "updated"}:
        return HeaderGuess(Meaning.UPDATE_DATE)  # "Response date", "Update date"
    if words & _OWNER_WORDS and not words & _PROGRESS_WORDS:
        return HeaderGuess(Meaning.OWNER)  # but "Lead officer update" is progress
    if words & _ADDRESSEE_WORDS:
        return HeaderGuess(Meaning.ADDRESSEE)
    when = date_in_text(header)
    if when is not None or words & _PROGRESS_WORDS:
        return HeaderGuess(Meaning.PERIOD, period_end=when)
    if words & _TEXT_WORDS:
        return HeaderGuess(Meaning.TEXT)
    if words & _ACTION_WORDS:
        return HeaderGuess(Meaning.SUBS)
    if words & _DETAIL_WORDS:
        return HeaderGuess(Meaning.DETAIL)
    return HeaderGuess(None)


def _status_header(header: str) -> HeaderGuess:
    """ "Status (March 2026 update)" and "Status at Nov-24" name their period; "RAG status" and
    "Current status" do not."""
    bracketed = re.fullmatch(r"[^(]*\((.+)\)\s*:?\s*", header)
    if bracketed:
        period = clean_header(bracketed.group(1))
        return HeaderGuess(Meaning.STATUS, date_in_text(period), period)
    when = date_in_text(header)
    if when is None:
        return HeaderGuess(Meaning.STATUS)
    period = re.sub(r"(?i)\b(rag|status|rating|at|as|of|for)\b", " ", header)
    return HeaderGuess(Meaning.STATUS, when, clean_header(period.strip(" -–:")))
