"""promtool unit tests for every alert in the rule file, with synthesised input.

For each alert name: a case where it fires (past its `for`, with the exact labels and annotations
it carries) and a case where healthy input keeps it silent; SLO burn-rate alerts get their own
cases (`burn_cases`). Input levels are searched for with the evaluator (`evaluator`), which also
predicts what promtool will see; an alert promgen cannot synthesise input for is reported as
untested, never skipped silently.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from promgen.core.model import Model
from promgen.load.units import format_duration
from promgen.testgen.burn_cases import burn_cases
from promgen.testgen.cases import (
    EVAL_INTERVAL_MS,
    INTERVAL_MS,
    MAX_EVAL_MS,
    AlertRule,
    Case,
    Rules,
    Scenarios,
    Synthesis,
    case_keys,
    eval_time,
    merge_selection,
    search_levels,
    uses_value,
)
from promgen.testgen.evaluator import Series
from promgen.testgen.go_format import TemplateUnsupported, go_g
from promgen.testgen.selectors import Unsupported
from promgen.testgen.synthesis import (
    Selection,
    candidates,
    select,
    variables,
)


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
                cases = burn_cases(model, rules, named, burn[name])
            else:
                cases = _generic_cases(model, rules, named)
        except (Unsupported, TemplateUnsupported) as error:
            result.untested.append(f"{name} ({' '.join(str(error).split())})")  # one line: also a YAML comment
            continue
        except (ArithmeticError, RecursionError) as error:  # never fail a render over a test
            result.untested.append(f"{name} (its input could not be synthesised: {type(error).__name__})")
            continue
        fired = {key for case in cases for key in case_keys(case)}
        missing = [rule for rule in named if rule.key not in fired]
        for rule in missing:
            result.untested.append(f"{name} (severity {rule.labels.get('severity')}: found no input that fires it)")
        result.cases.extend(cases)
    return result


# --- explicit and template alerts ------------------------------------------------------------


def _generic_cases(model: Model, rules: Rules, named: list[AlertRule]) -> list[Case]:
    selection = Selection()
    for rule in named:
        found = select(model, rule.expr, rules.recorded)
        merge_selection(selection, found)
    if selection.uses_regression and any(uses_value(rule) for rule in named):
        raise Unsupported("its annotations print the value of a linear regression, which promgen cannot predict exactly")
    at = eval_time(selection.warmup_ms, max(rule.for_ms for rule in named), rules.offset_ms)
    if at > MAX_EVAL_MS:
        raise Unsupported(f"its `for` is longer than the tests simulate ({format_duration(MAX_EVAL_MS)})")
    found_vars = variables(model, selection)
    options = [candidates(v, selection, at / 1000) for v in found_vars]
    name = named[0].name
    scenario_of = Scenarios(rules, found_vars, at)
    quiet = search_levels(options, lambda ls: not any(scenario_of(ls).firing(rule, at) for rule in named))
    if quiet is None:
        raise Unsupported("found no input that keeps it silent")
    # Fire by changing the healthy input as little as possible: the test then shows what breaks it.
    from_quiet = [
        [q, *(level for level in levels[1:] if level != q), *([levels[0]] if levels[0] != q else [])]
        for q, levels in zip(quiet, options)
    ]
    cases: list[Case] = []
    for rule in named:
        levels = search_levels(from_quiet, lambda ls: bool(scenario_of(ls).firing(rule, at)))
        if levels is None:
            reason = "it compares with the past (offset), which constant input cannot change" if selection.has_offset \
                else "found no input that fires it"
            raise Unsupported(reason)
        scenario = scenario_of(levels)
        label = f"{name} fires" if len(named) == 1 else f"{name} ({rule.labels.get('severity')}) fires"
        cases.append(Case(label, name, at, scenario.series, scenario.expected(named, at)))
    cases.append(Case(f"{name} stays silent on healthy input", name, at, scenario_of(quiet).series, []))
    return cases


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
