"""Shared harness for the benchmarks and the load test: data sets, a gunicorn server on loopback,
a keep-alive HTTP client that signs in like a browser, a bounded load generator, and query counts
measured in-process against the same database.

Everything here talks to 127.0.0.1 only. Run as a script it counts queries (used by the
benchmarks in a subprocess, so each data set gets its own Django set-up):

    python tests/bench/server.py count-queries --database-url sqlite:///... --username u PATH...
    python tests/bench/server.py return-tasks --database-url ...
    python tests/bench/server.py token-cost --database-url ... [--extra-plans 900]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(os.environ.get("BENCH_DIR", ROOT / "var" / "bench"))
PYTHON = sys.executable
HOST = "127.0.0.1"

# Files whose change makes a cached data set stale: the generator and the schema.
DATA_SOURCES = ("recommendations/generate.py", "recommendations/models.py")


# ---------------------------------------------------------------------------- data sets


@dataclass
class Dataset:
    """A generated database and what the generator said about it (accounts, largest plan)."""

    name: str
    size: dict
    database_url: str
    path: Path | None
    summary: dict

    @property
    def password(self) -> str:
        return self.summary["password"]


def _fingerprint(size: dict, seed: int) -> str:
    digest = hashlib.sha256(json.dumps([size, seed], sort_keys=True).encode())
    for name in DATA_SOURCES:
        digest.update((ROOT / name).read_bytes())
    for migration in sorted((ROOT / "recommendations" / "migrations").glob("*.py")):
        digest.update(migration.read_bytes())
    return digest.hexdigest()[:16]


def _manage(*args: str, database_url: str, quiet: bool = True) -> subprocess.CompletedProcess:
    env = os.environ | {"DATABASE_URL": database_url}
    return subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=quiet,
    )


def generate_into(database_url: str, size: dict, *, seed: int = 1) -> dict:
    """Migrate the database and generate `size` into it; returns the generator's summary."""
    summary_path = BENCH_DIR / f"summary-{os.getpid()}-{time.monotonic_ns()}.json"
    _manage("migrate", "--noinput", "-v0", database_url=database_url)
    args = [f"--{name}={value}" for name, value in size.items()]
    _manage(
        "generate_demo", *args, f"--seed={seed}", f"--summary={summary_path}", "-v0",
        database_url=database_url,
    )  # fmt: skip
    summary = json.loads(summary_path.read_text())
    summary_path.unlink()
    return summary


def sqlite_dataset(name: str, size: dict, *, seed: int = 1, log=print) -> Dataset:
    """A SQLite data set of `size`, generated once and reused while the generator is unchanged."""
    folder = BENCH_DIR / "data"
    folder.mkdir(parents=True, exist_ok=True)
    key = _fingerprint(size, seed)
    path = folder / f"{name}-{key}.sqlite3"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        log(f"Reusing the {name} data set: {path}")
        return Dataset(name, size, f"sqlite:///{path}", path, json.loads(meta.read_text()))
    log(f"Generating the {name} data set {size} into {path} ...")
    partial = path.with_suffix(".partial")
    for leftover in folder.glob(f"{partial.name}*"):
        leftover.unlink()
    summary = generate_into(f"sqlite:///{partial}", size, seed=seed)
    _checkpoint(partial)
    partial.rename(path)
    meta.write_text(json.dumps(summary, indent=2))
    log(f"Generated in {summary['seconds']} s: {summary['history_rows']} history rows.")
    return Dataset(name, size, f"sqlite:///{path}", path, summary)


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the database file, so the file alone is the data set."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()


def working_copy(dataset: Dataset, name: str) -> Dataset:
    """A throwaway copy of a SQLite data set, for runs that write (the cache stays pristine)."""
    target = BENCH_DIR / "work" / f"{name}.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(dataset.path, target)
    return Dataset(name, dataset.size, f"sqlite:///{target}", target, dataset.summary)


def size_arg(text: str) -> dict:
    """ "100x30x4x12x3" -> plans, recommendations, subs, periods, edits."""
    parts = [int(p) for p in text.lower().split("x")]
    if len(parts) != 5 or min(parts) < 0:
        raise argparse.ArgumentTypeError("size is PLANSxRECOMMENDATIONSxSUBSxPERIODSxEDITS")
    return dict(zip(("plans", "recommendations", "subs", "periods", "edits"), parts, strict=True))


# ---------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def production_env(database_url: str) -> dict:
    """Production settings, with the HTTPS-only ones relaxed for plain HTTP on loopback."""
    return os.environ | {
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-" + hashlib.sha256(os.urandom(16)).hexdigest(),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(BENCH_DIR / "static"),
        "LOG_LEVEL": "ERROR",
    }


def collect_static(static_root: Path | None = None) -> None:
    """Production serves hashed static file names from a manifest, so the manifest must exist."""
    env = production_env("sqlite:///:memory:")
    if static_root is not None:
        env["STATIC_ROOT"] = str(static_root)
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


class Server:
    """gunicorn serving the app on 127.0.0.1 with production settings; stopped on exit."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 2,
        threads: int = 1,
        timeout: int = 600,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ):
        self.database_url = database_url
        self.env = env or {}
        self.timeout = timeout
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = (log_dir or BENCH_DIR) / f"gunicorn-{self.port}.log"

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(Path(PYTHON).with_name("gunicorn")),
            "actionplan.wsgi",
            "-b", f"{HOST}:{self.port}",
            "--workers", str(self.workers),
            "--threads", str(self.threads),
            "--timeout", str(self.timeout),
            "--error-logfile", str(self.log),
        ]  # fmt: skip
        # Django's own error log (a 500's traceback) goes to stderr: keep it beside gunicorn's.
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=production_env(self.database_url) | self.env,
            stdout=self._log_file,
            stderr=self._log_file,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                if HttpSession(self.port).get("/sign-in/").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log}")

    def worker_cpu_seconds(self) -> float:
        """CPU time used so far by the worker processes (user + system), from /proc.

        Unlike wall-clock throughput, this barely changes when other programs compete for the
        machine, so it shows what a page costs even on a busy host.
        """
        total = 0
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return 0.0
        for child in children:
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime and stime are the 14th and 15th fields of stat (12th and 13th after comm).
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log_file", None):
            self._log_file.close()


class BackgroundWorkers:
    """`manage.py db_worker` processes at a lower CPU priority, as `make serve-production` and
    the README's systemd unit run them; stopped on exit (SIGTERM: each finishes the return it
    is making, for `grace` seconds at most)."""

    def __init__(self, count: int, env: dict, *, nice: int = 10, grace: float = 120):
        self.count, self.env, self.nice, self.grace = count, env, nice, grace
        self.processes: list[subprocess.Popen] = []
        self.log = BENCH_DIR / "db-workers.log"

    def __enter__(self) -> BackgroundWorkers:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log.open("ab")
        for n in range(self.count):
            command = [PYTHON, str(ROOT / "manage.py"), "db_worker", "--no-reload"]
            command += ["--worker-id", f"bench-{os.getpid()}-{n}"]
            self.processes.append(
                subprocess.Popen(
                    ["nice", "-n", str(self.nice), *command],
                    cwd=ROOT,
                    env=self.env,
                    stdout=self._log,
                    stderr=self._log,
                )
            )
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + self.grace
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._log.close()


# ---------------------------------------------------------------------------- the client

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class HttpSession:
    """One browser: a keep-alive connection to 127.0.0.1 and its cookies."""

    def __init__(self, port: int, *, timeout: float = 600):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: bytes | None, headers: dict) -> Response:
        headers = {"Host": f"{HOST}:{self.port}", **headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                raw = self.connection.getresponse()
                data = raw.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection between requests: open a new one
                # once; a second failure is real.
                self.close()
                if attempt == 2:
                    raise
                continue
            if raw.will_close:
                self.close()
            for value in raw.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)
        raise AssertionError("unreachable")

    def get(self, path: str) -> Response:
        return self._request("GET", path, None, {})

    def post(self, path: str, data: dict[str, str]) -> Response:
        body = urllib.parse.urlencode(data).encode()
        return self._request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the sign-in form, as a browser does (CSRF token and all)."""
        page = self.get("/sign-in/")
        token = csrf_token(page.text)
        response = self.post(
            "/sign-in/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": ""},
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"Sign-in as {username} failed with HTTP {response.status}.")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def csrf_token(html: str) -> str:
    match = _CSRF_INPUT.search(html)
    if not match:
        raise RuntimeError("No CSRF token in the page.")
    return match.group(1)


# ---------------------------------------------------------------------------- load


@dataclass
class Measurement:
    """Throughput and latency of one page under a fixed number of concurrent connections."""

    path: str
    connections: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    bytes: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    @property
    def server_cpu_ms(self) -> float:
        """Server CPU per request, in milliseconds."""
        return 1000 * self.server_cpu_seconds / self.requests if self.requests else 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("latencies_ms")
        return data | {
            "rps": round(self.rps, 2),
            "server_cpu_ms_per_request": round(self.server_cpu_ms, 3),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
        }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(p) - 1))]


def hammer(
    sessions: list[HttpSession],
    path: str,
    *,
    seconds: float,
    warmup: float = 1.0,
    min_requests: int = 0,
    max_seconds: float | None = None,
    expect: int = 200,
    server: Server | None = None,
) -> Measurement:
    """GET `path` from every session at once, back to back, for `seconds` after a warm-up.

    Bounded: stops at `seconds` once `min_requests` are done, and in any case at `max_seconds`.
    """
    result = Measurement(path, len(sessions))
    lock = threading.Lock()
    max_seconds = max_seconds or seconds * 6
    phase = {"measuring": False}
    start_barrier = threading.Barrier(len(sessions) + 1)

    def worker(session: HttpSession) -> None:
        start_barrier.wait()
        while True:
            now = time.perf_counter()
            if phase["measuring"]:
                elapsed = now - phase["started"]
                if elapsed >= max_seconds or (
                    elapsed >= seconds and result.requests >= min_requests
                ):
                    return
            measuring = phase["measuring"]
            began = time.perf_counter()
            try:
                response = session.get(path)
                ok = response.status == expect
                size = len(response.body)
            except OSError:
                ok, size = False, 0
                session.close()
            took = (time.perf_counter() - began) * 1000
            if measuring:
                with lock:
                    result.requests += 1
                    result.bytes += size
                    result.latencies_ms.append(took)
                    if not ok:
                        result.errors += 1

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()

    def start_measuring() -> tuple[float, float]:
        before = (time.process_time(), server.worker_cpu_seconds() if server else 0.0)
        phase["started"] = time.perf_counter()
        phase["measuring"] = True
        return before

    if warmup > 0:
        start_barrier.wait()
        time.sleep(warmup)
        cpu_before, server_before = start_measuring()
    else:
        # No warm-up: measure from the very first request, or its cost would be counted
        # without the request.
        cpu_before, server_before = start_measuring()
        start_barrier.wait()
    # Wait for requests in flight: a page still rendering would otherwise queue in front of
    # the next page measured. Each request is bounded by the connection's timeout.
    longest_request = max(session.timeout for session in sessions)
    for thread in threads:
        thread.join(timeout=max_seconds + longest_request + 30)
    result.seconds = time.perf_counter() - phase["started"]
    result.client_cpu_seconds = round(time.process_time() - cpu_before, 3)
    if server:
        result.server_cpu_seconds = round(server.worker_cpu_seconds() - server_before, 3)
    if result.requests:
        result.bytes //= result.requests
    return result


# ---------------------------------------------------------------------------- queries


def count_queries(
    database_url: str,
    paths: list[str],
    *,
    username: str | None,
    env: dict[str, str] | None = None,
) -> dict[str, dict]:
    """SQL queries per request for each path, measured in a separate Django process: rendered
    afresh ("cold_queries", the page cache emptied first) and served again ("queries")."""
    command = [PYTHON, __file__, "count-queries", "--database-url", database_url]
    if username:
        command += ["--username", username]
    output = subprocess.run(
        [*command, *paths],
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
        env=os.environ | (env or {}),
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _count_queries_here(database_url: str, paths: list[str], username: str | None) -> dict:
    _django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404, resolve

    client = Client()
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    result = {}
    for path in paths:
        try:
            resolve(urllib.parse.urlsplit(path).path)
        except Resolver404:
            result[path] = {"exists": False}
            continue
        client.get(path)  # the first request may refresh the session
        cache.clear()
        _fresh_session(client)
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as cold:
            response = client.get(path)
        seconds = time.perf_counter() - began
        _fresh_session(client)
        with CaptureQueriesContext(connection) as warm:
            client.get(path)
        result[path] = {
            "exists": response.status_code != 404,
            "status": response.status_code,
            "cold_queries": len(cold),
            "queries": len(warm),
            "seconds": round(seconds, 3),
        }
    return result


def _fresh_session(client) -> None:
    """Mark the session as just refreshed, so that a page taking over a minute (the PDF) does
    not count the idle-timeout refresh in the next request's queries."""
    from django.conf import settings

    # Asking a signed-out client for its session would give it one, and the page a query.
    if settings.SESSION_COOKIE_NAME not in client.cookies:
        return
    session = client.session
    if "_refreshed_at" in session:
        session["_refreshed_at"] = int(time.time())
        session.save()


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actionplan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _lead_work_here(database_url: str) -> dict:
    """Per lead account: the updates of the latest period of every plan that the lead owns."""
    _django(database_url)
    from django.db.models import Max

    from recommendations.models import ReportingPeriod, StatusUpdate

    latest = {
        row["plan_id"]: row["last"]
        for row in ReportingPeriod.objects.values("plan_id").annotate(last=Max("position"))
    }
    work: dict[str, list] = {}
    updates = StatusUpdate.objects.filter(
        recommendation__owner__user__groups__name="Lead"
    ).values_list(
        "recommendation__owner__user__username",
        "recommendation__plan__slug",
        "recommendation__plan_id",
        "recommendation__number",
        "period_id",
        "period__position",
    )
    for username, slug, plan_id, number, period_id, position in updates:
        if position == latest[plan_id]:
            work.setdefault(username, []).append([slug, number, period_id])
    return {name: sorted(items) for name, items in sorted(work.items())}


def _history_markers_here(database_url: str, markers: list[str]) -> dict:
    """Which of `markers` appear in some saved version of an update (its history)."""
    _django(database_url)
    from recommendations.models import StatusUpdate

    found = set()
    texts = StatusUpdate.history.filter(text__startswith="Load test write ").values_list(
        "text", flat=True
    )
    wanted = set(markers)
    for text in texts.iterator():
        marker = text.split(" ", 4)[3].rstrip(".")
        if marker in wanted:
            found.add(marker)
    return {"found": sorted(found)}


def _return_tasks_here(database_url: str) -> dict:
    """The returns asked of the background worker, counted by where their task stands."""
    _django(database_url)
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from recommendations.exports.jobs import make_return

    rows = (
        DBTaskResult.objects.filter(task_path=make_return.module_path)
        .values("status")
        .annotate(count=Count("pk"))
    )
    return {row["status"]: row["count"] for row in rows}


def _token_cost_here(database_url: str, extra_plans: int, rounds: int) -> dict:
    """Microseconds to read the token of the pages that span plans (one query over every
    plan's token), against a read of one token row by its key (what it cost when one row
    held it); with `extra_plans` more plans added first (write to a copy)."""
    _django(database_url)
    from django.db import transaction

    from recommendations import page_cache
    from recommendations.models import Plan, PlanRevision, SiteRevision

    if extra_plans:
        # Every plan belongs to an organisation and answers a report: those of a generated one.
        model = Plan.objects.order_by("pk").first()
        with transaction.atomic():
            made = Plan.objects.bulk_create(
                [
                    Plan(
                        slug=f"token-cost-{i}",
                        title=f"Token cost {i}",
                        organisation_id=model.organisation_id,
                        report_id=model.report_id,
                    )
                    for i in range(extra_plans)
                ]
            )
            PlanRevision.objects.bulk_create(
                [PlanRevision(plan=plan, token=page_cache.new_token()) for plan in made]
            )
    page_cache.mark_site_change()
    latest = SiteRevision.objects.order_by("-pk").values_list("pk", flat=True).first()

    def one_row() -> str | None:
        return SiteRevision.objects.filter(pk=latest).values_list("token", flat=True).first()

    def timed(read) -> float:
        for _ in range(min(rounds, 50)):
            read()
        began = time.perf_counter()
        for _ in range(rounds):
            read()
        return (time.perf_counter() - began) / rounds * 1e6

    site, single = [], []
    for _ in range(5):  # interleaved, so a busy moment hits both alike
        site.append(timed(page_cache.site_token))
        single.append(timed(one_row))
    return {
        "plans": Plan.objects.count(),
        "site_marks": SiteRevision.objects.count(),
        "site_token_us": round(statistics.median(site), 1),
        "one_row_us": round(statistics.median(single), 1),
    }


def run_here(command: str, database_url: str, *args: str) -> dict:
    """Run one of this module's Django-side commands in a subprocess and return its JSON."""
    output = subprocess.run(
        [PYTHON, __file__, command, "--database-url", database_url, *args],
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    counting = sub.add_parser("count-queries")
    counting.add_argument("--database-url", required=True)
    counting.add_argument("--username")
    counting.add_argument("paths", nargs="+")
    work = sub.add_parser("lead-work")
    work.add_argument("--database-url", required=True)
    markers = sub.add_parser("history-markers")
    markers.add_argument("--database-url", required=True)
    markers.add_argument("--markers-file", type=Path, required=True)
    tasks = sub.add_parser("return-tasks")
    tasks.add_argument("--database-url", required=True)
    token = sub.add_parser("token-cost")
    token.add_argument("--database-url", required=True)
    token.add_argument("--extra-plans", type=int, default=0)
    token.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()
    if args.command == "count-queries":
        print(json.dumps(_count_queries_here(args.database_url, args.paths, args.username)))
    elif args.command == "lead-work":
        print(json.dumps(_lead_work_here(args.database_url)))
    elif args.command == "history-markers":
        wanted = json.loads(args.markers_file.read_text())
        print(json.dumps(_history_markers_here(args.database_url, wanted)))
    elif args.command == "return-tasks":
        print(json.dumps(_return_tasks_here(args.database_url)))
    elif args.command == "token-cost":
        cost = _token_cost_here(args.database_url, args.extra_plans, args.rounds)
        print(json.dumps(cost))


if __name__ == "__main__":
    main()
