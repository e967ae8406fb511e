"""Multiwindow, multi-burn-rate alerting windows (Google SRE Workbook, "Alerting on SLOs").

The table is for a 30-day SLO window. For another SLO window every long and short window
scales in proportion, so each alert still fires after the same share of the error budget
is spent (2%, 5%, 10%, 10%) and the burn-rate factors stay 14.4, 6, 3 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from promgen.load.units import format_duration

BASE_WINDOW_MS = 30 * 86_400_000

Kind = Literal["page", "ticket"]

# kind, long window, short window, burn-rate factor, share of the budget spent when it fires
TABLE: tuple[tuple[Kind, int, int, float, float], ...] = (
    ("page", 3_600_000, 300_000, 14.4, 0.02),
    ("page", 21_600_000, 1_800_000, 6.0, 0.05),
    ("ticket", 86_400_000, 7_200_000, 3.0, 0.10),
    ("ticket", 259_200_000, 21_600_000, 1.0, 0.10),
)


@dataclass(frozen=True)
class BurnWindow:
    kind: Kind
    long: str
    short: str
    factor: float
    budget_spent: float


def _scaled(ms: int, slo_window_ms: int) -> str:
    scaled = ms * slo_window_ms // BASE_WINDOW_MS
    # Whole seconds keep the recorded series names short and Prometheus-readable.
    return format_duration(max(1000, scaled - scaled % 1000))


def burn_windows(slo_window_ms: int) -> tuple[BurnWindow, ...]:
    """The four alerting window pairs for an SLO over `slo_window_ms`."""
    return tuple(
        BurnWindow(kind, _scaled(long, slo_window_ms), _scaled(short, slo_window_ms), factor, spent)
        for kind, long, short, factor, spent in TABLE
    )


def recorded_windows(slo_window_ms: int) -> tuple[str, ...]:
    """Every distinct window an error ratio is recorded over, shortest first."""
    seen: dict[str, int] = {}
    for _, long, short, _, _ in TABLE:
        for ms in (short, long):
            text = _scaled(ms, slo_window_ms)
            seen.setdefault(text, ms)
    return tuple(sorted(seen, key=seen.__getitem__))
