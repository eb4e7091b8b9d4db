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

from .dates import BLANK_WORDS, as_of_date, date_in_text, due_date_in_text, read_date
from .headers import KIND_WORDS, HeaderGuess, classify_header
from .numbers import check_number, number_text, parse_subs, split_number, strip_label
from .people import lead_line, read_person
from .statuses import status_for, status_key
from .text import Unreadable, clean_header, month_label, normalise, phrases

__all__ = [
    "BLANK_WORDS",
    "KIND_WORDS",
    "HeaderGuess",
    "Unreadable",
    "as_of_date",
    "check_number",
    "classify_header",
    "clean_header",
    "date_in_text",
    "due_date_in_text",
    "lead_line",
    "month_label",
    "normalise",
    "number_text",
    "parse_subs",
    "phrases",
    "read_date",
    "read_person",
    "split_number",
    "status_for",
    "status_key",
    "strip_label",
]
