"""Traffic scenarios for comparing chained and exact SLO rules: the request counters a service
exposes, minute by minute, through healthy traffic, burns at and just below every alerting
factor, recovery, scrape gaps, no traffic, counter resets and a target joining and leaving.

One generator feeds both judges: `openmetrics()` for a backfill into the real Prometheus and
`promtool_series()` for promtool unit tests, so both see the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCRAPE_S = 60  # one sample a minute per series
OBJECTIVE = 99.9  # budget 0.1%: page at 1.44% (14.4x) and 0.6% (6x), ticket at 0.3% (3x) and 0.1% (1x)
BUDGET = 0.001
METRIC = "http_requests_total"


@dataclass(frozen=True)
class Phase:
    minutes: int
    rps: float  # requests per second
    errors: float  # share failing (5xx)


@dataclass(frozen=True)
class Scenario:
    name: str
    phases: tuple[Phase, ...]
    reset_at: tuple[int, ...] = ()  # minutes at which the counters restart from 0 (a process restart)
    gap: tuple[int, int] | None = None  # minutes [start, end) with no sample (a failed scrape)
    second_target: tuple[int, int] | None = None  # minutes [start, end) a second instance is scraped, same traffic

    @property
    def minutes(self) -> int:
        return sum(p.minutes for p in self.phases)


def _burn(name: str, factor: float, hours: float, before_h: float = 24, after_h: float = 8, **extra: object) -> Scenario:
    healthy = 0.2 * BUDGET  # a fifth of the budget: well below every threshold
    return Scenario(name, (
        Phase(int(before_h * 60), 20, healthy),
        Phase(int(hours * 60), 20, factor * BUDGET),
        Phase(int(after_h * 60), 20, healthy),
    ), **extra)  # type: ignore[arg-type]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy", (Phase(36 * 60, 20, 0.2 * BUDGET),)),
    _burn("outage", 200, 0.5),  # 20% failing: pages within minutes, resolves within minutes
    _burn("fast-burn-16x", 16, 2),
    _burn("just-below-14x", 13.5, 0.75),  # the 1h window stays under 14.4x
    _burn("burn-7x", 7, 8),
    _burn("just-below-6x", 5.5, 8),
    _burn("burn-3-5x", 3.5, 30, after_h=6),
    _burn("just-below-3x", 2.7, 30, after_h=6),
    _burn("burn-1-2x", 1.2, 76, before_h=2, after_h=4),  # fills the 3d window: a ticket at 1x
    Scenario("traffic-gap-during-burn", (Phase(24 * 60, 20, 0.2 * BUDGET), Phase(40, 20, 16 * BUDGET),
                                         Phase(30, 0, 0), Phase(50, 20, 16 * BUDGET), Phase(8 * 60, 20, 0.2 * BUDGET))),
    _burn("scrape-gap-during-burn", 16, 2, gap=(24 * 60 + 40, 24 * 60 + 70)),
    Scenario("no-traffic", (Phase(24 * 60, 20, 0.2 * BUDGET), Phase(180, 0, 0), Phase(6 * 60, 20, 16 * BUDGET),
                            Phase(6 * 60, 20, 0.2 * BUDGET))),
    _burn("counter-reset", 16, 2, reset_at=(24 * 60 + 30, 24 * 60 + 200)),
    _burn("target-joins-and-leaves", 8, 6, second_target=(24 * 60 + 60, 24 * 60 + 240)),
)


@dataclass
class Samples:
    """Per series (labels), the value at each minute, None where no sample was taken."""

    series: dict[tuple[tuple[str, str], ...], list[float | None]] = field(default_factory=dict)


def samples(scenario: Scenario) -> Samples:
    out = Samples()
    instances = ["a"] + (["b"] if scenario.second_target else [])
    for instance in instances:
        for code in ("200", "500"):
            labels = (("code", code), ("instance", instance), ("scenario", scenario.name))
            values: list[float | None] = []
            value = 0.0
            minute = 0
            for phase in scenario.phases:
                for _ in range(phase.minutes):
                    if minute in scenario.reset_at:
                        value = 0.0
                    share = phase.errors if code == "500" else 1 - phase.errors
                    value += phase.rps * SCRAPE_S * share
                    present = True
                    if scenario.gap and scenario.gap[0] <= minute < scenario.gap[1]:
                        present = False
                    if instance == "b":
                        start, end = scenario.second_target  # type: ignore[misc]
                        present = present and start <= minute < end
                    values.append(round(value, 6) if present else None)
                    minute += 1
            out.series[labels] = values
    return out


def openmetrics(scenarios: tuple[Scenario, ...], start_s: int) -> str:
    """Every scenario's counters as one OpenMetrics text for `promtool tsdb create-blocks-from`."""
    lines = [f"# TYPE {METRIC.removesuffix('_total')} counter"]
    for scenario in scenarios:
        for labels, values in samples(scenario).series.items():
            text = ",".join(f'{name}="{value}"' for name, value in labels)
            for minute, value in enumerate(values):
                if value is not None:
                    lines.append(f"{METRIC}{{{text}}} {value!r} {start_s + minute * SCRAPE_S}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def promtool_series(scenario: Scenario) -> list[dict[str, str]]:
    """The scenario's counters as promtool `input_series` (values a minute apart, `_` for none)."""
    found = []
    for labels, values in samples(scenario).series.items():
        text = ", ".join(f'{name}="{value}"' for name, value in labels)
        found.append({"series": f"{METRIC}{{{text}}}",
                      "values": " ".join("_" if v is None else repr(v) for v in values)})
    return found


def slo_entry(scenario: Scenario) -> dict[str, object]:
    """The SLO of a scenario, as a promgen spec writes it: its errors and total of that scenario only."""
    match = f'scenario="{scenario.name}"'
    return {
        "name": scenario.name,
        "objective": OBJECTIVE,
        "sli": {"errors": f'sum(rate({METRIC}{{{match}, code="500"}}[{{{{window}}}}]))',
                "total": f"sum(rate({METRIC}{{{match}}}[{{{{window}}}}]))"},
    }
