"""Large returns made by the background worker: how fast the download answers, and what making
them costs the rest of the site.

With the 100-plan generated data set (100 x 30 x 4 x 12 x 3, cached under var/bench/data/),
gunicorn as `make serve-production` runs it (2 workers x 4 threads) and background workers
(`manage.py db_worker`, at the CPU priority the README's systemd unit gives them, nice 10),
all on 127.0.0.1, this measures in one run:

1. the sign-in page's latency while nothing is being made (idle): a steady stream of requests
   (--rate per second over --connections keep-alive connections) for --idle-seconds;
2. asking for the PDF return of the five largest plans, one after another, as an executive:
   each download request's response time (it enqueues the return and redirects) and the
   progress page's that follows;
3. the sign-in page's latency, the same stream, while the workers make those five returns
   (until the last is ready), checking each progress page every 2 s as a person would;
4. the idle latency again, then the time each return took the worker (from the task rows)
   and one finished file downloaded and counted (pages).

It prints the figures (p50/p95/p99 of each phase, and busy p95 over idle p95) and writes them to
var/bench/background-returns.json.

    .venv/bin/python tests/bench/bench_background_returns.py
    .venv/bin/python tests/bench/bench_background_returns.py --bg-workers 2 --rate 40
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import shutil
import sqlite3
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import (
    BENCH_DIR,
    BackgroundWorkers,
    HttpSession,
    Server,
    collect_static,
    percentile,
    production_env,
    size_arg,
    sqlite_dataset,
    working_copy,
)

LARGE = "100x30x4x12x3"
PROGRESS = re.compile(r"/plans/[^/]+/returns/[0-9a-f-]{36}/$")


# ---------------------------------------------------------------------------- the load


def steady_load(port: int, *, rate: float, connections: int, stop: threading.Event) -> list:
    """GET /sign-in/ at `rate` requests per second in all, spread over `connections`
    keep-alive connections, until `stop` is set; returns (latency ms, status) per request."""
    results: list[tuple[float, int]] = []
    lock = threading.Lock()
    interval = connections / rate

    def worker(offset: float) -> None:
        session = HttpSession(port, timeout=60)
        next_at = time.perf_counter() + offset
        while not stop.is_set():
            pause = next_at - time.perf_counter()
            if pause > 0:
                stop.wait(pause)
                if stop.is_set():
                    break
            began = time.perf_counter()
            try:
                status = session.get("/sign-in/").status
            except OSError:
                status = 0
                session.close()
            took = (time.perf_counter() - began) * 1000
            with lock:
                results.append((took, status))
            next_at += interval
            # A request slower than the interval does not make the next ones bunch up.
            next_at = max(next_at, time.perf_counter())
        session.close()

    threads = [
        threading.Thread(target=worker, args=(n * interval / connections,), daemon=True)
        for n in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def summary(results: list) -> dict:
    latencies = [ms for ms, _ in results]
    return {
        "requests": len(results),
        "errors": sum(1 for _, status in results if status != 200),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies, default=0.0), 2),
    }


def timed_load(port: int, args: argparse.Namespace, seconds: float) -> dict:
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    results = steady_load(port, rate=args.rate, connections=args.connections, stop=stop)
    timer.cancel()
    return summary(results)


# ---------------------------------------------------------------------------- the returns


def largest_plans(database: Path, count: int) -> list[str]:
    """The plans with the most recommendation rows plus updates (jobs.size_of), largest
    first."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute(
            """
            SELECT p.slug, COUNT(DISTINCT r.id) + COUNT(u.id) AS size
            FROM recommendations_plan p
            JOIN recommendations_recommendation r ON r.plan_id = p.id
            LEFT JOIN recommendations_statusupdate u ON u.recommendation_id = r.id
            GROUP BY p.id ORDER BY size DESC, p.slug LIMIT ?
            """,
            (count,),
        ).fetchall()
    db.close()
    return [slug for slug, _ in rows]


def ask(session: HttpSession, slug: str) -> dict:
    """Ask for a plan's PDF return; time the answer and the progress page it leads to."""
    began = time.perf_counter()
    response = session.get(f"/plans/{slug}/return.pdf")
    asked_ms = (time.perf_counter() - began) * 1000
    location = response.headers.get("location", "")
    if response.status != 302 or not PROGRESS.search(location):
        raise RuntimeError(f"{slug}: expected a redirect to a progress page, got {response.status}")
    path = "/" + location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location
    began = time.perf_counter()
    page = session.get(path)
    page_ms = (time.perf_counter() - began) * 1000
    if page.status != 200 or "Status:" not in page.text:
        raise RuntimeError(f"{slug}: the progress page answered {page.status}")
    return {
        "plan": slug,
        "progress": path,
        "ask_ms": round(asked_ms, 1),
        "progress_page_ms": round(page_ms, 1),
        "ask_and_page_ms": round(asked_ms + page_ms, 1),
    }


def watch(session: HttpSession, asked: list[dict], *, stop: threading.Event, limit: float):
    """Check every progress page every 2 s until all are ready (or failed), then set `stop`."""
    deadline = time.monotonic() + limit
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        for item in asked:
            text = session.get(item["progress"]).text
            found = re.search(r"Status: ([^.<]+)\.", text)
            states[item["plan"]] = (
                found.group(1) if found else ("Failed" if "could not be made" in text else "?")
            )
        if all(state in ("Ready", "Failed") for state in states.values()):
            break
        time.sleep(2)
    stop.set()
    return states


def task_seconds(database: Path) -> list[float]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT started_at, finished_at FROM django_tasks_database_dbtaskresult "
            "WHERE status = 'SUCCESSFUL' AND task_path LIKE '%make_return' ORDER BY started_at"
        ).fetchall()
    db.close()
    from datetime import datetime

    return [
        round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1)
        for start, end in rows
    ]


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> dict:
    dataset = sqlite_dataset("large", args.large)
    work = working_copy(dataset, "background-returns")
    media = BENCH_DIR / "media-background-returns"
    shutil.rmtree(media, ignore_errors=True)
    collect_static()
    env = {"MEDIA_ROOT": str(media)}
    # The generator's largest plan first (the 103-page PDF), then the next largest.
    largest = dataset.summary["largest_plan"]
    others = [slug for slug in largest_plans(work.path, args.returns) if slug != largest]
    slugs = [largest, *others][: args.returns]
    executive = dataset.summary["executives"][0]
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": dataset.size,
        "gunicorn": f"{args.workers} workers x {args.threads} threads",
        "background_workers": args.bg_workers,
        "nice": args.nice,
        "load": f"/sign-in/ at {args.rate:g} requests/s over {args.connections} connections",
        "load_average_before": os.getloadavg(),
    }
    with (
        Server(work.database_url, workers=args.workers, threads=args.threads, env=env) as server,
        BackgroundWorkers(args.bg_workers, production_env(work.database_url) | env, nice=args.nice),
    ):
        asker = HttpSession(server.port)
        asker.sign_in(executive, dataset.password)
        watcher = HttpSession(server.port)
        watcher.sign_in(executive, dataset.password)
        # Warm up (each gunicorn worker's first requests, the workers' start), unmeasured.
        timed_load(server.port, args, 5)

        print(f"Idle: {result['load']} for {args.idle_seconds:g} s ...", flush=True)
        result["idle"] = timed_load(server.port, args, args.idle_seconds)

        print(f"Asking for the PDF return of {len(slugs)} plans ...", flush=True)
        asked = [ask(asker, slug) for slug in slugs]
        for item in asked:
            print(
                f"  {item['plan']}: download answered in {item['ask_ms']} ms, "
                f"progress page in {item['progress_page_ms']} ms",
                flush=True,
            )
        result["asked"] = asked

        print("Busy: the same load while the workers make them ...", flush=True)
        stop = threading.Event()
        began = time.perf_counter()
        states: dict = {}
        watcher_thread = threading.Thread(
            target=lambda: states.update(watch(watcher, asked, stop=stop, limit=args.max_seconds)),
            daemon=True,
        )
        watcher_thread.start()
        busy = steady_load(server.port, rate=args.rate, connections=args.connections, stop=stop)
        watcher_thread.join()
        result["busy"] = summary(busy)
        result["busy_seconds"] = round(time.perf_counter() - began, 1)
        result["states"] = states

        print(f"Idle again for {args.idle_seconds:g} s ...", flush=True)
        result["idle_after"] = timed_load(server.port, args, args.idle_seconds)

        first = asked[0]["progress"] + "download/"
        began = time.perf_counter()
        download = asker.get(first)
        result["download_ms"] = round((time.perf_counter() - began) * 1000, 1)
        result["download_status"] = download.status
        result["pages"] = pdf_pages(download.body) if download.body.startswith(b"%PDF") else 0
        result["bytes"] = len(download.body)
        again_began = time.perf_counter()
        again = asker.get(f"/plans/{slugs[0]}/return.pdf")
        result["asked_again_ms"] = round((time.perf_counter() - again_began) * 1000, 1)
        result["asked_again_status"] = again.status
    result["load_average_after"] = os.getloadavg()
    result["worker_seconds"] = task_seconds(work.path)
    result["ratio_p95"] = round(result["busy"]["p95_ms"] / result["idle"]["p95_ms"], 2)
    return result


def report(result: dict) -> None:
    print()
    print(
        f"100-plan data set {result['data']}, gunicorn {result['gunicorn']}, "
        f"{result['background_workers']} background worker(s) at nice {result['nice']}, "
        f"{result['machine']['cpus']} CPUs; load: {result['load']}; load average before "
        f"{result['load_average_before'][0]:.1f}, after {result['load_average_after'][0]:.1f}"
    )
    print()
    largest = result["asked"][0]
    print(
        f"Largest PDF return ({largest['plan']}): the download answered in "
        f"{largest['ask_ms']} ms (a redirect), its progress page in "
        f"{largest['progress_page_ms']} ms; every ask: "
        + ", ".join(f"{item['ask_ms']} ms" for item in result["asked"])
    )
    print(
        f"Made by the worker(s) in {', '.join(f'{s} s' for s in result['worker_seconds'])}; "
        f"all five ready after {result['busy_seconds']} s ({result['states']})"
    )
    print(
        f"The finished file: HTTP {result['download_status']}, {result['pages']} pages, "
        f"{result['bytes']:,} bytes, served in {result['download_ms']} ms; asked again, "
        f"HTTP {result['asked_again_status']} in {result['asked_again_ms']} ms"
    )
    print()
    print("| sign-in page | requests | errors | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, key in (
        ("idle", "idle"),
        ("while five returns are made", "busy"),
        ("idle again", "idle_after"),
    ):
        row = result[key]
        print(
            f"| {name} | {row['requests']} | {row['errors']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} |"
        )
    print()
    print(f"p95 while five returns are made / idle p95: {result['ratio_p95']}x (goal: at most 2x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", type=size_arg, default=size_arg(LARGE))
    parser.add_argument("--returns", type=int, default=5)
    parser.add_argument("--bg-workers", type=int, default=1)
    parser.add_argument("--nice", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "background-returns.json")
    args = parser.parse_args()
    result = run(args)
    report(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    print(f"\nWritten to {args.output}")


if __name__ == "__main__":
    main()
