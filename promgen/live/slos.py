"""Each SLO now: its error ratio over every window promgen alerts on and over the SLO's own window,
read from the raw series (the exact form), so the answer does not wait for the rules to be
deployed: the budget remaining is 1 - ratio(window) / budget, a window's burn rate ratio / budget."""

from __future__ import annotations

import math

from promgen.live.client import PrometheusAPI
from promgen.live.plan import SloWindows
from promgen.live.results import SloResult


def slo_status(api: PrometheusAPI, slo: SloWindows, at: float) -> SloResult:
    result = SloResult(slo)
    for window, expr in slo.ratios.items():
        found, _stats = api.query(expr, at)
        values = [float(series["value"][1]) for series in found]
        values = [v for v in values if not math.isnan(v)]
        result.ratios[window] = max(values) if values else None
    return result
