"""`promgen check SPEC... --prometheus URL`: the stack the specs render, against the live Prometheus
its rules will run on (series, backtest, SLOs now, rule cost); exit 1 when a selector matches
nothing (and its metric is not declared `deployed: false`) or a question failed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from promgen.live.client import Credentials, PrometheusAPI, Tls
from promgen.live.run import Progress, Settings


def run(spec_paths: list[Path], url: str, settings: Settings, output_format: str, credentials: Credentials,
        tls: Tls, timeout_s: float) -> int:
    from promgen.cli.render import source_name
    from promgen.core.model import build_model
    from promgen.live import report as output
    from promgen.live.plan import plan
    from promgen.live.run import run as check
    from promgen.load.inputs import load_all

    specs, _warnings = load_all(spec_paths)  # validate shows the warnings; check runs on valid specs
    services = [(build_model(loaded.spec, source_name(path)), loaded) for path, loaded in specs]
    questions = plan(services)
    api = PrometheusAPI(url, credentials, tls, timeout_s)
    totals = {"series": len(questions.selectors), "backtest": len(questions.alerts), "SLOs": len(questions.slos),
              "cost": len(questions.groups)}
    with _progress(totals) as progress:
        report = check(api, questions, settings, progress)
    if output_format == "json":
        output.write_json(report, sys.stdout)
    else:
        output.write_text(report, sys.stdout)
    return 1 if report.errors else 0


@contextmanager
def _progress(totals: dict[str, int]) -> Iterator[Progress | None]:
    """A progress bar per phase on a terminal's stderr; nothing where stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as Bars

    with Bars(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
              console=Console(stderr=True), transient=True) as bars:
        tasks = {phase: bars.add_task(phase, total=total) for phase, total in totals.items() if total}

        def advance(phase: str, done: int) -> None:
            bars.update(tasks[phase], completed=done)

        yield advance
