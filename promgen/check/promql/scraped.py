"""Every alert can fire where it is rendered: each metric it reads must be scraped by a job of the
output it runs in. A stack of several services renders one prometheus.yml and one compose stack,
so a node-exporter job of one service serves every service's alerts; the service's own metrics
come from its own jobs.

- production (prometheus/prometheus.yml): the specs' `scrape.targets` (an exporter's by
  `exporter:`, or the job `stack.postgres.job`/`stack.redis.job` names) and the blackbox job of
  external probes. An alert that cannot fire there is an error.
- the compose stack: the same jobs scraped on the developer's machine (but a kubelet's cAdvisor),
  plus the exporters `stack.exporters` runs. An alert that can fire in production but not there is
  a warning; so is a custom panel that has no data in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from promgen.check.promql.catalogue import (
    ALERTS,
    APP,
    EXTERNAL,
    PROMETHEUS,
    RECORDED,
    Catalogue,
    Series,
    custom_panel_queries,
)
from promgen.core import conventions, exporters
from promgen.errors import Problem
from promgen.load.loader import LoadedSpec
from promgen.yamlio.reader import PathKey

CHECK = "alerts/scraped"


@dataclass(frozen=True)
class Output:
    """What one output's Prometheus scrapes: the exporters some job of it reads, and whether any job
    scrapes the service itself."""

    title: str
    exporters: frozenset[str]
    app_jobs: dict[str, frozenset[str]]  # service -> its own jobs (not an exporter's)
    any_job: bool

    def missing(self, series: Series, service: str) -> str | None:
        """Why no job of this output scrapes `series` (for an alert of `service`), or None."""
        if series.source in (RECORDED, ALERTS, EXTERNAL):
            return None
        if series.job is not None:
            return None  # the job exists (a reference check says so otherwise) and every output scrapes it
        if series.source == APP:
            if self.app_jobs.get(service):
                return None
            return f"{series.name} is the service's own metric, and no job of {self.title} scrapes the service"
        if series.source == PROMETHEUS:
            return None if self.any_job else f"{self.title} scrapes no job, so {series.name} has no series"
        if series.source in self.exporters:
            return None
        exporter = exporters.EXPORTERS[series.source]
        return f"{series.name} comes from {exporter.title}, and no job of {self.title} scrapes it"


def outputs(specs: list[LoadedSpec]) -> tuple[Output, Output]:
    """(production, compose) of the stack the specs render into."""
    production: set[str] = set()
    local: set[str] = set()
    app_jobs: dict[str, frozenset[str]] = {}
    for loaded in specs:
        catalogue = Catalogue.of(loaded.spec)
        service = loaded.spec.service.name
        app_jobs[service] = frozenset(job.name for job in catalogue.jobs.values() if job.exporter is None)
        for job in catalogue.jobs.values():
            if job.exporter is not None:
                production.add(job.exporter)
                if job.exporter not in conventions.LEFT_OUT_LOCALLY:
                    local.add(job.exporter)
        if catalogue.blackbox_job is not None:
            production.add("blackbox")
            local.add("blackbox")
        local |= set(loaded.spec.stack.exporters)
    any_job = any(loaded.spec.scrape.targets for loaded in specs)
    return (Output(conventions.PROMETHEUS_CONFIG_FILE, frozenset(production), app_jobs, any_job),
            Output("the compose stack", frozenset(local), app_jobs, any_job))


def _reads(expr: str, catalogue: Catalogue) -> Iterator[Series]:
    from promgen.judge.promql import metric_names

    for name in sorted(metric_names(expr)):
        series = catalogue.get(name)
        if series is not None:
            yield series


def _alert_expressions(loaded: LoadedSpec) -> Iterator[tuple[int, PathKey, str]]:
    for index, path, expr in Catalogue.of(loaded.spec).alert_expressions:
        if expr is not None:
            yield index, path, expr


def _sound(loaded: LoadedSpec, expr: str) -> bool:
    """The expression is a rule the target Prometheus runs (else its form is reported, not this).
    Asked only of an alert about to be reported: most read what is scraped, and need no parse."""
    from promgen.judge.promql import problems

    return not problems(expr, loaded.spec.versions.targets(), "vector")


def _disabled(loaded: LoadedSpec, alert: int | None) -> bool:
    names = {entry.name for entry in loaded.spec.checks.disable}
    if alert is not None:
        names |= {entry.name for entry in loaded.spec.alerts[alert].checks.disable}
    return CHECK in names


def unscraped(specs: list[LoadedSpec]) -> list[tuple[LoadedSpec, Problem]]:
    """Alerts (and custom panels) reading a metric no job of their output scrapes."""
    production, compose = outputs(specs)
    found: list[tuple[LoadedSpec, Problem]] = []
    for loaded in specs:
        catalogue = Catalogue.of(loaded.spec)
        service = loaded.spec.service.name

        def report(path: PathKey, message: str, level: Any, alert: int | None, expr: str | None = None) -> None:
            if not _disabled(loaded, alert) and (expr is None or _sound(loaded, expr)):
                found.append((loaded, loaded.document.problem(path, f"{message} [{CHECK}]", level=level)))

        for index, path, expr in _alert_expressions(loaded):
            for series in _reads(expr, catalogue):
                reason = production.missing(series, service)
                if reason is not None:
                    report(path, f"this alert can never fire in production: {reason}; {_advice(series)}", "error",
                           index, expr)
                    continue
                reason = compose.missing(series, service)
                if reason is not None:
                    report(path, f"this alert can never fire in the compose stack: {reason}"
                                 + (f"; add {series.source} to stack.exporters" if series.source in ("node", "postgres",
                                                                                                      "redis", "blackbox")
                                    else ""), "warning", index, expr)
        for query in custom_panel_queries(loaded.spec):
            for series in _reads(query.expr, catalogue):
                reason = production.missing(series, service)
                if reason is not None:
                    report(query.path, f"this panel has no data in production: {reason}; {_advice(series)}",
                           "warning", None)
                    break
    return found


def _advice(series: Series) -> str:
    if series.source == APP:
        return "add the service's job to scrape.targets"
    if series.source in exporters.EXPORTERS:
        return (f"add a job with `exporter: {series.source}` to scrape.targets, or declare the metric "
                "`external: true` when another Prometheus provides it")
    return "add a scrape target"
