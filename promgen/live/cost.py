"""What the rule groups cost the server: the samples one evaluation of each group reads (the
`stats=all` of an instant query of each rule, summed), and the ranges longer than the server keeps
samples for."""

from __future__ import annotations

from collections.abc import Callable

from promgen.live.client import PrometheusAPI
from promgen.live.plan import Group, Labels, recorded_selectors
from promgen.live.results import GroupResult


def group_cost(api: PrometheusAPI, group: Group, recorded: dict[str, dict[Labels, str]],
               present: Callable[[str], bool], at: float) -> GroupResult:
    """The group's cost now; a rule reading recorded series the server does not have yet reads
    nothing today, and is counted apart (its cost once deployed is a few series per window)."""
    result = GroupResult(group, samples=0)
    for expr in group.exprs:
        if any(not present(s) for s in recorded_selectors(expr, recorded)):
            result.not_recorded += 1
        _found, stats = api.query(expr, at, stats=True)
        samples = (stats.get("samples") or {}).get("totalQueryableSamples")
        if samples is None:
            result.samples = None
        elif result.samples is not None:
            result.samples += int(samples)
    return result
