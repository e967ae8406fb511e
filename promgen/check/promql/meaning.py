"""What a PromQL expression means against what the spec knows (`catalogue`): the findings that make
an alert, SLI or panel wrong although it parses.

`analyse` walks the parsed expression once, bottom up, and gives every node what is known of its
result: its type, the labels its series carry (exactly, when an aggregation says so; at least, for
scraped series), whether it holds raw counter values or a 0..1 ratio. Each finding names the check
it belongs to (docs/checks.md), so a spec can switch one off with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import promql_parser as pq

from promgen.check.promql.catalogue import (
    ALERTS,
    RECORDED,
    SCRAPE_LABELS,
    Catalogue,
    Series,
)
from promgen.load.suggest import did_you_mean

Labels = frozenset[str]
COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
SET_OPS = frozenset({"and", "or", "unless"})
RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})
GAUGE_FUNCTIONS = frozenset({"deriv", "delta", "idelta", "predict_linear", "holt_winters",
                             "double_exponential_smoothing"})
TWO_SAMPLES = RATE_FUNCTIONS | GAUGE_FUNCTIONS | frozenset({"resets", "changes"})
SCALAR_FUNCTIONS = frozenset({"time", "scalar", "pi", "minute", "hour", "day_of_month", "day_of_week",
                              "day_of_year", "days_in_month", "month", "year"})
KEEPS_INPUT = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
_REGEX_META = re.compile(r"[.*+?()\[\]{}|^$\\]")


@dataclass(frozen=True)
class Finding:
    check: str
    level: str  # error | warning
    message: str


@dataclass(frozen=True)
class Value:
    """What is known of an expression's result."""

    kind: str = "vector"  # vector, scalar, matrix, string
    exact: Labels | None = None  # the label names every series has, exactly; None: not known
    least: Labels = frozenset()  # label names every series surely has
    most: Labels | None = None  # every label name a series may have; None: not known
    series: Series | None = None  # the one metric the samples are, untouched by functions
    counter: bool = False  # raw values of a counter
    ratio: float | None = None  # the largest value it can take when known to be bounded (1 for a ratio)
    selector: Any = None  # the vector selector the samples come from, when one
    origin: Series | None = None  # the one metric the values derive from (through rate(), sum(), ...)


@dataclass
class Analysis:
    catalogue: Catalogue
    findings: list[Finding] = field(default_factory=list)

    def add(self, check: str, level: str, message: str) -> None:
        finding = Finding(check, level, message)
        if finding not in self.findings:
            self.findings.append(finding)


def analyse(expr: Any, catalogue: Catalogue) -> list[Finding]:
    """Every finding about the parsed expression `expr`."""
    analysis = Analysis(catalogue)
    _value(expr, analysis)
    return analysis.findings


# --- nodes --------------------------------------------------------------------------------------


def _value(node: Any, an: Analysis) -> Value:
    if isinstance(node, pq.NumberLiteral):
        return Value("scalar", ratio=float(node.val))
    if isinstance(node, pq.StringLiteral):
        return Value("string")
    if isinstance(node, pq.ParenExpr):
        return _value(node.expr, an)
    if isinstance(node, pq.UnaryExpr):
        inner = _value(node.expr, an)
        return replace(inner, ratio=None, series=None)
    if isinstance(node, pq.VectorSelector):
        return _selector(node, an)
    if isinstance(node, pq.MatrixSelector):
        return replace(_selector(node.vector_selector, an), kind="matrix")
    if isinstance(node, pq.SubqueryExpr):
        inner = _value(node.expr, an)
        return replace(inner, kind="matrix", series=None, selector=None)
    if isinstance(node, pq.Call):
        return _call(node, an)
    if isinstance(node, pq.AggregateExpr):
        return _aggregate(node, an)
    if isinstance(node, pq.BinaryExpr):
        return _binary(node, an)
    return Value()


def _selector(node: Any, an: Analysis) -> Value:
    catalogue = an.catalogue
    name = node.name or next((m.value for m in node.matchers.matchers
                              if m.name == "__name__" and _op(m) == "="), "")
    matchers = [(m.name, _op(m), m.value) for m in node.matchers.matchers if m.name != "__name__"]
    _impossible(name, matchers, an)
    for label, op, value in matchers:
        if op in ("=~", "!~") and not _REGEX_META.search(value):
            an.add("promql/regexp", "warning", f"{label}{op}\"{value}\" holds no regular expression: write "
                                               f"{label}{'=' if op == '=~' else '!='}\"{value}\" (cheaper, and says what it means)")
    if not name:
        return Value(selector=node)
    series = catalogue.get(name)
    if series is None:
        _unknown_metric(name, an)
        return Value(selector=node)
    job = next((value for label, op, value in matchers if label == "job" and op == "="), None)
    most = catalogue.labels_of(series)
    for label, op, value in matchers:
        if most is not None and label not in most and not (op == "=" and value == "") and not (
                op == "=~" and _matches_empty(value)):
            known = sorted(most)
            an.add("promql/labels", "error", f"{name} has no label {label!r}{did_you_mean(label, known)} "
                                             f"(its labels: {', '.join(known) or 'none'})")
        elif op == "=":
            _label_value(series, label, value, an)
    least = SCRAPE_LABELS if series.scraped else (frozenset({"service", "slo"}) if series.source == RECORDED else frozenset())
    least = least | frozenset(label for label, op, value in matchers if op == "=" and value)
    ratio = 1.0 if series.unit == "ratio" else (100.0 if series.unit == "percent" else None)
    return Value("vector", None, least, most, series, counter=series.type in ("counter", "bucket"), ratio=ratio,
                 selector=node, origin=series)


def _op(matcher: Any) -> str:
    return {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}[str(matcher.op).rsplit(".", 1)[-1]]


def _matches_empty(pattern: str) -> bool:
    from promgen.judge.go_regex import fullmatch

    return fullmatch(pattern, "")


def _unknown_metric(name: str, an: Analysis) -> None:
    from promgen.core.exporters import exporter_of

    exporter = exporter_of(name)
    known = an.catalogue.names()
    if exporter is not None:
        an.add("promql/series", "warning",
               f"{name} is not among the metrics of {exporter.title} promgen knows{did_you_mean(name, known)}; "
               "declare it in `metrics` if it exists")
        return
    an.add("promql/series", "error",
           f"metric {name!r} is not declared in `metrics`, not recorded by this stack and not one of a known "
           f"exporter's{did_you_mean(name, known)} (declare it, with `external: true` when another system provides it)")


def _label_value(series: Series, label: str, value: str, an: Analysis) -> None:
    catalogue = an.catalogue
    if label == "job" and series.scraped:
        jobs = catalogue.job_names
        if value not in jobs:
            an.add("promql/labels", "error", f"no job of this spec is named {value!r}{did_you_mean(value, jobs)} "
                                             f"(jobs: {', '.join(jobs) or 'none'})")
    elif series.source == RECORDED and label == "slo" and value not in catalogue.slo_names:
        names = catalogue.slo_names
        an.add("promql/labels", "error", f"{series.name} has no series of an SLO {value!r}{did_you_mean(value, names)} "
                                         f"(SLOs: {', '.join(names) or 'none'})")
    elif series.source in (RECORDED, ALERTS) and label == "service" and value != catalogue.spec.service.name:
        an.add("promql/labels", "error", f"this spec's series carry service={catalogue.spec.service.name!r}, "
                                         f"not {value!r}")
    elif series.source == ALERTS and label == "severity":
        names = [s.name for s in catalogue.spec.severities]
        if value not in names:
            an.add("promql/labels", "error", f"no severity is named {value!r}{did_you_mean(value, names)} "
                                             "(alerts carry a severity's name, never an alias)")


def _impossible(name: str, matchers: list[tuple[str, str, str]], an: Analysis) -> None:
    """Matchers on one label that no value can satisfy together."""
    from promgen.judge.go_regex import fullmatch, problem

    by_label: dict[str, list[tuple[str, str]]] = {}
    for label, op, value in matchers:
        by_label.setdefault(label, []).append((op, value))
    for label, conditions in by_label.items():
        equal = sorted({value for op, value in conditions if op == "="})
        if len(equal) > 1:
            an.add("promql/impossible", "error",
                   f"{name or 'the selector'} asks {label} to be both {equal[0]!r} and {equal[1]!r}: it never matches")
            continue
        if not equal:
            continue
        value = equal[0]
        for op, other in conditions:
            if op == "!=" and other == value:
                an.add("promql/impossible", "error", f"{label}=\"{value}\" and {label}!=\"{other}\" never match together")
            elif op in ("=~", "!~") and problem(other) is None:
                if fullmatch(other, value) != (op == "=~"):
                    an.add("promql/impossible", "error",
                           f"{label}=\"{value}\" and {label}{op}\"{other}\" never match together")


def _call(node: Any, an: Analysis) -> Value:
    name = node.func.name
    args = [_value(arg, an) for arg in node.args]
    if name in SCALAR_FUNCTIONS:
        return Value("scalar")
    if name == "vector":
        return Value("vector", frozenset(), frozenset(), frozenset())
    if name in ("absent", "absent_over_time"):
        selector = args[0].selector if args else None
        equal = frozenset(m.name for m in selector.matchers.matchers if _op(m) == "=" and m.name != "__name__") \
            if selector is not None else frozenset()
        return Value("vector", equal, equal, equal)
    matrix = next((a for a in args if a.kind == "matrix"), None)
    if matrix is not None and name in TWO_SAMPLES:
        _range(node, name, matrix, an)
    if matrix is not None and matrix.series is not None:
        _function_fits(name, matrix.series, an)
    if name == "histogram_quantile" and len(args) == 2:
        _buckets(args[1], an)
        inner = args[1]
        exact = inner.exact - {"le"} if inner.exact is not None else None
        most = inner.most - {"le"} if inner.most is not None else None
        return Value("vector", exact, inner.least - {"le"}, most)
    source = next((a for a in args if a.kind in ("vector", "matrix")), Value())
    exact, least, most = source.exact, source.least, source.most
    if name in ("label_replace", "label_join") and len(node.args) >= 2 and isinstance(node.args[1], pq.StringLiteral):
        added = frozenset({node.args[1].val})
        exact = exact | added if exact is not None else None
        least, most = least | added, most | added if most is not None else None
    ratio = source.ratio if name in ("abs", "clamp", "clamp_max", "sort", "sort_desc", "last_over_time",
                                      "max_over_time", "min_over_time", "avg_over_time", "quantile_over_time") else None
    counter = source.counter and name in ("last_over_time", "max_over_time", "min_over_time", "sort", "sort_desc")
    return Value("vector", exact, least, most, None, counter, ratio, origin=source.origin)


def _range(node: Any, name: str, matrix: Value, an: Analysis) -> None:
    """A range a function needs two samples in must span at least two scrapes (four, to be safe)."""
    selector = matrix.selector
    ranged = next((arg for arg in node.args if isinstance(arg, pq.MatrixSelector)), None)
    if ranged is None or matrix.series is None:
        return
    job = next((m.value for m in selector.matchers.matchers if m.name == "job" and _op(m) == "="), None) \
        if selector is not None else None
    interval = an.catalogue.interval_ms(matrix.series, job)
    span = int(ranged.range.total_seconds() * 1000)
    shown = _duration(span)
    every = _duration(interval)
    if span < 2 * interval:
        an.add("promql/rate", "error", f"{name}({matrix.series.name}[{shown}]) spans fewer than two samples (one "
                                       f"every {every}): it is often empty; use at least [{_duration(4 * interval)}]")
    elif span < 4 * interval and name in RATE_FUNCTIONS:
        an.add("promql/rate", "warning", f"{name}({matrix.series.name}[{shown}]) spans fewer than four samples (one "
                                         f"every {every}): a missed scrape empties it; use at least [{_duration(4 * interval)}]")


def _duration(ms: int) -> str:
    from promgen.load.units import format_duration

    return format_duration(ms)


def _function_fits(name: str, series: Series, an: Analysis) -> None:
    if name in RATE_FUNCTIONS and series.type in ("gauge", "summary"):
        advice = "deriv() or delta()" if series.type == "gauge" else f"rate({series.name}_count[...])"
        an.add("promql/rate", "error", f"{name}() of {series.name}, a {series.type}: {name}() reads a counter "
                                       f"(a drop counts as a reset); use {advice}")
    elif name in GAUGE_FUNCTIONS and series.type in ("counter", "bucket"):
        an.add("promql/counter", "warning", f"{name}() of {series.name}, a counter: it drops to zero on every "
                                            "restart; use rate() or increase()")


def _buckets(value: Value, an: Analysis) -> None:
    series = value.origin
    if series is not None and series.type not in ("bucket", "histogram", "unknown"):
        an.add("promql/histogram", "error",
               f"histogram_quantile() reads `le` buckets, and {series.name} is a {series.type}"
               + (f"; use {series.name.removesuffix('_count').removesuffix('_sum')}_bucket"
                  if series.name.endswith(("_count", "_sum")) else ""))
    elif value.exact is not None and "le" not in value.exact:
        an.add("promql/histogram", "error", "histogram_quantile() reads `le` buckets, and the aggregation inside "
                                            "drops `le`: keep it, e.g. sum by (le) (...)")


def _aggregate(node: Any, an: Analysis) -> Value:
    op = str(node.op)
    inner = _value(node.expr, an)
    if node.param is not None:
        _value(node.param, an)
    modifier = node.modifier
    grouping = frozenset(modifier.labels) if modifier is not None else frozenset()
    without = modifier is not None and str(modifier.type).endswith("Without")
    if modifier is not None and not without:
        _grouping_labels(grouping, inner, an)
    extra = frozenset({node.param.val}) if op == "count_values" and isinstance(node.param, pq.StringLiteral) else frozenset()
    if op in KEEPS_INPUT:
        return replace(inner, series=None, counter=False)
    if without:
        exact = inner.exact - grouping if inner.exact is not None else None
        most = inner.most - grouping if inner.most is not None else None
        result = Value("vector", exact, inner.least - grouping, most)
    else:
        result = Value("vector", grouping | extra, (grouping & inner.least) | extra, grouping | extra)
    bounded = inner.ratio if op in ("max", "min", "avg", "quantile") else None
    return replace(result, ratio=bounded, counter=inner.counter and op in ("max", "min", "avg"), origin=inner.origin)


def _grouping_labels(grouping: Labels, inner: Value, an: Analysis) -> None:
    if inner.exact is not None:
        gone = sorted(grouping - inner.exact)
        if gone:
            kept = ", ".join(sorted(inner.exact)) or "none"
            an.add("promql/impossible", "error", f"by ({', '.join(gone)}) groups on labels the expression inside "
                                                 f"has already dropped (it keeps: {kept})")
    elif inner.most is not None and inner.series is not None:
        missing = sorted(grouping - inner.most)
        for label in missing:
            an.add("promql/labels", "error", f"by ({label}): {inner.series.name} has no label {label!r}"
                                             f"{did_you_mean(label, sorted(inner.most))}")


def _binary(node: Any, an: Analysis) -> Value:
    op = str(node.op)
    lhs, rhs = _value(node.lhs, an), _value(node.rhs, an)
    modifier = node.modifier
    returns_bool = bool(modifier is not None and modifier.return_bool)
    if op in SET_OPS:
        if op == "or":
            return Value("vector", lhs.exact if lhs.exact == rhs.exact else None, lhs.least & rhs.least,
                         lhs.most | rhs.most if lhs.most is not None and rhs.most is not None else None)
        _matching(node, lhs, rhs, an)
        return replace(lhs, series=None)
    if lhs.kind == "vector" and rhs.kind == "vector":
        _matching(node, lhs, rhs, an)
    if op in COMPARISONS:
        _comparison(op, lhs, rhs, returns_bool, an)
    if lhs.kind == "scalar" and rhs.kind == "scalar":
        return Value("scalar")
    shape = lhs if lhs.kind == "vector" else rhs  # a result carries its left side's labels (the many side's)
    if _card(modifier) == "OneToMany":
        shape = rhs
    grouped = _card(modifier) in ("ManyToOne", "OneToMany")  # group_left/right(...) copies labels across
    result = Value("vector", None if grouped else shape.exact, shape.least, None if grouped else shape.most)
    if op in COMPARISONS and not returns_bool:
        return replace(result, ratio=shape.ratio, counter=shape.counter)
    ratio = None
    if op == "*" and (lhs.ratio == 1.0 and rhs.kind == "scalar" and rhs.ratio is not None):
        ratio = rhs.ratio
    elif op == "*" and (rhs.ratio == 1.0 and lhs.kind == "scalar" and lhs.ratio is not None):
        ratio = lhs.ratio
    return replace(result, ratio=ratio)


def _card(modifier: Any) -> str:
    return str(modifier.card).rsplit(".", 1)[-1] if modifier is not None else "OneToOne"


def _matching_labels(modifier: Any) -> tuple[str, Labels] | None:
    if modifier is None or modifier.matching is None:
        return None
    kind = "ignoring" if str(modifier.matching.type).endswith("Exclude") else "on"
    return kind, frozenset(modifier.matching.labels)


def _matching(node: Any, lhs: Value, rhs: Value, an: Analysis) -> None:
    """Both sides of a vector operation must be able to hold series with the same matching labels."""
    if lhs.kind != "vector" or rhs.kind != "vector":
        return
    modifier = node.modifier
    matching = _matching_labels(modifier)
    op = str(node.op)
    if matching is not None and matching[0] == "on":
        for side, value in (("left", lhs), ("right", rhs)):
            if value.exact is not None and not matching[1] <= value.exact:
                missing = ", ".join(sorted(matching[1] - value.exact))
                an.add("promql/vector_matching", "error",
                       f"on({', '.join(sorted(matching[1]))}): the {side} side of {op} does not keep {missing}, so "
                       "nothing matches")
        return
    ignored = matching[1] if matching is not None else frozenset()
    if _card(modifier) != "OneToOne" and op not in SET_OPS:
        return  # group_left/right: the many side keeps labels the one side lacks
    left = _side(lhs, ignored)
    right = _side(rhs, ignored)
    if left is None or right is None:
        return
    (left_exact, left_least), (right_exact, right_least) = left, right
    if left_exact is not None and right_exact is not None:
        if left_exact != right_exact:
            an.add("promql/vector_matching", "error", _mismatch(op, left_exact, right_exact))
        return
    for exact, least in ((left_exact, right_least), (right_exact, left_least)):
        if exact is not None and not least <= exact:
            an.add("promql/vector_matching", "error",
                   f"the two sides of {op} never match: one keeps only {_listing(exact)}, the other always has "
                   f"{_listing(least - exact)} too; add on(...) or ignoring(...), or aggregate both sides alike")
            return


def _side(value: Value, ignored: Labels) -> tuple[Labels | None, Labels] | None:
    exact = value.exact - ignored if value.exact is not None else None
    return exact, value.least - ignored


def _listing(labels: Iterable[str]) -> str:
    names = sorted(labels)
    return "{" + ", ".join(names) + "}" if names else "no label"


def _mismatch(op: str, left: Labels, right: Labels) -> str:
    return (f"the two sides of {op} keep different labels, left {_listing(left)} and right {_listing(right)}: no "
            "series matches, so the result is always empty; aggregate both sides by the same labels or add on(...)")


def _comparison(op: str, lhs: Value, rhs: Value, returns_bool: bool, an: Analysis) -> None:
    for value, other, flipped in ((lhs, rhs, False), (rhs, lhs, True)):
        if value.kind == "vector" and value.counter and other.kind == "scalar" and value.series is not None:
            an.add("promql/counter", "warning", f"compares the raw value of {value.series.name}, a counter that only "
                                                "grows until a restart; compare its rate() or increase()")
        if value.kind != "vector" or value.ratio is None or other.kind != "scalar" or other.ratio is None:
            continue
        bound, threshold = value.ratio, other.ratio
        direction = op if not flipped else {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op)
        never = ((direction == ">" and threshold >= bound) or (direction == ">=" and threshold > bound)
                 or (direction == "<" and threshold <= 0) or (direction == "<=" and threshold < 0))
        if never:
            what = "a ratio (0 to 1)" if bound == 1.0 else f"a value from 0 to {bound:g}"
            an.add("promql/impossible", "error", f"the expression is {what}, so {direction} {threshold:g} is never true"
                                                 + (" (a percentage needs * 100 first)" if bound == 1.0 and threshold > 1 else ""))


# --- alerts -------------------------------------------------------------------------------------


def compares(node: Any) -> bool:
    """Whether an alert's expression filters its result (a comparison, a set operation, absent()):
    without one, every series it returns fires."""
    if isinstance(node, pq.ParenExpr):
        return compares(node.expr)
    if isinstance(node, pq.BinaryExpr):
        op = str(node.op)
        returns_bool = bool(node.modifier is not None and node.modifier.return_bool)
        if op in COMPARISONS:
            return not returns_bool or compares(node.lhs) or compares(node.rhs)
        if op in ("and", "unless"):
            return True
        if op == "or":
            return compares(node.lhs) and compares(node.rhs)
        return compares(node.lhs) or compares(node.rhs)
    if isinstance(node, pq.AggregateExpr):
        return compares(node.expr)
    if isinstance(node, pq.Call):
        if node.func.name in ("absent", "absent_over_time"):
            return True
        return any(compares(arg) for arg in node.args if not isinstance(arg, (pq.StringLiteral, pq.NumberLiteral)))
    if isinstance(node, pq.SubqueryExpr):
        return compares(node.expr)
    return False
