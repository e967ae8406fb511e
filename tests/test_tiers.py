"""The suite's tiers: outside CI the slow tier does not run and the summary line says so; `-m slow`
runs it; CI runs every tier (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT

KILLS = "tests/write/test_safe_writes.py::test_random_kills_leave_the_old_or_the_new_stack"
ORACLE = "tests/test_platform.py::test_promtool_and_amtool_accept_the_stack"


def pytest(*args: str, ci: bool) -> str:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    if ci:
        env["CI"] = "true"
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return done.stdout


def test_outside_ci_the_slow_tier_is_named_in_the_summary_line() -> None:
    last = pytest("-q", KILLS, ci=False).strip().splitlines()[-1]
    assert "2 in the slow tier not run (pytest -m slow; CI=true runs every tier)" in last


def test_the_oldest_releases_judges_are_in_the_slow_tier() -> None:
    listed = pytest("--collect-only", "-q", ORACLE, ci=False)
    assert "accept_the_stack[newest]" in listed and "[oldest]" not in listed
    listed = pytest("--collect-only", "-q", "-m", "slow", ORACLE, KILLS, ci=False)
    assert "accept_the_stack[oldest]" in listed and "[SIGKILL]" in listed and "[newest]" not in listed


def test_ci_runs_every_tier() -> None:
    listed = pytest("--collect-only", "-q", ORACLE, KILLS, ci=True)
    assert "[oldest]" in listed and "[newest]" in listed and "[SIGKILL]" in listed
