"""Without Chromium the browser tests are skipped with a loud message, unless REQUIRE_BROWSER=1
(as in CI), where they fail instead. Runs pytest in a subprocess with Chromium made unfindable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "tests/browser/test_content_security_policy.py"


def run_without_chromium(**extra_env: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != "REQUIRE_BROWSER"}
    env |= {"CHROMIUM_PATH": "/nonexistent/chromium", **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", SAMPLE, "-q", "-p", "no:randomly"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_chromium_the_browser_tests_are_skipped_with_a_loud_message():
    result = run_without_chromium()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "BROWSER TESTS SKIPPED: chromium not installed (apt-get install chromium)" in (
        result.stdout
    )


def test_without_chromium_the_browser_tests_fail_when_a_browser_is_required():
    result = run_without_chromium(REQUIRE_BROWSER="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "skipped" not in result.stdout
    assert "2 errors" in result.stdout
    assert "BROWSER TESTS REQUIRED (REQUIRE_BROWSER=1) BUT chromium is not installed" in (
        result.stdout
    )
