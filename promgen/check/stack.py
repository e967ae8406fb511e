"""Checks across the specs rendered into one stack: what one Prometheus and one Alertmanager can
hold only once.

Each problem points at the later spec's value and names where the earlier one is written, so both
files are in the message: two services of one name, a scrape job in two services, a channel, time
interval or remote_write entry of one name but different settings, conflicting Alertmanager
globals (SMTP, resolve_timeout), different Prometheus or Alertmanager versions, and a dashboard uid
used twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from promgen.errors import Problem
from promgen.load.loader import LoadedSpec
from promgen.yamlio.reader import PathKey

# One spec's (key, value, path) for a kind of shared thing: key names it across the stack, value
# must be equal wherever the key is used again.
Entries = Callable[[LoadedSpec], Iterator[tuple[str, Any, PathKey]]]


def _written(loaded: LoadedSpec, path: PathKey) -> PathKey:
    """`path` when the spec (or its base) writes it; else the service's name (a default is in no file)."""
    positions = loaded.document.positions
    return path if path in positions.values or path in positions.keys else ("service", "name")


def _where(loaded: LoadedSpec, path: PathKey) -> str:
    file, line, column = loaded.document.positions.locate(_written(loaded, path), loaded.file)
    return f"{file}:{line}:{column}"


Found = list[tuple[LoadedSpec, Problem]]  # each problem with the spec it is about


def _problem(loaded: LoadedSpec, path: PathKey, message: str,
             partner: LoadedSpec | None = None) -> tuple[LoadedSpec, Problem]:
    """A problem at `path` of `loaded`; `partner` is the spec it conflicts with (invalid as well)."""
    problem = loaded.document.problem(_written(loaded, path), message)
    if partner is not None:
        problem = replace(problem, related=(partner.file,))
    return loaded, problem


def _services(loaded: LoadedSpec) -> Iterator[tuple[str, Any, PathKey]]:
    yield loaded.spec.service.name, None, ("service", "name")


def _jobs(loaded: LoadedSpec) -> Iterator[tuple[str, Any, PathKey]]:
    for index, target in enumerate(loaded.spec.scrape.targets):
        yield target.job, None, ("scrape", "targets", index, "job")


def _channels(loaded: LoadedSpec) -> Iterator[tuple[str, Any, PathKey]]:
    for index, channel in enumerate(loaded.spec.channels):
        yield channel.name, channel.model_dump(), ("channels", index, "name")


def _time_intervals(loaded: LoadedSpec) -> Iterator[tuple[str, Any, PathKey]]:
    for name, interval in loaded.spec.time_intervals.items():
        yield name, interval.model_dump(), ("time_intervals", name)


def _remote_writes(loaded: LoadedSpec) -> Iterator[tuple[str, Any, PathKey]]:
    for index, entry in enumerate(loaded.spec.remote_write):
        if entry.name is not None:
            yield entry.name, entry.model_dump(), ("remote_write", index, "name")


def _dashboard_uids(loaded: LoadedSpec) -> Iterator[tuple[str, Any, PathKey]]:
    for index, dashboard in enumerate(loaded.spec.dashboards.custom):
        if dashboard.uid is not None:
            yield dashboard.uid, None, ("dashboards", "custom", index, "uid")


# kind -> (entries, what a second use means: None when the name may be shared by equal definitions)
UNIQUE: dict[str, tuple[Entries, bool]] = {
    "service": (_services, True),
    "scrape job": (_jobs, True),
    "dashboard uid": (_dashboard_uids, True),
    "channel": (_channels, False),
    "time interval": (_time_intervals, False),
    "remote_write": (_remote_writes, False),
}
REASONS = {
    "service": "every service of a stack needs its own name (it names files, jobs and routes)",
    "scrape job": "Prometheus needs every job name once",
    "dashboard uid": "Grafana needs every dashboard uid once",
    "channel": "Alertmanager holds one receiver of that name",
    "time interval": "Alertmanager holds one time interval of that name",
    "remote_write": "prometheus.yml holds one remote_write entry of that name",
}


def _names(specs: list[LoadedSpec], kind: str) -> Found:
    entries, unique = UNIQUE[kind]
    first: dict[str, tuple[LoadedSpec, Any, PathKey]] = {}
    found: Found = []
    for loaded in specs:
        for key, value, path in entries(loaded):
            if key not in first:
                first[key] = (loaded, value, path)
                continue
            earlier, earlier_value, earlier_path = first[key]
            if earlier is loaded or (not unique and value == earlier_value):
                continue
            how = "is also in" if unique else "is defined differently in"
            whose = "" if kind == "service" else f" (service {earlier.spec.service.name})"
            found.append(_problem(
                loaded, path,
                f"{kind} {key!r} {how} {_where(earlier, earlier_path)}{whose}: "
                f"{REASONS[kind]}" + ("" if unique else "; give one the same settings or another name"),
                earlier,
            ))
    return found


def _same_everywhere(specs: list[LoadedSpec], what: str, value: Callable[[LoadedSpec], Any], path: PathKey,
                     skip_unset: bool = False) -> Found:
    """One setting every service of the stack must agree on (or leave unset, with `skip_unset`)."""
    found: Found = []
    reference: tuple[LoadedSpec, Any] | None = None
    for loaded in specs:
        mine = value(loaded)
        if skip_unset and mine is None:
            continue
        if reference is None:
            reference = (loaded, mine)
            continue
        earlier, theirs = reference
        if mine != theirs:
            found.append(_problem(
                loaded, path,
                f"{what} is not as in {_where(earlier, path)} (service {earlier.spec.service.name}): one stack has "
                f"one {what}, so every service must set the same",
                earlier,
            ))
    return found


# Labels that tell one service's series from another's in a shared Prometheus.
SCOPING_LABELS = frozenset({"job", "instance", "service"})
_SERIES_SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum")}


def _series_names(loaded: LoadedSpec) -> set[str]:
    """The series names a service's declared metrics are scraped as."""
    found: set[str] = set()
    for metric in loaded.spec.metrics:
        found.add(metric.name)
        found.update(metric.name + suffix for suffix in _SERIES_SUFFIXES.get(metric.type, ()))
    return found


def _rule_expressions(loaded: LoadedSpec) -> Iterator[tuple[str, PathKey]]:
    """Every PromQL expression of a service that becomes a rule, with where it is written."""
    from promgen.judge.promql import substitute_window

    spec = loaded.spec
    for index, alert in enumerate(spec.alerts):
        if alert.expr is not None:
            yield alert.expr, ("alerts", index, "expr")
    for index, slo in enumerate(spec.slos):
        for field in ("errors", "good", "total", "error_ratio"):
            expr = getattr(slo.sli, field)
            if expr is not None:
                yield substitute_window(expr, "5m"), ("slos", index, "sli", field)
        latency = slo.sli.latency
        if latency is not None:
            yield f"{latency.metric}_bucket{{{latency.selector}}}", ("slos", index, "sli", "latency", "metric")


def _selectors(expr: str) -> Iterator[tuple[str, set[str]]]:
    """(metric name, label names matched) of every selector in `expr`; nothing when it does not parse."""
    import promql_parser

    from promgen.judge.promql import _nodes, parsed

    try:
        root = parsed(expr)
    except Exception:  # the spec checks report it
        return
    for node in _nodes(root):
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            yield node.name, {m.name for m in node.matchers.matchers}


def _unscoped_shared_metrics(specs: list[LoadedSpec]) -> Found:
    """A rule of one service reading a metric another service also exposes, with nothing in the
    selector telling the two apart: in the one Prometheus of the stack it mixes both services' series."""
    owners: dict[str, list[LoadedSpec]] = {}
    for loaded in specs:
        for name in _series_names(loaded):
            owners.setdefault(name, []).append(loaded)
    found: Found = []
    for loaded in specs:
        own_labels = {key for target in loaded.spec.scrape.targets for key in target.labels}
        jobs = [target.job for target in loaded.spec.scrape.targets]
        for expr, path in _rule_expressions(loaded):
            for name, labels in _selectors(expr):
                others = [o for o in owners.get(name, []) if o is not loaded]
                if not others or labels & (SCOPING_LABELS | own_labels):
                    continue
                example = f'{name}{{job="..."}}' + (f" (this service's jobs: {', '.join(jobs)})" if jobs else "")
                found.append((loaded, loaded.document.problem(
                    _written(loaded, path),
                    f"{name} is also a metric of {', '.join(o.spec.service.name for o in others)}: in the stack's one "
                    f"Prometheus this selector reads every service's {name}; scope it, e.g. {example}",
                    level="warning",
                )))
                break
    return found


def _dashboard_uid_clashes(specs: list[LoadedSpec]) -> Found:
    """A custom dashboard whose uid another service's generated dashboard (or, in a fleet, the fleet
    dashboard) has: reported at the custom dashboard's uid or title."""
    from promgen.core.conventions import (
        FLEET_DASHBOARD_UID,
        custom_dashboard_uid,
        dashboard_uid,
    )

    generated: dict[str, tuple[str, LoadedSpec | None]] = {}
    for loaded in specs:
        spec = loaded.spec
        for name in spec.dashboards.generate:
            if name != "slo" or spec.slos:
                generated[dashboard_uid(spec.service.name, name)] = (
                    f"the generated {name} dashboard of service {spec.service.name}", loaded)
    if len(specs) > 1:
        generated[FLEET_DASHBOARD_UID] = ("the stack's fleet dashboard", None)
    found: Found = []
    for loaded in specs:
        service = loaded.spec.service.name
        for index, dashboard in enumerate(loaded.spec.dashboards.custom):
            uid = custom_dashboard_uid(service, dashboard.title, dashboard.uid)
            owner, partner = generated.get(uid, ("", None))
            if owner and partner is not loaded:  # a clash with its own generated one is the spec's check
                field = "uid" if dashboard.uid else "title"
                found.append(_problem(loaded, ("dashboards", "custom", index, field),
                                      f"dashboard uid {uid!r} is already taken by {owner}: Grafana needs every "
                                      f"dashboard uid once; give this dashboard another {field}", partner))
    return found


def check_stack(specs: list[LoadedSpec]) -> Found:
    """Every conflict between the specs of one stack (none for a single spec), and every alert that
    cannot fire in the stack's outputs (`scraped`)."""
    from promgen.check.promql.scraped import unscraped

    found: Found = unscraped(specs) + _dashboard_uid_clashes(specs)
    if len(specs) < 2:
        return found
    for kind in UNIQUE:
        found += _names(specs, kind)
    found += _same_everywhere(
        specs, "alertmanager.smtp",
        lambda s: s.spec.alertmanager.smtp.model_dump() if s.spec.alertmanager.smtp else None,
        ("alertmanager", "smtp"), skip_unset=True,
    )
    found += _same_everywhere(specs, "alertmanager.resolve_timeout", lambda s: s.spec.alertmanager.resolve_timeout.ms,
                              ("alertmanager", "resolve_timeout"))
    found += _same_everywhere(specs, "versions", lambda s: s.spec.versions.model_dump(), ("versions",))
    found += _unscoped_shared_metrics(specs)
    return found
