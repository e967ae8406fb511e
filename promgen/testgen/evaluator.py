"""A small PromQL evaluator over synthetic series: what promtool will compute for a generated test.

It follows Prometheus 2's own arithmetic (extrapolated rate, aggregation order, bucket quantiles)
so the values it predicts, and therefore the annotations, match promtool's exactly for the
regular series promgen synthesises (constant levels or straight lines sampled at a fixed interval).
Anything outside the subset raises `Unsupported`, and the alert is reported as untested.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

import promql_parser as pq

from promgen.judge.promql import parsed
from promgen.testgen.arithmetic import ARITHMETIC, COMPARISON
from promgen.testgen.functions import (
    ELEMENTWISE,
    RANGE,
    duration_ms,
    histogram_quantile,
)
from promgen.testgen.selectors import Unsupported, matches, selector_parts

LOOKBACK_MS = 300_000  # Prometheus' default lookback delta (5m)

Labels = dict[str, str]
Sample = tuple[Labels, float]
Vector = list[Sample]
Value = Union[float, Vector]


@dataclass(frozen=True)
class Series:
    """A synthetic series: `start`, then `step` added at every sample (promtool's 'a+bxn')."""

    labels: tuple[tuple[str, str], ...]  # sorted, with __name__
    start: float
    step: float

    @property
    def name(self) -> str:
        return dict(self.labels)["__name__"]


@dataclass(frozen=True)
class RecordingRule:
    """A recording rule as the tests read it. Its expression is parsed when first evaluated: a test
    loads every rule file its alerts read, and evaluates few of their rules."""

    text: str
    labels: Mapping[str, str]

    @cached_property
    def expr(self) -> Any:
        return parsed(self.text)


@dataclass
class Evaluator:
    series: Sequence[Series]
    interval_ms: int
    end_ms: int  # last sample time
    recorded: Mapping[str, Sequence[RecordingRule]] = field(default_factory=dict)
    eval_interval_ms: int = 60_000
    left_open: bool = False  # Prometheus 3: a range ending at t holds samples in (t - range, t]
    grid_offset_ms: int = 0  # recording rules write at k * eval_interval - grid_offset (query_offset)
    _values: dict[int, list[float]] = field(default_factory=dict, init=False)
    _recorded: dict[tuple[str, int], Vector] = field(default_factory=dict, init=False)
    _rule_values: dict[tuple[str, int], Value] = field(default_factory=dict, init=False)

    # --- samples ---------------------------------------------------------------------------

    def values(self, index: int) -> list[float]:
        cached = self._values.get(index)
        if cached is None:
            s = self.series[index]
            cached, value = [], s.start
            for _ in range(self.end_ms // self.interval_ms + 1):
                cached.append(value)
                value += s.step  # cumulative, as promtool expands 'a+bxn'
            self._values[index] = cached
        return cached

    def points(self, index: int, start_ms: int, end_ms: int, *, open_start: bool = False) -> list[tuple[int, float]]:
        """Samples with start_ms <= t <= end_ms (start_ms < t with `open_start`)."""
        values = self.values(index)
        first = max(0, -(-start_ms // self.interval_ms))
        if open_start and first * self.interval_ms == start_ms:
            first += 1
        last = min(len(values) - 1, end_ms // self.interval_ms) if end_ms >= 0 else -1
        step = self.interval_ms
        return list(zip(range(first * step, (last + 1) * step, step), values[first:last + 1]))

    # --- evaluation ------------------------------------------------------------------------

    def eval(self, node: Any, t: int) -> Value:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise Unsupported(f"{type(node).__name__} expressions")
        return handler(self, node, t)

    def vector(self, node: Any, t: int) -> Vector:
        value = self.eval(node, t)
        if not isinstance(value, list):
            raise Unsupported("a scalar where a vector is needed")
        return value

    def scalar(self, node: Any, t: int) -> float:
        value = self.eval(node, t)
        if isinstance(value, list):
            raise Unsupported("a vector where a scalar is needed")
        return value

    def instant(self, vs: Any, t: int) -> Vector:
        if vs.at is not None:
            raise Unsupported("the @ modifier")
        at = t - duration_ms(vs.offset)
        name, matchers = selector_parts(vs)
        if name in self.recorded:
            return [s for s in self.recorded_at(name, at) if matches(s[0], matchers)]
        out: Vector = []
        for index, series in enumerate(self.series):
            labels = dict(series.labels)
            if labels["__name__"] != name or not matches(labels, matchers):
                continue
            pts = self.points(index, at - LOOKBACK_MS + 1, at)
            if pts:
                out.append((labels, pts[-1][1]))
        return out

    def _grid_at_or_before(self, t: int) -> int:
        """The last time at or before `t` that recording rules write a sample."""
        return t - (t + self.grid_offset_ms) % self.eval_interval_ms

    def recorded_at(self, name: str, t: int) -> Vector:
        """The series recording rules named `name` write at `t` (rules run at every eval step);
        each is computed once per evaluator, as Prometheus records it once."""
        t = self._grid_at_or_before(t)
        if t < 0:
            return []
        key = (name, t)
        cached = self._recorded.get(key)
        if cached is None:
            cached = self._record(name, t)
            self._recorded[key] = cached
        return cached

    def _record(self, name: str, t: int) -> Vector:
        out: Vector = []
        for rule in self.recorded[name]:
            value = self._rule_value(rule, t)
            samples = [({}, value)] if not isinstance(value, list) else value
            for labels, v in samples:
                labels = {k: val for k, val in labels.items() if k != "__name__"}
                labels.update(rule.labels)
                labels["__name__"] = name
                out.append((labels, v))
        return out

    def _rule_value(self, rule: RecordingRule, t: int) -> Value:
        """The rule's expression at `t`, once per evaluator even when several names record it (an SLO's
        longer windows record its shortest window's ratio in the burn cases)."""
        key = (rule.text, t)
        value = self._rule_values.get(key)
        if value is None:
            value = self._rule_values[key] = self.eval(rule.expr, t)
        return value

    def matrix(self, ms: Any, t: int) -> list[tuple[Labels, list[tuple[int, float]]]]:
        if not isinstance(ms, pq.MatrixSelector):
            raise Unsupported("subqueries")
        vs = ms.vector_selector
        if vs.at is not None:
            raise Unsupported("the @ modifier")
        end = t - duration_ms(vs.offset)
        start = end - duration_ms(ms.range)
        name, matchers = selector_parts(vs)
        out: list[tuple[Labels, list[tuple[int, float]]]] = []
        if name in self.recorded:
            first = self._grid_at_or_before(start)
            if first < start or (self.left_open and first == start):
                first += self.eval_interval_ms
            first = max(first, (-self.grid_offset_ms) % self.eval_interval_ms)  # nothing is recorded before t=0
            steps = range(first, end + 1, self.eval_interval_ms)
            if len(steps) > 2000:
                raise Unsupported(f"a range over recorded series {name} longer than 2000 evaluations")
            found: dict[tuple[tuple[str, str], ...], list[tuple[int, float]]] = {}
            for step in steps:
                for labels, v in self.recorded_at(name, step):
                    if matches(labels, matchers):
                        found.setdefault(tuple(sorted(labels.items())), []).append((step, v))
            return [(dict(key), pts) for key, pts in sorted(found.items())]
        for index, series in enumerate(self.series):
            labels = dict(series.labels)
            if labels["__name__"] == name and matches(labels, matchers):
                pts = self.points(index, start, end, open_start=self.left_open)
                if pts:
                    out.append((labels, pts))
        return out


def _drop_name(labels: Labels) -> Labels:
    return {k: v for k, v in labels.items() if k != "__name__"}


# --- node handlers ---------------------------------------------------------------------------


def _number(ev: Evaluator, node: Any, t: int) -> Value:
    return float(node.val)


def _paren(ev: Evaluator, node: Any, t: int) -> Value:
    return ev.eval(node.expr, t)


def _unary(ev: Evaluator, node: Any, t: int) -> Value:
    value = ev.eval(node.expr, t)
    if isinstance(value, list):
        return [(_drop_name(labels), -v) for labels, v in value]
    return -value


def _vector_selector(ev: Evaluator, node: Any, t: int) -> Value:
    return ev.instant(node, t)


def _binary(ev: Evaluator, node: Any, t: int) -> Value:
    op = str(node.op)
    modifier = node.modifier
    as_bool = bool(modifier and modifier.return_bool)
    lhs, rhs = ev.eval(node.lhs, t), ev.eval(node.rhs, t)
    if op in ("and", "or", "unless"):
        if not (isinstance(lhs, list) and isinstance(rhs, list)):
            raise Unsupported(f"`{op}` on scalars")
        return _set_op(op, lhs, rhs, modifier)
    if op not in ARITHMETIC and op not in COMPARISON:
        raise Unsupported(f"the `{op}` operator")
    if not isinstance(lhs, list) and not isinstance(rhs, list):
        if op in ARITHMETIC:
            return ARITHMETIC[op](lhs, rhs)
        return 1.0 if COMPARISON[op](lhs, rhs) else 0.0
    if isinstance(lhs, list) and isinstance(rhs, list):
        return _vector_op(op, lhs, rhs, modifier, as_bool)
    swap = not isinstance(lhs, list)
    vector, scalar = (rhs, lhs) if swap else (lhs, rhs)
    assert isinstance(vector, list) and not isinstance(scalar, list)
    out: Vector = []
    for labels, v in vector:
        a, b = (scalar, v) if swap else (v, scalar)
        if op in ARITHMETIC:
            out.append((_drop_name(labels), ARITHMETIC[op](a, b)))
        elif as_bool:
            out.append((_drop_name(labels), 1.0 if COMPARISON[op](a, b) else 0.0))
        elif COMPARISON[op](a, b):
            out.append((labels, v))
    return out


def _signature(labels: Labels, modifier: Any) -> tuple[tuple[str, str], ...]:
    matching = modifier.matching if modifier is not None else None
    if matching is not None and str(matching.type).endswith("Include"):
        return tuple((name, labels.get(name, "")) for name in sorted(matching.labels))
    ignored = set(matching.labels) if matching is not None else set()
    ignored.add("__name__")
    return tuple(sorted((k, v) for k, v in labels.items() if k not in ignored))


def _set_op(op: str, lhs: Vector, rhs: Vector, modifier: Any) -> Vector:
    right = {_signature(labels, modifier) for labels, _ in rhs}
    if op == "and":
        return [s for s in lhs if _signature(s[0], modifier) in right]
    if op == "unless":
        return [s for s in lhs if _signature(s[0], modifier) not in right]
    left = {_signature(labels, modifier) for labels, _ in lhs}
    return lhs + [s for s in rhs if _signature(s[0], modifier) not in left]


def _vector_op(op: str, lhs: Vector, rhs: Vector, modifier: Any, as_bool: bool) -> Vector:
    if modifier is not None and str(modifier.card).endswith(("ManyToOne", "OneToMany")):
        raise Unsupported("group_left / group_right")
    right: dict[tuple[tuple[str, str], ...], Sample] = {}
    for sample in rhs:
        key = _signature(sample[0], modifier)
        if key in right:
            raise Unsupported("many-to-many matching (Prometheus rejects it at evaluation)")
        right[key] = sample
    seen: set[tuple[tuple[str, str], ...]] = set()
    out: Vector = []
    for labels, a in lhs:
        key = _signature(labels, modifier)
        if key not in right:
            continue
        if key in seen:
            raise Unsupported("many-to-one matching without group_left")
        seen.add(key)
        b = right[key][1]
        result = dict(labels)
        if op in ARITHMETIC or as_bool:
            result.pop("__name__", None)
        matching = modifier.matching if modifier is not None else None
        if matching is not None and str(matching.type).endswith("Include"):
            result = {k: v for k, v in result.items() if k in set(matching.labels)}
        elif matching is not None:
            result = {k: v for k, v in result.items() if k not in set(matching.labels)}
        if op in ARITHMETIC:
            out.append((result, ARITHMETIC[op](a, b)))
        elif as_bool:
            out.append((result, 1.0 if COMPARISON[op](a, b) else 0.0))
        elif COMPARISON[op](a, b):
            out.append((result, a))
    return out


def _aggregate(ev: Evaluator, node: Any, t: int) -> Value:
    op = str(node.op)
    if op not in ("sum", "avg", "min", "max", "count", "group"):
        raise Unsupported(f"the `{op}` aggregation")
    samples = sorted(ev.vector(node.expr, t), key=lambda s: sorted(s[0].items()))
    modifier = node.modifier
    groups: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for labels, v in samples:
        if modifier is None:
            key: tuple[tuple[str, str], ...] = ()
        elif str(modifier.type).endswith("By"):
            key = tuple(sorted((k, labels[k]) for k in modifier.labels if k in labels))
        else:
            dropped = set(modifier.labels) | {"__name__"}
            key = tuple(sorted((k, val) for k, val in labels.items() if k not in dropped))
        groups.setdefault(key, []).append(v)
    return [(dict(key), _fold(op, values)) for key, values in groups.items()]


def _fold(op: str, values: list[float]) -> float:
    if op == "count":
        return float(len(values))
    if op == "group":
        return 1.0
    acc = values[0]
    if op == "avg":
        count = 1
        for v in values[1:]:
            count += 1
            if math.isinf(acc) and (not math.isinf(v) or (acc > 0) == (v > 0)) and not math.isnan(v):
                continue
            acc += v / count - acc / count
        return acc
    for v in values[1:]:
        if op == "sum":
            acc += v
        elif op == "max" and (acc < v or math.isnan(acc)):
            acc = v
        elif op == "min" and (acc > v or math.isnan(acc)):
            acc = v
    return acc


# --- functions -------------------------------------------------------------------------------


def _call(ev: Evaluator, node: Any, t: int) -> Value:
    name = node.func.name
    args = list(node.args)
    if name == "time":
        return t / 1000
    if name == "vector":
        return [({}, ev.scalar(args[0], t))]
    if name == "scalar":
        vector = ev.vector(args[0], t)
        return vector[0][1] if len(vector) == 1 else math.nan
    if name in ("absent", "absent_over_time"):
        found = ev.vector(args[0], t) if name == "absent" else ev.matrix(args[0], t)
        return [] if found else [(_absent_labels(args[0]), 1.0)]
    if name in RANGE:
        return [(_drop_name(labels), v) for labels, pts in ev.matrix(args[0], t)
                if (v := RANGE[name](pts, args, ev, t)) is not None]
    if name in ELEMENTWISE:
        extra = [ev.scalar(a, t) for a in args[1:]]
        return [(_drop_name(labels), ELEMENTWISE[name](v, *extra)) for labels, v in ev.vector(args[0], t)]
    if name in ("sort", "sort_desc"):
        return ev.vector(args[0], t)
    if name == "histogram_quantile":
        return histogram_quantile(ev.scalar(args[0], t), ev.vector(args[1], t))
    raise Unsupported(f"the {name}() function")


def _absent_labels(arg: Any) -> Labels:
    vs = arg.vector_selector if isinstance(arg, pq.MatrixSelector) else arg
    if not isinstance(vs, pq.VectorSelector):
        return {}
    _, matchers = selector_parts(vs)
    labels: Labels = {}
    ambiguous: set[str] = set()
    for label, op, value in matchers:
        if op == "=" and label not in labels:
            labels[label] = value
        else:
            ambiguous.add(label)
    return {k: v for k, v in labels.items() if k not in ambiguous}


_HANDLERS: dict[type, Callable[[Evaluator, Any, int], Value]] = {
    pq.NumberLiteral: _number,
    pq.ParenExpr: _paren,
    pq.UnaryExpr: _unary,
    pq.VectorSelector: _vector_selector,
    pq.BinaryExpr: _binary,
    pq.AggregateExpr: _aggregate,
    pq.Call: _call,
}
