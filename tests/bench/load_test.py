"""A busy reporting week: many people at once, and not one saved word lost.

Starts the app under gunicorn on 127.0.0.1 with production settings against a generated data
set (with `--servers 2`, two gunicorn servers sharing one PostgreSQL database and one Redis, the
users spread over both as a load balancer would), then drives concurrent simulated users for a
fixed time:

- leads read the plan table, open the update form of one of their recommendations (reading
  its hidden `version` and CSRF token as a browser would), save a new text carrying a unique
  marker, and follow the redirect to the recommendation page; two simulated leads share each
  lead account (two tabs, or a deputy), so some saves collide and the second is refused with
  409 Conflict, which counts as a refused write, not an error;
- executives load the dashboard, the plan list, a plan table and the XLSX return, and now and
  then ask for the PDF return: a plan this large is made by the background worker, so the
  download answers with a redirect to the return's progress page, which they open. Beside each
  server runs a background worker at nice 10, as `make serve-production` starts one.

Afterwards every update that received an accepted save is read back through the update form,
on every server: its text must be exactly the last accepted save (by version), and every
accepted save must be in the update's history. A mismatch is a LOST WRITE. Every server's plan
tables (served from the page cache) must show the last accepted save of each of their updates
too; one that does not is a STALE PAGE. Prints requests per second, p50/p95/p99 latency per
page, errors (5xx, connection errors, unexpected statuses), lost writes and stale pages.

    .venv/bin/python tests/bench/load_test.py                       # SQLite, 50 users, 60 s
    .ci/with-postgres .venv/bin/python tests/bench/load_test.py     # PostgreSQL ($DATABASE_URL)
    .ci/with-postgres .ci/with-redis .venv/bin/python tests/bench/load_test.py --servers 2
    .venv/bin/python tests/bench/load_test.py --users 10 --seconds 10   # a quick try
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import random
import re
import shutil
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import (
    BENCH_DIR,
    BackgroundWorkers,
    Dataset,
    HttpSession,
    Response,
    Server,
    collect_static,
    csrf_token,
    generate_into,
    percentile,
    production_env,
    run_here,
    size_arg,
    sqlite_dataset,
    working_copy,
)

# A force's portfolio: ten plans of thirty recommendations, two years of quarterly updates.
DEFAULT_SIZE = "10x30x4x8x3"
_VERSION = re.compile(r'<input[^>]*\bname="version"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]*)"')
_TEXTAREA = re.compile(r'<textarea[^>]*\bname="text"[^>]*>(.*?)</textarea>', re.S)
STATUSES = ("on_track", "at_risk", "off_track")
# django-tasks' task states, as the return's progress page words them.
TASK_STATES = {
    "READY": "waiting",
    "RUNNING": "being made",
    "SUCCESSFUL": "made",
    "FAILED": "failed",
}


def hidden_version(page: str) -> int:
    tag = _VERSION.search(page)
    value = _VALUE.search(tag.group(0)) if tag else None
    if not value:
        raise ValueError("The update form has no version field.")
    return int(value.group(1))


def textarea_text(page: str) -> str:
    match = _TEXTAREA.search(page)
    if not match:
        raise ValueError("The update form has no text field.")
    # Django's textarea starts with a newline that browsers drop.
    return html.unescape(match.group(1)).removeprefix("\r\n").removeprefix("\n")


@dataclass
class Write:
    """One save the server accepted: what was sent and the version it started from."""

    key: tuple[str, str, int]
    account: str
    version: int
    marker: str
    text: str


@dataclass
class Stats:
    """Everything every simulated user saw, shared under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    accepted: list[Write] = field(default_factory=list)
    refused: int = 0
    uncertain: set = field(default_factory=set)
    pdf_asked: int = 0
    by_server: Counter = field(default_factory=Counter)

    def record(
        self, page: str, took_ms: float, ok: bool, detail: str = "", *, port: int = 0
    ) -> None:
        with self.lock:
            self.latencies[page].append(took_ms)
            self.by_server[port] += 1
            if not ok:
                self.errors[page] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{page}: {detail}")


class User:
    """One simulated person with their own browser session."""

    def __init__(self, port: int, stats: Stats, rng: random.Random, think: float, account: str):
        self.account = account
        self.session = HttpSession(port)
        self.stats = stats
        self.rng = rng
        self.think = think

    def fetch(
        self, page: str, path: str, *, data: dict | None = None, expect=(200,)
    ) -> Response | None:
        began = time.perf_counter()
        try:
            response = self.session.post(path, data) if data is not None else self.session.get(path)
        except OSError as error:
            self.session.close()
            took = (time.perf_counter() - began) * 1000
            self.stats.record(page, took, False, repr(error), port=self.session.port)
            return None
        ok = response.status in expect
        detail = "" if ok else f"HTTP {response.status} for {path}"
        took = (time.perf_counter() - began) * 1000
        self.stats.record(page, took, ok, detail, port=self.session.port)
        return response if ok else None

    def pause(self) -> None:
        if self.think:
            time.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))


class Lead(User):
    def __init__(self, *args, work: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.work = work

    def step(self) -> None:
        slug, number, period_id = self.rng.choice(self.work)
        self.fetch("plan table", f"/plans/{slug}/")
        self.pause()
        form_path = f"/plans/{slug}/recommendations/{number}/periods/{period_id}/update/"
        form = self.fetch("update form", form_path)
        if form is None:
            return
        try:
            version = hidden_version(form.text)
            token = csrf_token(form.text)
        except (ValueError, RuntimeError) as error:
            self.stats.record("update form", 0.0, False, str(error), port=self.session.port)
            return
        self.pause()
        marker = uuid.uuid4().hex
        text = (
            f"Load test write {marker}. {self.account} reviewed progress on recommendation "
            f"{number}: the audit found {self.rng.randrange(50, 99)}% compliance and the next "
            "review is planned for the coming quarter."
        )
        began = time.perf_counter()
        key = (slug, number, period_id)
        try:
            response = self.session.post(
                form_path,
                {
                    "csrfmiddlewaretoken": token,
                    "status": self.rng.choice(STATUSES),
                    "text": text,
                    "no_evidence_reason": "",
                    "version": str(version),
                    "save": "",
                },
            )
        except OSError as error:
            # The save may or may not have happened: this update cannot be judged afterwards.
            self.session.close()
            with self.stats.lock:
                self.stats.uncertain.add(key)
            took = (time.perf_counter() - began) * 1000
            self.stats.record("save update", took, False, repr(error), port=self.session.port)
            return
        took = (time.perf_counter() - began) * 1000
        if response.status == 302:
            with self.stats.lock:
                self.stats.accepted.append(Write(key, self.account, version, marker, text))
            self.stats.record("save update", took, True, port=self.session.port)
            self.fetch("recommendation", response.headers["location"])
        elif response.status == 409:
            with self.stats.lock:
                self.stats.refused += 1
            self.stats.record("save update", took, True, port=self.session.port)
        else:
            detail = f"HTTP {response.status}"
            self.stats.record("save update", took, False, detail, port=self.session.port)
        self.pause()


class Executive(User):
    def __init__(
        self,
        *args,
        plans: list[str],
        dashboard: bool,
        pdf_share: float,
        pdf_gate: threading.Semaphore,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.plans = plans
        self.dashboard = dashboard
        self.pdf_share = pdf_share
        self.pdf_gate = pdf_gate

    def step(self) -> None:
        slug = self.rng.choice(self.plans)
        if self.dashboard:
            self.fetch("dashboard", "/dashboard/")
            self.pause()
        self.fetch("plan list", "/plans/")
        self.pause()
        self.fetch("plan table", f"/plans/{slug}/")
        self.pause()
        self.fetch("return xlsx", f"/plans/{slug}/return.xlsx")
        self.pause()
        # A PDF return of a whole plan takes the server a long time: exports are occasional, so
        # only so many executives download one at once (the others skip it this round).
        if self.rng.random() < self.pdf_share and self.pdf_gate.acquire(blocking=False):
            try:
                self.ask_for_pdf(slug)
            finally:
                self.pdf_gate.release()
            self.pause()

    def ask_for_pdf(self, slug: str) -> None:
        """The download enqueues the return and redirects to its progress page (or serves a
        return made before for the same state of the plan at once)."""
        response = self.fetch("return pdf", f"/plans/{slug}/return.pdf", expect=(200, 302))
        if response is None or response.status != 302:
            return
        with self.stats.lock:
            self.stats.pdf_asked += 1
        self.fetch("return progress", response.headers["location"])


def verify(ports: list[int], dataset: Dataset, stats: Stats, database_url: str) -> dict:
    """Read every written update back through every server; the last accepted save must be
    what it holds, and what every server's plan table shows."""
    by_key: dict[tuple, list[Write]] = defaultdict(list)
    for write in stats.accepted:
        by_key[write.key].append(write)
    sessions: dict[tuple[str, int], HttpSession] = {}

    def session_of(account: str, port: int) -> HttpSession:
        if (account, port) not in sessions:
            sessions[account, port] = HttpSession(port)
            sessions[account, port].sign_in(account, dataset.password)
        return sessions[account, port]

    lost, double_accepts, checked, unreadable = [], [], 0, 0
    last_saves: dict[tuple, Write] = {}
    for key, writes in sorted(by_key.items()):
        if key in stats.uncertain:
            continue
        writes.sort(key=lambda w: w.version)
        versions = [w.version for w in writes]
        if len(set(versions)) != len(versions):
            # Two saves accepted from the same starting version: one overwrote the other.
            double_accepts.append(key)
        last = last_saves[key] = writes[-1]
        slug, number, period_id = key
        for port in ports:
            page = session_of(last.account, port).get(
                f"/plans/{slug}/recommendations/{number}/periods/{period_id}/update/"
            )
            if page.status != 200:
                unreadable += 1
                continue
            checked += 1
            text, version = textarea_text(page.text), hidden_version(page.text)
            if text != last.text or version != last.version + 1:
                lost.append(
                    {"update": key, "port": port, "expected": last.marker, "found": text[:60]}
                )
    # The plan tables, as the page cache serves them now, on every server.
    stale, tables = [], 0
    executive = dataset.summary["executives"][0]
    for slug in sorted({key[0] for key in last_saves}):
        for port in ports:
            table = session_of(executive, port).get(f"/plans/{slug}/")
            tables += 1
            for key, last in last_saves.items():
                if key[0] == slug and last.marker not in table.text:
                    stale.append({"update": key, "port": port, "expected": last.marker})
    markers_file = BENCH_DIR / f"markers-{os.getpid()}.json"
    markers_file.write_text(json.dumps([w.marker for w in stats.accepted]))
    found = set(
        run_here("history-markers", database_url, "--markers-file", str(markers_file))["found"]
    )
    markers_file.unlink()
    missing = [w.marker for w in stats.accepted if w.marker not in found]
    return {
        "updates_checked": checked,
        "updates_unreadable": unreadable,
        "updates_uncertain": len(stats.uncertain),
        "lost_writes": len(lost) + len(double_accepts),
        "lost_examples": lost[:5],
        "double_accepts": len(double_accepts),
        "accepted_saves_missing_from_history": len(missing),
        "plan_tables_checked": tables,
        "stale_pages": len(stale),
        "stale_examples": stale[:5],
    }


def prepare(args: argparse.Namespace, log) -> tuple[Dataset, str]:
    """The data set to run against: a copy of the cached SQLite one, or a fresh generation into
    the database given (PostgreSQL)."""
    if args.database_url:
        log(f"Generating {args.size} into {args.database_url.split('@')[-1]} ...")
        summary = generate_into(args.database_url, args.size, seed=args.seed)
        engine = args.database_url.split(":", 1)[0]
        return Dataset("load", args.size, args.database_url, None, summary), engine
    cached = sqlite_dataset(f"load-seed{args.seed}", args.size, seed=args.seed, log=log)
    return working_copy(cached, "load"), "sqlite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--leads", type=float, default=0.7, help="Share of the users who are leads."
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="Mean pause between a user's steps, seconds."
    )
    parser.add_argument(
        "--pdf-share", type=float, default=0.25, help="Share of executive rounds with a PDF."
    )
    parser.add_argument(
        "--pdf-at-once", type=int, default=1, help="Most PDF returns requested at the same time."
    )
    parser.add_argument("--size", type=size_arg, default=size_arg(DEFAULT_SIZE))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="Generate into this (empty) database instead of SQLite; defaults to $DATABASE_URL.",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="gunicorn servers sharing the database and Redis, the users spread over them "
        "(more than one needs PostgreSQL and --redis-url).",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", ""),
        help="The shared page cache; defaults to $REDIS_URL (none: each process its own).",
    )
    parser.add_argument("--workers", type=int, default=2, help="Workers per server.")
    parser.add_argument(
        "--bg-workers",
        type=int,
        help="Background workers (db_worker at nice 10) in all; defaults to one per server.",
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.servers > 1 and not (
        (args.database_url or "").startswith("postgres") and args.redis_url
    ):
        parser.error("--servers 2 or more needs PostgreSQL (--database-url) and --redis-url")

    def log(message: str) -> None:
        print(message, flush=True)

    collect_static()
    dataset, engine = prepare(args, log)
    work = run_here("lead-work", dataset.database_url)
    accounts = sorted(work)
    plans = sorted({item[0] for items in work.values() for item in items})
    n_leads = round(args.users * args.leads)
    n_executives = args.users - n_leads
    # Two simulated leads per account, so some saves collide.
    lead_accounts = [accounts[i % len(accounts)] for i in range(max(1, (n_leads + 1) // 2))]
    stats = Stats()
    pdf_gate = threading.Semaphore(args.pdf_at_once)
    rng = random.Random(args.seed)
    bg_workers = args.servers if args.bg_workers is None else args.bg_workers
    # Every server and worker keeps and serves the finished returns from one folder.
    media = BENCH_DIR / f"media-load-{os.getpid()}"
    # Servers of one site share their secret key (sessions and CSRF tokens are signed with it)
    # and the cache's key prefix (one release).
    shared = {
        "SECRET_KEY": "load-test-only-" + uuid.uuid4().hex,
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": f"load-test-{uuid.uuid4().hex[:8]}",
        "MEDIA_ROOT": str(media),
    }
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(
                Server(dataset.database_url, workers=args.workers, threads=args.threads, env=shared)
            )
            for _ in range(args.servers)
        ]
        ports = [server.port for server in servers]
        log(f"{len(servers)} server(s) on 127.0.0.1:{', '.join(map(str, ports))}")
        # Stopped (each finishing its return for 30 s at most) before the read-back.
        workers = BackgroundWorkers(
            bg_workers, production_env(dataset.database_url) | shared, nice=10, grace=30
        )
        stack.enter_context(workers)
        dashboard = HttpSession(ports[0])
        dashboard.sign_in(dataset.summary["executives"][0], dataset.password)
        has_dashboard = dashboard.get("/dashboard/").status == 200
        users: list[User] = []
        for i in range(n_leads):
            account = lead_accounts[i // 2]
            users.append(
                Lead(
                    ports[len(users) % len(ports)],
                    stats,
                    random.Random(rng.random()),
                    args.think,
                    account=account,
                    work=work[account],
                )
            )
        executives = dataset.summary["executives"]
        for i in range(n_executives):
            user = Executive(
                ports[len(users) % len(ports)],
                stats,
                random.Random(rng.random()),
                args.think,
                plans=plans,
                dashboard=has_dashboard,
                pdf_share=args.pdf_share,
                pdf_gate=pdf_gate,
                account=executives[i % len(executives)],
            )
            users.append(user)
        log(f"Signing in {len(users)} users ({n_leads} leads, {n_executives} executives) ...")
        for user in users:
            user.session.sign_in(user.account, dataset.password)

        deadline = time.monotonic() + args.seconds

        def run(user: User) -> None:
            # Users start spread over the first second, as people do not all click at once.
            time.sleep(user.rng.random())
            while time.monotonic() < deadline:
                user.step()

        log(f"Running for {args.seconds:g} s against {engine} ...")
        threads = [threading.Thread(target=run, args=(u,), daemon=True) for u in users]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 300)
        elapsed = time.perf_counter() - started
        returns = run_here("return-tasks", dataset.database_url)
        workers.__exit__(None, None, None)
        log("Reading every saved update back ...")
        check = verify(ports, dataset, stats, dataset.database_url)

    shutil.rmtree(media, ignore_errors=True)
    check["returns"] = returns
    check["background_workers"] = bg_workers
    report = summarise(args, engine, stats, check, elapsed, n_leads, n_executives, ports)
    servers_name = f"-{args.servers}-servers" if args.servers > 1 else ""
    output = args.output or BENCH_DIR / f"load-{engine}{servers_name}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    print()
    print(report["table"])
    print(f"\nWritten to {output}")
    if (
        report["errors"]
        or check["lost_writes"]
        or check["accepted_saves_missing_from_history"]
        or check["stale_pages"]
    ):
        sys.exit(1)


def summarise(args, engine, stats, check, elapsed, n_leads, n_executives, ports) -> dict:
    pages = {}
    for page, values in sorted(stats.latencies.items()):
        pages[page] = {
            "requests": len(values),
            "rps": round(len(values) / elapsed, 2),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "errors": stats.errors.get(page, 0),
        }
    total = sum(p["requests"] for p in pages.values())
    errors = sum(stats.errors.values())
    cache = "Redis" if args.redis_url else "each process's memory"
    spread = " / ".join(str(stats.by_server[port]) for port in ports)
    servers = f"{len(ports)} gunicorn servers (requests {spread})" if len(ports) > 1 else "gunicorn"
    lines = [
        f"{args.users} users ({n_leads} leads, {n_executives} executives), {elapsed:.0f} s, "
        f"{engine}, {servers}, {args.workers} workers x {args.threads} threads each, page "
        f"cache in {cache}, {check['background_workers']} background worker(s) at nice 10, "
        f"think time {args.think:g} s, at most {args.pdf_at_once} PDF asked at once, data set "
        f"{'x'.join(str(v) for v in args.size.values())}",
        "",
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for page, row in pages.items():
        lines.append(
            f"| {page} | {row['requests']} | {row['rps']:.1f} | {row['p50_ms']:.0f} "
            f"| {row['p95_ms']:.0f} | {row['p99_ms']:.0f} | {row['errors']} |"
        )
    lines += [
        f"| **all** | {total} | {total / elapsed:.1f} | | | | {errors} |",
        "",
        f"Saves accepted: {len(stats.accepted)}; refused as conflicts (409): {stats.refused}; "
        f"update forms read back (every saved update, on every server): "
        f"{check['updates_checked']}; LOST WRITES: {check['lost_writes']}; "
        f"accepted saves missing from history: {check['accepted_saves_missing_from_history']}; "
        f"plan tables checked on every server: {check['plan_tables_checked']}; "
        f"STALE PAGES: {check['stale_pages']}; errors: {errors}.",
        "",
        f"PDF returns asked for: {stats.pdf_asked}; their tasks when the users stopped: "
        + ", ".join(
            f"{n} {TASK_STATES.get(state, state.lower())}"
            for state, n in sorted(check["returns"].items())
        )
        + ".",
    ]
    return {
        "run_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "database": engine,
        "users": args.users,
        "leads": n_leads,
        "executives": n_executives,
        "seconds": round(elapsed, 1),
        "think_seconds": args.think,
        "size": args.size,
        "servers": len(ports),
        "requests_by_server": [stats.by_server[p] for p in ports],
        "page_cache": cache,
        "pdf_asked": stats.pdf_asked,
        "workers": args.workers,
        "threads": args.threads,
        "requests": total,
        "rps": round(total / elapsed, 2),
        "errors": errors,
        "error_samples": stats.error_samples,
        "saves_accepted": len(stats.accepted),
        "saves_refused_conflict": stats.refused,
        "check": check,
        "pages": pages,
        "table": "\n".join(lines),
    }


if __name__ == "__main__":
    main()
