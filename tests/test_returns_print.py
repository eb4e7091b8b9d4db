"""The returns printed for real: the XLSX return printed by LibreOffice Calc (headless, to PDF,
as a user printing it from a spreadsheet program would) and the PDF return as WeasyPrint makes
it, each read back word by word with `pdftotext -bbox`.

On paper, every word must be at least 8 pt (the XLSX return), no word may be printed over
another, every text of the plan must be there in full, and no header word may be broken across
lines. Two plans: the demo plan, and a plan of long texts, several periods (one with a long
label) and actions reporting for themselves.

LibreOffice is started once for the module (a few seconds). Where it is missing these tests
are skipped, loudly; with REQUIRE_BROWSER=1 (as CI sets) they fail instead, so CI cannot pass
without printing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import html
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from pypdf import PdfReader

from recommendations import demo, services
from recommendations.choices import SignOff, Status
from recommendations.exports import common, pdf, xlsx
from recommendations.models import Plan

# Marked so that the test database is set up before the module's fixture writes to it.
pytestmark = pytest.mark.django_db


def _find(name: str) -> str | None:
    # SOFFICE_PATH or PDFTOTEXT_PATH names another binary (or, pointing nowhere, simulates none).
    chosen = os.environ.get(f"{name.upper()}_PATH")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which(name)


SOFFICE = _find("soffice")
PDFTOTEXT = _find("pdftotext")
REQUIRED = os.environ.get("REQUIRE_BROWSER", "").strip() == "1"
SKIPPED_MESSAGE = (
    "RETURN PRINT TESTS SKIPPED: {} not installed "
    "(apt-get install --no-install-recommends libreoffice-calc-nogui poppler-utils)"
)
REQUIRED_MESSAGE = "RETURN PRINT TESTS REQUIRED (REQUIRE_BROWSER=1) BUT {} is not installed"

MIN_POINTS = 8.0
# pdftotext's word box runs from the baseline less the font's ascent to the baseline less its
# descent, both taken from the PDF's font descriptor, or 0.95 and -0.35 em where the descriptor
# gives none (LibreOffice 7.4 writes 0 for both; WeasyPrint writes DejaVu Sans' 0.928 and
# -0.236). So a word's font size is its box height over (ascent - descent): measured, 9 pt
# text from LibreOffice gives boxes 11.72 pt high (1.30 em), 8.5 pt from WeasyPrint 9.89 pt
# (1.164 em). Sizes are compared to 0.01 pt, below any rounding of the coordinates.
SIZE_TOLERANCE = 0.01
# Lines of wrapped text are set closer than the height of their boxes (10 pt apart for 9 pt
# text in LibreOffice), so the boxes of a cell's lines overlap by design. Words are compared by
# the body of their type instead: the em square, 0.8 em above the baseline and 0.2 em below.
# Two words overlap when these intersect by more than a hairline both across and down.
HAIRLINE = 0.5
# The words of one cell's line follow each other on the same baseline; its next line starts
# where its first line did.
SAME_LINE = 0.5
SAME_START = 0.75
SOFFICE_TIMEOUT = 180


# ---------------------------------------------------------------------------- reading a PDF


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass
class Printed:
    """One return printed: its words page by page, and how tall its type is in its boxes."""

    pages: list[list[Word]]
    ascent: float
    descent: float

    def size(self, word: Word) -> float:
        return (word.y1 - word.y0) / (self.ascent - self.descent)

    def body(self, word: Word) -> tuple[float, float]:
        size = self.size(word)
        baseline = word.y1 + self.descent * size
        return baseline - 0.8 * size, baseline + 0.2 * size

    @property
    def words(self) -> list[Word]:
        return [word for page in self.pages for word in page]


_WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>'
)


def _poppler_metrics(descriptor) -> tuple[float, float]:
    # As poppler reads a font descriptor (GfxFont): implausible or missing values fall back
    # to its defaults.
    ascent, descent = 0.95, -0.35
    value = abs(float(descriptor.get("/Ascent", 0))) / 1000
    if 0 < value < 3:
        ascent = value
    value = -abs(float(descriptor.get("/Descent", 0))) / 1000
    if -3 < value < 0:
        descent = value
    return ascent, descent


def _font_metrics(path: Path) -> tuple[float, float]:
    """The (ascent, descent) of the document's fonts, which must all share them."""
    found = set()
    for page in PdfReader(path).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.get_object().values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if descriptor is not None:
                found.add(_poppler_metrics(descriptor.get_object()))
    assert len(found) == 1, f"{path.name}: fonts of different heights: {found}"
    return found.pop()


def read_printed(path: Path) -> Printed:
    output = subprocess.run(
        [PDFTOTEXT, "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [
        [
            Word(number, float(x0), float(y0), float(x1), float(y1), html.unescape(text))
            for x0, y0, x1, y1, text in _WORD.findall(chunk)
        ]
        for number, chunk in enumerate(output.split("<page ")[1:])
    ]
    return Printed(pages, *_font_metrics(path))


def overlaps(printed: Printed) -> list[tuple[Word, Word]]:
    """Pairs of words printed over one another."""
    found = []
    for page in printed.pages:
        bodies = sorted(((*printed.body(word), word) for word in page), key=lambda b: b[0])
        for index, (_, bottom, word) in enumerate(bodies):
            for other_top, _, other in bodies[index + 1 :]:
                if other_top > bottom - HAIRLINE:
                    break
                across = min(word.x1, other.x1) - max(word.x0, other.x0)
                if across > HAIRLINE:
                    found.append((word, other))
    return found


class _Page:
    """A page's words, sorted by how far down and how far across they start."""

    def __init__(self, words: list[Word]):
        self.down = sorted(words, key=lambda word: word.y0)
        self.tops = [word.y0 for word in self.down]
        self.across = sorted(words, key=lambda word: word.x0)
        self.lefts = [word.x0 for word in self.across]

    def on_line_after(self, word: Word) -> Word | None:
        """The nearest word to the right of `word` on its line."""
        start = bisect.bisect_left(self.tops, word.y0 - SAME_LINE)
        end = bisect.bisect_right(self.tops, word.y0 + SAME_LINE)
        after = [other for other in self.down[start:end] if other.x0 > word.x1 - SAME_LINE]
        return min(after, key=lambda other: other.x0, default=None)

    def starting_at(self, left: float) -> list[Word]:
        """The words starting where `left` does, top to bottom."""
        start = bisect.bisect_left(self.lefts, left - SAME_START)
        end = bisect.bisect_right(self.lefts, left + SAME_START)
        return sorted(self.across[start:end], key=lambda other: other.y0)


class Flow:
    """Follows a text through a printed document as a cell holds it: word after word on a
    line, then on the next line from where its first line started, and on to the next page
    (where a row breaks across pages, below the repeated header)."""

    def __init__(self, printed: Printed, header_words: set[str]):
        self.pages = [_Page(page) for page in printed.pages]
        self.header_words = header_words
        self.by_text: dict[str, list[Word]] = defaultdict(list)
        for word in printed.words:
            self.by_text[word.text].append(word)

    def find(self, text: str, *, whole_words: bool = False) -> bool:
        """Whether `text` is printed in full, word for word. Unless `whole_words`, a word may
        be broken at the end of a line and go on at the start of the next."""
        tokens = text.split()
        if not tokens:
            return True
        first = tokens[0]
        starts = list(self.by_text.get(first, []))
        if not whole_words:
            for end in range(1, len(first)):
                starts += self.by_text.get(first[:end], [])
        return any(self._follow(start, tokens, whole_words) for start in starts)

    def _follow(self, start: Word, tokens: list[str], whole_words: bool) -> bool:
        # Depth first: a word on the same line may belong to the next column, so where both
        # it and the next line could carry on, both are tried.
        stack = [(start, 0, tokens[0][len(start.text) :])]
        while stack:
            word, position, rest = stack.pop()
            if not rest:
                position += 1
                if position == len(tokens):
                    return True
            wanted = rest or tokens[position]
            for candidate in self._next(word, start.x0, wanted, whole_words, broken=bool(rest)):
                stack.append((candidate, position, wanted[len(candidate.text) :]))
        return False

    def _matches(self, word: Word, wanted: str, whole_words: bool) -> bool:
        if word.text == wanted:
            return True
        return not whole_words and len(word.text) < len(wanted) and wanted.startswith(word.text)

    def _next(self, word: Word, left: float, wanted: str, whole_words: bool, *, broken: bool):
        page = self.pages[word.page]
        if not broken:
            nearest = page.on_line_after(word)
            if nearest is not None and self._matches(nearest, wanted, whole_words):
                yield nearest
        # Lines are set closer than their boxes are tall: the next starts below the middle.
        middle = (word.y0 + word.y1) / 2
        below = [other for other in page.starting_at(left) if other.y0 > middle]
        if below:
            if self._matches(below[0], wanted, whole_words):
                yield below[0]
            return
        if word.page + 1 < len(self.pages):
            for other in self.pages[word.page + 1].starting_at(left):
                if self._matches(other, wanted, whole_words):
                    yield other
                    return
                if other.text not in self.header_words:
                    return


# ---------------------------------------------------------------------------- the plans


SENTENCES = [
    "The force has reviewed every stalking referral received since April 2025 against the "
    "revised risk assessment, and 412 of 436 were recorded correctly first time.",
    "HMICFRS will revisit the Public Protection Unit in the autumn to test the changes.",
    "Call handlers in the Force Contact Centre now ask the stalking screening questions on "
    "every harassment call; compliance is dip-sampled each month by the VAWG lead.",
    "A shared system with the other forces of the region means changes to the crime "
    "recording system (RMS) need the agreement of all four chief officers.",
    "Training for 1,150 officers and staff was delivered between January and March 2026, "
    "with a further 240 booked for the summer.",
    "Stalking Protection Orders: 37 applied for, 31 granted, 4 awaiting a hearing.",
    "The independent stalking advocacy caseworker service is commissioned until March 2028.",
    "Governance moved to the Violence Against Women and Girls board, chaired by the Deputy "
    "Chief Constable, which reviews this action quarterly.",
    "Evidence of completion: the revised policy (version 3.2), training records and the "
    "dip-sample results for February and March.",
    "Victims told us that being believed at first contact mattered most; the new script "
    "reflects what they said.",
]


def prose(length: int, seed: int, *, paragraphs: int = 1) -> str:
    """Plausible text of about `length` characters, in `paragraphs` parts."""
    parts, index = [], seed
    for _ in range(paragraphs):
        part = ""
        while len(part) < length // paragraphs:
            part += (" " if part else "") + SENTENCES[index % len(SENTENCES)]
            index += 3
        parts.append(part)
    return "\n\n".join(parts)


LONG_PERIODS = [
    "Initial action plan response",
    "Quarter 3 2025/26 update",
    "Position reported to the force governance board in March 2026",
    "June 2026 update",
]


def long_plan(by) -> Plan:
    """Long texts with line breaks, four periods (one with a long label), actions reporting
    for themselves, and a recommendation with no status at all."""
    lead = services.create_owner(name="Detective Chief Superintendent Alexandra Whitfield")
    plan = services.create_plan(
        slug="long-texts",
        title="Inspection of the police response to stalking and harassment: action plan",
        executive_lead=lead,
        by=by,
    )
    periods = [
        services.add_period(plan=plan, label=label, period_end=dt.date(2026, 3 * n, 28))
        for n, label in enumerate(LONG_PERIODS, start=1)
    ]
    approved = {"author": by, "sign_off": SignOff.APPROVED}
    one = services.add_recommendation(
        plan=plan,
        number="1",
        text=prose(900, 0, paragraphs=2),
        addressee="Chief Constables and Police and Crime Commissioners",
        due_date=dt.date(2026, 9, 30),
    )
    for number, owner_name, statuses in [
        ("1.1", "Chief Inspector Priya Ramanathan", [Status.ON_TRACK, Status.AT_RISK]),
        ("1.2", "Superintendent Gareth Llewellyn-Jones", [Status.NOT_STARTED, Status.OFF_TRACK]),
    ]:
        owner = services.create_owner(name=owner_name)
        action = services.add_subrecommendation(
            recommendation=one,
            number=number,
            text=prose(300, int(number[-1])),
            owner=owner,
            due_date=dt.date(2026, 6, 30),
        )
        for period, status in zip(periods[1:], statuses, strict=False):
            services.record_update(
                recommendation=action,
                period=period,
                status=status,
                text=prose(700, period.position + int(number[-1])),
                **approved,
            )
    two = services.add_recommendation(
        plan=plan,
        number="2",
        text=prose(500, 4),
        addressee="Chief Constables",
        owner=lead,
        due_date=dt.date(2027, 3, 31),
    )
    for number in ("2.1", "2.2", "2.3"):
        services.add_subrecommendation(recommendation=two, number=number, text=prose(160, 7))
    long_texts = [400, 1_400, 2_600, 900]  # the third needs a wider column to print in full
    for period, length in zip(periods, long_texts, strict=True):
        services.record_update(
            recommendation=two,
            period=period,
            status=Status.ON_TRACK,
            text=prose(length, period.position * 2, paragraphs=1 + period.position % 3),
            **approved,
        )
    services.add_recommendation(
        plan=plan, number="3", text=prose(250, 9), addressee="Chief Constables"
    )
    return plan


# ---------------------------------------------------------------------------- printing


@dataclass
class PrintedReturn:
    """A plan's return, what it must show, and where it was printed."""

    name: str
    headers: list[str]
    texts: list[str]
    xlsx: bytes
    pdf: bytes
    calc: Printed | None = None  # the XLSX return as LibreOffice Calc prints it
    weasy: Printed | None = None  # the PDF return


def printed_texts(ret: common.PlanReturn) -> list[str]:
    """Every text of the return's rows, as both files print it."""
    texts = []
    for row in ret.printed_rows:
        texts += [row.number, row.text, row.subrecommendations_text, row.addressee, row.owner]
        texts += [cell.marked_text for cell in row.cells if cell is not None]
        if row.status:
            texts.append(row.status_text)
    return [text for text in texts if text.strip()]


def _need(tool: str | None, name: str) -> None:
    if tool is None:
        if REQUIRED:
            pytest.fail(REQUIRED_MESSAGE.format(name), pytrace=False)
        warnings.warn(pytest.PytestWarning(SKIPPED_MESSAGE.format(name)), stacklevel=2)
        pytest.skip(SKIPPED_MESSAGE.format(name))


@pytest.fixture(scope="module")
def returns(django_db_setup, django_db_blocker) -> dict[str, PrintedReturn]:
    """Both plans' returns, rendered in a transaction that is then rolled back."""
    made = {}
    with django_db_blocker.unblock(), transaction.atomic():
        accounts = demo.load_accounts()
        demo_plan = demo.load_plan(accounts=accounts, by=accounts["admin"])
        for name, plan in [("demo", demo_plan), ("long", long_plan(accounts["admin"]))]:
            plan = Plan.objects.select_related("executive_lead", "operational_lead").get(pk=plan.pk)
            ret = common.build_return(plan, generated_by="Print test")
            made[name] = PrintedReturn(
                name, xlsx.headers(ret), printed_texts(ret), xlsx.render(ret), pdf.render(ret)
            )
        transaction.set_rollback(True)
    return made


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("printed")


@pytest.fixture(scope="module")
def weasy_printed(returns, folder) -> dict[str, PrintedReturn]:
    _need(PDFTOTEXT, "pdftotext (poppler-utils)")
    for name, made in returns.items():
        path = folder / f"{name}-return.pdf"
        path.write_bytes(made.pdf)
        made.weasy = read_printed(path)
    return returns


@pytest.fixture(scope="module")
def calc_printed(returns, folder) -> dict[str, PrintedReturn]:
    """Every XLSX return printed to PDF by one start of LibreOffice Calc."""
    _need(PDFTOTEXT, "pdftotext (poppler-utils)")
    _need(SOFFICE, "LibreOffice Calc (soffice)")
    paths = []
    for name, made in returns.items():
        path = folder / f"{name}-return.xlsx"
        path.write_bytes(made.xlsx)
        paths.append(path)
    out = folder / "calc"
    with tempfile.TemporaryDirectory() as home:
        subprocess.run(
            [SOFFICE, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(out)]
            + [str(path) for path in paths],
            env={**os.environ, "HOME": home},
            capture_output=True,
            check=True,
            timeout=SOFFICE_TIMEOUT,
        )
    for name, made in returns.items():
        made.calc = read_printed(out / f"{name}-return.pdf")
    return returns


PLANS = ["demo", "long"]


def _describe(word: Word) -> str:
    return f'"{word.text}" (page {word.page + 1}, at {word.x0:.1f}, {word.y0:.1f})'


def _missing(printed: Printed, made: PrintedReturn, *, texts=None, whole_words=False):
    flow = Flow(printed, {word for header in made.headers for word in header.split()})
    return [
        text[:80]
        for text in (made.texts if texts is None else texts)
        if not flow.find(text, whole_words=whole_words)
    ]


# ---------------------------------------------------------------------------- the XLSX return


@pytest.mark.parametrize("plan", PLANS)
def test_the_xlsx_return_prints_every_word_at_8_points_or_more(calc_printed, plan):
    printed = calc_printed[plan].calc
    assert printed.words
    small = [word for word in printed.words if printed.size(word) < MIN_POINTS - SIZE_TOLERANCE]
    smallest = min(printed.size(word) for word in printed.words)
    assert not small, f"{len(small)} words under {MIN_POINTS} pt, down to {smallest:.2f} pt: " + (
        ", ".join(_describe(word) for word in small[:5])
    )


@pytest.mark.parametrize("plan", PLANS)
def test_the_xlsx_return_prints_no_word_over_another(calc_printed, plan):
    found = overlaps(calc_printed[plan].calc)
    assert not found, f"{len(found)} words printed over others, e.g. " + "; ".join(
        f"{_describe(a)} and {_describe(b)}" for a, b in found[:5]
    )


@pytest.mark.parametrize("plan", PLANS)
def test_the_xlsx_return_prints_every_text_of_the_plan_in_full(calc_printed, plan):
    made = calc_printed[plan]
    missing = _missing(made.calc, made)
    assert not missing, f"Not printed in full: {missing}"


@pytest.mark.parametrize("plan", PLANS)
def test_the_xlsx_return_prints_every_header_without_breaking_a_word(calc_printed, plan):
    made = calc_printed[plan]
    broken = _missing(made.calc, made, texts=made.headers, whole_words=True)
    assert not broken, f"Headers with a word broken or missing: {broken}"


# ---------------------------------------------------------------------------- the PDF return


@pytest.mark.parametrize("plan", PLANS)
def test_the_pdf_return_prints_no_word_over_another(weasy_printed, plan):
    found = overlaps(weasy_printed[plan].weasy)
    assert not found, f"{len(found)} words printed over others, e.g. " + "; ".join(
        f"{_describe(a)} and {_describe(b)}" for a, b in found[:5]
    )


@pytest.mark.parametrize("plan", PLANS)
def test_the_pdf_return_prints_every_text_of_the_plan_in_full(weasy_printed, plan):
    made = weasy_printed[plan]
    missing = _missing(made.weasy, made)
    assert not missing, f"Not printed in full: {missing}"


@pytest.mark.parametrize("plan", PLANS)
def test_the_pdf_return_prints_every_header_without_breaking_a_word(weasy_printed, plan):
    made = weasy_printed[plan]
    broken = _missing(made.weasy, made, texts=made.headers, whole_words=True)
    assert not broken, f"Headers with a word broken or missing: {broken}"
