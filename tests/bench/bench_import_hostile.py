"""Hostile files against the import's file reader: seconds and peak memory of each.

Every file of `tests/hostile_files.HOSTILE` (and, for comparison, a normal 10,000-row
workbook) is read by `recommendations.imports.formats.read_source` in a fresh Python process
that has set Django up, as a web worker has. For each it prints the file's size, the seconds
the reading took, the process's peak resident memory (the kernel's ru_maxrss of that one
child, from wait4) and the message the user would get, and says whether it stayed within
10 seconds and 300 MB. A child that runs past 60 seconds is killed; each child may map at
most 4 GB, so a file that gets past the guards fails here instead of taking the machine.

    .venv/bin/python tests/bench/bench_import_hostile.py
    .venv/bin/python tests/bench/bench_import_hostile.py --only xls --only "zip bomb"

Writes the figures to var/bench/import-hostile.json as well. Exits 1 if any file took longer
than 10 s or more than 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SECONDS_LIMIT = 10
MEMORY_LIMIT_MB = 300
KILL_AFTER = 60
ADDRESS_SPACE = 4 * 1024**3


def child(path: str, filename: str) -> None:
    """Read one file and print what happened as JSON (run in a fresh process)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actionplan.settings")
    import django

    django.setup()
    from recommendations.imports.formats import NotReadable, read_source

    data = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    try:
        source = read_source(data, filename=filename)
        rows = sum(len(sheet.rows) for sheet in source.sheets)
        message = f"read: {len(source.sheets)} sheet(s), {rows:,} rows"
    except NotReadable as error:
        message = str(error)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "baseline_mb": before, "message": message}))


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def measure(name: str, data: bytes, filename: str, folder: Path) -> dict:
    path = folder / "upload.bin"
    path.write_bytes(data)
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(path), filename],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        preexec_fn=_limit_memory,
    )
    started = time.perf_counter()
    killed = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > KILL_AFTER:
            process.kill()
            killed = True
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    output = process.stdout.read().decode()
    errors = process.stderr.read().decode()
    result = {
        "file": name,
        "bytes": len(data),
        "peak_mb": usage.ru_maxrss / 1024,
        "seconds": None,
        "baseline_mb": None,
        "message": "",
    }
    if killed:
        result["message"] = f"KILLED after {KILL_AFTER} s"
    elif process.returncode != 0 or not output.strip():
        last = errors.strip().splitlines()[-1:] or [f"exit {process.returncode}"]
        result["message"] = f"CRASHED: {last[0]}"
    else:
        result.update(json.loads(output.strip().splitlines()[-1]))
    result["within"] = (
        not killed
        and result["seconds"] is not None
        and result["seconds"] <= SECONDS_LIMIT
        and result["peak_mb"] <= MEMORY_LIMIT_MB
        and not result["message"].startswith("CRASHED")
    )
    return result


def cases() -> dict:
    from tests.hostile_files import HOSTILE, normal_workbook

    return {"normal workbook, 10,000 rows (xlsx)": (normal_workbook, "plan.xlsx"), **HOSTILE}


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--only", action="append", default=[], help="cases whose name has this")
    arguments.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = arguments.parse_args()
    if options.child:
        child(*options.child)
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        for name, (build, filename) in cases().items():
            if options.only and not any(part in name for part in options.only):
                continue
            result = measure(name, build(), filename, Path(folder))
            results.append(result)
            print(
                f"{name:40} {result['bytes'] / 1024:9,.0f} KB "
                f"{result['seconds'] if result['seconds'] is not None else float('nan'):6.2f} s "
                f"{result['peak_mb']:6.0f} MB  {result['message'][:60]}",
                file=sys.stderr,
                flush=True,
            )
    print(table(results))
    output = ROOT / "var" / "bench" / "import-hostile.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    return 0 if all(result["within"] for result in results) else 1


def table(results: list[dict]) -> str:
    baseline = min((r["baseline_mb"] for r in results if r["baseline_mb"]), default=0)
    lines = [
        f"Each file read in a fresh process with Django set up ({baseline:.0f} MB before "
        f"reading); limits {SECONDS_LIMIT} s and {MEMORY_LIMIT_MB} MB peak.",
        "",
        "| file | size | seconds | peak MB | within | message |",
        "|---|---:|---:|---:|:---:|---|",
    ]
    for r in results:
        seconds = "-" if r["seconds"] is None else f"{r['seconds']:.2f}"
        size = f"{r['bytes'] / 1024:,.0f} KB"
        message = r["message"].replace("|", "/")
        if len(message) > 110:
            message = message[:107] + "..."
        lines.append(
            f"| {r['file']} | {size} | {seconds} | {r['peak_mb']:.0f} | "
            f"{'yes' if r['within'] else 'NO'} | {message} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
