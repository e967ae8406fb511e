"""Metrics the service exposes and the SLOs over them (ratio and latency SLIs, their alerting and runbooks)."""

from typing import Annotated, Literal

from pydantic import (
    Field,
    model_validator,
)

from promgen.load.models.base import (
    ALERT_NAME,
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

    @model_validator(mode="after")
    def _one_kind(self) -> "SLI":
        ratio = self.errors is not None or self.good is not None or self.total is not None
        if self.latency is not None and ratio:
            raise ValueError("an SLI is either a ratio (errors/good + total) or a latency SLI, not both")
        if self.latency is None:
            if self.total is None or (self.errors is None) == (self.good is None):
                raise ValueError("a ratio SLI needs `total` and exactly one of `errors` or `good`")
        return self


class SLOAlerting(Strict):
    name: Annotated[str, Field(pattern=ALERT_NAME, max_length=40)] | None = Field(
        default=None, description="name of its burn-rate alerts (default: <Slo>ErrorBudgetBurn)")
    annotations: dict[LabelName, str] = Field(
        default_factory=empty_dict, description="added to its alerts (over promgen's own); Go templates like an alert's")
    page: Name | None = Field(default=None, description="severity of the fast-burn alert (default: most urgent)")
    ticket: Name | None = Field(default=None, description="severity of the slow-burn alert (default: next)")
    no_data: Name | None = Field(default=None, description="severity of an alert when the SLI has no data")
    enabled: bool = True


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


class SLO(Strict):
    name: Name
    objective: float = Field(description="percent, strictly between 0 and 100")
    window: Duration = Duration("30d")
    description: str = ""
    sli: SLI
    alerting: SLOAlerting = Field(default_factory=SLOAlerting)
    labels: Labels = Field(default_factory=empty_dict)
    rules: SloRules | None = Field(default=None, description="chained or exact; default: rules.slo")
    runbook: Runbook | None = Field(default=None, description="the runbook of its burn-rate and no-data alerts")
