"""What every check reads and how it reports: the loaded spec, its target versions, lookups built
once (metrics by name, jobs, severity names), and `error`/`warn` at a value's `file:line:col`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from promgen.core.conventions import ESCALATED_LABEL, metric_unit
from promgen.errors import Problem
from promgen.judge.promql import Result, problems
from promgen.load import go_template
from promgen.load.loader import LoadedSpec
from promgen.load.models import Spec
from promgen.load.suggest import did_you_mean
from promgen.yamlio.reader import PathKey

if TYPE_CHECKING:
    from promgen.check.promql.catalogue import Catalogue

RESERVED_ALERT_LABELS = ("alertname", "severity", "service", "slo", ESCALATED_LABEL)


class Context:
    """One spec being checked, and the problems found so far."""

    @cached_property
    def catalogue(self) -> Catalogue:
        """Every series name the spec's expressions may read (built when a check first asks)."""
        from promgen.check.promql.catalogue import Catalogue

        return Catalogue.of(self.spec)

    def __init__(self, loaded: LoadedSpec) -> None:
        self.doc = loaded.document
        self.spec: Spec = loaded.spec
        self.targets = loaded.spec.versions.targets()
        self.problems: list[Problem] = []
        # Looked up by every SLO and alert: built once, so checks stay linear in the spec's size.
        self.metric_of = {m.name: m for m in self.spec.metrics}
        self.units = {m.name: metric_unit_of(m) for m in self.spec.metrics}
        self.jobs = [t.job for t in self.spec.scrape.targets]
        self.histograms = [m.name for m in self.spec.metrics if m.type == "histogram"]
        self.slo_alert_owner: dict[str, int] = {}  # generated SLO alert name -> first SLO raising it
        # Values whose PromQL (or template) is already wrong in form: the meaning checks leave them be.
        self.unsound: set[PathKey] = set()

    def error(self, path: PathKey, message: str, *, at_key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, at_key=at_key))

    def warn(self, path: PathKey, message: str) -> None:
        self.problems.append(self.doc.problem(path, message, level="warning"))

    def warn_if_own(self, path: PathKey, message: str) -> None:
        """A warning about something this spec wrote; a base's channels and time intervals are
        there for every service that extends it, and one service not using them is no mistake."""
        problem = self.doc.problem(path, message, level="warning")
        if problem.file == self.doc.file:
            self.problems.append(problem)

    @property
    def severity_names(self) -> dict[str, str]:
        """Every name a severity can be called by (name or alias) -> its canonical name."""
        names: dict[str, str] = {}
        for severity in self.spec.severities:
            names.setdefault(severity.name, severity.name)
            for alias in severity.aliases:
                names.setdefault(alias, severity.name)
        return names

    def reference(self, path: PathKey, name: str, known: Iterable[str], what: str) -> None:
        known = list(known)
        if name not in known:
            listing = ", ".join(sorted(known)) or "none declared"
            self.error(path, f"unknown {what} {name!r}{did_you_mean(name, known)} (known: {listing})")

    def promql(self, path: PathKey, expr: str, shown: str | None = None, result: Result = "any") -> None:
        """Parses, runs on the target Prometheus, and (for rules) returns an instant vector."""
        for reason in problems(expr, self.targets, result):
            self.unsound.add(path)
            prefix = "PromQL " if reason.startswith("does not parse") else "PromQL: "
            self.error(path, f"{prefix}{reason}: {shown or expr}")

    def template(self, path: PathKey, text: str, what: str) -> None:
        """`text` is expanded by Prometheus as a Go template: it must parse as one."""
        reason = go_template.problem(text)
        if reason is not None:
            self.error(path, f"{what} is a Go template Prometheus expands, and it does not parse: {reason} "
                             '(write {{ "{{" }} for a literal {{)')

    def group_by(self, path: PathKey, labels: list[str] | None) -> None:
        seen: set[str] = set()
        for index, label in enumerate(labels or []):
            if label in seen:
                self.error(path + (index,), f"group_by lists {label!r} twice (Alertmanager refuses duplicates)")
            seen.add(label)

    def duplicates(self, section: str, names: list[str], what: str, field: str = "name") -> None:
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in seen:
                self.error((section, index, field), f"duplicate {what} {name!r} (first at {section}[{seen[name]}])")
            else:
                seen[name] = index


def slo_alert_names(slo: Any) -> Iterator[str]:
    from promgen.core import conventions

    yield conventions.slo_page_alert(slo.name, slo.alerting.name)
    yield conventions.slo_ticket_alert(slo.name, slo.alerting.name)
    yield conventions.slo_no_data_alert(slo.name)


def metric_unit_of(metric: Any) -> str:
    return metric_unit(metric.name, metric.unit)
