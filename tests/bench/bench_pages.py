"""How fast each page is against the framework's own floor, at a small and a large data set.

For each data set (generated once and cached under var/bench/data/), this serves the app with
gunicorn on 127.0.0.1 with production settings and measures, in the same run:

- the floor: the sign-in page, a plain Django page (measured first and again last);
- signed in as an executive (a real POST to the sign-in form): the plan table of the largest
  plan, the plan list, the dashboard, a recommendation page with deep history, the XLSX and PDF
  returns, and (signed out) the public plan page, each where it exists;

and for each page prints requests per second, p50/p95 latency, SQL queries per request
(counted in-process with Django's test client against the same database), its throughput
as a share of the floor's, and how much slower it is at the large data set than at the small.

    .venv/bin/python tests/bench/bench_pages.py            # full: 2 and 100 plans of 30 x 12
    .venv/bin/python tests/bench/bench_pages.py --quick    # a minute, small sizes
    .venv/bin/python tests/bench/bench_pages.py --no-cache # every page rendered afresh
    ... --pages "plan list,dashboard"     # only these pages (and the floor)
    ... --redis-url redis://127.0.0.1:6379/5   # bodies kept in Redis, as with several servers
    ... --token-cost                      # the site token's read, at 100 and 1,000 plans

With the page cache on (the default, as in production) the plan table, plan list and dashboard
are measured as served from it after the warm-up; `--no-cache` starts the server with
PAGE_CACHE=off, so every request renders the page afresh (the cost of a first request after a
change).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import (
    BENCH_DIR,
    Dataset,
    HttpSession,
    Server,
    collect_static,
    count_queries,
    hammer,
    run_here,
    size_arg,
    sqlite_dataset,
    working_copy,
)

# Same plan shape in both, so the ratio measures the size of the database, not of the plan.
SMALL = "2x30x4x12x3"
LARGE = "100x30x4x12x3"
QUICK_SMALL = "2x10x2x4x1"
QUICK_LARGE = "12x10x2x4x1"
FLOOR = "floor"


# A page slower than this in-process is measured with a fixed number of requests, one at a
# time, rather than for a fixed time: a PDF taking a minute would otherwise give no figures.
SLOW_SECONDS = 1.0


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    signed_in: bool = True
    # Slowish pages still get enough samples for a p95 worth reading.
    min_requests: int = 20


def pages_of(dataset: Dataset) -> list[Page]:
    slug = dataset.summary["largest_plan"]
    number = dataset.summary["deep_recommendation"]
    return [
        Page(FLOOR, "/sign-in/", signed_in=False),
        Page("plan table", f"/plans/{slug}/"),
        Page("plan list", "/plans/"),
        Page("dashboard", "/dashboard/"),
        Page("recommendation", f"/plans/{slug}/recommendations/{number}/"),
        Page("return xlsx", f"/plans/{slug}/return.xlsx", min_requests=10),
        Page("return pdf", f"/plans/{slug}/return.pdf", min_requests=4),
        Page("public plan", f"/public/{slug}/", signed_in=False),
    ]


def server_env(args: argparse.Namespace) -> dict[str, str]:
    # What a return costs to make is measured here, so every return is made in the request
    # (a large one would otherwise answer with a redirect to its progress page: that path is
    # bench_background_returns.py's).
    env = {"RETURN_WORKER_PDF_SIZE": "-1", "RETURN_WORKER_XLSX_SIZE": "-1"}
    if args.no_cache:
        env["PAGE_CACHE"] = "off"
    if args.redis_url:
        env |= {"REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": f"bench-{os.getpid()}"}
    return env


def chosen_pages(dataset: Dataset, args: argparse.Namespace) -> list[Page]:
    """Every page, or those named in --pages (the floor always)."""
    wanted = {name.strip() for name in (args.pages or "").split(",") if name.strip()}
    return [p for p in pages_of(dataset) if not wanted or p.name in wanted | {FLOOR}]


def _prepare(dataset: Dataset, args: argparse.Namespace, log) -> tuple[list[Page], dict]:
    """The pages that exist in this data set, with their query counts."""
    executive = dataset.summary["executives"][0]
    pages = chosen_pages(dataset, args)
    signed = [p.path for p in pages if p.signed_in]
    anonymous = [p.path for p in pages if not p.signed_in]
    env = server_env(args)
    queries = count_queries(dataset.database_url, signed, username=executive, env=env)
    queries |= count_queries(dataset.database_url, anonymous, username=None, env=env)
    present = [p for p in pages if queries[p.path].get("status") == 200]
    for page in pages:
        if page not in present:
            log(f"  {dataset.name}: {page.name} not measured ({queries[page.path]})")
    return present, queries


def bench(datasets: dict[str, Dataset], args: argparse.Namespace, log) -> dict:
    """Measure every page on every data set, interleaved (page by page, data set by data set),
    so that a change in the machine's load affects both sizes alike rather than one of them.
    """
    prepared = {name: _prepare(dataset, args, log) for name, dataset in datasets.items()}
    results: dict[str, dict] = {name: {} for name in datasets}
    load: dict[str, list] = {name: [] for name in datasets}
    with contextlib.ExitStack() as stack:
        clients = {}
        for name, dataset in datasets.items():
            server = stack.enter_context(
                Server(
                    dataset.database_url,
                    workers=args.workers,
                    threads=args.threads,
                    env=server_env(args),
                )
            )
            signed = [HttpSession(server.port) for _ in range(args.connections)]
            for session in signed:
                session.sign_in(dataset.summary["executives"][0], dataset.password)
            clients[name] = {
                "server": server,
                True: signed,
                False: [HttpSession(server.port) for _ in range(args.connections)],
            }
        order = [page.name for page in chosen_pages(next(iter(datasets.values())), args)]
        order.append(FLOOR)
        for page_name in order:
            for name, (present, queries) in prepared.items():
                page = next((p for p in present if p.name == page_name), None)
                if page is None:
                    continue
                label = page.name if page.name not in results[name] else f"{page.name} (again)"
                load[name].append(os.getloadavg()[0])
                sessions = clients[name][page.signed_in]
                slow = queries[page.path]["seconds"] > SLOW_SECONDS
                if slow:
                    measurement = hammer(
                        sessions[:1],
                        page.path,
                        seconds=0,
                        warmup=0,
                        min_requests=args.slow_requests,
                        max_seconds=3600,
                        server=clients[name]["server"],
                    )
                else:
                    measurement = hammer(
                        sessions,
                        page.path,
                        seconds=args.seconds,
                        warmup=args.warmup,
                        min_requests=page.min_requests,
                        server=clients[name]["server"],
                    )
                results[name][label] = measurement.as_dict() | {
                    "queries": queries[page.path]["queries"],
                    "cold_queries": queries[page.path]["cold_queries"],
                    "in_process_seconds": queries[page.path]["seconds"],
                    "one_at_a_time": slow,
                    "load_average_before": round(load[name][-1], 2),
                }
                log(
                    f"  {name:<6} {label:<16} {measurement.rps:8.1f} req/s  "
                    f"p50 {measurement.percentile(50):8.1f} ms  "
                    f"p95 {measurement.percentile(95):8.1f} ms  "
                    f"cpu {measurement.server_cpu_ms:7.1f} ms  "
                    f"{measurement.requests} requests, {measurement.errors} errors, "
                    f"load {load[name][-1]:.1f}"
                )
    return {name: _summarise(datasets[name], results[name]) for name in datasets}


def _summarise(dataset: Dataset, results: dict) -> dict:
    floors = [results[FLOOR], results.get(f"{FLOOR} (again)", results[FLOOR])]
    floor_rps = statistics.mean(row["rps"] for row in floors)
    floor_p95 = statistics.mean(row["p95_ms"] for row in floors)
    floor_cpu = statistics.mean(row["server_cpu_ms_per_request"] for row in floors)
    for row in results.values():
        cpu = row["server_cpu_ms_per_request"]
        row["cpu_vs_floor_cpu"] = round(cpu / floor_cpu, 2) if floor_cpu else None
        row["share_of_floor_rps"] = round(row["rps"] / floor_rps, 3) if floor_rps else None
        row["p95_vs_floor_p95"] = round(row["p95_ms"] / floor_p95, 2) if floor_p95 else None
    return {
        "size": dataset.size,
        "database": str(dataset.path),
        "generated_in_seconds": dataset.summary.get("seconds"),
        "history_rows": dataset.summary.get("history_rows"),
        "counts": dataset.summary.get("counts"),
        "floor_rps": round(floor_rps, 2),
        "floor_p95_ms": round(floor_p95, 2),
        "floor_server_cpu_ms": round(floor_cpu, 3),
        "errors": sum(row["errors"] for row in results.values()),
        "pages": results,
    }


def compare(small: dict, large: dict) -> dict:
    """Per page: how many times slower at the large data set, and the two query counts."""
    rows = {}
    for name, big in large["pages"].items():
        little = small["pages"].get(name)
        if not little:
            continue
        rows[name] = {
            "small_rps": little["rps"],
            "large_rps": big["rps"],
            "slowdown_large_vs_small": round(little["rps"] / big["rps"], 2) if big["rps"] else None,
            "small_cpu_ms": little["server_cpu_ms_per_request"],
            "large_cpu_ms": big["server_cpu_ms_per_request"],
            "small_queries": _queries(little),
            "large_queries": _queries(big),
        }
    return rows


def markdown(headers: list[str], rows: list[list]) -> list[str]:
    """A Markdown table, first column left-aligned, the rest right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        parts = [values[0].ljust(widths[0])]
        parts += [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(
        "-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)
    )
    return [line(headers), rule + "|", *(line(r) for r in cells)]


def _queries(row: dict) -> str:
    """Queries per request as measured; with the number a first request makes, if different."""
    warm, cold = row["queries"], row.get("cold_queries", row["queries"])
    return str(warm) if warm == cold else f"{warm} ({cold} cold)"


def _num(value, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def render_table(report: dict) -> str:
    settings = report["settings"]
    lines = [
        f"gunicorn {settings['workers']} workers x {settings['threads']} threads on 127.0.0.1, "
        f"{settings['connections']} connections, {settings['seconds']:g} s per page, SQLite, "
        f"{report['machine']['cpus']} CPUs, page cache "
        f"{'off: every page rendered afresh' if settings.get('no_cache') else 'on'}"
        f"{' (Redis)' if settings.get('redis') and not settings.get('no_cache') else ''}"
    ]
    headers = [
        "page", "req/s", "p50 ms", "p95 ms", "queries", "server CPU ms",
        "req/s vs floor", "p95 vs floor", "CPU vs floor", "errors",
    ]  # fmt: skip
    for name in ("small", "large"):
        data = report["datasets"][name]
        size = "x".join(str(v) for v in data["size"].values())
        lines += [
            "",
            f"{name.capitalize()} data set {size} (plans x recommendations x subs x periods x "
            f"edits), {data['history_rows']:,} history rows",
            "",
        ]
        rows = [
            [
                page + (" *" if row.get("one_at_a_time") else ""),
                _num(row["rps"], "{:.2f}" if row["rps"] < 10 else "{:.1f}"),
                _num(row["p50_ms"], "{:.1f}"),
                _num(row["p95_ms"], "{:.1f}"),
                _queries(row),
                _num(row["server_cpu_ms_per_request"], "{:.1f}"),
                _num(row["share_of_floor_rps"] and 100 * row["share_of_floor_rps"], "{:.1f}%"),
                _num(row["p95_vs_floor_p95"], "{:.2f}x"),
                _num(row["cpu_vs_floor_cpu"], "{:.1f}x"),
                row["errors"],
            ]
            for page, row in data["pages"].items()
        ]
        lines += markdown(headers, rows)
    lines += ["", "Large vs small (the same plan shape; only the database grows)", ""]
    rows = [
        [
            page,
            _num(row["small_rps"], "{:.2f}" if row["small_rps"] < 10 else "{:.1f}"),
            _num(row["large_rps"], "{:.2f}" if row["large_rps"] < 10 else "{:.1f}"),
            _num(row["slowdown_large_vs_small"], "{:.2f}x"),
            f"{row['small_cpu_ms']:.1f} / {row['large_cpu_ms']:.1f}",
            f"{row['small_queries']} / {row['large_queries']}",
        ]
        for page, row in report["large_vs_small"].items()
    ]
    lines += markdown(
        ["page", "small req/s", "large req/s", "slower by", "CPU ms small / large", "queries"],
        rows,
    )
    lines += [
        "",
        "* measured one request at a time (the page takes over a second), so its req/s is the "
        "inverse of its latency rather than a throughput under concurrency.",
    ]
    return "\n".join(lines)


def token_cost(dataset: Dataset, log) -> None:
    """What the plan list and the dashboard pay on every request for their token: one query
    over every plan's token, against one token row read by its key (the single row every write
    used to replace)."""
    rows = []
    for extra in (0, 1000 - dataset.size["plans"]):
        copy = working_copy(dataset, "token-cost")
        rows.append(run_here("token-cost", copy.database_url, f"--extra-plans={max(extra, 0)}"))
    lines = markdown(
        ["plans", "marks", "site token (one query over every plan) µs", "one row by key µs"],
        [
            [row["plans"], row["site_marks"], row["site_token_us"], row["one_row_us"]]
            for row in rows
        ],
    )
    log("\n".join(["", "Reading the site token in-process, SQLite, median of 5 x 1,000", ""]))
    log("\n".join(lines))
    output = BENCH_DIR / "token-cost.json"
    output.write_text(json.dumps(rows, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, 2 s per page.")
    parser.add_argument("--small", type=size_arg, help=f"PxRxSxPERxE, default {SMALL}")
    parser.add_argument("--large", type=size_arg, help=f"PxRxSxPERxE, default {LARGE}")
    parser.add_argument("--seconds", type=float, help="Measured seconds per page (default 10).")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--slow-requests",
        type=int,
        default=2,
        help=f"Requests, one at a time, for pages slower than {SLOW_SECONDS:g} s (PDF).",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="Serve with PAGE_CACHE=off: every page afresh."
    )
    parser.add_argument("--pages", help='Only these pages, e.g. "plan list,dashboard".')
    parser.add_argument(
        "--redis-url", help="Keep the cached bodies in this Redis (as several servers do)."
    )
    parser.add_argument(
        "--token-cost",
        action="store_true",
        help="Only time the read of the site token in-process, at the large set and at 1,000 "
        "plans.",
    )
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    args.output = args.output or BENCH_DIR / (
        "pages-no-cache.json" if args.no_cache else "pages.json"
    )
    args.small = args.small or size_arg(QUICK_SMALL if args.quick else SMALL)
    args.large = args.large or size_arg(QUICK_LARGE if args.quick else LARGE)
    args.seconds = args.seconds or (2.0 if args.quick else 10.0)

    def log(message: str) -> None:
        print(message, flush=True)

    if args.token_cost:
        token_cost(sqlite_dataset("large", args.large, log=log), log)
        return
    collect_static()
    datasets = {
        "small": sqlite_dataset("small", args.small, log=log),
        "large": sqlite_dataset("large", args.large, log=log),
    }
    report = {
        "run_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
        },
        "settings": {
            "database": "sqlite",
            "workers": args.workers,
            "threads": args.threads,
            "connections": args.connections,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "no_cache": args.no_cache,
            "redis": bool(args.redis_url),
            "pages": args.pages,
        },
        "datasets": {},
    }
    log("Measuring, page by page, each data set in turn ...")
    report["datasets"] = bench(datasets, args, log)
    report["large_vs_small"] = compare(report["datasets"]["small"], report["datasets"]["large"])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    table = render_table(report)
    report["table"] = table
    args.output.write_text(json.dumps(report, indent=2))
    print()
    print(table)
    print(f"\nWritten to {args.output}")


if __name__ == "__main__":
    main()
