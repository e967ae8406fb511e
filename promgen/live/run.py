"""One `promgen check --prometheus` run: every question of the plan asked with bounded concurrency,
each answer judged, and a failed question reported at the place it is about (the run goes on)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from typing import Any

from promgen.live.backtest import backtest
from promgen.live.client import LiveError, PrometheusAPI
from promgen.live.cost import group_cost
from promgen.live.plan import Place, Plan, ranges_s
from promgen.live.results import (
    AlertResult,
    Finding,
    GroupResult,
    Report,
)
from promgen.live.series import Lookups, check_selector
from promgen.live.slos import slo_status
from promgen.load.units import format_duration, parse_duration

Progress = Callable[[str, int], None]  # (phase, questions done in it) after each answer


@dataclass(frozen=True)
class Settings:
    since: str = "7d"
    concurrency: int = 4
    sample_budget: int = 1_000_000


class Presence:
    """Whether the server holds a recorded series at the start of the range (asked once each)."""

    def __init__(self, api: PrometheusAPI, at: float) -> None:
        self.api, self.at = api, at
        self._lock = threading.Lock()
        self._known: dict[str, bool] = {}

    def __call__(self, selector: str) -> bool:
        with self._lock:
            if selector in self._known:
                return self._known[selector]
        try:
            result, _stats = self.api.query(f"count({selector})", self.at)
            found = bool(result)
        except LiveError:
            found = False
        with self._lock:
            self._known[selector] = found
        return found


def server(api: PrometheusAPI) -> tuple[str, float, float | None]:
    """(version, now, retention in seconds) of the server; LiveError when it cannot be asked."""
    now = api.now()
    try:
        version = str((api.get("/api/v1/status/buildinfo", {}) or {}).get("version", "unknown"))
    except LiveError:
        version = "unknown"
    return version, now, api.retention_s()


def run(api: PrometheusAPI, plan: Plan, settings: Settings, progress: Progress | None = None) -> Report:
    version, end, retention = server(api)
    since_s = parse_duration(settings.since) / 1000
    report = Report(api.url, version, settings.since, end - since_s, end, retention, settings.sample_budget)
    lookups = Lookups(api, report.start, end)
    present = Presence(api, report.start)
    jobs: list[tuple[str, Place, Callable[[], Any]]] = []
    for selector in plan.selectors:
        jobs.append(("series", selector.readers[0].place,
                     partial(check_selector, api, selector, settings.since, end, lookups)))
    for rule in plan.alerts:
        jobs.append(("backtest", rule.place, partial(backtest, api, rule, plan.recorded, present, report.start, end)))
    for slo in plan.slos:
        jobs.append(("SLOs", slo.place, partial(slo_status, api, slo, end)))
    for group in plan.groups:
        jobs.append(("cost", group.place, partial(group_cost, api, group, plan.recorded, present, end)))
    answers: dict[int, Any] = {}
    done: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=max(1, settings.concurrency)) as pool:
        futures: dict[Future[Any], int] = {pool.submit(job): index for index, (_phase, _place, job) in enumerate(jobs)}
        for future in as_completed(futures):
            index = futures[future]
            phase, place, _job = jobs[index]
            try:
                answers[index] = future.result()
            except LiveError as error:
                report.findings.append(Finding("error", place, f"{phase}: the query failed: {error}"))
            done[phase] = done.get(phase, 0) + 1
            if progress is not None:
                progress(phase, done[phase])
    for index in sorted(answers):
        _collect(report, answers[index])
    report.findings += _budget_findings(report) + _retention_findings(plan, report)
    report.findings.sort(key=lambda f: (f.place.file, f.place.line, f.place.column, f.message))
    return report


def _collect(report: Report, answer: Any) -> None:
    if isinstance(answer, tuple):  # a selector's result and findings
        result, findings = answer
        report.selectors.append(result)
        report.findings.extend(findings)
    elif isinstance(answer, AlertResult):
        report.alerts.append(answer)
    elif isinstance(answer, GroupResult):
        report.groups.append(answer)
    else:
        report.slos.append(answer)


def _budget_findings(report: Report) -> list[Finding]:
    return [Finding("warning", result.group.place,
                    f"rule group {result.group.name} reads {result.samples:,} samples an evaluation, over the budget "
                    f"of {report.sample_budget:,} (--sample-budget): record the shared part, or shorten its ranges")
            for result in report.groups if result.samples is not None and result.samples > report.sample_budget]


def _retention_findings(plan: Plan, report: Report) -> list[Finding]:
    retention = report.retention_s
    if retention is None:
        return []
    found: list[Finding] = []
    for group in plan.groups:
        longest = max((r for expr in group.exprs for r in ranges_s(expr)), default=0.0)
        if longest > retention:
            found.append(Finding("warning", group.place,
                                 f"rule group {group.name} reads {_duration(longest)} back, but the server keeps "
                                 f"{_duration(retention)} of samples: that part reads only what is kept"))
    said = {finding.place for finding in found}
    for slo in plan.slos:
        window_s = parse_duration(slo.window) / 1000
        if window_s > retention and slo.place not in said:
            found.append(Finding("warning", slo.place,
                                 f"SLO {slo.name}'s window is {slo.window}, but the server keeps {_duration(retention)} "
                                 f"of samples: its budget is computed over what is kept"))
    return found


def _duration(seconds: float) -> str:
    return format_duration(int(seconds * 1000))
