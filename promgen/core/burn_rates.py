"""Multiwindow, multi-burn-rate alerting windows (Google SRE Workbook, "Alerting on SLOs").

The table is for a 30-day SLO window. For another SLO window every long and short window
scales in proportion, so each alert still fires after the same share of the error budget
is spent (2%, 5%, 10%, 10%) and the burn-rate factors stay 14.4, 6, 3 and 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from promgen.load.units import format_duration

if TYPE_CHECKING:
    from promgen.load.models import SLO

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
    severity: str | None = None  # the SLO's own table names it; promgen's uses the page and ticket severities
    for_: str | None = None


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


def slo_burn_windows(slo: SLO, window_ms: int, ladder: Sequence[str] = ()) -> tuple[BurnWindow, ...]:
    """The SLO's burn-rate conditions over its (render-scaled) window `window_ms`: its own table
    (`alerting.windows`, scaled as the SLO window is) or promgen's. In its own table the conditions
    of the most urgent severity (by `ladder`, else the first listed) are the page kind."""
    own = slo.alerting.windows
    if not own:
        return burn_windows(window_ms)
    scale = window_ms / slo.window.ms
    rank = {name: index for index, name in enumerate(ladder)}
    urgent = min((w.severity for w in own), key=lambda name: (rank.get(name, len(rank)), [w.severity for w in own].index(name)))
    found = []
    for w in own:
        factor = w.factor if w.factor is not None else (w.budget_percent or 0) / 100 * slo.window.ms / w.long.ms
        spent = factor * w.long.ms / slo.window.ms
        found.append(BurnWindow("page" if w.severity == urgent else "ticket", _scaled_by(w.long.ms, scale),
                                _scaled_by(w.short.ms, scale), float(f"{factor:.6g}"), spent, w.severity,
                                _scaled_by(w.for_.ms, scale) if w.for_ is not None and w.for_.ms else None))
    return tuple(found)


def slo_recorded_windows(slo: SLO, window_ms: int) -> tuple[str, ...]:
    """Every distinct window the SLO's error ratio is recorded over, shortest first."""
    if not slo.alerting.windows:
        return recorded_windows(window_ms)
    from promgen.load.units import parse_duration

    windows = {text for w in slo_burn_windows(slo, window_ms) for text in (w.long, w.short)}
    return tuple(sorted(windows, key=parse_duration))


def _scaled_by(ms: int, scale: float) -> str:
    scaled = int(ms * scale)
    return format_duration(max(1000, scaled - scaled % 1000))
