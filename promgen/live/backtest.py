"""How often an alert would have fired: its expression evaluated at every evaluation of its group
over a past range (a range query at the group's interval), and Prometheus' alerting state machine
run over the result for every series: pending while the expression returns the series, firing once
it has for `for`, firing on for `keep_firing_for` after it stops, resolved then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from promgen.live.client import PrometheusAPI
from promgen.live.plan import AlertRule, Labels, recorded_selectors, substituted
from promgen.live.results import AlertResult

Series = dict[int, float]  # step index -> value


@dataclass(frozen=True)
class Firing:
    fired: int  # times an alert started firing (summed over its series)
    firing_s: float  # total time firing, summed over its series
    longest_s: float  # the longest one firing, in seconds
    series: int  # series that fired at least once


def simulate(results: dict[tuple[tuple[str, str], ...], Series], steps: int, step_s: float, for_s: float,
             keep_firing_for_s: float) -> Firing:
    """The firings of one alert rule over `steps` evaluations `step_s` apart."""
    fired = firing_steps = longest = series_fired = 0
    for values in results.values():
        episodes = _episodes(firing_states(values, steps, _steps(for_s, step_s), _steps(keep_firing_for_s, step_s)))
        fired += len(episodes)
        firing_steps += sum(episodes)
        longest = max([longest, *episodes])
        series_fired += bool(episodes)
    return Firing(fired, firing_steps * step_s, longest * step_s, series_fired)


def firing_states(values: Series, steps: int, for_steps: int, keep_steps: int) -> list[bool]:
    """Whether the alert of one series fires at each evaluation: the expression returning the series
    (`values` has the step) makes it pending; pending for `for_steps` evaluations makes it fire;
    it fires on for `keep_steps` evaluations after the expression stops returning it."""
    states: list[bool] = []
    active_since: int | None = None
    last_true: int | None = None
    firing = False
    for step in range(steps):
        if step in values:
            last_true = step
            if active_since is None:
                active_since = step
            firing = firing or step - active_since >= for_steps
        else:
            active_since = None
            if firing and (last_true is None or step - last_true > keep_steps):
                firing = False
            elif not firing:
                last_true = None
        states.append(firing)
    return states


def _episodes(states: list[bool]) -> list[int]:
    """The lengths (in evaluations) of each run of firing states."""
    found: list[int] = []
    run = 0
    for state in [*states, False]:
        if state:
            run += 1
        elif run:
            found.append(run)
            run = 0
    return found


def _steps(seconds: float, step_s: float) -> int:
    """Whole evaluations needed to cover `seconds` (Prometheus checks `for` at each evaluation)."""
    if seconds <= 0:
        return 0
    count = int(seconds // step_s)
    return count if count * step_s >= seconds else count + 1


def evaluation_steps(start: float, end: float, interval_s: float) -> tuple[float, int]:
    """(first evaluation, number of evaluations) of a group evaluated every `interval_s` over
    [start, end]: aligned to the interval, as a rule group's evaluations are."""
    first = (start // interval_s + 1) * interval_s
    return first, int((end - first) // interval_s) + 1


def backtest(api: PrometheusAPI, rule: AlertRule, recorded: dict[str, dict[Labels, str]],
             present: Callable[[str], bool], start: float, end: float) -> AlertResult:
    """How often `rule` would have fired over [start, end], evaluated at its group's interval; the
    recorded series the server lacks are evaluated from their expressions."""
    missing = tuple(s for s in recorded_selectors(rule.expr, recorded) if not present(s))
    expr = substituted(rule.expr, recorded, present)
    first, steps = evaluation_steps(start, end, rule.interval_s)
    results = api.query_range(expr, first, first + (steps - 1) * rule.interval_s, rule.interval_s)
    firing = simulate(results, steps, rule.interval_s, rule.for_s, rule.keep_firing_for_s)
    return AlertResult(rule, firing.fired, firing.firing_s, firing.longest_s, firing.series, missing)
