"""Metrics the service exposes and the SLOs over them (ratio and latency SLIs, their alerting and runbooks)."""

from typing import Annotated, Literal

from pydantic import (
    Field,
    model_validator,
)

from promgen.load.models.base import (
    ALERT_NAME,
    ALERT_NAME_MAX,
    LabelName,
    Labels,
    MetricName,
    Name,
    Strict,
    empty_dict,
    empty_list,
)
from promgen.load.units import Duration

# --- metrics and SLOs -----------------------------------------------------------------------

MetricUnit = Literal["seconds", "milliseconds", "bytes", "ratio", "percent", "count"]


class Metric(Strict):
    name: MetricName
    type: Literal["counter", "gauge", "histogram", "summary"]
    help: str = ""
    labels: list[LabelName] = Field(default_factory=empty_list)
    buckets: list[float] | None = Field(default=None, description="histogram bucket bounds (le values)")
    unit: MetricUnit | None = Field(default=None, description="inferred from the name suffix when omitted")
    job: str | None = Field(default=None, description="the scrape job that exposes it (default: the service's own "
                                                      "jobs, or the job of its exporter)")
    external: bool = Field(default=False, description="read from elsewhere (federated, remote): no job of this "
                                                      "stack scrapes it, and validate does not ask one to")
    deployed: bool = Field(default=True, description="false while no server exposes it yet: `promgen check "
                                                     "--prometheus` reports its selectors matching nothing as "
                                                     "pending, not as an error")


class LatencySLI(Strict):
    metric: MetricName = Field(description="a declared histogram")
    threshold: Duration = Field(description="requests faster than this are good; becomes the `le` bucket")
    selector: str = Field(default="", description="extra label matchers, e.g. endpoint!=\"/health\"")


class SLI(Strict):
    errors: str | None = Field(default=None, description="bad events; {{window}} stands for the window")
    good: str | None = Field(default=None, description="good events, instead of errors")
    total: str | None = Field(default=None, description="all events; {{window}} stands for the window")
    latency: LatencySLI | None = None
    error_ratio: str | None = Field(
        default=None, description="the share of bad events itself over {{window}} (sloth's raw error_ratio_query): "
                                  "recorded window by window from it, since there are no event rates to chain")

    @model_validator(mode="after")
    def _one_kind(self) -> "SLI":
        ratio = self.errors is not None or self.good is not None or self.total is not None
        kinds = sum((ratio, self.latency is not None, self.error_ratio is not None))
        if kinds > 1:
            raise ValueError("an SLI is one of a ratio (errors/good + total), a latency SLI or an error_ratio")
        if kinds == 0 or ratio:
            if self.total is None or (self.errors is None) == (self.good is None):
                raise ValueError("a ratio SLI needs `total` and exactly one of `errors` or `good`")
        return self


class AlertWindow(Strict):
    """One multiwindow burn-rate condition of an SLO's own alerting table (sloth's AlertWindows,
    pyrra's four alerts): both windows' error ratios above `factor` x the error budget."""

    severity: Name = Field(description="the severity of the alert this condition raises")
    factor: float | None = Field(default=None, gt=0, description="burn rate: how many times faster than the "
                                                                 "budget allows the errors come")
    budget_percent: float | None = Field(default=None, gt=0, le=100,
                                         description="instead of factor: the share of the error budget spent "
                                                     "over the long window (sloth's errorBudgetPercent)")
    long: Duration
    short: Duration
    for_: Duration | None = Field(default=None, alias="for", description="how long both must hold before it fires")

    @model_validator(mode="after")
    def _one_rate(self) -> "AlertWindow":
        if (self.factor is None) == (self.budget_percent is None):
            raise ValueError("give the burn rate as `factor` or as `budget_percent`, one of them")
        if self.short.ms >= self.long.ms:
            raise ValueError(f"the short window ({self.short}) must be shorter than the long one ({self.long})")
        return self


class SloAlertExtras(Strict):
    labels: Labels = Field(default_factory=empty_dict)
    annotations: dict[LabelName, str] = Field(default_factory=empty_dict)


class SLOAlerting(Strict):
    name: Annotated[str, Field(pattern=ALERT_NAME, max_length=ALERT_NAME_MAX)] | None = Field(
        default=None, description="name of its burn-rate alerts (default: <Slo>ErrorBudgetBurn)")
    annotations: dict[LabelName, str] = Field(
        default_factory=empty_dict, description="added to its alerts (over promgen's own); Go templates like an alert's")
    page: Name | None = Field(default=None, description="severity of the fast-burn alert (default: most urgent)")
    ticket: Name | None = Field(default=None, description="severity of the slow-burn alert (default: next)")
    no_data: Name | None = Field(default=None, description="severity of an alert when the SLI has no data")
    enabled: bool = True
    windows: list[AlertWindow] = Field(
        default_factory=empty_list,
        description="the SLO's own burn-rate table, instead of promgen's (14.4x 1h/5m and 6x 6h/30m page, "
                    "3x 1d/2h and 1x 3d/6h ticket, scaled to the SLO window); page and ticket are then unused")
    by_severity: dict[Name, SloAlertExtras] = Field(
        default_factory=empty_dict, description="labels and annotations of the alert of one severity only")
    min_events: int | None = Field(
        default=None, ge=1, description="a burn-rate condition holds only with at least this many events over its "
                                        "long window (counted from the SLI's total), so a few failures at a quiet "
                                        "hour page no one")


SloRules = Literal["chained", "exact"]


RunbookText = Annotated[str, Field(min_length=1, max_length=2000)]


class Runbook(Strict):
    """What the person the alert reaches does: written into runbooks/<service>/<Alert>.md."""

    checks: list[RunbookText] = Field(default_factory=empty_list, description="what to look at first")
    steps: list[RunbookText] = Field(default_factory=empty_list, description="what to do, in order")
    escalation: RunbookText | None = Field(default=None, description="who to bring in, and when")


class Response(Strict):
    """A severity's response expectations, written into its alerts' annotations and runbook pages."""

    respond_within: Duration | None = Field(default=None, description="acknowledge within this long")
    resolve_within: Duration | None = Field(default=None, description="resolve or mitigate within this long")
    note: RunbookText | None = Field(default=None, description='what a duration cannot say: "next business day"')

    @model_validator(mode="after")
    def _states_an_expectation(self) -> "Response":
        if not (self.respond_within or self.resolve_within or self.note):
            raise ValueError("a response needs `respond_within`, `resolve_within` or `note`")
        if self.respond_within and self.resolve_within and self.resolve_within.ms < self.respond_within.ms:
            raise ValueError("`resolve_within` is shorter than `respond_within`")
        return self


Calendar = Literal["week", "month", "quarter", "year"]
# a calendar SLO's burn-rate alerts keep a rolling window of the period's usual length
CALENDAR_WINDOWS: dict[str, str] = {"week": "7d", "month": "30d", "quarter": "90d", "year": "365d"}


class SLO(Strict):
    name: Name
    objective: float = Field(description="percent, strictly between 0 and 100")
    window: Duration = Field(default=Duration("30d"), description="rolling window of its budget and burn-rate "
                                                                  "alerts (default 30d; a calendar SLO's: the period's length)")
    calendar: Calendar | None = Field(
        default=None, description="the error budget is the calendar period's (UTC): the SLO dashboard shows what is "
                                  "left of it this week, month, quarter or year; burn-rate alerts keep the rolling window")
    description: str = ""
    sli: SLI
    alerting: SLOAlerting = Field(default_factory=SLOAlerting)
    labels: Labels = Field(default_factory=empty_dict)
    rules: SloRules | None = Field(default=None, description="chained or exact; default: rules.slo")
    runbook: Runbook | None = Field(default=None, description="the runbook of its burn-rate and no-data alerts")

    @model_validator(mode="before")
    @classmethod
    def _calendar_window(cls, data: object) -> object:
        if isinstance(data, dict) and "window" not in data and data.get("calendar") in CALENDAR_WINDOWS:
            return {**data, "window": CALENDAR_WINDOWS[data["calendar"]]}
        return data

    @model_validator(mode="after")
    def _events_to_count(self) -> "SLO":
        if self.alerting.min_events is not None and self.sli.error_ratio is not None:
            raise ValueError("alerting.min_events counts the SLI's events, and an error_ratio SLI has none: "
                             "give the SLI as errors (or good) and total to guard its alerts by traffic")
        return self
