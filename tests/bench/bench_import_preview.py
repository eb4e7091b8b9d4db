"""How much reading a plan to its import preview costs over the library that reads the file.

For a 10,000-row XLSX plan as forces keep them (number, text, two sub-recommendations, owner,
due date, three dated progress columns, a status word, a title block above the table), in a
throwaway SQLite database this script creates itself, it times:

- openpyxl alone, in read-only mode with cached values (as `formats` reads workbooks),
  reading every cell value of the file;
- `formats.read_source` alone (for information: the bytes to sheets of values);
- `read_plan`, the bytes to the whole preview: formats, layout, mapping, every cell read, the
  status words, and the check against the database (`save.check_against_database`).

It prints the median CPU seconds of a few runs of each and the ratio of `read_plan` to openpyxl
(the target is at most 2x).

    DJANGO_SETTINGS_MODULE=actionplan.settings .venv/bin/python tests/bench/bench_import_preview.py
    ... bench_import_preview.py --rows 10000 --runs 5
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_TMP = tempfile.mkdtemp(prefix="bench-import-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
# Before Django reads its settings: never touch the project's own database.
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actionplan.settings")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.core.management import call_command  # noqa: E402

from recommendations.imports import formats, read_plan  # noqa: E402

VOCABULARY = (
    "review training provision stalking victims officers staff crime recording system "
    "capability process evidence risk assessment first contact call handlers referral "
    "specialist services advocate caseworkers policy practice findings report force plan "
    "update progress delivery timeframe shared system development governance board"
)
WORDS = VOCABULARY.split(" ")
STATUS_WORDS = ["On track", "Amber", "Complete", "Off track", "In progress", "Not started"]
OWNERS = ["D/Supt Abbie Leeson", "DCI Sam Carter", "Insp Jo Bloggs", "Ms Lee Brown"]
PERIODS = ["April 2025 update", "October 2025 update", "Q1 2026"]


def sentence(seed: int, words: int) -> str:
    picked = [WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(words)]
    return (" ".join(picked) + ".").capitalize()


def make_workbook(rows: int) -> bytes:
    """A plan of `rows` recommendations under a title block, as a force keeps one."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Action plan"
    sheet.append(["Stalking action plan (benchmark)"])
    sheet.append(["Executive Lead: Assistant Chief Constable Vaughn Lukey"])
    sheet.append([])
    headers = ["Rec No.", "Recommendation", "Sub recommendations", "Owner", "Due date"]
    sheet.append([*headers, *PERIODS, "Status"])
    for n in range(1, rows + 1):
        sheet.append(
            [
                n,
                f"By 27 March 2027, {sentence(n, 30).lower()}",
                f"{n}.1 {sentence(n + 1, 12)}\n{n}.2 {sentence(n + 2, 12)}",
                OWNERS[n % len(OWNERS)],
                dt.date(2027, 3, 27),
                *(sentence(n * 3 + p, 25) for p in range(len(PERIODS))),
                STATUS_WORDS[n % len(STATUS_WORDS)],
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def openpyxl_alone(data: bytes) -> int:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += sum(value is not None for value in row)
    workbook.close()
    return cells


def formats_alone(data: bytes) -> int:
    source = formats.read_source(data, filename="plan.xlsx")
    return sum(len(sheet.rows) for sheet in source.sheets)


def to_preview(data: bytes) -> int:
    preview = read_plan(data, filename="plan.xlsx")
    assert preview.ok, [str(problem) for problem in preview.problems[:5]]
    return sum(1 for _ in preview.items())


def cpu_seconds(task: Callable[[bytes], int], data: bytes) -> tuple[float, int]:
    gc.collect()
    start = time.process_time()
    result = task(data)
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)

    data = make_workbook(options.rows)
    print(f"{options.rows:,} recommendations, {len(data) / 1024 / 1024:.1f} MB of XLSX")
    to_preview(data)  # warm: imports, regular expressions, the database connection

    # The three in turn, run after run, so that a change in the machine's load hits all alike.
    tasks = {"openpyxl": openpyxl_alone, "formats": formats_alone, "preview": to_preview}
    times: dict[str, list[float]] = {name: [] for name in tasks}
    counts: dict[str, int] = {}
    for _ in range(options.runs):
        for name, task in tasks.items():
            seconds, counts[name] = cpu_seconds(task, data)
            times[name].append(seconds)
    baseline, read, preview = (statistics.median(times[name]) for name in tasks)
    cells, rows, items = counts["openpyxl"], counts["formats"], counts["preview"]
    print(f"median CPU seconds of {options.runs} runs")
    print(f"  openpyxl alone (read-only, {cells:,} values)   {baseline:7.2f} s   1.00x")
    print(f"  formats.read_source ({rows:,} rows)          {read:7.2f} s   {read / baseline:.2f}x")
    print(
        f"  read_plan to the preview ({items:,} items)  {preview:7.2f} s   "
        f"{preview / baseline:.2f}x   (target at most 2x)"
    )


if __name__ == "__main__":
    main()
