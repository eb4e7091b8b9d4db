"""The national progress report page: its throughput served from the page cache against the
sign-in page's, and what it costs per organisation when rendered afresh.

Data: one report of 20 recommendations answered by N organisations ("Example Force 1" ...
"Example Force N", clearly fictional), each with a plan of the report's 20 recommendations,
12 reporting periods and an approved update for every recommendation in every period; written
in bulk into a SQLite database of its own (no history rows: the report reads none but the
first approvals, which the updates' own approval moments stand in for).

Measured, with gunicorn on 127.0.0.1 and production settings, signed in as a National account:

(a) page cache on, 43 organisations: requests per second of /national/<report>/ as a share of
    the sign-in page's (the framework's floor); target at least 40%;
(b) PAGE_CACHE=off (every request renders the page afresh): the server's CPU time per request
    divided by the number of organisations, at 43 against 10; target at most 1.25x.

    .venv/bin/python tests/bench/bench_national.py            # 8 s per measurement
    .venv/bin/python tests/bench/bench_national.py --quick    # 3 s per measurement
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import (
    BENCH_DIR,
    PYTHON,
    HttpSession,
    Server,
    _django,
    _manage,
    collect_static,
    count_queries,
    hammer,
)

RECOMMENDATIONS = 20
PERIODS = 12
REPORT = "national-bench-report"
USERNAME = "national-bench"
PASSWORD = "national-bench-password-1"


# ---------------------------------------------------------------------------- data


def generate(organisations: int) -> dict:
    """Write the data set in bulk into the database already set up (runs inside Django)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from recommendations import page_cache
    from recommendations.models import (
        Organisation,
        Plan,
        Recommendation,
        Report,
        ReportingPeriod,
        ReportRecommendation,
        StatusUpdate,
    )

    statuses = ["not_started", "on_track", "at_risk", "off_track", "complete", "closed"]
    report = Report.objects.create(slug=REPORT, title="Example super-complaint report")
    references = [
        ReportRecommendation(
            report=report, number=str(n), sort_key=f"{n:010d}", text=f"Example recommendation {n}."
        )
        for n in range(1, RECOMMENDATIONS + 1)
    ]
    references = ReportRecommendation.objects.bulk_create(references)
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Example Force {n}", short_name=f"EF{n}", code=f"example-force-{n}")
        for n in range(1, organisations + 1)
    )
    plans = Plan.objects.bulk_create(
        Plan(slug=f"example-force-{o.pk}", title=f"{o.name} action plan", organisation=o,
             report=report, is_published=True)
        for o in orgs
    )  # fmt: skip
    start = dt.date(2024, 3, 31)
    periods = ReportingPeriod.objects.bulk_create(
        ReportingPeriod(plan=plan, label=f"Quarter {q + 1} update", position=q,
                        period_end=start + dt.timedelta(days=91 * q),
                        return_due=start + dt.timedelta(days=91 * q + 14))
        for plan in plans
        for q in range(PERIODS)
    )  # fmt: skip
    recs = Recommendation.objects.bulk_create(
        Recommendation(plan=plan, number=ref.number, sort_key=ref.sort_key, text=ref.text,
                       report_recommendation=ref)
        for plan in plans
        for ref in references
    )  # fmt: skip
    by_plan: dict[int, list] = {}
    for period in periods:
        by_plan.setdefault(period.plan_id, []).append(period)
    now = timezone.now()
    updates = []
    for i, rec in enumerate(recs):
        for q, period in enumerate(by_plan[rec.plan_id]):
            status = statuses[(i + q) % len(statuses)]
            moment = dt.datetime.combine(period.return_due, dt.time(12), tzinfo=dt.UTC)
            moment = min(moment + dt.timedelta(days=(i % 5) * 4), now)
            updates.append(
                StatusUpdate(recommendation=rec, period=period, status=status,
                             text=f"Example progress {i}.{q}.", recorded_at=moment,
                             sign_off="approved", approved_status=status,
                             approved_text=f"Example progress {i}.{q}.", approved_at=moment,
                             version=1, approved_version=1)
            )  # fmt: skip
    StatusUpdate.objects.bulk_create(updates, batch_size=2000)
    User = get_user_model()
    user = User.objects.create_user(USERNAME, password=PASSWORD)
    user.groups.add(Group.objects.get(name="National"))
    page_cache.bump_everything()
    return {"organisations": organisations, "updates": len(updates)}


def dataset(organisations: int, log=print) -> str:
    """A SQLite database of `organisations`, made afresh for this run."""
    path = BENCH_DIR / "work" / f"national-{organisations}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    log(f"Generating {organisations} organisations into {path} ...")
    _manage("migrate", "--noinput", "-v0", database_url=url)
    output = subprocess.run(
        [
            PYTHON,
            __file__,
            "generate",
            "--database-url",
            url,
            "--organisations",
            str(organisations),
        ],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    log(f"  {output.strip().splitlines()[-1]}")
    return url


# ---------------------------------------------------------------------------- measuring


def measure(url: str, paths: dict[str, tuple[str, bool]], args, *, cache: bool, log) -> dict:
    """Requests per second and server CPU per request of each path on one server."""
    env = {} if cache else {"PAGE_CACHE": "off"}
    results = {}
    with Server(url, workers=args.workers, env=env) as server:
        signed = [HttpSession(server.port) for _ in range(args.connections)]
        for session in signed:
            session.sign_in(USERNAME, PASSWORD)
        anonymous = [HttpSession(server.port) for _ in range(args.connections)]
        for name, (path, signed_in) in paths.items():
            m = hammer(
                signed if signed_in else anonymous,
                path,
                seconds=args.seconds,
                warmup=args.warmup,
                min_requests=10,
                server=server,
            )
            results[name] = {
                "rps": round(m.rps, 1),
                "p50_ms": round(m.percentile(50), 1),
                "p95_ms": round(m.percentile(95), 1),
                "server_cpu_ms": round(m.server_cpu_ms, 1),
                "requests": m.requests,
                "errors": m.errors,
            }
            log(
                f"  {name:<28} {m.rps:8.1f} req/s  p50 {m.percentile(50):7.1f} ms  "
                f"p95 {m.percentile(95):7.1f} ms  cpu {m.server_cpu_ms:7.1f} ms/request  "
                f"{m.requests} requests, {m.errors} errors"
            )
    return results


def run(args) -> dict:
    log = print
    collect_static()
    page = f"/national/{REPORT}/"
    large, small = dataset(43, log), dataset(10, log)
    queries = {
        n: count_queries(url, [page], username=USERNAME, env={"PAGE_CACHE": "off"})[page]
        for n, url in ((43, large), (10, small))
    }
    log(f"Queries per request, rendered afresh: 10 organisations {queries[10]['cold_queries']}, "
        f"43 organisations {queries[43]['cold_queries']}")  # fmt: skip

    log("(a) Page cache on, 43 organisations:")
    cached = measure(
        large,
        {"sign-in (floor)": ("/sign-in/", False), "national page (cached)": (page, True)},
        args,
        cache=True,
        log=log,
    )
    share = cached["national page (cached)"]["rps"] / cached["sign-in (floor)"]["rps"]

    log("(b) PAGE_CACHE=off, every request rendered afresh:")
    fresh = {}
    for n, url in ((10, small), (43, large)):
        fresh[n] = measure(url, {f"national page, {n} organisations": (page, True)}, args,
                           cache=False, log=log)[f"national page, {n} organisations"]  # fmt: skip
    per_org = {n: fresh[n]["server_cpu_ms"] / n for n in fresh}
    growth = per_org[43] / per_org[10] if per_org[10] else float("nan")
    latency_per_org = {n: fresh[n]["p50_ms"] / n for n in fresh}

    summary = {
        "queries_rendered_afresh": {n: queries[n]["cold_queries"] for n in queries},
        "cached_share_of_floor_rps": round(share, 3),
        "fresh_cpu_ms_per_request": {n: fresh[n]["server_cpu_ms"] for n in fresh},
        "fresh_cpu_ms_per_organisation": {n: round(v, 2) for n, v in per_org.items()},
        "fresh_p50_ms_per_organisation": {n: round(v, 2) for n, v in latency_per_org.items()},
        "cost_per_organisation_43_vs_10": round(growth, 3),
        "cached": cached,
        "fresh": fresh,
    }
    log("")
    log(f"(a) cached national page / sign-in page throughput: {share:.1%} (target >= 40%)")
    log(f"(b) CPU per organisation, rendered afresh: {per_org[10]:.2f} ms at 10, "
        f"{per_org[43]:.2f} ms at 43: {growth:.2f}x (target <= 1.25x)")  # fmt: skip
    out = BENCH_DIR / "national-results.json"
    out.write_text(json.dumps(summary, indent=2))
    log(f"Results written to {out}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    making = sub.add_parser("generate")
    making.add_argument("--database-url", required=True)
    making.add_argument("--organisations", type=int, required=True)
    parser.add_argument("--quick", action="store_true", help="3 s per measurement")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if args.command == "generate":
        _django(args.database_url)
        print(json.dumps(generate(args.organisations)))
        return
    if args.quick:
        args.seconds, args.warmup = 3.0, 1.0
    os.environ.setdefault("PYTHONHASHSEED", "0")
    run(args)


if __name__ == "__main__":
    main()
