from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import ROOT, in_ci

# promgen's own records (render digests, the journal key) go to a folder of this run, never the
# user's ~/.cache; subprocesses inherit it.
os.environ.setdefault("PROMGEN_CACHE_DIR", tempfile.mkdtemp(prefix="promgen-test-cache-"))


def run_promgen(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "promgen", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def promgen_in_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`promgen ARGS` through the code `main` runs (argument parsing, the command, the one place errors
    become exit codes; promgen.cli.main.run), without starting an interpreter: for the many tests whose
    point is what a command does, not the process. Only for inputs that cannot hang, and never where
    the process is the point (FIFOs and endless files, signals, renders running side by side, stdin):
    those start one with run_promgen."""
    import contextlib
    import io

    from promgen.cli import main as cli

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.run(list(args), prog_name=f"{Path(sys.executable).name} -m promgen")
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["promgen", *args], code, out.getvalue(), err.getvalue())


def validate_in_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`promgen validate ARGS` in this process (promgen_in_process): the bad-input corpora run it
    hundreds of times."""
    from promgen.cli import main as cli

    assert cli.plain_validate(list(args)) is not None, f"not a plain `validate` call: {args}"
    return promgen_in_process(*args, cwd=cwd)


@pytest.fixture
def promgen_cli():
    """`promgen ARGS` in this process (promgen_in_process)."""
    return promgen_in_process


# --- tiers ------------------------------------------------------------------------------------
# The README's command runs the fast tier: every unit, snapshot and judge test at the newest versions.
# The slow tier (the oldest versions' judges, the end-to-end servers, long property runs) runs in CI
# (CI=true runs both) or alone with `python -m pytest -m slow`. A tier that does not run is named in
# the summary line, never skipped in silence.

SLOW_TIER = "slow"
SLOW_NOT_RUN = "in the slow tier not run (pytest -m slow; CI=true runs every tier)"
_NOT_RUN = pytest.StashKey[int]()


def _slow(item: pytest.Item) -> bool:
    if item.get_closest_marker(SLOW_TIER) is not None:
        return True
    callspec = getattr(item, "callspec", None)  # a case judged by the oldest release: `[pynomaly-oldest]`
    return callspec is not None and "oldest" in callspec.id.split("-")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _slow(item) and item.get_closest_marker(SLOW_TIER) is None:
            item.add_marker(SLOW_TIER)  # `-m slow` selects the oldest release's judges too
    if in_ci() or config.getoption("markexpr"):
        return
    count = sum(1 for item in items if _slow(item))
    items[:] = [item for item in items if not _slow(item)]
    config.stash[_NOT_RUN] = count
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker: tell the controller
        config.workeroutput["slow_not_run"] = count


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist's controller: what the workers left out of the run."""
    output = getattr(node, "workeroutput", {}) or {}
    if "slow_not_run" in output:
        node.config.stash[_NOT_RUN] = output["slow_not_run"]  # type: ignore[attr-defined]


class _NotRun:
    """A test of the slow tier, as an entry of the terminal's statistics (plugins read their __dict__)."""


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    count = config.stash.get(_NOT_RUN, 0)
    if count:  # shown in the summary line: "1200 passed, 254 in the slow tier not run (...)"
        terminalreporter.stats.setdefault(SLOW_NOT_RUN, []).extend(_NotRun() for _ in range(count))
