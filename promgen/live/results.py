"""What `promgen check --prometheus` found: per selector, alert, SLO and rule group, and the
problems, each at the place in the spec that wrote what it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from promgen.live.plan import AlertRule, Group, Place, Selector, SloWindows

Level = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Finding:
    level: Level
    place: Place
    message: str

    def render(self) -> str:
        prefix = "" if self.level == "error" else f"{self.level}: "
        return f"{self.place}: {prefix}{self.message}"


@dataclass
class SelectorResult:
    selector: Selector
    now: int | None = None  # series matching now (None: the query failed)
    since: int | None = None  # series matching at some time over --since


@dataclass
class AlertResult:
    rule: AlertRule
    fired: int = 0
    firing_s: float = 0.0
    longest_s: float = 0.0
    series: int = 0
    substituted: tuple[str, ...] = ()  # recorded series evaluated from their expressions
    failed: bool = False


@dataclass
class SloResult:
    slo: SloWindows
    ratios: dict[str, float | None] = field(default_factory=dict)  # window -> error ratio (None: no events)

    @property
    def budget(self) -> float:
        return 1 - self.slo.objective

    def burn(self, window: str) -> float | None:
        ratio = self.ratios.get(window)
        return None if ratio is None or self.budget <= 0 else ratio / self.budget

    @property
    def budget_remaining(self) -> float | None:
        burn = self.burn(self.slo.window)
        return None if burn is None else 1 - burn


@dataclass
class GroupResult:
    group: Group
    samples: int | None = None  # samples one evaluation reads (None: the server does not say)
    not_recorded: int = 0  # rules reading recorded series the server does not have yet


@dataclass
class Report:
    url: str
    version: str
    since: str
    start: float
    end: float
    retention_s: float | None
    sample_budget: int
    selectors: list[SelectorResult] = field(default_factory=list)
    alerts: list[AlertResult] = field(default_factory=list)
    slos: list[SloResult] = field(default_factory=list)
    groups: list[GroupResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)
