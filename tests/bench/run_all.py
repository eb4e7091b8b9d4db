"""`make bench`: the page benchmark, then the returns and import benchmarks, one after the other.

Extra arguments go to the page benchmark (e.g. `--quick`). The load test and the query plans
are run on their own (see tests/bench/README.md): they take longer and one needs PostgreSQL.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    status = subprocess.run(
        [sys.executable, str(HERE / "bench_pages.py"), *sys.argv[1:]]
    ).returncode
    for name in ("bench_returns.py", "bench_import_preview.py", "bench_import_hostile.py"):
        script = HERE / name
        if script.exists():
            status = subprocess.run([sys.executable, str(script)]).returncode or status
    return status


if __name__ == "__main__":
    sys.exit(main())
