"""How much our returns cost over the bare libraries that write them.

For plans of 100 and 1,000 recommendations (two periods, two sub-recommendations each, every
update approved), in a throwaway SQLite database this script creates itself, it times:

- our XLSX return (the query and the workbook) against a bare openpyxl write of the same cells
  (one sheet, values only, no styles);
- our PDF return (tagged, title block, badges, page furniture) against WeasyPrint rendering a
  bare HTML table of the same text on the same page size and type size;

and prints the median CPU seconds of a few runs and the ratios, then the peak memory
(tracemalloc) of a 10,000-row XLSX return.

    DJANGO_SETTINGS_MODULE=actionplan.settings .venv/bin/python tests/bench/bench_returns.py
    ... bench_returns.py --runs 5 --sizes 100 1000 --memory-rows 10000
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import html
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_TMP = tempfile.mkdtemp(prefix="bench-returns-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
# Before Django reads its settings: never touch the project's own database.
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actionplan.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from simple_history.utils import bulk_create_with_history  # noqa: E402
from weasyprint import HTML  # noqa: E402

from recommendations import queries, services  # noqa: E402
from recommendations.choices import SignOff, Status  # noqa: E402
from recommendations.exports import common, pdf, xlsx  # noqa: E402
from recommendations.models import (  # noqa: E402
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
    natural_key,
)

VOCABULARY = (
    "review training provision stalking victims officers staff crime recording system "
    "capability process evidence risk assessment first contact call handlers referral "
    "specialist services advocate caseworkers policy practice findings report force plan "
    "update progress delivery timeframe shared system development governance board"
)
WORDS = VOCABULARY.split(" ")
STATUSES = list(Status.values)


def sentence(seed: int, words: int) -> str:
    picked = [WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(words)]
    return (" ".join(picked) + ".").capitalize()


def make_plan(size: int) -> Plan:
    """A plan of `size` recommendations, written in bulk (with history, which as-at and
    approved-only reads need)."""
    owner = Owner.objects.create(name="Abbie Leeson", rank="D/Supt")
    plan = Plan.objects.create(
        organisation=services.home_organisation(),
        slug=f"bench-{size}",
        title=f"Benchmark plan of {size}",
        executive_lead=owner,
    )
    periods = [
        ReportingPeriod.objects.create(plan=plan, label=label, position=position)
        for position, label in enumerate(["Initial action plan response", "March 2026 update"])
    ]
    bulk_create_with_history(
        [
            Recommendation(
                plan=plan,
                number=str(n),
                sort_key=natural_key(str(n)),
                text=sentence(n, 40),
                addressee="Chief Constables",
                due_date=dt.date(2027, 3, 27),
                original_due_date=dt.date(2027, 3, 27),
                owner=owner,
            )
            for n in range(1, size + 1)
        ],
        Recommendation,
        batch_size=500,
    )
    recs = list(Recommendation.objects.filter(plan=plan))
    bulk_create_with_history(
        [
            Recommendation(
                plan=plan,
                parent=rec,
                number=f"{rec.number}.{s}",
                sort_key=natural_key(f"{rec.number}.{s}"),
                text=sentence(rec.pk + s, 18),
            )
            for rec in recs
            for s in (1, 2)
        ],
        Recommendation,
        batch_size=500,
    )
    now = timezone.now()
    bulk_create_with_history(
        [
            StatusUpdate(
                recommendation=rec,
                period=period,
                status=STATUSES[(rec.pk + period.position) % len(STATUSES)],
                text=sentence(rec.pk * 3 + period.position, 60),
                recorded_at=now,
                sign_off=SignOff.APPROVED,
                approved_status=STATUSES[(rec.pk + period.position) % len(STATUSES)],
                approved_text=sentence(rec.pk * 3 + period.position, 60),
                approved_version=1,
                approved_at=now,
            )
            for rec in recs
            for period in periods
        ],
        StatusUpdate,
        batch_size=500,
    )
    return Plan.objects.select_related("executive_lead", "operational_lead").get(pk=plan.pk)


def median_seconds(action: Callable[[], bytes], runs: int) -> tuple[float, bytes]:
    """The median CPU time of `runs` calls, and what the last call returned.

    CPU time of this process, not wall-clock time: on a shared machine other work would
    otherwise land in whichever side of a ratio happened to run while it did.
    """
    times, result = [], b""
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        result = action()
        times.append(time.process_time() - start)
    return statistics.median(times), result


# ---------------------------------------------------------------------------- baselines


def cells(ret: common.PlanReturn) -> list[list[object]]:
    """The values our Return sheet holds, header first."""
    rows: list[list[object]] = [xlsx.headers(ret)]
    for row in ret.rows:
        rows.append(
            [
                row.number,
                row.text,
                row.subrecommendations_text,
                row.addressee,
                row.owner,
                *[cell.marked_text if cell else None for cell in row.cells],
                row.status_label,
                row.rag.word,
                row.due_date,
                row.last_updated,
            ]
        )
    return rows


def bare_openpyxl(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BARE_CSS = (
    '@page { size: A4 landscape; margin: 16mm 10mm } html { font: 7.5pt/1.3 "DejaVu Sans" } '
    "table { border-collapse: collapse; width: 100% } "
    "th, td { border: 0.5pt solid #888; padding: 1.2mm; vertical-align: top; text-align: left }"
)


def bare_html(rows: list[list[object]]) -> str:
    def text(value: object) -> str:
        return html.escape("" if value is None else str(value))

    header = "".join(f"<th>{text(value)}</th>" for value in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{text(value)}</td>" for value in row) + "</tr>" for row in rows[1:]
    )
    return (
        f"<!DOCTYPE html><html><head><style>{BARE_CSS}</style></head><body>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></body></html>"
    )


def bare_weasyprint(document: str) -> bytes:
    return HTML(string=document).write_pdf()


# ---------------------------------------------------------------------------- runs


def ours_xlsx(plan: Plan) -> bytes:
    return xlsx.render(common.build_return(plan, generated_by="bench"))


def query_only(plan: Plan) -> bytes:
    queries.plan_table(plan, approved_only=True)
    return b""


def ours_pdf(plan: Plan) -> bytes:
    return pdf.render(common.build_return(plan, generated_by="bench"))


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def bench_size(size: int, runs: int, pdf_runs: int, formats: list[str]) -> None:
    started = time.perf_counter()
    plan = make_plan(size)
    print(f"\n{size} recommendations (plan written in {time.perf_counter() - started:.1f} s)")
    ret = common.build_return(plan, generated_by="bench")
    rows = cells(ret)
    document = bare_html(rows)

    if "xlsx" in formats:
        bench_xlsx(plan, ret, rows, runs)
    if "pdf" in formats:
        bench_pdf(plan, ret, document, pdf_runs)


def bench_xlsx(plan: Plan, ret: common.PlanReturn, rows: list[list[object]], runs: int) -> None:
    ours_x, _ = median_seconds(lambda: ours_xlsx(plan), runs)
    render_x, _ = median_seconds(lambda: xlsx.render(ret), runs)
    bare_x, _ = median_seconds(lambda: bare_openpyxl(rows), runs)
    query, _ = median_seconds(lambda: query_only(plan), runs)
    print(f"  XLSX  ours (query + workbook) {ours_x:8.3f} s")
    print(f"        ours (workbook only)    {render_x:8.3f} s")
    print(f"        bare openpyxl           {bare_x:8.3f} s")
    print(f"        the query alone         {query:8.3f} s  (queries.plan_table)")
    print(
        f"        ratio {render_x / bare_x:.2f}x (workbook only)  [goal <= 1.5x at 1,000]; "
        f"end to end {ours_x / bare_x:.2f}x bare openpyxl, "
        f"{ours_x / (query + bare_x):.2f}x query + bare openpyxl"
    )


def bench_pdf(plan: Plan, ret: common.PlanReturn, document: str, pdf_runs: int) -> None:
    ours_p, ours_bytes = median_seconds(lambda: ours_pdf(plan), pdf_runs)
    untagged, _ = median_seconds(
        lambda: HTML(string=pdf.html(ret), base_url=pdf._base_url()).write_pdf(), pdf_runs
    )
    bare_p, bare_bytes = median_seconds(lambda: bare_weasyprint(document), pdf_runs)
    pages_ours, pages_bare = pdf_pages(ours_bytes), pdf_pages(bare_bytes)
    print(f"  PDF   ours (tagged PDF/UA-1)  {ours_p:8.3f} s  ({pages_ours} pages)")
    print(f"        ours, untagged          {untagged:8.3f} s")
    print(f"        bare WeasyPrint table   {bare_p:8.3f} s  ({pages_bare} pages)")
    print(
        f"        ratio {ours_p / bare_p:.2f}x (tagged), {untagged / bare_p:.2f}x (untagged)"
        "  [goal <= 1.2x]"
    )


def bench_memory(rows: int) -> None:
    started = time.perf_counter()
    plan = make_plan(rows)
    print(
        f"\nMemory: {rows} recommendations (plan written in {time.perf_counter() - started:.1f} s)"
    )
    gc.collect()
    start = time.process_time()
    size = len(ours_xlsx(plan))
    seconds = time.process_time() - start
    gc.collect()
    tracemalloc.start()
    ours_xlsx(plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  XLSX return of {rows} rows: {seconds:.2f} s (CPU), {size / 1e6:.1f} MB file, "
        f"peak Python memory {peak / 1e6:.0f} MB (tracemalloc)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=5, help="XLSX runs per figure (median)")
    parser.add_argument("--pdf-runs", type=int, default=3, help="PDF runs per figure (median)")
    parser.add_argument("--memory-rows", type=int, default=10_000, help="0 to skip")
    parser.add_argument("--formats", nargs="+", choices=["xlsx", "pdf"], default=["xlsx", "pdf"])
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"Throwaway database: {os.environ['DATABASE_URL']}")
    for size in options.sizes:
        bench_size(size, options.runs, options.pdf_runs, options.formats)
    if options.memory_rows:
        bench_memory(options.memory_rows)


if __name__ == "__main__":
    main()
