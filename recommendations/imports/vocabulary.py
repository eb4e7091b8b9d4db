"""Words to meanings: what a header, a status word, a date, a person or a number written the
way forces write them stands for.

Everything here reads one value at a time and knows nothing of sheets or rows; `layout` and
`mapping` decide where the values sit. Unreadable values raise `Unreadable`, whose message
says what was wrong, for the caller to place by sheet, row and column.

Dates are read the British way (day before month). A quarter with a bare year ("Q1 2025") is a
calendar quarter, ending on 31 March, 30 June, 30 September or 31 December of that year: the
same year every other date in the file is written in ("March 2025"). A quarter of a financial
year written as such ("Q1 2025/26", "Q1 2025-26", "Q1 FY25/26", "Q1 FY2025", the last read as
the year starting in April 2025) is a quarter of the April to March year that policing budgets
and returns run on: Q1 ends on 30 June 2025, Q4 on 31 March 2026. A month ("March 2025",
"Nov-24") stands for its last day; a two-digit year is in this century.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ..choices import NO_STATUS_LABEL, Status
from .mapping import Meaning
from .preview import Person


class Unreadable(ValueError):
    """A value that cannot be read; the message says why, in the user's words."""


# ---------------------------------------------------------------------------- words

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


# ---------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class HeaderGuess:
    """What a header says its column holds (None: the import does not know) and, for progress
    and status columns, the date or period the header names."""

    meaning: str | None
    period_end: dt.date | None = None
    period: str = ""  # "Status (March 2026 update)" -> "March 2026 update"


def phrases(text: str) -> frozenset[str]:
    """ "a|b c" -> {"a", "b c"}."""
    return frozenset(text.split("|"))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
_STATUS_WORDS = _words("status statuses rag rating")
_DUE_WORDS = _words("due deadline deadlines target timescale timescales timeframe")
_NUMBER_WORDS = _words("no number ref reference id num nr")
_NUMBER_OWNERS = _words("rec recommendation afi item area for improvement")
_OWNER_WORDS = _words("owner owners lead leads responsible accountable officer")
_ADDRESSEE_WORDS = _words("addressee addressees addressed recipient recipients")
_PROGRESS_WORDS = _words(
    "update updates response responses position progress achievement achievements comment "
    "comments commentary narrative return activity activities taken undertaken rationale"
)
_TEXT_WORDS = _words(
    "recommendation recommendations afi afis finding findings improvement description issue "
    "wording text"
)
# Words naming the kind of a column, not which period it speaks of ("Status Q1", "Update Q1").
KIND_WORDS = _words(
    "status statuses rag rating current overall latest date dated updated of for the at as on "
    "update updates response responses position progress comment comments commentary narrative "
    "force lead officer owner"
)
_ACTION_WORDS = _words("action actions task tasks milestone milestones step steps")
_DETAIL_WORDS = _words("percent percentage evidence document documents priority")


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


# ---------------------------------------------------------------------------- statuses

_STATUS_EXACT = {label.casefold(): value for value, label in Status.choices}
_STATUS_EXACT |= {value.replace("_", " "): value for value in Status.values}
_STATUS_EXACT |= dict.fromkeys(
    ["", NO_STATUS_LABEL.casefold(), "n a", "na", "none", "tbc", "no status", "not applicable"], ""
)
_NOT_COMPLETE = re.compile(
    r"\b(not|in|un)\s?(yet\s)?(complete|completed|achieved|done|delivered|implemented|closed)\b"
    r"|\bincomplete\b|\bto (be )?(complete|completed|achieved|closed|done|delivered)\b"
    r"|\b(partially|partly|nearly|almost)\s(complete|completed|achieved|met|delivered)\b"
    r"|\bnot (yet )?met\b"
)
_STATUS_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\bclosed\b|\bdischarged\b|\bsigned off\b|\bsuperseded\b|\bwithdrawn\b"),
        Status.CLOSED,
    ),
    (
        re.compile(
            r"\b(complete|completed|achieved|done|delivered|implemented|finished|met|blue)\b"
            r"|\b(awaiting|pending|submitted for|recommended for|proposed for|ready for) "
            r"(review|closure|sign off|signoff|approval)\b|\brecommend(ed)? closure\b"
        ),
        Status.COMPLETE,
    ),
    (
        re.compile(
            r"\boff track\b|\bnot on track\b|\bred\b|\bdelayed\b|\boverdue\b|\bbehind\b"
            r"|\bslipped\b|\bslippage\b|\bstalled\b|\bblocked\b|\bmissed\b"
        ),
        Status.OFF_TRACK,
    ),
    (
        re.compile(r"\bat risk\b|\bamber\b|\b(some|high|medium) risk\b|\bconcerns?\b"),
        Status.AT_RISK,
    ),
    (
        re.compile(
            r"\bnot (yet )?started\b|\bnot (yet )?commenced\b|\byet to (start|begin)\b|\bgr[ae]y\b"
            r"|\bnot begun\b|\bplanned\b|\bawaiting allocation\b|\bunallocated\b"
            r"|\bnot (yet )?allocated\b"
        ),
        Status.NOT_STARTED,
    ),
    (
        re.compile(
            r"\bon track\b|\bgreen\b|\bin progress\b|\bongoing\b|\bon going\b|\bunderway\b"
            r"|\bunder way\b|\bprogressing\b|\bbeing progressed\b|\bstarted\b|\bcommenced\b"
            r"|\bpartially\b|\bpartly\b"
        ),
        Status.ON_TRACK,
    ),
]


def status_key(word: str) -> str:
    """A status word as a mapping names it: 'Open - Actions on going off track' ->
    'open actions on going off track'."""
    return normalise(word)


@lru_cache(maxsize=1024)
def status_for(word: str) -> str | None:
    """The Status a status word stands for, "" for "no status", None when the import cannot
    tell (the user must choose).

    Closed beats complete, and complete beats the rest ("Complete - was amber"), unless it is
    negated ("not complete", "to be completed"); then off track beats at risk, at risk beats
    not started, and not started beats on track ("Open - Actions on going off track" is off
    track). "Awaiting review" or "awaiting closure" is the force's own judgement that the
    work is complete.
    """
    key = status_key(word)
    if key in _STATUS_EXACT:
        return _STATUS_EXACT[key]
    rules = _STATUS_RULES
    if _NOT_COMPLETE.search(key):
        rules = [(pattern, status) for pattern, status in rules if status != Status.COMPLETE]
        rules = [(pattern, status) for pattern, status in rules if status != Status.CLOSED]
    for pattern, status in rules:
        if pattern.search(key):
            return status
    return None


# ---------------------------------------------------------------------------- dates

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


# ---------------------------------------------------------------------------- people

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


# ---------------------------------------------------------------------------- numbers


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
