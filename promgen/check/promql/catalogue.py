"""Every series name one spec's expressions may read, with what the spec knows of it: its type, its
labels, where it comes from (the service's own jobs, an exporter, Prometheus itself, promgen's own
recording rules, or elsewhere) and which jobs scrape it at which interval.

Names come from the spec's `metrics` (a histogram also names its `_bucket`, `_count` and `_sum`
series), the exporters' tables in `core.exporters`, Prometheus' own series, the client libraries'
standard metrics, and the SLO series promgen records for this spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from promgen.core import burn_rates, conventions, exporters, peer_series
from promgen.load.models import Spec
from promgen.load.units import format_duration
from promgen.yamlio.reader import PathKey

# Where a series comes from: what must exist for it to have samples.
APP, RECORDED, PROMETHEUS, ALERTS, EXTERNAL = "app", "recorded", "prometheus", "alerts", "external"
SCRAPE_LABELS = frozenset({"job", "instance"})
BOUNDED_RECORDED = frozenset({conventions.SLO_OBJECTIVE_SERIES, conventions.SLO_ERROR_BUDGET_SERIES})


@dataclass(frozen=True)
class Series:
    name: str
    type: str  # counter, gauge, histogram (a native one), summary, bucket, unknown
    labels: frozenset[str] | None  # the labels its series may carry; None when not known
    source: str  # APP, RECORDED, PROMETHEUS, ALERTS, EXTERNAL, or an exporter's name
    unit: str = "count"
    declared: bool = False  # written in the spec's `metrics` (its labels are the spec's word)
    job: str | None = None  # the one job that exposes it, when the spec says

    @property
    def scraped(self) -> bool:
        return self.source not in (RECORDED, ALERTS, EXTERNAL)


@dataclass(frozen=True)
class Job:
    name: str
    exporter: str | None  # None: the service itself
    interval_ms: int
    labels: frozenset[str]


class Catalogue:
    """What one spec knows of the series its expressions read."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        scrape = spec.scrape
        database_jobs = {getattr(spec.stack, name).job: name for name in ("postgres", "redis")
                         if getattr(spec.stack, name) is not None and getattr(spec.stack, name).job is not None}
        self.jobs: dict[str, Job] = {
            t.job: Job(t.job, t.exporter or database_jobs.get(t.job), (t.interval or scrape.interval).ms,
                       frozenset(t.labels))
            for t in scrape.targets
        }
        self.global_interval_ms = scrape.interval.ms
        self.evaluation_interval_ms = (scrape.evaluation_interval or scrape.interval).ms

    @cached_property
    def blackbox_job(self) -> str | None:
        probes = self.spec.probes
        return conventions.blackbox_job(self.spec.service.name) if probes is not None and probes.external_probes else None

    @cached_property
    def job_names(self) -> list[str]:
        return [*self.jobs, *([self.blackbox_job] if self.blackbox_job else [])]

    @cached_property
    def slo_names(self) -> list[str]:
        return [slo.name for slo in self.spec.slos]

    @cached_property
    def _series(self) -> dict[str, Series]:
        found: dict[str, Series] = {}
        for metric in self.spec.metrics:
            labels = frozenset(metric.labels)
            source = EXTERNAL if metric.external else self._source_of(metric.name)
            unit = conventions.metric_unit(metric.name, metric.unit)
            base = Series(metric.name, metric.type, labels, source, unit, True, metric.job)
            if metric.type == "histogram":
                found[f"{metric.name}_bucket"] = Series(f"{metric.name}_bucket", "bucket", labels | {"le"}, source, unit,
                                                        True, metric.job)
                for suffix in ("_count", "_sum"):
                    found[metric.name + suffix] = Series(metric.name + suffix, "counter", labels, source,
                                                         unit if suffix == "_sum" else "count", True, metric.job)
                found[metric.name] = base  # a native histogram under the same name
            elif metric.type == "summary":
                found[metric.name] = Series(metric.name, "summary", labels | {"quantile"}, source, unit, True, metric.job)
                for suffix in ("_count", "_sum"):
                    found[metric.name + suffix] = Series(metric.name + suffix, "counter", labels, source,
                                                         unit if suffix == "_sum" else "count", True, metric.job)
            else:
                found[metric.name] = base
        for name, series in _known_everywhere().items():
            found.setdefault(name, series)
        for name in self._recorded_names():
            # error ratios, the objective and the budget lie in 0..1; the budget remaining goes below 0
            unit = "ratio" if ":ratio_rate" in name or name in BOUNDED_RECORDED else "count"
            found.setdefault(name, Series(name, "gauge", self._recorded_labels, RECORDED, unit))
        return found

    @classmethod
    def of(cls, spec: Spec) -> Catalogue:
        """The catalogue of `spec`, made once per spec object (the spec's checks and the stack's
        both read it)."""
        cached = _CATALOGUES.get(id(spec))
        if cached is None or cached.spec is not spec:
            if len(_CATALOGUES) >= 256:
                _CATALOGUES.clear()
            cached = _CATALOGUES[id(spec)] = cls(spec)
        return cached

    @cached_property
    def alert_expressions(self) -> list[tuple[int, PathKey, str | None]]:
        """(index, path, expression) of every alert: its `expr`, or what its template builds (None
        when the template's parameters are wrong: the template check says why)."""
        from promgen.check.promql.queries import template_expression_of

        found: list[tuple[int, PathKey, str | None]] = []
        for index, alert in enumerate(self.spec.alerts):
            if alert.expr is not None:
                found.append((index, ("alerts", index, "expr"), alert.expr))
            else:
                found.append((index, ("alerts", index, "template"), template_expression_of(self.spec, alert)))
        return found

    @staticmethod
    def _source_of(name: str) -> str:
        exporter = exporters.exporter_of(name)
        return exporter.name if exporter is not None else APP

    @cached_property
    def _recorded_labels(self) -> frozenset[str]:
        sloth = ("sloth_id", "sloth_service", "sloth_slo", "sloth_objective") if self.spec.rules.naming == "sloth" else ()
        pyrra = [label for slo in self.spec.slos for label in peer_series.pyrra_labels(slo)] \
            if self.spec.rules.naming == "pyrra" else []
        return frozenset({"service", "slo", *sloth, *pyrra, *self.spec.rules.labels})

    def _recorded_names(self) -> list[str]:
        names = [conventions.SLO_OBJECTIVE_SERIES, conventions.SLO_ERROR_BUDGET_SERIES,
                 conventions.SLO_BUDGET_REMAINING_SERIES]
        for slo in self.spec.slos:
            windows = burn_rates.slo_recorded_windows(slo, slo.window.ms)
            names += [conventions.slo_error_ratio_series(w) for w in (*windows, format_duration(slo.window.ms))]
            names += [conventions.slo_error_rate_series(windows[0]), conventions.slo_total_rate_series(windows[0])]
        if self.spec.rules.naming == "pyrra":
            for slo in self.spec.slos:
                names += peer_series.pyrra_series(slo, burn_rates.slo_recorded_windows(slo, slo.window.ms))
        if self.spec.rules.naming == "sloth":
            names += [conventions.SLOTH_PERIOD_DAYS_SERIES, conventions.SLOTH_CURRENT_BURN_SERIES,
                      conventions.SLOTH_PERIOD_BURN_SERIES, conventions.SLOTH_BUDGET_REMAINING_SERIES,
                      conventions.SLOTH_INFO_SERIES]
        return names

    def get(self, name: str) -> Series | None:
        return self._series.get(name)

    def names(self) -> list[str]:
        return list(self._series)

    def jobs_of(self, series: Series, job: str | None = None) -> list[Job]:
        """The jobs of this spec that scrape `series` (only `job`, when the selector names one)."""
        if series.job is not None:
            found = [self.jobs[series.job]] if series.job in self.jobs else []
        elif series.source == APP:
            found = [j for j in self.jobs.values() if j.exporter is None]
        elif series.source == PROMETHEUS:
            found = list(self.jobs.values())
        elif series.source in exporters.EXPORTERS:
            found = [j for j in self.jobs.values() if j.exporter == series.source]
        else:
            found = []
        return [j for j in found if job is None or j.name == job]

    def interval_ms(self, series: Series, job: str | None = None) -> int:
        """The longest interval between two samples of `series`: its jobs' scrape intervals, the
        evaluation interval for recorded series."""
        if series.source in (RECORDED, ALERTS):
            return self.evaluation_interval_ms
        jobs = self.jobs_of(series, job)
        return max((j.interval_ms for j in jobs), default=self.global_interval_ms)

    def labels_of(self, series: Series) -> frozenset[str] | None:
        """Every label a series of `series` may carry: its own, plus job, instance and its jobs'
        target labels for a scraped one; None when not known."""
        if series.labels is None:
            return None
        if series.source == EXTERNAL:  # scraped too, by a Prometheus this spec does not configure
            return series.labels | SCRAPE_LABELS
        if not series.scraped:
            return series.labels
        targets = frozenset(label for j in self.jobs.values() for label in j.labels)
        return series.labels | SCRAPE_LABELS | targets


_CATALOGUES: dict[int, Catalogue] = {}


@dataclass(frozen=True)
class PanelQuery:
    """One query of a custom dashboard: a panel's `expr` or one of its targets'."""

    path: PathKey
    expr: str
    dashboard: str  # its dashboard's title
    panel: str  # its panel's title


def custom_panel_queries(spec: Spec) -> list[PanelQuery]:
    """Every query of the spec's custom dashboards, panel by panel: its `expr`, then its targets'."""
    found: list[PanelQuery] = []
    for d, dashboard in enumerate(spec.dashboards.custom):
        for p, panel in enumerate(dashboard.panels):
            here: PathKey = ("dashboards", "custom", d, "panels", p)
            if panel.expr is not None:
                found.append(PanelQuery(here + ("expr",), panel.expr, dashboard.title, panel.title))
            found += [PanelQuery(here + ("targets", t, "expr"), target.expr, dashboard.title, panel.title)
                      for t, target in enumerate(panel.targets)]
    return found


@lru_cache(maxsize=1)
def _known_everywhere() -> dict[str, Series]:
    """The series every spec knows without declaring them: Prometheus' own, the client libraries',
    the exporters'."""
    found: dict[str, Series] = {}
    for name, known in exporters.PROMETHEUS.items():
        found.setdefault(name, Series(name, known.type, known.labels, PROMETHEUS))
    for name, known in exporters.ALERT_SERIES.items():
        found.setdefault(name, Series(name, known.type, None, ALERTS))
    for name, known in exporters.CLIENT_LIBRARIES.items():
        found.setdefault(name, Series(name, known.type, known.labels, APP, conventions.metric_unit(name, None)))
    for exporter in exporters.EXPORTERS.values():
        for name, known in exporter.metrics.items():
            found.setdefault(name, Series(name, known.type, known.labels, exporter.name,
                                          conventions.metric_unit(name, None)))
    return found
