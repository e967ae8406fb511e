"""What a generated test is made of: the alert rules by name, a case (input series, evaluation
time, the alerts expected then), the scenario a set of input levels makes (every rule evaluated
with the evaluator), and the search over level combinations."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from typing import Any

from promgen.judge.promql import parsed as parse
from promgen.load.units import parse_duration
from promgen.testgen.evaluator import Evaluator, RecordingRule, Series
from promgen.testgen.go_format import expand
from promgen.testgen.selectors import Unsupported
from promgen.testgen.synthesis import (
    Absent,
    Level,
    Selection,
    Variable,
    series_of,
)

INTERVAL_MS = 60_000  # input samples: one a minute
# Rules run every 5 minutes in the tests: promtool evaluates every rule of the file at every step,
# so a finer step makes the SLO cases (an hour or two of input each) several times slower.
EVAL_INTERVAL_MS = 300_000
MAX_ATTEMPTS = 400  # level combinations tried per search
WARMUP_CAP_MS = 3_600_000
MAX_EVAL_MS = 86_400_000  # a day of input: beyond that, promtool (and the search) get slow
ROUNDED_VALUE = re.compile(r"\$value\s*\|\s*humanizePercentage\b")
@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: Any  # parsed
    for_ms: int
    labels: Mapping[str, str]
    annotations: Mapping[str, str]

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.labels.get("severity", ""))


@dataclass
class Case:
    """One promtool test group: input series, and the alerts expected at one instant."""

    name: str
    alertname: str
    eval_ms: int
    series: list[Series]
    expected: list[dict[str, Any]]


@dataclass
class Synthesis:
    cases: list[Case] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)  # "AlertName (reason)"


@dataclass
class Rules:
    """The rule file as the tests see it: group labels merged into each rule's (its own win), the
    groups' query_offset, and whether ranges are left-open (Prometheus 3) or closed (Prometheus 2)."""

    alerts: list[AlertRule]
    recorded: dict[str, list[RecordingRule]]
    offset_ms: int = 0  # rules.query_offset: every rule reads data this far in the past
    left_open: bool = False

    @classmethod
    def of(cls, groups: Sequence[Mapping[str, Any]], *, left_open: bool = False) -> Rules:
        alerts: list[AlertRule] = []
        recorded: dict[str, list[RecordingRule]] = {}
        offset = 0
        for group in groups:
            if "query_offset" in group:
                offset = parse_duration(group["query_offset"])
            for rule in group["rules"]:
                labels = {**group.get("labels", {}), **rule.get("labels", {})}
                if "record" in rule:
                    recorded.setdefault(rule["record"], []).append(RecordingRule(rule["expr"], labels))
                else:
                    for_ms = parse_duration(rule["for"]) if "for" in rule else 0
                    alerts.append(AlertRule(rule["alert"], parse(rule["expr"]), for_ms, labels,
                                            rule.get("annotations", {})))
        return cls(alerts, recorded, offset, left_open)

    def named(self, name: str) -> list[AlertRule]:
        return self._by_name.get(name, [])

    @cached_property
    def _by_name(self) -> dict[str, list[AlertRule]]:
        found: dict[str, list[AlertRule]] = {}
        for alert in self.alerts:
            found.setdefault(alert.name, []).append(alert)
        return found


def case_keys(case: Case) -> set[tuple[str, str]]:
    return {(case.alertname, alert["exp_labels"].get("severity", "")) for alert in case.expected}


# --- scenarios -------------------------------------------------------------------------------


class Scenario:
    """Series at chosen levels, evaluated as promtool would from t=0 to `end_ms`."""

    def __init__(self, rules: Rules, found: Sequence[Variable], levels: Sequence[Level], end_ms: int) -> None:
        interval_s = INTERVAL_MS / 1000
        self.series = [s for v, level in zip(found, levels) for s in series_of(v, level, interval_s)]
        self.evaluator = Evaluator(self.series, INTERVAL_MS, end_ms, rules.recorded, EVAL_INTERVAL_MS,
                                   left_open=rules.left_open, grid_offset_ms=rules.offset_ms)
        self.offset_ms = rules.offset_ms
        self._firing: dict[tuple[int, int], list[tuple[dict[str, str], float]]] = {}

    def firing(self, rule: AlertRule, at: int) -> list[tuple[dict[str, str], float]]:
        """Samples of `rule` firing at `at`: pending since an evaluation at least `for` earlier,
        so present at every evaluation from the last one at or before `at - for` up to `at`. Each
        evaluation at time t reads the data at t - query_offset."""
        key = (id(rule), at)
        if key not in self._firing:
            self._firing[key] = self._evaluate_firing(rule, at)
        return self._firing[key]

    def _evaluate_firing(self, rule: AlertRule, at: int) -> list[tuple[dict[str, str], float]]:
        if rule.for_ms > at or at - self.offset_ms < 0:
            return []
        now = self.evaluator.vector(rule.expr, at - self.offset_ms)
        keep = {_key(labels) for labels, _ in now}
        step = (at - rule.for_ms) // EVAL_INTERVAL_MS * EVAL_INTERVAL_MS
        while step < at and keep:
            keep &= {_key(labels) for labels, _ in self.evaluator.vector(rule.expr, step - self.offset_ms)}
            step += EVAL_INTERVAL_MS
        return [(labels, value) for labels, value in now if _key(labels) in keep]

    def expected(self, named: Sequence[AlertRule], at: int) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = []
        seen: set[tuple[tuple[str, str], ...]] = set()
        for rule in named:
            for sample_labels, value in self.firing(rule, at):
                labels = {k: v for k, v in sample_labels.items() if k != "__name__"}
                for name, text in rule.labels.items():
                    labels[name] = expand(text, sample_labels, value)
                key = _key(labels)
                if key in seen:
                    raise Unsupported("two alerts with the same labels (Prometheus rejects the evaluation)")
                seen.add(key)
                annotations = {name: expand(text, sample_labels, value) for name, text in rule.annotations.items()}
                alerts.append({"exp_labels": dict(sorted(labels.items())), "exp_annotations": annotations})
        return sorted(alerts, key=lambda a: sorted(a["exp_labels"].items()))


class Scenarios:
    """One Scenario per set of levels at one end time: the searches try the same levels again (the
    silent search, then a firing search per rule that starts from the silent levels)."""

    def __init__(self, rules: Rules, found: Sequence[Variable], end_ms: int) -> None:
        self.rules, self.found, self.end_ms = rules, found, end_ms
        self._built: dict[tuple[Any, ...], Scenario] = {}

    def __call__(self, levels: Sequence[Level]) -> Scenario:
        key = tuple(levels)
        scenario = self._built.get(key)
        if scenario is None:
            scenario = self._built[key] = Scenario(self.rules, self.found, levels, self.end_ms)
        return scenario


def _key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))


def eval_time(warmup_ms: int, for_ms: int, offset_ms: int = 0) -> int:
    """When to look: once the condition has held for `for` after ranges have filled (and the rules'
    query_offset has passed), rounded up to a step. Ranges fill for at most WARMUP_CAP_MS: promtool
    evaluates every rule at every step, so a day of warm-up makes a test slow, and the evaluator
    models partly filled ranges exactly."""
    total = max(EVAL_INTERVAL_MS, min(warmup_ms, WARMUP_CAP_MS) + for_ms + offset_ms)
    return -(-total // EVAL_INTERVAL_MS) * EVAL_INTERVAL_MS


def uses_value(rule: AlertRule, unless: re.Pattern[str] | None = None) -> bool:
    """Whether the rule's labels or annotations print its value (other than as `unless` matches)."""
    texts = [*rule.annotations.values(), *rule.labels.values()]
    if unless is not None:
        texts = [unless.sub("", text) for text in texts]
    return any("$value" in text or ".Value" in text for text in texts)


def merge_selection(into: Selection, other: Selection) -> None:
    into.families.update(other.families)
    for name, selectors in other.selectors.items():
        into.selectors.setdefault(name, [])
        into.selectors[name] += [s for s in selectors if s not in into.selectors[name]]
    into.grouping |= other.grouping
    into.trend |= other.trend
    into.constants += [c for c in other.constants if c not in into.constants]
    into.uses_time |= other.uses_time
    into.uses_absent |= other.uses_absent
    into.uses_regression |= other.uses_regression
    into.has_offset |= other.has_offset
    into.warmup_ms = max(into.warmup_ms, other.warmup_ms)


def level_attempts(options: Sequence[Sequence[Level]]) -> Iterator[list[Level]]:
    """The first levels, everything absent (when absence is an option), one class changed at a
    time, then two."""
    base = [levels[0] for levels in options]
    yield list(base)
    if options and all(Absent in levels for levels in options):
        yield [Absent] * len(options)
    for i, levels in enumerate(options):
        for level in levels[1:]:
            yield base[:i] + [level] + base[i + 1:]
    for i, j in combinations(range(len(options)), 2):
        for a in options[i][1:]:
            for b in options[j][1:]:
                attempt = list(base)
                attempt[i], attempt[j] = a, b
                yield attempt


def search_levels(options: Sequence[Sequence[Level]], accept: Callable[[list[Level]], bool]) -> list[Level] | None:
    for count, attempt in enumerate(level_attempts(options)):
        if count >= MAX_ATTEMPTS:
            break
        if accept(attempt):
            return attempt
    return None
