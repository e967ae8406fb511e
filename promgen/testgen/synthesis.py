"""Input series for generated unit tests, synthesised from an expression's selectors.

Every selector in an alert (and in the recording rules it reads) names a metric; the metric's
declared type says how its series move (counters climb, gauges hold a level or follow a line,
histograms fill buckets). Each selector's label matchers split a metric into *classes*: one label
set that satisfies the selector and, per matcher, one that violates it -- e.g. a 5xx and a 2xx
series for `status=~"5.."`. A *level* per class (a rate, a value, a bucket) turns classes into
series; the search in `rule_tests` picks levels that make an alert fire or keep it silent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Union, cast

import promql_parser as pq

from promgen.core.model import Model
from promgen.testgen.arithmetic import constant, walk
from promgen.testgen.evaluator import RecordingRule, Series
from promgen.testgen.functions import duration_ms
from promgen.testgen.go_format import go_g
from promgen.testgen.selectors import Matcher, Unsupported, matcher_ok, selector_parts

# Prometheus client default buckets: used for histograms declared without buckets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Metrics every setup has without declaring them: (type, labels, job kind).
KNOWN_METRICS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "up": ("gauge", (), "scrape"),
    "scrape_duration_seconds": ("gauge", (), "scrape"),
    "process_resident_memory_bytes": ("gauge", (), "scrape"),
    "process_cpu_seconds_total": ("counter", (), "scrape"),
    "process_open_fds": ("gauge", (), "scrape"),
    "probe_success": ("gauge", (), "blackbox"),
    "probe_duration_seconds": ("gauge", (), "blackbox"),
    "probe_http_status_code": ("gauge", (), "blackbox"),
    "probe_ssl_earliest_cert_expiry": ("gauge", (), "blackbox"),
    "node_filesystem_avail_bytes": ("gauge", ("device", "fstype", "mountpoint"), "scrape"),
    "node_filesystem_free_bytes": ("gauge", ("device", "fstype", "mountpoint"), "scrape"),
    "node_filesystem_size_bytes": ("gauge", ("device", "fstype", "mountpoint"), "scrape"),
}

# Plausible values for common label names, so generated tests read like real data.
LABEL_DEFAULTS: dict[str, str] = {
    "status": "200",
    "status_code": "200",
    "code": "200",
    "method": "GET",
    "endpoint": "/api",
    "handler": "/api",
    "path": "/api",
    "route": "/api",
    "fstype": "ext4",
    "mountpoint": "/",
    "device": "/dev/sda1",
    "container": "app",
    "pod": "app-0",
    "namespace": "default",
    "queue": "default",
    "interface": "eth0",
}
MAX_CLASSES = 8


@dataclass(frozen=True)
class Family:
    """A metric as the tests produce it; a histogram family owns its _bucket, _count and _sum."""

    name: str
    kind: str  # counter | gauge | histogram
    bounds: tuple[float, ...] = ()


@dataclass(frozen=True)
class Variable:
    """One class of series of a family: its labels (without __name__ and le)."""

    family: Family
    labels: tuple[tuple[str, str], ...]
    trend: bool = False  # read by predict_linear/deriv/delta: gauges may move in a straight line


Absent = None  # the level of a class that has no series at all
CounterLevel = float  # per-second rate
GaugeLevel = tuple[float, float]  # (value at t=0, change per second)
HistogramLevel = tuple[tuple[int, float], ...]  # (bucket index, observations per second)
Level = Union[CounterLevel, GaugeLevel, HistogramLevel, None]


@dataclass
class Selection:
    """What an expression reads: families, the selectors on each, grouping labels, constants."""

    families: dict[str, Family] = field(default_factory=dict)
    selectors: dict[str, list[list[Matcher]]] = field(default_factory=dict)
    grouping: set[str] = field(default_factory=set)
    trend: set[str] = field(default_factory=set)
    constants: list[float] = field(default_factory=list)
    uses_time: bool = False
    uses_absent: bool = False
    uses_regression: bool = False  # predict_linear/deriv: values promgen cannot predict to the last bit
    has_offset: bool = False
    warmup_ms: int = 0


_TREND_FUNCTIONS = {"predict_linear", "deriv", "delta", "idelta"}


def select(model: Model, expr: Any, recorded: Mapping[str, Sequence[RecordingRule]]) -> Selection:
    """The families and selectors `expr` reads, following recorded series into their rules."""
    found = Selection()
    _collect(model, expr, recorded, found, set(), top=True)
    return found


def _collect(
    model: Model, expr: Any, recorded: Mapping[str, Sequence[RecordingRule]], found: Selection,
    visiting: set[str], top: bool,
) -> None:
    for node in walk(expr):
        if isinstance(node, pq.Call):
            name = node.func.name
            found.uses_time |= name == "time"
            found.uses_absent |= name.startswith("absent")
            found.uses_regression |= name in ("predict_linear", "deriv")
            if name in _TREND_FUNCTIONS and node.args and isinstance(node.args[0], pq.MatrixSelector):
                found.trend.add(selector_parts(node.args[0].vector_selector)[0])
        elif isinstance(node, pq.AggregateExpr) and node.modifier is not None:
            found.grouping.update(node.modifier.labels)
        elif isinstance(node, pq.BinaryExpr):
            if node.modifier is not None and node.modifier.matching is not None:
                found.grouping.update(node.modifier.matching.labels)
            for side in (node.lhs, node.rhs):
                value = constant(side)
                if value is not None and value not in found.constants:
                    found.constants.append(value)
        elif isinstance(node, pq.MatrixSelector) and top:
            offset = duration_ms(node.vector_selector.offset)
            found.warmup_ms = max(found.warmup_ms, duration_ms(node.range) + offset)
        elif isinstance(node, pq.VectorSelector):
            name, matchers = selector_parts(node)
            offset = duration_ms(node.offset)
            found.has_offset |= offset != 0
            if top:
                found.warmup_ms = max(found.warmup_ms, offset)
            if name in recorded:
                if name in visiting:
                    raise Unsupported(f"recording rules that read themselves ({name})")
                for rule in recorded[name]:
                    if all(matcher_ok(rule.labels.get(l, ""), op, v) for l, op, v in matchers if l in rule.labels):
                        _collect(model, rule.expr, recorded, found, visiting | {name}, top=False)
                continue
            family, base_matchers = family_of(model, name, matchers)
            found.families.setdefault(family.name, family)
            found.selectors.setdefault(family.name, [])
            if base_matchers not in found.selectors[family.name]:
                found.selectors[family.name].append(base_matchers)


def family_of(model: Model, name: str, matchers: list[Matcher]) -> tuple[Family, list[Matcher]]:
    """The family a selected metric belongs to, and the matchers that pick its classes (no `le`)."""
    declared = model.metric(name)
    plain = [m for m in matchers if m[0] != "le"]
    if declared is not None and declared.type in ("counter", "gauge"):
        return Family(name, declared.type), matchers
    for suffix in ("_bucket", "_count", "_sum"):
        base = model.metric(name.removesuffix(suffix)) if name.endswith(suffix) else None
        if base is not None and base.type == "histogram":
            return Family(base.name, "histogram", histogram_bounds(model, base.name)), plain
    if declared is not None:
        raise Unsupported(f"{name} is a {declared.type}; select its _bucket, _count or _sum series")
    if name in KNOWN_METRICS:
        return Family(name, KNOWN_METRICS[name][0]), matchers
    raise Unsupported(f"metric {name} is not declared in `metrics`")


def histogram_bounds(model: Model, name: str) -> tuple[float, ...]:
    """Declared buckets; else the client default buckets plus every latency SLO threshold on the
    metric (an SLO on an undeclared bucket layout assumes its threshold is a bucket)."""
    metric = model.metric(name)
    if metric is not None and metric.buckets:
        return tuple(float(b) for b in metric.buckets)
    scale = 1000 if model.metric_units.get(name) == "milliseconds" else 1
    thresholds = {seconds * scale for seconds in model.latency_thresholds.get(name, ())}
    return tuple(sorted(set(DEFAULT_BUCKETS) | thresholds))


# --- classes ---------------------------------------------------------------------------------


def variables(model: Model, selection: Selection) -> list[Variable]:
    found: list[Variable] = []
    for name, family in selection.families.items():
        base = base_labels(model, family, selection.grouping)
        classes: list[dict[str, str] | None] = []  # None: no label set satisfies the matchers
        selectors = selection.selectors[name]
        instances = job_instances(model)
        for matchers in selectors:
            classes.append(satisfying(base, matchers, instances))
        for matchers in selectors:
            for index, matcher in enumerate(matchers):
                if matcher[0] in ("job", "le"):
                    continue
                labels = satisfying(base, matchers[:index] + matchers[index + 1:], instances)
                if labels is not None:
                    labels = _set(labels, matcher[0], violating(matcher, labels.get(matcher[0], "")))
                classes.append(labels)
        unique = list(dict.fromkeys(tuple(sorted(c.items())) for c in classes if c is not None))
        if len(unique) > MAX_CLASSES:
            raise Unsupported(f"{name} is selected in too many different ways")
        found.extend(Variable(family, labels, trend=name in selection.trend) for labels in unique)
    return found


def base_labels(model: Model, family: Family, grouping: Iterable[str]) -> dict[str, str]:
    """Labels every series of the family carries: job, instance, declared labels, grouping labels."""
    declared = model.metric(family.name)
    names = list(declared.labels) if declared is not None else list(KNOWN_METRICS.get(family.name, ("", ()))[1])
    job_kind = KNOWN_METRICS.get(family.name, ("", (), "scrape"))[2]
    job, instance = default_target(model, job_kind)
    labels = {"job": job, "instance": instance}
    for label in [*names, *sorted(grouping)]:
        if label not in labels and label not in ("le", "quantile", "__name__"):
            labels[label] = LABEL_DEFAULTS.get(label, "x")
    if "namespace" in labels and model.spec.kubernetes.namespace:
        labels["namespace"] = model.spec.kubernetes.namespace
    return labels


def default_target(model: Model, kind: str) -> tuple[str, str]:
    probes = model.spec.probes
    if kind == "blackbox" and model.blackbox_job and probes is not None:
        return model.blackbox_job, probes.external_probes[0].url
    if model.spec.scrape.targets:
        target = model.spec.scrape.targets[0]
        return target.job, target.static[0]
    return model.service, "localhost:8000"


def job_instances(model: Model) -> dict[str, str]:
    """job -> the instance label its first target gets (a probed URL for the blackbox job)."""
    found = {target.job: target.static[0] for target in model.spec.scrape.targets}
    probes = model.spec.probes
    if model.blackbox_job and probes is not None and probes.external_probes:
        found[model.blackbox_job] = probes.external_probes[0].url
    return found


def _set(labels: dict[str, str] | None, name: str, value: str | None) -> dict[str, str] | None:
    if labels is None or value is None:
        return None
    labels = dict(labels)
    if value == "":
        labels.pop(name, None)
    else:
        labels[name] = value
    return labels


def satisfying(
    base: dict[str, str], matchers: Sequence[Matcher], instances: Mapping[str, str]
) -> dict[str, str] | None:
    labels: dict[str, str] | None = dict(base)
    for name, op, value in matchers:
        assert labels is not None
        if not matcher_ok(labels.get(name, ""), op, value):
            labels = _set(labels, name, satisfying_value((name, op, value), labels.get(name, "")))
            if labels is None:
                return None
            if name == "job" and op == "=" and value in instances:
                labels["instance"] = instances[value]
    if labels is None or not all(matcher_ok(labels.get(n, ""), op, v) for n, op, v in matchers):
        return None
    return labels


def satisfying_value(matcher: Matcher, current: str) -> str | None:
    name, op, value = matcher
    if op == "=":
        return value
    if op == "=~":
        return regex_example(value)
    candidates = [LABEL_DEFAULTS.get(name, ""), "other", "x", "0", ""] if op == "!~" else ["x", "other", ""]
    return next((c for c in candidates if matcher_ok(c, op, value) and c), None)


def violating(matcher: Matcher, current: str) -> str | None:
    name, op, value = matcher
    if op == "!=":
        return value
    if op == "!~":
        return regex_example(value)
    for candidate in (LABEL_DEFAULTS.get(name, ""), current, "other", "x", "0"):
        if candidate and not matcher_ok(candidate, op, value):
            return candidate
    return None


def regex_example(pattern: str) -> str | None:
    """A short string the (anchored) regular expression matches: '5..' -> '500', '2..|304' -> '200'."""
    sre = import_module("re._parser")  # CPython's regex parser: private, so typeshed has no stub for it

    try:
        text = _example(sre.parse(pattern))
    except Exception:
        return None
    return text if text is not None and matcher_ok(text, "=~", pattern) else None


def _example(parsed: Any) -> str | None:
    out: list[str] = []
    for op, arg in parsed:
        kind = str(op)
        if kind == "LITERAL":
            out.append(chr(arg))
        elif kind == "NOT_LITERAL":
            out.append("x" if chr(arg) != "x" else "y")
        elif kind == "ANY":
            out.append("0")
        elif kind == "IN":
            out.append(_in_example(arg))
        elif kind == "BRANCH":
            out.append(_example(arg[1][0]) or "")
        elif kind == "SUBPATTERN":
            out.append(_example(arg[-1]) or "")
        elif kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append((_example(sub) or "") * max(low, 0))
        elif kind in ("AT",):
            continue
        else:
            return None
    return "".join(out)


def _in_example(items: Any) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    allowed: list[str] = []
    for op, arg in items:
        kind = str(op)
        if kind == "LITERAL":
            allowed.append(chr(arg))
        elif kind == "RANGE":
            allowed.append(chr(arg[0]))
        elif kind == "CATEGORY":
            allowed.append({"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a"}.get(str(arg), "a"))
    if not negate:
        return allowed[0] if allowed else "0"
    return next(c for c in "x0a_-" if c not in allowed)


# --- levels to series ------------------------------------------------------------------------


def series_of(variable: Variable, level: Level, interval_s: float) -> list[Series]:
    """The series one class produces at `level` (none when absent)."""
    if level is None:
        return []
    family = variable.family
    labels = dict(variable.labels)
    if family.kind == "counter":
        assert isinstance(level, float)
        return [_series(family.name, labels, 0.0, level * interval_s)]
    if family.kind == "gauge":
        assert isinstance(level, tuple)
        value, slope = cast(GaugeLevel, level)  # a gauge's level is (value, slope): its family kind says so
        return [_series(family.name, labels, value, slope * interval_s)]
    assert isinstance(level, tuple)
    observed = cast(HistogramLevel, level)  # a histogram's level: (bucket, rate) pairs
    out: list[Series] = []
    bounds = (*family.bounds, float("inf"))
    for index, bound in enumerate(bounds):
        rate = sum(r for bucket, r in observed if bucket <= index)
        le = "+Inf" if bound == float("inf") else go_g(bound)
        out.append(_series(f"{family.name}_bucket", {**labels, "le": le}, 0.0, rate * interval_s))
    total = sum(r for _, r in observed)
    out.append(_series(f"{family.name}_count", labels, 0.0, total * interval_s))
    spent = sum(r * _observation(bounds, bucket) for bucket, r in observed)
    out.append(_series(f"{family.name}_sum", labels, 0.0, spent * interval_s))
    return out


def _observation(bounds: tuple[float, ...], bucket: int) -> float:
    """A value that falls in bucket `bucket`: its upper bound, or twice the last bound for +Inf."""
    if bucket < len(bounds) - 1:
        return bounds[bucket]
    return bounds[-2] * 2 if len(bounds) > 1 else 1.0


def _series(name: str, labels: Mapping[str, str], start: float, step: float) -> Series:
    return Series(tuple(sorted({**labels, "__name__": name}.items())), _whole(start), _whole(step))


def _whole(value: float) -> float:
    """Drop float noise such as 12.000000000000002 so the test data reads as written."""
    rounded = round(value)
    return float(rounded) if abs(value - rounded) <= 1e-9 * max(1.0, abs(value)) else value


def candidates(variable: Variable, selection: Selection, eval_s: float, interval_s: float = 60.0) -> list[Level]:
    """Levels to try for a class, the neutral one first."""
    numbers: list[float] = []
    for c in selection.constants:
        for x in (c / 2, c * 2, c * 10, c / 10, c + 1, c - 1, -c * 2):
            if x not in numbers and abs(x) < 1e15:
                numbers.append(x)
    kind = variable.family.kind
    levels: list[Level]
    if kind == "counter":
        levels = [1.0, 0.0, *(x for x in numbers if x > 0), 10.0, 100.0, 1000.0]
    elif kind == "gauge":
        trends: list[Level] = []
        if variable.trend and eval_s > 0:
            steps = max(1, round(eval_s / interval_s))
            for size in (*(abs(x) for x in numbers if abs(x) >= steps), 1e9):
                change = (size * 0.9 // steps) / interval_s  # whole units per sample
                trends += [(size, -change), (size, change)]
        levels = [(1.0, 0.0), *trends, *((x, 0.0) for x in numbers), (0.0, 0.0), (100.0, 0.0)]
    else:
        count = len(variable.family.bounds) + 1
        levels = [((0, 1.0),), *(((k, 1.0),) for k in range(1, count)), ()]
    if selection.uses_absent:
        levels.append(Absent)
    unique: list[Level] = []
    for level in levels:
        if level not in unique:
            unique.append(level)
    return unique
