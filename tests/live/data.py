"""The test data of `promgen check --prometheus` (tests/live/shop.promgen.yaml), and what it
should find in it, worked out from the same numbers.

Two days of samples 15s apart, ending a minute before the server starts:
- http_requests_total: 12 requests a second (/checkout 10, /cart 2), 0.5% of them failing (500 on
  /checkout), 20% failing in the last BURN_MINUTES: the availability SLO (99%) burns.
- queue_depth: 50, and 150 for BACKLOG_MINUTES once, BACKLOG_AT hours in.
- worker_busy: under job shop-worker, which the spec does not name.
- nothing of payment_failures_total or refunds_total.
"""

from __future__ import annotations

from dataclasses import dataclass

SCRAPE_S = 15
HOURS = 48
REQUESTS_PER_STEP = 12 * SCRAPE_S
CART_PER_STEP = 2 * SCRAPE_S
BASELINE_ERRORS = 0.005
BURN_ERRORS = 0.2
BURN_MINUTES = 90
BACKLOG_AT_HOURS = 20
BACKLOG_MINUTES = 40
OBJECTIVE = 0.99


@dataclass(frozen=True)
class Data:
    start: int  # unix seconds of the first sample, a whole hour
    end: int  # of the last

    @property
    def steps(self) -> int:
        return (self.end - self.start) // SCRAPE_S + 1

    @property
    def burn_start(self) -> int:
        return self.end - BURN_MINUTES * 60 + SCRAPE_S

    @property
    def backlog(self) -> tuple[int, int]:
        """[first, last) second the queue holds 150."""
        first = self.start + BACKLOG_AT_HOURS * 3600
        return first, first + BACKLOG_MINUTES * 60


def data_ending(now: float) -> Data:
    end = int(now) // SCRAPE_S * SCRAPE_S - 60
    return Data(end - HOURS * 3600, end)


def error_share(data: Data, t: int) -> float:
    return BURN_ERRORS if t >= data.burn_start else BASELINE_ERRORS


def openmetrics(data: Data) -> str:
    """The samples as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`."""
    app = 'instance="shop:8080",job="shop"'
    requests: dict[str, list[str]] = {route: [] for route in ("/checkout|200", "/checkout|500", "/cart|200")}
    counts = dict.fromkeys(requests, 0.0)
    queue, busy = [], []
    for step in range(data.steps):
        t = data.start + step * SCRAPE_S
        errors = REQUESTS_PER_STEP * error_share(data, t)
        counts["/checkout|500"] += errors
        counts["/checkout|200"] += REQUESTS_PER_STEP - CART_PER_STEP - errors
        counts["/cart|200"] += CART_PER_STEP
        for key, lines in requests.items():
            lines.append(f"{counts[key]!r} {t}")
        first, last = data.backlog
        queue.append(f"{150 if first <= t < last else 50} {t}")
        busy.append(f"3 {t}")
    out = ["# TYPE http_requests counter"]
    for key, values in requests.items():
        route, status = key.split("|")
        out += [f'http_requests_total{{{app},route="{route}",status="{status}"}} {v}' for v in values]
    out.append("# TYPE queue_depth gauge")
    out += [f"queue_depth{{{app}}} {v}" for v in queue]
    out.append("# TYPE worker_busy gauge")
    out += [f'worker_busy{{instance="worker:9000",job="shop-worker"}} {v}' for v in busy]
    out.append("# EOF")
    return "\n".join(out) + "\n"


# --- what check should find --------------------------------------------------------------------


def ratio_after(minutes_burning: float, window_minutes: float, data_minutes: float = HOURS * 60) -> float:
    """The error ratio over a window ending `minutes_burning` into the burn (the window cut to the data)."""
    window = min(window_minutes, data_minutes)
    burning = min(minutes_burning, window)
    return (BURN_ERRORS * burning + BASELINE_ERRORS * (window - burning)) / window


def crossing_minutes(threshold: float, window_minutes: float) -> float:
    """How far into the burn the ratio over a window first exceeds `threshold` (inf: never in the burn).
    A window longer than the data holds the data before the burn and x minutes of it, so it grows with x."""
    share = (threshold - BASELINE_ERRORS) / (BURN_ERRORS - BASELINE_ERRORS)
    before = HOURS * 60 - BURN_MINUTES  # minutes of data before the burn
    if window_minutes > before + BURN_MINUTES:
        minutes = share * before / (1 - share)  # x = share * (before + x)
    else:
        minutes = share * window_minutes
    return minutes if minutes <= BURN_MINUTES else float("inf")
