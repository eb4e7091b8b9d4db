"""`make bench`: the page benchmark, then the returns benchmark if present, one after the other.

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
    returns = HERE / "bench_returns.py"
    if returns.exists():
        status = subprocess.run([sys.executable, str(returns)]).returncode or status
    return status


if __name__ == "__main__":
    sys.exit(main())
