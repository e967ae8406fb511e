"""PromQL functions over a range of samples, as Prometheus 2 computes them (promql/functions.go).

Kept step for step: the generated unit tests state the exact values promtool will see.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def duration_ms(delta: Any) -> int:
    if delta is None:
        return 0
    return round(delta.total_seconds() * 1000)


def go_div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _extrapolated_rate(is_counter: bool, is_rate: bool) -> Callable[..., float | None]:
    """Prometheus 2's extrapolatedRate (promql/functions.go), step for step."""

    def compute(pts: list[tuple[int, float]], args: list[Any], ev: Any, t: int) -> float | None:
        if len(pts) < 2:
            return None
        ms = args[0]
        range_ms = duration_ms(ms.range)
        range_end = t - duration_ms(ms.vector_selector.offset)
        range_start = range_end - range_ms
        result = pts[-1][1] - pts[0][1]
        if is_counter:
            last = 0.0
            for _, v in pts:
                if v < last:
                    result += last
                last = v
        to_start = (pts[0][0] - range_start) / 1000
        to_end = (range_end - pts[-1][0]) / 1000
        sampled = (pts[-1][0] - pts[0][0]) / 1000
        average = sampled / (len(pts) - 1)
        if is_counter and result > 0 and pts[0][1] >= 0:
            to_zero = sampled * (pts[0][1] / result)
            if to_zero < to_start:
                to_start = to_zero
        threshold = average * 1.1
        interval = sampled
        interval += to_start if to_start < threshold else average / 2
        interval += to_end if to_end < threshold else average / 2
        result = result * (interval / sampled)
        if is_rate:
            result = result / (range_ms / 1000)
        return result

    return compute


def _instant_rate(is_rate: bool) -> Callable[..., float | None]:
    def compute(pts: list[tuple[int, float]], args: list[Any], ev: Any, t: int) -> float | None:
        if len(pts) < 2:
            return None
        (t0, v0), (t1, v1) = pts[-2], pts[-1]
        result = v1 if is_rate and v1 < v0 else v1 - v0
        if t1 == t0:
            return None
        return result / ((t1 - t0) / 1000) if is_rate else result

    return compute


def _linear_regression(pts: list[tuple[int, float]], intercept_ms: int) -> tuple[float, float]:
    first = pts[0][1]
    if all(v == first for _, v in pts):
        return (math.nan, math.nan) if math.isinf(first) else (0.0, first)
    n = sum_x = sum_y = sum_xy = sum_x2 = 0.0
    for ts, v in pts:
        n += 1
        x = (ts - intercept_ms) / 1e3
        sum_x += x
        sum_y += v
        sum_xy += x * v
        sum_x2 += x * x
    cov = sum_xy - sum_x * sum_y / n
    var = sum_x2 - sum_x * sum_x / n
    slope = go_div(cov, var)
    return slope, sum_y / n - slope * sum_x / n


def _predict_linear(pts: list[tuple[int, float]], args: list[Any], ev: Any, t: int) -> float | None:
    if len(pts) < 2:
        return None
    slope, intercept = _linear_regression(pts, t)
    return slope * ev.scalar(args[1], t) + intercept


def _deriv(pts: list[tuple[int, float]], args: list[Any], ev: Any, t: int) -> float | None:
    if len(pts) < 2:
        return None
    return _linear_regression(pts, pts[0][0])[0]


def _over_time(fold: Callable[[list[float]], float]) -> Callable[..., float | None]:
    def compute(pts: list[tuple[int, float]], args: list[Any], ev: Any, t: int) -> float | None:
        return fold([v for _, v in pts]) if pts else None

    return compute


def _mean(values: list[float]) -> float:
    mean, count = 0.0, 0
    for v in values:
        count += 1
        if math.isinf(mean):
            if math.isinf(v) and (mean > 0) == (v > 0):
                continue
            if not math.isinf(v) and not math.isnan(v):
                continue
        mean += v / count - mean / count
    return mean


def _sum(values: list[float]) -> float:
    total = 0.0
    for v in values:
        total += v
    return total


RANGE: dict[str, Callable[..., float | None]] = {
    "rate": _extrapolated_rate(True, True),
    "increase": _extrapolated_rate(True, False),
    "delta": _extrapolated_rate(False, False),
    "irate": _instant_rate(True),
    "idelta": _instant_rate(False),
    "predict_linear": _predict_linear,
    "deriv": _deriv,
    "avg_over_time": _over_time(_mean),
    "sum_over_time": _over_time(_sum),
    "min_over_time": _over_time(lambda vs: min(vs)),
    "max_over_time": _over_time(lambda vs: max(vs)),
    "count_over_time": _over_time(lambda vs: float(len(vs))),
    "last_over_time": _over_time(lambda vs: vs[-1]),
}

ELEMENTWISE: dict[str, Callable[..., float]] = {
    "abs": abs,
    "ceil": lambda v: float(math.ceil(v)) if math.isfinite(v) else v,
    "floor": lambda v: float(math.floor(v)) if math.isfinite(v) else v,
    "clamp_min": lambda v, lo: max(v, lo) if not math.isnan(v) else v,
    "clamp_max": lambda v, hi: min(v, hi) if not math.isnan(v) else v,
}


def histogram_quantile(q: float, vector: list[tuple[dict[str, str], float]]) -> list[tuple[dict[str, str], float]]:
    groups: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = {}
    for labels, v in vector:
        if "le" not in labels:
            continue
        try:
            bound = float(labels["le"].replace("+Inf", "inf"))
        except ValueError:
            continue
        key = tuple(sorted((k, val) for k, val in labels.items() if k not in ("le", "__name__")))
        groups.setdefault(key, []).append((bound, v))
    return [(dict(key), bucket_quantile(q, buckets)) for key, buckets in groups.items()]


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus 2's bucketQuantile: linear interpolation inside the bucket holding the rank."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets, key=lambda b: b[0])
    if not math.isinf(ordered[-1][0]):
        return math.nan
    merged: list[list[float]] = []
    for bound, count in ordered:  # coalesce equal bounds
        if merged and merged[-1][0] == bound:
            merged[-1][1] += count
        else:
            merged.append([bound, count])
    peak = -math.inf
    for bucket in merged:  # ensure monotonic counts
        if bucket[1] > peak:
            peak = bucket[1]
        elif bucket[1] < peak:
            bucket[1] = peak
    if len(merged) < 2:
        return math.nan
    observations = merged[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if b == len(merged) - 1:
        return merged[-2][0]
    if b == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[b][0], merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    return start + (end - start) * go_div(rank, count)
