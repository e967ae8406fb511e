"""promtool unit tests for every alert in the rule file, with synthesised input.

For each alert name: a case where it fires (past its `for`, with the exact labels and annotations
it carries) and a case where healthy input keeps it silent. SLO burn-rate alerts get a fast-burn
case (pages, and tickets too), a slow-burn case (tickets only) and a healthy one, driven at error
ratios chosen between the burn thresholds. Input levels are searched for with the evaluator in
`promql_eval`, which also predicts what promtool will see; an alert promgen cannot synthesise input
for is reported as untested, never skipped silently.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from itertools import combinations
from typing import Any, cast

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive.prometheus import slo as slo_rules
from promgen.derive.prometheus import window_ratios
from promgen.judge.promql import parsed as parse
from promgen.load.units import format_duration, parse_duration
from promgen.testgen.evaluator import Evaluator, RecordingRule, Series
from promgen.testgen.go_format import TemplateUnsupported, expand, go_g
from promgen.testgen.selectors import Unsupported
from promgen.testgen.synthesis import (
    Absent,
    GaugeLevel,
    HistogramLevel,
    Level,
    Selection,
    Variable,
    candidates,
    select,
    series_of,
    variables,
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
                expr = parse(rule["expr"])
                labels = {**group.get("labels", {}), **rule.get("labels", {})}
                if "record" in rule:
                    recorded.setdefault(rule["record"], []).append(RecordingRule(expr, labels))
                else:
                    for_ms = parse_duration(rule["for"]) if "for" in rule else 0
                    alerts.append(AlertRule(rule["alert"], expr, for_ms, labels, rule.get("annotations", {})))
        return cls(alerts, recorded, offset, left_open)

    def named(self, name: str) -> list[AlertRule]:
        return self._by_name.get(name, [])

    @cached_property
    def _by_name(self) -> dict[str, list[AlertRule]]:
        found: dict[str, list[AlertRule]] = {}
        for alert in self.alerts:
            found.setdefault(alert.name, []).append(alert)
        return found


def synthesise(model: Model, groups: Sequence[Mapping[str, Any]], only: Collection[str] | None = None) -> Synthesis:
    """Test cases for the alerts of `groups` (those named in `only`, when given); the other groups'
    recording rules feed them."""
    rules = Rules.of(groups, left_open=model.targets.has("left-open ranges"))
    burn = model.slo_of_burn_alert
    result = Synthesis()
    for name in dict.fromkeys(a.name for a in rules.alerts if only is None or a.name in only):
        named = rules.named(name)
        try:
            if name in burn:
                cases = _burn_cases(model, rules, named, burn[name])
            else:
                cases = _generic_cases(model, rules, named)
        except (Unsupported, TemplateUnsupported) as error:
            result.untested.append(f"{name} ({' '.join(str(error).split())})")  # one line: also a YAML comment
            continue
        except (ArithmeticError, RecursionError) as error:  # never fail a render over a test
            result.untested.append(f"{name} (its input could not be synthesised: {type(error).__name__})")
            continue
        fired = {key for case in cases for key in _keys(case)}
        missing = [rule for rule in named if rule.key not in fired]
        for rule in missing:
            result.untested.append(f"{name} (severity {rule.labels.get('severity')}: found no input that fires it)")
        result.cases.extend(cases)
    return result


def _keys(case: Case) -> set[tuple[str, str]]:
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


# --- explicit and template alerts ------------------------------------------------------------


def _generic_cases(model: Model, rules: Rules, named: list[AlertRule]) -> list[Case]:
    selection = Selection()
    for rule in named:
        found = select(model, rule.expr, rules.recorded)
        _merge(selection, found)
    if selection.uses_regression and any(_uses_value(rule) for rule in named):
        raise Unsupported("its annotations print the value of a linear regression, which promgen cannot predict exactly")
    at = eval_time(selection.warmup_ms, max(rule.for_ms for rule in named), rules.offset_ms)
    if at > MAX_EVAL_MS:
        raise Unsupported(f"its `for` is longer than the tests simulate ({format_duration(MAX_EVAL_MS)})")
    found_vars = variables(model, selection)
    options = [candidates(v, selection, at / 1000) for v in found_vars]
    name = named[0].name
    scenario_of = Scenarios(rules, found_vars, at)
    quiet = _search(options, lambda ls: not any(scenario_of(ls).firing(rule, at) for rule in named))
    if quiet is None:
        raise Unsupported("found no input that keeps it silent")
    # Fire by changing the healthy input as little as possible: the test then shows what breaks it.
    from_quiet = [
        [q, *(level for level in levels[1:] if level != q), *([levels[0]] if levels[0] != q else [])]
        for q, levels in zip(quiet, options)
    ]
    cases: list[Case] = []
    for rule in named:
        levels = _search(from_quiet, lambda ls: bool(scenario_of(ls).firing(rule, at)))
        if levels is None:
            reason = "it compares with the past (offset), which constant input cannot change" if selection.has_offset \
                else "found no input that fires it"
            raise Unsupported(reason)
        scenario = scenario_of(levels)
        label = f"{name} fires" if len(named) == 1 else f"{name} ({rule.labels.get('severity')}) fires"
        cases.append(Case(label, name, at, scenario.series, scenario.expected(named, at)))
    cases.append(Case(f"{name} stays silent on healthy input", name, at, scenario_of(quiet).series, []))
    return cases


def _uses_value(rule: AlertRule, unless: re.Pattern[str] | None = None) -> bool:
    """Whether the rule's labels or annotations print its value (other than as `unless` matches)."""
    texts = [*rule.annotations.values(), *rule.labels.values()]
    if unless is not None:
        texts = [unless.sub("", text) for text in texts]
    return any("$value" in text or ".Value" in text for text in texts)


def _merge(into: Selection, other: Selection) -> None:
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


def _attempts(options: Sequence[Sequence[Level]]) -> Iterator[list[Level]]:
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


def _search(options: Sequence[Sequence[Level]], accept: Callable[[list[Level]], bool]) -> list[Level] | None:
    for count, attempt in enumerate(_attempts(options)):
        if count >= MAX_ATTEMPTS:
            break
        if accept(attempt):
            return attempt
    return None


# --- SLO burn-rate alerts --------------------------------------------------------------------


def _burn_cases(model: Model, rules: Rules, named: list[AlertRule], index: int) -> list[Case]:
    plan = slo_rules.plan(model, index)
    slo = model.spec.slos[index]
    name = named[0].name
    if parse_duration(plan.windows[0]) < INTERVAL_MS:  # a range needs two samples for rate()
        raise Unsupported(
            f"its shortest burn-rate window, {plan.windows[0]}, holds less than two samples of the tests'"
            " one-a-minute input (the SLO time scale shrank it)"
        )
    ratio_rules = window_ratios.own_rules(plan, rules.recorded, conventions.slo_error_ratio_series(plan.windows[0]))
    if len(ratio_rules) != 1:
        raise Unsupported("its error ratio recording rule is missing")
    ratio_expr = ratio_rules[0].expr
    selection = select(model, ratio_expr, rules.recorded)
    found_vars = variables(model, selection)
    probe_at = eval_time(selection.warmup_ms, 0)
    options = [[level for level in candidates(v, selection, probe_at / 1000) if level is not Absent] for v in found_vars]

    ratios: dict[tuple[Any, ...], float | None] = {}

    def ratio(levels: list[Level]) -> float | None:
        key = tuple(levels)
        if key not in ratios:
            values = Scenario(rules, found_vars, levels, probe_at).evaluator.vector(ratio_expr, probe_at)
            ratios[key] = values[0][1] if len(values) == 1 else None
        return ratios[key]

    bad = _search(options, lambda ls: (r := ratio(ls)) is not None and r == 1.0)
    good = _search(options, lambda ls: (r := ratio(ls)) is not None and r == 0.0)
    if bad is None or good is None:
        raise Unsupported("found no input that makes its SLI's error ratio both 0 and 1")
    page_rule, ticket_rule = named[0], (named[1] if len(named) > 1 else None)  # as slo.alert_rules writes them
    if (window_ratios.windows_agree(plan, rules.recorded)
            and all(v.family.kind in ("counter", "histogram") for v in found_vars)  # linear from zero
            # the long windows' ratios can differ from the shortest's in a float's last bits, which
            # humanizePercentage's four digits never show
            and not any(_uses_value(rule, unless=ROUNDED_VALUE) for rule in named)):
        rules = replace(rules, recorded=window_ratios.on_shortest_window(plan, rules.recorded))

    # Input fails from t=0, so every window sees the same error ratio as soon as it has samples:
    # each case looks once the fast page pair's long window (1h for 30 days) is full.
    at = eval_time(parse_duration(plan.page[0].long), 0, rules.offset_ms)
    cases: list[Case] = []
    page_min = min(c.threshold for c in plan.page)
    fast = _pick(plan.page, 1)
    if fast is not None:
        scenario = _mixed(rules, found_vars, bad, good, fast, at)
        if not scenario.firing(page_rule, at):
            scenario = Scenario(rules, found_vars, bad, at)
        cases.append(Case(
            f"{name}: {_percent(fast)} of {slo.name} events failing burns the budget fast", name, at,
            scenario.series, scenario.expected(named, at),
        ))
    slow = _pick(plan.ticket, float(page_min))
    if ticket_rule is not None and slow is not None:
        scenario = _mixed(rules, found_vars, bad, good, slow, at)
        if scenario.firing(ticket_rule, at) and not scenario.firing(page_rule, at):
            cases.append(Case(
                f"{name}: {_percent(slow)} of {slo.name} events failing burns the budget slowly", name, at,
                scenario.series, scenario.expected(named, at),
            ))
    healthy = Scenario(rules, found_vars, good, at)
    if healthy.expected(named, at):
        raise Unsupported("it fires even when no event fails")
    cases.append(Case(f"{name}: no {slo.name} events failing stays silent", name, at, healthy.series, []))
    return cases


NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
NICE_VALUES = tuple(float(f"{mantissa}e{exponent}") for exponent in range(-9, 1) for mantissa in NICE)


def _nice_between(low: float, high: float) -> float | None:
    """A round number strictly above `low` and at most `high`, near their geometric mean."""
    target = math.sqrt(low * high)
    found = [value for value in NICE_VALUES if low < value <= high]
    if not found:
        return None
    return min(found, key=lambda v: abs(math.log(v / target)))


def _pick(conditions: Sequence[slo_rules.BurnCondition], ceiling: float) -> float | None:
    """An error ratio that fires the first condition it can while staying below `ceiling` (a ratio
    of 1 is allowed when the ceiling is 1)."""
    high = 1.0 if ceiling >= 1 else ceiling * (1 - 1e-9)
    for condition in conditions:
        threshold = float(condition.threshold)
        if threshold >= high:
            continue
        level = _nice_between(threshold, min(high, threshold * 4))
        if level is not None:
            return level
    return None


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def _mixed(
    rules: Rules, found: Sequence[Variable], bad: Sequence[Level], good: Sequence[Level], ratio: float, at: int
) -> Scenario:
    """Series where `ratio` of the events are the bad ones, scaled to whole counts per step."""
    share = Fraction(repr(ratio))
    mixed = [_mix(v, b, g, share) for v, b, g in zip(found, bad, good)]
    scale = 1
    for variable, level in zip(found, mixed):
        if variable.family.kind == "counter" and isinstance(level, Fraction):
            scale = math.lcm(scale, (level * INTERVAL_MS / 1000).denominator)
        elif variable.family.kind == "histogram" and isinstance(level, tuple):
            for _, rate in level:
                scale = math.lcm(scale, (Fraction(rate) * INTERVAL_MS / 1000).denominator)
    if scale > 10**6:
        scale = 1
    levels = [_scaled(v, level, scale) for v, level in zip(found, mixed)]
    return Scenario(rules, found, levels, at)


def _mix(variable: Variable, bad: Level, good: Level, share: Fraction) -> Any:
    kind = variable.family.kind
    if kind == "counter":
        return share * Fraction(repr(bad)) + (1 - share) * Fraction(repr(good))
    if kind == "gauge":
        (vb, kb), (vg, kg) = cast(GaugeLevel, bad), cast(GaugeLevel, good)  # the family kind fixes the shape
        return (float(share * Fraction(repr(vb)) + (1 - share) * Fraction(repr(vg))),
                float(share * Fraction(repr(kb)) + (1 - share) * Fraction(repr(kg))))
    weights: dict[int, Fraction] = {}
    for part, levels in ((share, bad), (1 - share, good)):
        for bucket, rate in cast(HistogramLevel, levels):  # a histogram's level: (bucket, rate) pairs
            weights[bucket] = weights.get(bucket, Fraction(0)) + part * Fraction(repr(rate))
    return tuple(sorted((bucket, weight) for bucket, weight in weights.items() if weight))


def _scaled(variable: Variable, level: Any, scale: int) -> Level:
    if variable.family.kind == "counter":
        return float(level * scale)
    if variable.family.kind == "histogram":
        return tuple((bucket, float(rate * scale)) for bucket, rate in level)
    return level


# --- the test file ---------------------------------------------------------------------------


def test_file(
    path: str, rule_paths: Sequence[str], groups: Sequence[Mapping[str, Any]], synthesis: Synthesis
) -> dict[str, Any]:
    """The promtool test file at `path` as data; its rule_files are relative to the test file itself.

    promtool evaluates groups in random order unless told: group_eval_order runs them in file
    order, recording groups before the alerts that read them, as the evaluator assumes.
    """
    here = posixpath.dirname(path)
    data: dict[str, Any] = {
        "rule_files": [posixpath.relpath(rule_path, here) for rule_path in rule_paths],
        "evaluation_interval": format_duration(EVAL_INTERVAL_MS),
    }
    if groups:
        data["group_eval_order"] = [group["name"] for group in groups]
    data["tests"] = [_case(case) for case in synthesis.cases]
    return data


def _case(case: Case) -> dict[str, Any]:
    steps = case.eval_ms // INTERVAL_MS
    return {
        "name": case.name,
        "interval": format_duration(INTERVAL_MS),
        "input_series": [{"series": series_text(s), "values": values_text(s, steps)} for s in case.series],
        "alert_rule_test": [
            {"eval_time": format_duration(case.eval_ms), "alertname": case.alertname, "exp_alerts": case.expected}
        ],
    }


def series_text(series: Series) -> str:
    labels = dict(series.labels)
    name = labels.pop("__name__")
    inner = ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def values_text(series: Series, steps: int) -> str:
    """promtool's expanding notation: 'start+stepxN' is N+1 samples, one per interval."""
    sign = "-" if series.step < 0 else "+"
    return f"{go_g(series.start)}{sign}{go_g(abs(series.step))}x{steps}"
