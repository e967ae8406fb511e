"""Semantic checks on a structurally valid spec; every problem is reported, not only the first."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from promgen.core import alert_templates
from promgen.core.conventions import ESCALATED_LABEL, custom_dashboard_uid, dashboard_uid, metric_unit
from promgen.errors import Problem
from promgen.judge import logql
from promgen.judge.dashboards import rate_interval_problem, unit_known
from promgen.judge.promql import Result, problems, substitute_grafana_variables, substitute_window
from promgen.load import go_template, time_ranges
from promgen.load.loader import LoadedSpec
from promgen.load.models import AlertBase, Spec
from promgen.load.suggest import did_you_mean
from promgen.yamlio.reader import PathKey

RESERVED_ALERT_LABELS = ("alertname", "severity", "service", "slo", ESCALATED_LABEL)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LOKI_MIN_RETENTION_MS = 86_400_000
MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(".*"|[^"\s]*)\s*$')


def check(loaded: LoadedSpec) -> list[Problem]:
    """Every semantic problem of the spec, in file order."""
    checker = _Checker(loaded)
    return sorted(checker.run())


class _Checker:
    def __init__(self, loaded: LoadedSpec) -> None:
        self.doc = loaded.document
        self.spec: Spec = loaded.spec
        self.targets = loaded.spec.versions.targets()
        self.problems: list[Problem] = []
        # Looked up by every SLO and alert: built once, so checks stay linear in the spec's size.
        self.metric_of = {m.name: m for m in self.spec.metrics}
        self.units = {m.name: _unit(m) for m in self.spec.metrics}
        self.jobs = [t.job for t in self.spec.scrape.targets]
        self.histograms = [m.name for m in self.spec.metrics if m.type == "histogram"]
        self.slo_alert_owner: dict[str, int] = {}  # generated SLO alert name -> first SLO raising it

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

    def run(self) -> list[Problem]:
        self.unique_names()
        self.scrape()
        self.rule_groups()
        self.service()
        self.stack_exporters()
        self.metrics()
        self.severity_references()
        self.channels()
        self.time_intervals()
        self.slos()
        self.alerts()
        self.log_alerts()
        self.dashboards()
        self.routes()
        self.routing()
        self.probes()
        self.secret_files()
        return self.problems

    # --- helpers ---------------------------------------------------------------------------

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

    # --- checks ----------------------------------------------------------------------------

    def unique_names(self) -> None:
        spec = self.spec
        self.duplicates("alerts", [a.name for a in spec.alerts], "alert name")
        self.duplicates("log_alerts", [a.name for a in spec.log_alerts], "log alert name")
        metric_alerts = {alert.name: index for index, alert in enumerate(spec.alerts)}
        for index, alert in enumerate(spec.log_alerts):
            if alert.name in metric_alerts:
                self.error(("log_alerts", index, "name"),
                           f"alert name {alert.name!r} is also an alert of `alerts` (alerts[{metric_alerts[alert.name]}])")
        self.duplicates("slos", [s.name for s in spec.slos], "SLO name")
        self.duplicates("channels", [c.name for c in spec.channels], "channel name")
        self.duplicates("metrics", [m.name for m in spec.metrics], "metric")
        self.duplicates("severities", [s.name for s in spec.severities], "severity name")
        jobs = [t.job for t in spec.scrape.targets]
        seen: dict[str, int] = {}
        for index, job in enumerate(jobs):
            if job in seen:
                self.error(("scrape", "targets", index, "job"), f"duplicate job {job!r}")
            seen.setdefault(job, index)
        owner: dict[str, str] = {s.name: s.name for s in spec.severities}
        for index, severity in enumerate(spec.severities):
            for alias_index, alias in enumerate(severity.aliases):
                if alias in owner and owner[alias] != severity.name or alias == severity.name:
                    self.error(
                        ("severities", index, "aliases", alias_index),
                        f"alias {alias!r} already names severity {owner.get(alias, alias)!r}",
                    )
                owner.setdefault(alias, severity.name)
        generated = {
            name
            for slo in spec.slos
            for name in _slo_alert_names(slo)
        }
        named: list[tuple[str, list[str]]] = [("alerts", [a.name for a in spec.alerts]),
                                              ("log_alerts", [a.name for a in spec.log_alerts])]
        for section, names in named:
            for index, name in enumerate(names):
                if name in generated:
                    self.error((section, index, "name"), f"alert name {name!r} clashes with a generated SLO alert")

    def scrape(self) -> None:
        """A scrape timeout longer than its interval is refused by Prometheus."""
        scrape = self.spec.scrape
        if scrape.timeout is not None and scrape.timeout.ms > scrape.interval.ms:
            self.error(("scrape", "timeout"), f"scrape timeout {scrape.timeout} is longer than the interval {scrape.interval}")
        for index, target in enumerate(scrape.targets):
            interval = target.interval or scrape.interval
            timeout = target.timeout or scrape.timeout
            if timeout is not None and timeout.ms > interval.ms and (target.timeout or target.interval):
                field = "timeout" if target.timeout else "interval"
                self.error(("scrape", "targets", index, field),
                           f"scrape timeout {timeout} is longer than job {target.job}'s interval {interval}")
            if interval.ms == 0:
                self.error(("scrape", "targets", index, "interval"), "a scrape interval must be longer than 0")
        if scrape.interval.ms == 0:
            self.error(("scrape", "interval"), "a scrape interval must be longer than 0")
        probes = self.spec.probes
        if probes is not None and probes.interval is not None:
            if probes.interval.ms == 0:
                self.error(("probes", "interval"), "a probe interval must be longer than 0")
            elif scrape.timeout is not None and scrape.timeout.ms > probes.interval.ms:
                self.error(("probes", "interval"),
                           f"scrape timeout {scrape.timeout} is longer than the probes' interval {probes.interval}")
        if scrape.evaluation_interval is not None and scrape.evaluation_interval.ms == 0:
            self.error(("scrape", "evaluation_interval"), "an evaluation interval must be longer than 0")
        if self.spec.alertmanager.resolve_timeout.ms == 0:
            self.error(("alertmanager", "resolve_timeout"), "resolve_timeout must be longer than 0")
        names: dict[str, int] = {}
        for index, remote in enumerate(self.spec.remote_write):
            if remote.name is None:
                continue
            if remote.name in names:
                self.error(("remote_write", index, "name"),
                           f"remote_write name {remote.name!r} is already remote_write[{names[remote.name]}]'s")
            names.setdefault(remote.name, index)

    def rule_groups(self) -> None:
        """Rule group settings and alert fields the target Prometheus must have."""
        settings = self.spec.rules
        gated = [("labels", "rule group labels", bool(settings.labels)),
                 ("query_offset", "query_offset", settings.query_offset is not None)]
        for field, feature, used in gated:
            missing = self.targets.lacks(feature) if used else None
            if missing is not None:
                self.error(("rules", field), f"rules.{field} {missing}")
        for key, value in settings.labels.items():
            if key in RESERVED_ALERT_LABELS:
                self.error(("rules", "labels", key), f"label {key!r} is set by promgen; choose another name", at_key=True)
            if "{{" in value:  # whether Prometheus expands group labels differs by rule kind: keep them plain
                self.error(("rules", "labels", key), "a rule group label cannot hold {{")
        for index, alert in enumerate(self.spec.alerts):
            missing = self.targets.lacks("keep_firing_for") if alert.keep_firing_for is not None else None
            if missing is not None:
                self.error(("alerts", index, "keep_firing_for"), f"keep_firing_for {missing}")

    def stack_exporters(self) -> None:
        for exporter in ("postgres", "redis"):
            settings = getattr(self.spec.stack, exporter)
            if settings is not None and settings.job is not None:
                self.reference(("stack", exporter, "job"), settings.job, self.jobs, "job")

    def service(self) -> None:
        for key in self.spec.service.labels:
            if key in RESERVED_ALERT_LABELS:
                self.error(("service", "labels", key), f"label {key!r} is set by promgen; choose another name", at_key=True)

    def metrics(self) -> None:
        for index, metric in enumerate(self.spec.metrics):
            if metric.buckets is not None:
                if metric.type != "histogram":
                    self.error(("metrics", index, "buckets"), f"buckets only go with histograms; {metric.name} is a {metric.type}")
                elif any(b >= a for b, a in zip(metric.buckets, metric.buckets[1:])):
                    self.error(("metrics", index, "buckets"), "buckets must be strictly increasing")
            for label_index, label in enumerate(metric.labels):
                if label in ("le", "quantile") and metric.type in ("histogram", "summary"):
                    self.error(("metrics", index, "labels", label_index), f"label {label!r} is reserved for {metric.type}s")
                if label.startswith("__"):
                    self.error(("metrics", index, "labels", label_index), "label names starting with __ are reserved")

    def severity_references(self) -> None:
        channels = [c.name for c in self.spec.channels]
        intervals = list(self.spec.time_intervals)
        for index, severity in enumerate(self.spec.severities):
            for n, name in enumerate(severity.notify):
                self.reference(("severities", index, "notify", n), name, channels, "channel")
            if severity.escalate is not None:
                for n, name in enumerate(severity.escalate.notify):
                    self.reference(("severities", index, "escalate", "notify", n), name, channels, "channel")
                if severity.escalate.after.ms <= 0:
                    self.error(("severities", index, "escalate", "after"), "an escalation comes after some time: give a duration above 0")
            for n, name in enumerate(severity.during):
                self.reference(("severities", index, "during", n), name, intervals, "time interval")
        default = self.spec.alertmanager.default_channel
        if default is not None:
            self.reference(("alertmanager", "default_channel"), default, channels, "channel")

    def channels(self) -> None:
        for index, channel in enumerate(self.spec.channels):
            if channel.type == "email" and self.spec.alertmanager.smtp is None:
                self.error(
                    ("channels", index, "type"),
                    "an email channel needs `alertmanager.smtp` (smarthost and from) to send through",
                )

    def time_intervals(self) -> None:
        for name, interval in self.spec.time_intervals.items():
            for i, weekday in enumerate(interval.weekdays):
                unknown = [day for day in weekday.split(":") if day not in WEEKDAYS]
                for day in unknown:
                    self.error(
                        ("time_intervals", name, "weekdays", i),
                        f"unknown weekday {day!r}{did_you_mean(day, WEEKDAYS)}",
                    )
                empty = None if unknown else time_ranges.weekday_order(weekday)
                if empty is not None:
                    self.error(("time_intervals", name, "weekdays", i), empty)
            for i, span in enumerate(interval.times):
                start, end = span.split("-")
                if not (_valid_clock(start) and _valid_clock(end)) or start >= end:
                    self.error(("time_intervals", name, "times", i), f"{span!r} is not a range HH:MM-HH:MM with start before end (end may be 24:00)")
            if interval.location is not None and not _valid_zone(interval.location):
                self.error(("time_intervals", name, "location"), f"unknown time zone {interval.location!r}")

    def slos(self) -> None:
        severities = self.severity_names
        metrics = self.metric_of
        for index, slo in enumerate(self.spec.slos):
            here = ("slos", index)
            if not 0 < slo.objective < 100:
                self.error(here + ("objective",), f"objective is a percentage strictly between 0 and 100, not {slo.objective:g}")
            if slo.window.ms < 3_600_000:
                self.error(here + ("window",), "an SLO window must be at least 1h")
            self.slo_alerting(index)
            sli = slo.sli
            for field in ("errors", "good", "total"):
                query = getattr(sli, field)
                if query is None:
                    continue
                path: PathKey = here + ("sli", field)
                if "{{window}}" not in query.replace("{{ window }}", "{{window}}"):
                    self.error(path, "a ratio SLI query needs the {{window}} placeholder in its range, e.g. [{{window}}]")
                    continue
                self.promql(path, substitute_window(query, "5m"), query, result="vector")
            if sli.latency is not None:
                if sli.latency.threshold.ms == 0:
                    self.error(here + ("sli", "latency", "threshold"), "a latency threshold must be longer than 0")
                path = here + ("sli", "latency", "metric")
                metric = metrics.get(sli.latency.metric)
                histograms = self.histograms
                if metric is None or metric.type != "histogram":
                    found = f"is a {metric.type}" if metric else "is not declared in `metrics`"
                    self.error(path, f"latency SLI metric {sli.latency.metric!r} {found}; it must be a declared histogram{did_you_mean(sli.latency.metric, histograms)}")
                elif metric.buckets is not None:
                    bound = sli.latency.threshold.seconds * (1000 if _unit(metric) == "milliseconds" else 1)
                    if not any(abs(b - bound) < 1e-9 for b in metric.buckets):
                        self.error(here + ("sli", "latency", "threshold"), f"threshold {sli.latency.threshold} ({bound:g}) is not one of {metric.name}'s buckets {list(metric.buckets)}")
                if sli.latency.selector:
                    self.promql(here + ("sli", "latency", "selector"), f"x{{{sli.latency.selector}}}", sli.latency.selector)
            for field in ("page", "ticket", "no_data"):
                name = getattr(slo.alerting, field)
                if name is not None:
                    self.reference(here + ("alerting", field), name, severities, "severity")

    def slo_alerting(self, index: int) -> None:
        """Generated SLO alert names follow the mixin conventions; burn thresholds must be reachable."""
        from promgen.core import burn_rates, conventions

        slo = self.spec.slos[index]
        for key in slo.labels:
            if key in RESERVED_ALERT_LABELS:
                self.error(("slos", index, "labels", key), f"label {key!r} is set by promgen; choose another label name", at_key=True)
        for key, value in slo.alerting.annotations.items():
            self.template(("slos", index, "alerting", "annotations", key), value, f"annotation {key}")
        names = list(_slo_alert_names(slo))
        longest = max(names, key=len)
        if len(longest) > conventions.ALERT_NAME_MAX:
            self.error(("slos", index, "name"), f"SLO name too long: its alert {longest} has {len(longest)} characters, alert names have at most {conventions.ALERT_NAME_MAX}")
        clash = next((self.slo_alert_owner[n] for n in names if n in self.slo_alert_owner), None)
        if clash is not None and self.spec.slos[clash].name != slo.name:
            other = self.spec.slos[clash]
            where = ("slos", index, "alerting", "name") if slo.alerting.name else ("slos", index, "name")
            self.error(where, f"SLOs {other.name!r} and {slo.name!r} would both raise {names[0]}; "
                              f"{'give one another `alerting.name`' if slo.alerting.name else 'rename one'}")
        for name in names:
            self.slo_alert_owner.setdefault(name, index)
        if slo.alerting.enabled and 0 < slo.objective < 100:
            budget = 1 - slo.objective / 100
            factor = min(factor for kind, _, _, factor, _ in burn_rates.TABLE if kind == "page")
            if factor * budget >= 1:
                self.warn(("slos", index, "objective"), f"with an objective of {slo.objective:g}% the page alert needs more than 100% failing events ({factor:g}x the {budget:.0%} budget) and can never fire")

    def alerts(self) -> None:
        for index, alert in enumerate(self.spec.alerts):
            here = ("alerts", index)
            self.alert_fields(here, alert)
            if alert.expr is not None:
                self.promql(here + ("expr",), alert.expr, result="vector")
                self.annotation_labels(index)
            else:
                self.template_alert(index)

    def log_alerts(self) -> None:
        for index, alert in enumerate(self.spec.log_alerts):
            here = ("log_alerts", index)
            self.alert_fields(here, alert)
            for reason in logql.problems(alert.expr):
                self.error(here + ("expr",), f"LogQL: {reason}")
        if self.spec.stack.log_retention is not None and self.spec.stack.log_retention.ms < LOKI_MIN_RETENTION_MS:
            self.error(("stack", "log_retention"), f"Loki keeps logs at least 24h: {self.spec.stack.log_retention} is shorter")

    def alert_fields(self, here: PathKey, alert: AlertBase) -> None:
        """Severity, labels and Go templates: what metric and log alerts have in common."""
        self.reference(here + ("severity",), alert.severity, self.severity_names, "severity")
        for key in alert.labels:
            if key in RESERVED_ALERT_LABELS:
                advice = "use the alert's `severity` field" if key == "severity" else "choose another label name"
                self.error(here + ("labels", key), f"label {key!r} is set by promgen; {advice}", at_key=True)
        for key, value in alert.labels.items():
            self.template(here + ("labels", key), value, f"label {key}")
        for key in ("summary", "description"):
            if getattr(alert, key):
                self.template(here + (key,), getattr(alert, key), key)
        for key, value in alert.annotations.items():
            self.template(here + ("annotations", key), value, f"annotation {key}")

    def annotation_labels(self, index: int) -> None:
        """Warn when an annotation uses a label that the expression's aggregation drops."""
        from promgen.derive.prometheus.promql_labels import dropped_labels

        alert = self.spec.alerts[index]
        texts = {"summary": alert.summary or "", "description": alert.description or "", **alert.annotations}
        set_by_rule = {*alert.labels, *self.spec.service.labels, *RESERVED_ALERT_LABELS}
        for label in dropped_labels(alert.expr or "", texts):
            if label in set_by_rule:
                continue
            field = next((k for k, v in texts.items() if f"$labels.{label}" in v), "description")
            path = ("alerts", index, field) if field in ("summary", "description") else ("alerts", index, "annotations", field)
            self.warn(path, f"{{{{ $labels.{label} }}}} renders empty: the expression does not keep `{label}` (aggregate with `by ({label})`)")

    def template_alert(self, index: int) -> None:
        alert = self.spec.alerts[index]
        here = ("alerts", index)
        template = alert_templates.TEMPLATES.get(alert.template or "")
        if template is None:
            names = sorted(alert_templates.TEMPLATES)
            self.error(here + ("template",), f"unknown alert template {alert.template!r}{did_you_mean(alert.template or '', names)} (templates: {', '.join(names)})")
            return
        accepted = [p.name for p in template.params]
        ok = True
        for key in alert.params:
            if key not in accepted:
                self.error(here + ("params", key), f"template {template.name} has no parameter {key!r}{did_you_mean(key, accepted)} (parameters: {', '.join(accepted)})", at_key=True)
                ok = False
        metrics, jobs = self.metric_of, self.jobs
        for param in template.params:
            if param.name not in alert.params:
                if param.required:
                    self.error(here + ("params",) if "params" in self.doc.data["alerts"][index] else here + ("template",), f"template {template.name} needs parameter `{param.name}` ({param.doc})")
                    ok = False
                continue
            path = here + ("params", param.name)
            try:
                value = alert_templates.coerce(param, alert.params[param.name])
            except ValueError as error:
                self.error(path, str(error))
                ok = False
                continue
            if param.kind == "metric" and param.metric_type is not None:
                metric = metrics.get(value)
                if metric is None:
                    self.error(path, f"metric {value!r} is not declared in `metrics`{did_you_mean(value, metrics)}")
                    ok = False
                elif metric.type != param.metric_type:
                    self.error(path, f"template {template.name} needs a {param.metric_type}; {value} is a {metric.type}")
                    ok = False
            if param.kind == "job" and value and template.name not in ("probe_failed", "cert_expiry") and value not in jobs:
                self.reference(path, value, jobs, "job")
                ok = False
        if ok:
            ctx = alert_templates.TemplateContext(self.spec.service.name, tuple(jobs), self.units)
            expr = template.build(alert_templates.resolve_params(template, alert.params), ctx)
            self.promql(here + ("template",), expr, result="vector")

    def dashboards(self) -> None:
        service = self.spec.service.name
        generated = [name for name in self.spec.dashboards.generate if name != "slo" or self.spec.slos]
        taken = {dashboard_uid(service, name): f"the generated {name} dashboard" for name in generated}
        for d, dashboard in enumerate(self.spec.dashboards.custom):
            uid = custom_dashboard_uid(service, dashboard.title, dashboard.uid)
            field = "uid" if dashboard.uid else "title"
            if uid in taken:
                self.error(("dashboards", "custom", d, field),
                           f"dashboard uid {uid!r} is already {taken[uid]}'s; give this dashboard another {field}")
            taken.setdefault(uid, f"dashboards.custom[{d}]")
            for p, panel in enumerate(dashboard.panels):
                here = ("dashboards", "custom", d, "panels", p)
                queries: list[tuple[PathKey, str]] = [(here + ("expr",), panel.expr)] if panel.expr is not None else []
                queries += [(here + ("targets", t, "expr"), target.expr) for t, target in enumerate(panel.targets)]
                for path, expr in queries:
                    self.promql(path, substitute_grafana_variables(expr), expr)
                    problem = rate_interval_problem(expr)
                    if problem:
                        self.warn(path, f"{problem} (it covers at least four scrapes at any zoom)")
                if not unit_known(panel.unit):
                    self.warn(here + ("unit",), f"{panel.unit!r} is not a Grafana unit id (e.g. s, ms, bytes, reqps, percentunit, short)")

    def routes(self) -> None:
        channels = [c.name for c in self.spec.channels]
        for r, route in enumerate(self.spec.alertmanager.routes):
            for m, matcher in enumerate(route.matchers):
                if not MATCHER.match(matcher):
                    self.error(("alertmanager", "routes", r, "matchers", m), f'{matcher!r} is not a matcher like team="database" or env=~"prod|staging"')
            for n, name in enumerate(route.notify):
                self.reference(("alertmanager", "routes", r, "notify", n), name, channels, "channel")
            self.group_by(("alertmanager", "routes", r, "group_by"), route.group_by)
        self.group_by(("alertmanager", "group_by"), self.spec.alertmanager.group_by)
        for index, severity in enumerate(self.spec.severities):
            self.group_by(("severities", index, "group_by"), severity.group_by)

    def probes(self) -> None:
        """Kubernetes probe timings are whole seconds; external probes use blackbox modules promgen writes."""
        from promgen.derive.blackbox import MODULES

        probes = self.spec.probes
        if probes is None:
            return
        for kind in ("liveness", "readiness", "startup"):
            probe = getattr(probes, kind)
            if probe is None:
                continue
            for field in ("initial_delay", "period", "timeout"):
                value = getattr(probe, field)
                if value.ms % 1000:
                    self.error(("probes", kind, field), f"{field} must be whole seconds: Kubernetes probe timings are integer seconds")
                elif field != "initial_delay" and value.ms == 0:
                    self.error(("probes", kind, field), f"{field} must be at least 1s (Kubernetes rejects 0)")
            if kind != "readiness" and probe.success_threshold != 1:
                self.error(("probes", kind, "success_threshold"), f"a {kind} probe's success_threshold must be 1 (Kubernetes rejects any other)")
        for index, external in enumerate(probes.external_probes):
            self.reference(("probes", "external", index, "module"), external.module, MODULES, "blackbox module")

    def secret_files(self) -> None:
        """The compose stack mounts one secrets directory and the Kubernetes Secret keys secrets by file name."""
        from promgen.core.conventions import secret_key

        spec = self.spec
        found: list[tuple[PathKey, str]] = []
        for index, channel in enumerate(spec.channels):
            found.extend((("channels", index, key), value) for key, value in channel.model_dump().items()
                         if key.endswith("_file") and isinstance(value, str))
        smtp = spec.alertmanager.smtp
        if smtp is not None and smtp.auth_password_file:
            found.append((("alertmanager", "smtp", "auth_password_file"), smtp.auth_password_file))
        for index, remote in enumerate(spec.remote_write):
            if remote.bearer_token_file:
                found.append((("remote_write", index, "bearer_token_file"), remote.bearer_token_file))
            if remote.basic_auth is not None:
                found.append((("remote_write", index, "basic_auth", "password_file"), remote.basic_auth.password_file))
        first: dict[str, str] = {}
        for path, value in found:
            key = secret_key(value)
            if first.setdefault(key, value) != value:
                self.error(path, f"secret file {value} and {first[key]} have the same file name {key!r}; the compose "
                           "stack and the Kubernetes Secret tell secrets apart by file name, so rename one")

    def routing(self) -> None:
        """The routing lint: what Alertmanager 0.25 cannot express, and routing that is likely a mistake."""
        from promgen.core import conventions
        from promgen.derive import alertmanager as am

        spec, settings = self.spec, self.spec.alertmanager
        used = ({n for s in spec.severities for n in s.notify} | {n for r in settings.routes for n in r.notify}
                | {n for s in spec.severities if s.escalate for n in s.escalate.notify})
        used |= {settings.default_channel} if settings.default_channel else set()
        default = settings.default_channel or conventions.UNROUTED_RECEIVER
        for index, channel in enumerate(spec.channels):
            here: PathKey = ("channels", index)
            feature = am.CHANNEL_FEATURES.get(channel.type)
            missing = self.targets.lacks(feature) if feature else None
            if missing is not None:
                self.error(here + ("type",), f"a {channel.type} channel {missing}")
            if channel.type == "webhook" and channel.url_file is not None:
                missing = self.targets.lacks("webhook url_file")
                if missing is not None:
                    self.error(here + ("url_file",), f"a webhook's url_file {missing}; use `url` (with "
                               "`bearer_token_file` for the credential) when the URL itself holds no secret")
            if channel.name == conventions.UNROUTED_RECEIVER and settings.default_channel is None:
                self.error(here + ("name",), f"{channel.name!r} names the receiver of alerts no route matches; rename the channel or set alertmanager.default_channel")
            if channel.name not in used:
                self.warn_if_own(here + ("name",), f"channel {channel.name!r} is notified by no severity, route or alertmanager.default_channel")
        during = {n for s in spec.severities for n in s.during}
        for name in spec.time_intervals:
            if name not in during:
                self.warn_if_own(("time_intervals", name), f"time interval {name!r} is in no severity's `during`")
        timed: list[tuple[PathKey, Any]] = [(("alertmanager",), settings)]
        for index, severity in enumerate(spec.severities):
            timed.append((("severities", index), severity))
            if not severity.notify:
                self.warn(("severities", index, "notify"), f"severity {severity.name!r} notifies no channel: its alerts go to the default receiver {default!r}")
        for here, owner in timed:
            for field in ("group_interval", "repeat_interval"):
                value = getattr(owner, field)
                if value is not None and value.ms == 0:
                    self.error(here + (field,), f"{field} must be longer than 0 (Alertmanager rejects 0)")
        self.extra_routes(am)

    def extra_routes(self, am: Any) -> None:
        """alertmanager.routes that can never match, are never reached, or starve the severity routes."""
        service = self.spec.service.name
        severities = list(self.severity_names)
        canonical = [s.name for s in self.spec.severities]
        final: list[tuple[int, set[Any]]] = []  # earlier routes without `continue`: they end the search
        for r, route in enumerate(self.spec.alertmanager.routes):
            here = ("alertmanager", "routes", r)
            parsed = []
            for m, text in enumerate(route.matchers):
                if MATCHER.match(text):  # else routes() reported it
                    try:
                        parsed.append(am.parse_matcher(text, angle_groups=self.targets.has("angle named groups")))
                    except ValueError as error:
                        self.error(here + ("matchers", m), str(error))
            if len(parsed) < len(route.matchers):
                continue
            reason = am.contradiction(parsed)
            if reason is not None:
                self.error(here + ("matchers",), f"this route can never match: {reason}")
                continue
            for m, matcher in enumerate(parsed):
                foreign = (matcher.name == "service" and not matcher.matches({"service": service})) or (
                    matcher.name == "severity" and not any(matcher.matches({"severity": s}) for s in severities))
                if foreign:
                    self.warn(here + ("matchers", m), f"no alert of this spec matches {matcher}; the route only catches alerts other tools send")
            shadow = next((i for i, earlier in final if earlier <= set(parsed)), None)
            if shadow is not None:
                self.warn(here, f"this route is never reached: alertmanager.routes[{shadow}] matches every alert it would and has no `continue`")
            if route.continue_:
                continue
            final.append((r, set(parsed)))
            catch_all = all(m.name in ("service", "severity") for m in parsed) and all(
                m.matches({"service": service, "severity": s}) for m in parsed for s in canonical)
            if catch_all:
                self.warn(here, "this route catches every alert of the service and has no `continue`: the severity routes never see one")


def _slo_alert_names(slo: Any) -> Iterator[str]:
    from promgen.core import conventions

    yield conventions.slo_page_alert(slo.name, slo.alerting.name)
    yield conventions.slo_ticket_alert(slo.name, slo.alerting.name)
    yield conventions.slo_no_data_alert(slo.name)


def _valid_clock(text: str) -> bool:
    hours, minutes = text.split(":")
    return (0 <= int(hours) < 24 and 0 <= int(minutes) < 60) or text == "24:00"


def _valid_zone(name: str) -> bool:
    if name in ("UTC", "Local"):
        return True
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(name)
    except Exception:
        return False
    return True


def _unit(metric: Any) -> str:
    return metric_unit(metric.name, metric.unit)
