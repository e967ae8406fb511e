"""What every PromQL a spec writes means (`meaning`), checked where it is written: alert expressions
(explicit and built from a template), SLI queries, latency SLI selectors and custom panels. Also
what only the alert as a whole shows: no comparison, a `for` shorter than one evaluation, the same
alert twice.

Each finding names its check (docs/checks.md); `checks.disable` on the spec or on one alert
switches a check off there, with a reason.
"""

from __future__ import annotations

from typing import Any

from promgen.check.context import Context
from promgen.check.promql.catalogue import Catalogue, custom_panel_queries
from promgen.check.promql.meaning import Finding, analyse, compares
from promgen.core import alert_templates, burn_rates
from promgen.core.memo import ByObject
from promgen.judge.promql import parsed, substitute_grafana_variables, substitute_window
from promgen.yamlio.reader import PathKey

# Every check `validate` runs on PromQL by name, with what it finds: the names `checks.disable` takes.
SEMANTIC_CHECKS: dict[str, str] = {
    "promql/series": "a metric the stack does not know: not declared, recorded, an exporter's or Prometheus' own",
    "promql/labels": "a label the metric does not have; a job, SLO, service or severity value that does not exist",
    "promql/rate": "rate()/increase() of a gauge; a range spanning fewer than two (error) or four (warning) scrapes",
    "promql/counter": "a counter's raw value compared, or read by deriv()/delta() (warning)",
    "promql/histogram": "histogram_quantile() over series without `le` buckets",
    "promql/vector_matching": "two sides of an operation that keep different labels: the result is always empty",
    "promql/impossible": "matchers no series satisfies, a ratio compared beyond 0..1, grouping on dropped labels",
    "promql/regexp": "a regular-expression matcher without a regular expression (warning)",
    "alerts/comparison": "an alert without a comparison, filter or absent(): it fires whenever the series exists",
    "alerts/for": "`for` shorter than one evaluation interval (warning)",
    "alerts/template": "{{ $labels.x }} in an annotation where the expression drops x (warning)",
    "alerts/scraped": "an alert reads a metric no job of the output it runs in scrapes",
    "rule/duplicate": "two alerts with the same expression and labels",
}


class Disabled:
    """Which checks the spec (and each alert) switches off."""

    def __init__(self, ctx: Context) -> None:
        self.everywhere = {entry.name for entry in ctx.spec.checks.disable}
        self.per_alert = [{entry.name for entry in alert.checks.disable} for alert in ctx.spec.alerts]

    def off(self, check: str, alert: int | None) -> bool:
        return check in self.everywhere or (alert is not None and check in self.per_alert[alert])


class Queries:
    """One spec's PromQL, each reported at the value it is written in."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.disabled = Disabled(ctx)

    @property
    def catalogue(self) -> Catalogue:
        return self.ctx.catalogue

    def report(self, path: PathKey, finding: Finding, alert: int | None = None) -> None:
        if self.disabled.off(finding.check, alert):
            return
        message = f"{finding.message} [{finding.check}]"
        (self.ctx.error if finding.level == "error" else self.ctx.warn)(path, message)

    def expression(self, path: PathKey, expr: str, alert: int | None = None) -> Any:
        """The parsed `expr` with every finding about it reported; None when it does not parse or is
        wrong in form (the PromQL or template checks say why)."""
        if path in self.ctx.unsound:
            return None
        try:
            node = parsed(expr)
        except Exception:
            return None
        for finding in analyse(node, self.catalogue):
            self.report(path, finding, alert)
        return node


def check_names(ctx: Context) -> None:
    """`checks.disable` names checks that exist, each with a reason."""
    from promgen.load.suggest import did_you_mean

    names = sorted(SEMANTIC_CHECKS)
    entries: list[tuple[PathKey, Any]] = [(("checks", "disable", i), e) for i, e in enumerate(ctx.spec.checks.disable)]
    for a, alert in enumerate(ctx.spec.alerts):
        entries += [(("alerts", a, "checks", "disable", i), e) for i, e in enumerate(alert.checks.disable)]
    for path, entry in entries:
        if entry.name not in SEMANTIC_CHECKS:
            ctx.error(path + ("name",), f"no check is named {entry.name!r}{did_you_mean(entry.name, names)} "
                                       f"(checks that can be switched off: {', '.join(names)})")


def alert_queries(ctx: Context) -> None:
    queries = Queries(ctx)
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    evaluation_ms = queries.catalogue.evaluation_interval_ms
    for index, path, expr in queries.catalogue.alert_expressions:
        alert = ctx.spec.alerts[index]
        here: PathKey = ("alerts", index)
        if expr is None:
            continue
        node = queries.expression(path, expr, index)
        if node is None:
            continue
        if not compares(node):
            queries.report(path, Finding("alerts/comparison", "error",
                                         "the expression compares and filters nothing, so the alert fires whenever "
                                         "it returns a series (its value does not matter): add a condition such as "
                                         "`> 0`, or use absent()"), index)
        if 0 < alert.for_.ms < evaluation_ms:
            queries.report(here + ("for",), Finding("alerts/for", "warning",
                                                    f"`for: {alert.for_}` is shorter than the evaluation interval "
                                                    f"({_duration(evaluation_ms)}): it waits one evaluation anyway"), index)
        key = (str(node), tuple(sorted(alert.labels.items())))
        first = seen.setdefault(key, index)
        if first != index and ctx.spec.alerts[first].name != alert.name:  # a duplicate name is reported as such
            queries.report(path, Finding("rule/duplicate", "error",
                                         f"alerts[{first}] ({ctx.spec.alerts[first].name}) has the same expression and "
                                         "labels: one of them is redundant, or one was meant to say something else"), index)


# The metric maps of the last spec asked about: a spec of thousands of template alerts asks once per
# alert, and building them each time was quadratic.
_SPEC_MAPS: ByObject[tuple[dict[str, str], dict[str, Any], Any]] = ByObject(1)


def _spec_maps(spec: Any) -> tuple[dict[str, str], dict[str, Any], Any]:
    """Each declared metric's type and unit, and the service's jobs."""
    from promgen.core.conventions import metric_unit
    from promgen.load.models import service_jobs

    return _SPEC_MAPS.get(spec, lambda: ({m.name: m.type for m in spec.metrics},
                                         {m.name: metric_unit(m.name, m.unit) for m in spec.metrics},
                                         service_jobs(spec)))


def template_expression_of(spec: Any, alert: Any) -> str | None:
    """The expression an alert template builds, when its parameters are valid (else None: the
    template check reports them)."""
    template = alert_templates.TEMPLATES.get(alert.template or "")
    if template is None:
        return None
    declared, units, jobs = _spec_maps(spec)
    accepted = {param.name for param in template.params}
    if any(key not in accepted for key in alert.params):
        return None  # the template check names the parameter it does not take
    for param in template.params:
        value = alert.params.get(param.name)
        if value is None:
            if param.required:
                return None
            continue
        try:
            coerced = alert_templates.coerce(param, value)
        except ValueError:
            return None  # the template check says why
        if param.kind == "metric" and param.metric_type is not None and declared.get(coerced) != param.metric_type:
            return None
    try:
        params = alert_templates.resolve_params(template, alert.params)
        context = alert_templates.TemplateContext(spec.service.name, jobs, units)
        return template.build(params, context)
    except (ValueError, KeyError, TypeError):
        return None


def sli_queries(ctx: Context) -> None:
    queries = Queries(ctx)
    for index, slo in enumerate(ctx.spec.slos):
        here: PathKey = ("slos", index, "sli")
        window = burn_rates.slo_recorded_windows(slo, slo.window.ms)[0]
        for field in ("errors", "good", "total", "error_ratio"):
            query = getattr(slo.sli, field)
            if query is not None and "{{" in query:
                queries.expression(here + (field,), substitute_window(query, window))
        latency = slo.sli.latency
        if latency is not None and getattr(ctx.metric_of.get(latency.metric), "type", None) == "histogram":
            selector = f"{{{latency.selector}}}" if latency.selector.strip() else ""
            queries.expression(here + ("latency", "selector") if selector else here + ("latency", "metric"),
                               f"{latency.metric}_bucket{selector}")


def panel_queries(ctx: Context) -> None:
    from promgen.judge.promql import _VARIABLE_MATCHER

    queries = Queries(ctx)
    for query in custom_panel_queries(ctx.spec):
        # a dashboard variable's value is chosen on screen: its matchers are not checked
        plain = _VARIABLE_MATCHER.sub("", query.expr).replace("{,", "{")
        queries.expression(query.path, substitute_grafana_variables(plain))


def _duration(ms: int) -> str:
    from promgen.load.units import format_duration

    return format_duration(ms)
