"""The database's query plan for every query the main pages make, with full scans flagged.

Captures the SQL of the plan table, plan list, recommendation page and dashboard (in-process,
with Django's test client) and asks the database how it runs each one: SQLite's
`EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`. Lines that read a whole table (SQLite "SCAN x"
without an index, PostgreSQL "Seq Scan") are marked "<-- scan".

    .venv/bin/python tests/bench/explain.py                 # the cached large SQLite data set
    .ci/with-postgres .venv/bin/python tests/bench/explain.py --generate 100x30x4x12x3
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import BENCH_DIR, ROOT, generate_into, size_arg, sqlite_dataset

LARGE = "100x30x4x12x3"
_SQLITE_SCAN = re.compile(r"^SCAN \S+$")
_SQLITE_INDEX_WALK = re.compile(r"^SCAN \S+ USING (COVERING )?INDEX ")


def scan_kind(line: str, vendor: str) -> str:
    """ "full scan" for a whole table read row by row; "index walk" for a whole index read in
    order (cheap with a LIMIT, a full read without one); "" otherwise."""
    line = line.strip()
    if vendor == "sqlite":
        if _SQLITE_SCAN.match(line):
            return "full scan"
        return "index walk" if _SQLITE_INDEX_WALK.match(line) else ""
    return "full scan" if "Seq Scan" in line else ""


def explain_pages(database_url: str, summary: dict, out) -> list[tuple[str, str, list[str]]]:
    os.environ["DATABASE_URL"] = database_url
    # The queries of a page rendered afresh: from the page cache it makes almost none.
    os.environ["PAGE_CACHE"] = "off"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actionplan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics after a bulk load
    slug, number = summary["largest_plan"], summary["deep_recommendation"]
    pages = {
        "plan table": f"/plans/{slug}/",
        "plan list": "/plans/",
        "recommendation": f"/plans/{slug}/recommendations/{number}/",
        "dashboard": "/dashboard/",
    }
    client = Client()
    client.force_login(get_user_model().objects.get(username=summary["executives"][0]))
    findings = []
    for page, path in pages.items():
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        print(f"\n=== {page} ({path}): HTTP {status}, {len(queries)} queries", file=out)
        for query in queries.captured_queries:
            sql = query["sql"]
            with connection.cursor() as cursor:
                if vendor == "sqlite":
                    cursor.execute("EXPLAIN QUERY PLAN " + sql)
                    plan = [row[3] for row in cursor.fetchall()]
                else:
                    cursor.execute("EXPLAIN " + sql)
                    plan = [row[0] for row in cursor.fetchall()]
            print(f"\n-- {query['time']}s  {sql}", file=out)
            scans = []
            for line in plan:
                kind = scan_kind(line, vendor)
                print(f"   {line}{f'   <-- {kind}' if kind else ''}", file=out)
                if kind == "full scan":
                    scans.append(line)
            if scans:
                findings.append((page, sql, scans))
    return findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--generate",
        type=size_arg,
        help="Generate this size into $DATABASE_URL first (for PostgreSQL).",
    )
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.generate:
        database_url = os.environ["DATABASE_URL"]
        summary = generate_into(database_url, args.generate)
        name = "postgresql"
    else:
        dataset = sqlite_dataset("large", size_arg(LARGE))
        database_url, summary, name = dataset.database_url, dataset.summary, "sqlite"
    output = args.output or BENCH_DIR / f"explain-{name}.txt"
    with output.open("w") as out:
        findings = explain_pages(database_url, summary, out)
    print(f"Query plans written to {output}")
    print(f"{len(findings)} queries read a whole table row by row:")
    for page, sql, scans in findings:
        print(f"\n[{page}] {sql[:300]}")
        for line in scans:
            print(f"    {line}")


if __name__ == "__main__":
    main()
