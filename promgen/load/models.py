"""Pydantic models of the spec users write. Field names are the contract (PRODUCT.md).

Unlike the rest of promgen, annotations here are evaluated as the classes are defined (no `from
__future__ import annotations`): pydantic would otherwise evaluate each of them from its text,
about 15 ms of a cold `validate`. A method returning its own class names it in quotes.
"""

import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from promgen.load import time_ranges
from promgen.load.units import Duration, Size
from promgen.load.urls import (
    OpsgenieURL,
    ProbeURL,
    RemoteWriteURL,
    RunbookURL,
    ScrapePath,
    WebhookURL,
)

SERVICE_NAME = r"^[a-z][a-z0-9-]*$"
NAME = r"^[A-Za-z][A-Za-z0-9_-]*$"
METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
ALERT_NAME = r"^[A-Z][A-Za-z0-9]*$"
HOST_PORT = r"^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$"  # an IPv6 host goes in brackets

ServiceName = Annotated[str, Field(pattern=SERVICE_NAME, min_length=1, max_length=40)]
Name = Annotated[str, Field(pattern=NAME, min_length=1, max_length=63)]
MetricName = Annotated[str, Field(pattern=METRIC_NAME)]
INT32_MAX = 2**31 - 1


def _not_reserved(name: str) -> str:
    if name.startswith("__"):
        raise ValueError(f"label names starting with __ are reserved for Prometheus' own use, not {name!r}")
    return name


_UNSAFE_IN_PATHS = frozenset(':$"\'`\\')


def _secret_path(path: str) -> str:
    """A secret file's path goes into Alertmanager's config, Prometheus' and the compose stack's
    volume list (`host:container:ro`, where `$` interpolates): keep it to plain path characters."""
    if not path.isprintable() or any(char in path for char in _UNSAFE_IN_PATHS):
        raise ValueError("a secret file path cannot hold control characters, `:`, `$`, quotes or backslashes")
    if path.endswith("/"):
        raise ValueError("a secret file path names a file, not a directory")
    return path


def _port_in_range(address: str) -> str:
    port = int(address.rsplit(":", 1)[1])
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is not between 1 and 65535")
    return address


HostPort = Annotated[str, Field(pattern=HOST_PORT), AfterValidator(_port_in_range)]
LabelName = Annotated[str, Field(pattern=LABEL_NAME), AfterValidator(_not_reserved)]
LabelValue = Annotated[str, Field(min_length=1, description="Prometheus drops labels with empty values")]
Labels = dict[LabelName, LabelValue]
SecretFile = Annotated[str, Field(min_length=1, description="path of a file holding the secret"), AfterValidator(_secret_path)]


def empty_list() -> list[Any]:
    """A default factory written in Python: pydantic reads every factory's signature, and a builtin's
    (`list`, `dict`) is parsed from its text, which costs a cold `validate` about 12 ms."""
    return []


def empty_dict() -> dict[Any, Any]:
    """See empty_list."""
    return {}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True, allow_inf_nan=False)


# --- service and scraping -------------------------------------------------------------------


class Service(Strict):
    name: ServiceName = Field(description="used in file names, job names and dashboard uids")
    environment: str = "production"
    team: str | None = None
    runbook_url: RunbookURL | None = Field(default=None, description="URL pattern; {alert} is replaced by the alert name")
    runbook_base_url: RunbookURL | None = Field(
        default=None, description="where the rendered runbooks/ folder is served; an alert links to this + <service>/<Alert>.md")
    labels: Labels = Field(default_factory=empty_dict, description="added to every alert")

    @model_validator(mode="after")
    def _one_runbook_link(self) -> "Service":
        if self.runbook_url and self.runbook_base_url:
            raise ValueError("give `runbook_url` (an external pattern) or `runbook_base_url` (where promgen's pages are served), not both")
        return self


class ScrapeTarget(Strict):
    job: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    static: list[HostPort] = Field(min_length=1)
    path: ScrapePath = "/metrics"
    scheme: Literal["http", "https"] = "http"
    interval: Duration | None = None
    timeout: Duration | None = None
    labels: Labels = Field(default_factory=empty_dict)


class Scrape(Strict):
    interval: Duration = Duration("15s")
    timeout: Duration | None = None
    evaluation_interval: Duration | None = Field(default=None, description="rule evaluation interval; defaults to interval")
    targets: list[ScrapeTarget] = Field(default_factory=empty_list)


class BasicAuth(Strict):
    username: str
    password_file: SecretFile


class RemoteWrite(Strict):
    url: RemoteWriteURL
    name: Name | None = None
    bearer_token_file: SecretFile | None = None
    basic_auth: BasicAuth | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> "RemoteWrite":
        if self.bearer_token_file is not None and self.basic_auth is not None:
            raise ValueError("give `bearer_token_file` or `basic_auth`, not both: Prometheus accepts one "
                             "authorization per remote_write")
        return self


# --- metrics and SLOs -----------------------------------------------------------------------

MetricUnit = Literal["seconds", "milliseconds", "bytes", "ratio", "percent", "count"]


class Metric(Strict):
    name: MetricName
    type: Literal["counter", "gauge", "histogram", "summary"]
    help: str = ""
    labels: list[LabelName] = Field(default_factory=empty_list)
    buckets: list[float] | None = Field(default=None, description="histogram bucket bounds (le values)")
    unit: MetricUnit | None = Field(default=None, description="inferred from the name suffix when omitted")


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


# --- alerts ---------------------------------------------------------------------------------


class AlertBase(Strict):
    """What every alert says beside its condition: name, timing, severity, text and runbook."""

    name: Annotated[str, Field(pattern=ALERT_NAME, max_length=40, description="CamelCase")]
    for_: Duration = Field(default=Duration("0s"), alias="for")
    keep_firing_for: Duration | None = Field(default=None, description="keep firing this long after the condition clears")
    severity: Name
    summary: str | None = Field(default=None, description="one-line summary; a Go template like the description")
    description: str | None = Field(default=None, description="may use {{ $value }} and {{ $labels.x }}")
    runbook_url: RunbookURL | None = None
    runbook: Runbook | None = None
    labels: Labels = Field(default_factory=empty_dict)
    annotations: dict[LabelName, str] = Field(default_factory=empty_dict)


class Alert(AlertBase):
    expr: str | None = None
    template: str | None = None
    params: dict[str, Any] = Field(default_factory=empty_dict)

    @model_validator(mode="after")
    def _expr_or_template(self) -> "Alert":
        if (self.expr is None) == (self.template is None):
            raise ValueError("an alert needs exactly one of `expr` or `template`")
        if self.expr is not None and self.params:
            raise ValueError("`params` only goes with `template`")
        if self.expr is not None and not self.summary:
            raise ValueError("an alert with `expr` needs a `summary`")
        return self


class LogAlert(AlertBase):
    """An alert on the service's logs: a LogQL metric query that Loki's ruler evaluates."""

    expr: str = Field(description='a LogQL metric query, e.g. sum(count_over_time({service="api"} |= "ERROR" [5m])) > 0')
    summary: str = Field(description="one-line summary; a Go template like the description")


# --- routing --------------------------------------------------------------------------------


class Escalation(Strict):
    """Who else hears of an alert of the severity that is still firing `after` it started firing."""

    after: Duration = Field(description="how long the alert has fired before the escalation channels hear of it")
    notify: list[Name] = Field(min_length=1, description="channel names")


class Severity(Strict):
    name: Name
    aliases: list[Name] = Field(default_factory=empty_list)
    notify: list[Name] = Field(default_factory=empty_list, description="channel names")
    during: Annotated[
        list[Name],
        WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
    ] = Field(default_factory=empty_list, description="time intervals when it notifies")
    group_by: list[LabelName] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    response: Response | None = Field(default=None, description="what the people it reaches have agreed to")
    runbook: Runbook | None = Field(default=None, description="what every alert of this severity asks, after its own runbook")
    escalate: Escalation | None = Field(
        default=None, description="still firing after this long, its alerts also notify these channels")

    @field_validator("during", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ChannelBase(Strict):
    name: Name
    send_resolved: bool = True


class EmailChannel(ChannelBase):
    type: Literal["email"]
    to: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    from_: str | None = Field(default=None, alias="from")


class SlackChannel(ChannelBase):
    type: Literal["slack"]
    channel: Annotated[str, Field(pattern=r"^[#@]?[A-Za-z0-9._-]+$")]
    api_url_file: SecretFile
    username: str | None = None


class PagerDutyChannel(ChannelBase):
    type: Literal["pagerduty"]
    routing_key_file: SecretFile | None = Field(default=None, description="Events API v2 integration key")
    service_key_file: SecretFile | None = Field(default=None, description="Events API v1 integration key")

    @model_validator(mode="after")
    def _one_key(self) -> "PagerDutyChannel":
        if (self.routing_key_file is None) == (self.service_key_file is None):
            raise ValueError("a pagerduty channel needs exactly one of routing_key_file or service_key_file")
        return self


class WebhookChannel(ChannelBase):
    type: Literal["webhook"]
    url: WebhookURL | None = None
    url_file: SecretFile | None = None
    bearer_token_file: SecretFile | None = None
    max_alerts: int = Field(default=0, ge=0, le=INT32_MAX)

    @model_validator(mode="after")
    def _one_url(self) -> "WebhookChannel":
        if (self.url is None) == (self.url_file is None):
            raise ValueError("a webhook channel needs exactly one of url or url_file")
        return self


class OpsgenieChannel(ChannelBase):
    type: Literal["opsgenie"]
    api_key_file: SecretFile
    api_url: OpsgenieURL | None = None
    team: str | None = None


class MSTeamsChannel(ChannelBase):
    """Microsoft Teams through an incoming-webhook connector (Alertmanager 0.26 or later)."""

    type: Literal["msteams"]
    webhook_url_file: SecretFile


class MSTeamsV2Channel(ChannelBase):
    """Microsoft Teams through a Power Automate workflow webhook (Alertmanager 0.28 or later)."""

    type: Literal["msteamsv2"]
    webhook_url_file: SecretFile


class DiscordChannel(ChannelBase):
    type: Literal["discord"]
    webhook_url_file: SecretFile


class TelegramChannel(ChannelBase):
    type: Literal["telegram"]
    bot_token_file: SecretFile
    chat_id: int = Field(ge=-(2**63), le=2**63 - 1, description="not 0: Alertmanager refuses a missing chat")

    @field_validator("chat_id")
    @classmethod
    def _chat_given(cls, value: int) -> int:
        if value == 0:
            raise ValueError("chat_id 0 names no chat (Alertmanager refuses it): give the chat's or channel's id")
        return value
    parse_mode: Literal["HTML", "Markdown", "MarkdownV2"] = "HTML"


class WebexChannel(ChannelBase):
    type: Literal["webex"]
    room_id: str
    bot_token_file: SecretFile


class RocketChatChannel(ChannelBase):
    """Rocket.Chat (Alertmanager 0.28 or later): a personal access token and its user id, both files."""

    type: Literal["rocketchat"]
    channel: Annotated[str, Field(pattern=r"^[#@]?[A-Za-z0-9._-]+$")]
    api_url: OpsgenieURL | None = Field(default=None, description="the Rocket.Chat server (default open.rocket.chat)")
    token_id_file: SecretFile
    token_file: SecretFile


class JiraChannel(ChannelBase):
    """An issue per alert group in Jira (Alertmanager 0.28 or later), with basic auth."""

    type: Literal["jira"]
    api_url: OpsgenieURL = Field(description="the Jira REST API, e.g. https://example.atlassian.net/rest/api/2")
    project: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
    issue_type: str = Field(default="Bug", min_length=1)
    username: str = Field(min_length=1)
    password_file: SecretFile = Field(description="the API token or password")


Channel = Annotated[
    Union[
        EmailChannel,
        SlackChannel,
        PagerDutyChannel,
        WebhookChannel,
        OpsgenieChannel,
        MSTeamsChannel,
        MSTeamsV2Channel,
        DiscordChannel,
        TelegramChannel,
        WebexChannel,
        RocketChatChannel,
        JiraChannel,
    ],
    Field(discriminator="type"),
]
CHANNEL_TYPES = ("email", "slack", "pagerduty", "webhook", "opsgenie", "msteams", "msteamsv2", "discord", "telegram",
                 "webex", "rocketchat", "jira")

# Inline secrets users are tempted to write, and the field that references a file instead.
INLINE_SECRET_FIELDS: dict[str, str] = {
    "api_url": "api_url_file",
    "routing_key": "routing_key_file",
    "service_key": "service_key_file",
    "api_key": "api_key_file",
    "webhook_url": "webhook_url_file",
    "bot_token": "bot_token_file",
    "auth_password": "auth_password_file",
    "password": "password_file",
    "bearer_token": "bearer_token_file",
    "token": "bearer_token_file",
    "token_id": "token_id_file",
    "url_secret": "url_file",
}
# Where a channel type names its file field differently.
INLINE_SECRET_BY_TYPE: dict[str, dict[str, str]] = {"rocketchat": {"token": "token_file"}}


class TimeInterval(Strict):
    weekdays: list[Annotated[str, Field(pattern=r"^[a-z]+(:[a-z]+)?$")]] = Field(default_factory=empty_list)
    times: list[Annotated[str, Field(pattern=r"^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$")]] = Field(
        default_factory=empty_list
    )
    days_of_month: list[Annotated[str, BeforeValidator(time_ranges._as_text), AfterValidator(time_ranges.day_of_month)]] = Field(
        default_factory=empty_list, description="1 to 31, or -1 to -31 from the end of the month; ranges start:end"
    )
    months: list[Annotated[str, BeforeValidator(time_ranges._as_text), AfterValidator(time_ranges.month)]] = Field(
        default_factory=empty_list, description="names or 1 to 12; ranges start:end"
    )
    years: list[Annotated[str, BeforeValidator(time_ranges._as_text), AfterValidator(time_ranges.year)]] = Field(
        default_factory=empty_list
    )
    location: str | None = Field(default=None, description="IANA time zone, e.g. Europe/Berlin")


class Smtp(Strict):
    smarthost: HostPort
    from_: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(alias="from")
    auth_username: str | None = None
    auth_password_file: SecretFile | None = None
    require_tls: bool = True


class ExtraRoute(Strict):
    matchers: list[str] = Field(min_length=1, description='Alertmanager matchers, e.g. team="database"')
    notify: list[Name] = Field(min_length=1)
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[LabelName] | None = None


class AlertmanagerSettings(Strict):
    smtp: Smtp | None = None
    resolve_timeout: Duration = Duration("5m")
    group_by: list[LabelName] = Field(default_factory=lambda: ["alertname", "service"])
    group_wait: Duration = Duration("30s")
    group_interval: Duration = Duration("5m")
    repeat_interval: Duration = Duration("4h")
    default_channel: Name | None = Field(default=None, description="receives alerts that match no severity")
    routes: list[ExtraRoute] = Field(default_factory=empty_list, description="routes by other labels, before severities")


# --- probes, dashboards, stack, kubernetes --------------------------------------------------


class HttpProbe(Strict):
    path: Annotated[str, Field(pattern=r"^/")]
    port: int | None = Field(default=None, ge=1, le=65535)
    initial_delay: Duration = Duration("0s")
    period: Duration = Duration("10s")
    timeout: Duration = Duration("1s")
    failure_threshold: int = Field(default=3, ge=1, le=INT32_MAX)
    success_threshold: int = Field(default=1, ge=1, le=INT32_MAX)


def _go_regex(pattern: str) -> str:
    from promgen.judge.go_regex import problem

    reason = problem(pattern, angle_groups=False)
    if reason:
        raise ValueError(f"the blackbox exporter cannot compile this regular expression: {reason}")
    return pattern


GoRegex = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_go_regex)]
StatusCode = Annotated[int, Field(ge=100, le=599)]


class ExternalProbe(Strict):
    url: ProbeURL
    module: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")] = "http_2xx"
    status_codes: list[StatusCode] = Field(
        default_factory=empty_list, description="the answers that count as up (default: any 2xx)")
    body: GoRegex | None = Field(
        default=None, description='a regular expression the response body must match, e.g. "status":\\s*"healthy"')

    @property
    def checks(self) -> bool:
        """Whether the probe asks more of the answer than its module does."""
        return bool(self.status_codes or self.body)


def _url_or_probe(schema: dict[str, Any]) -> None:
    """In the JSON Schema, an external probe may also be written as a bare URL."""
    schema["items"] = {"anyOf": [{"type": "string", "pattern": "^https?://"}, schema["items"]]}


class Probes(Strict):
    port: int = Field(default=8000, ge=1, le=65535)
    scheme: Literal["HTTP", "HTTPS"] = "HTTP"
    liveness: HttpProbe | None = None
    readiness: HttpProbe | None = None
    startup: HttpProbe | None = None
    external: list[ExternalProbe] = Field(
        default_factory=empty_list, description="URLs probed by blackbox", json_schema_extra=_url_or_probe
    )
    interval: Duration | None = Field(default=None, description="how often the external probes run (default: the scrape interval)")

    @field_validator("external", mode="before")
    @classmethod
    def _urls_as_probes(cls, value: Any) -> Any:
        """A bare URL is a probe with the default module."""
        return [{"url": item} if isinstance(item, str) else item for item in value] if isinstance(value, list) else value

    @property
    def external_probes(self) -> list[ExternalProbe]:
        return list(self.external)


class PanelTarget(Strict):
    expr: str
    legend: str | None = None


PanelType = Literal["timeseries", "stat", "gauge", "bargauge", "table", "heatmap"]


class Panel(Strict):
    title: str = Field(min_length=1)
    expr: str | None = None
    legend: str | None = None
    targets: list[PanelTarget] = Field(default_factory=empty_list)
    type: PanelType = "timeseries"
    unit: str = "short"
    description: str = ""

    @model_validator(mode="after")
    def _expr_or_targets(self) -> "Panel":
        if (self.expr is None) == (not self.targets):
            raise ValueError("a panel needs exactly one of `expr` or `targets`")
        return self


class CustomDashboard(Strict):
    title: str = Field(min_length=1)
    uid: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] | None = None
    tags: list[str] = Field(default_factory=empty_list)
    panels: list[Panel] = Field(min_length=1)


GeneratedDashboard = Literal["overview", "slo"]
GENERATED_DASHBOARDS: tuple[GeneratedDashboard, ...] = ("overview", "slo")


DashboardTitle = Annotated[str, Field(min_length=1, max_length=200)]


class DashboardTitles(Strict):
    overview: DashboardTitle | None = Field(default=None, description='default "<service> overview"')
    slo: DashboardTitle | None = Field(default=None, description='default "<service> SLOs"')


class Dashboards(Strict):
    generate: list[GeneratedDashboard] = Field(default_factory=lambda: list(GENERATED_DASHBOARDS))
    titles: DashboardTitles = Field(default_factory=DashboardTitles, description="titles of the generated dashboards")
    refresh: Duration = Field(default=Duration("1m"), description="how often every dashboard of the service refreshes")
    custom: list[CustomDashboard] = Field(default_factory=empty_list)

    @field_validator("refresh")
    @classmethod
    def _grafana_refresh(cls, value: Duration) -> Duration:
        # Grafana's refresh picker takes one unit ("30s", "5m") and refuses less than its default 5s minimum
        if not re.fullmatch(r"[0-9]+[smhd]", str(value)):
            raise ValueError(f"a dashboard refresh is one number and unit for Grafana, like 30s, 5m or 1h, not {value}")
        if value.ms < 5000:
            raise ValueError("a dashboard refresh is at least 5s, Grafana's smallest")
        return value


# Host directories a log file may not be mounted from: the shipper would read the machine's secrets.
LOG_DIRECTORIES_REFUSED = ("/", "/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run", "/var/run", "/home", "/Users")


def _log_file(path: str) -> str:
    parts = path.split("/")
    if not path.startswith("/") or any(part in ("", ".", "..") for part in parts[1:]):
        raise ValueError(f"{path!r}: a log file is an absolute path without '.', '..' or '//' (globs such as *.log are fine)")
    if any(char in path for char in ":,\\\"'") or any(ord(char) < 32 or char == "\x7f" for char in path):
        raise ValueError(f"{path!r}: a log file path may not hold ':', ',', quotes, backslashes or control characters")
    if log_file_directory(path) in LOG_DIRECTORIES_REFUSED:
        raise ValueError(f"{path!r}: the shipper would mount {log_file_directory(path)}; put the logs in a directory of their own")
    return path


def log_file_directory(path: str) -> str:
    """The directory a log file (glob) is mounted from: its path up to the first component with a glob."""
    kept: list[str] = []
    for part in path.split("/")[1:-1]:
        if any(char in part for char in "*?[{"):
            break
        kept.append(part)
    return "/" + "/".join(kept)


LogFile = Annotated[str, Field(min_length=2, max_length=4096), AfterValidator(_log_file)]


class Retention(Strict):
    """How long (and how much) the stack's Prometheus keeps; whichever limit is reached first."""

    time: Duration | None = Field(default=None, description="e.g. 30d")
    size: Size | None = Field(default=None, description="e.g. 10GB")

    @model_validator(mode="after")
    def _sets_a_limit(self) -> "Retention":
        if self.time is None and self.size is None:
            raise ValueError("a retention needs `time`, `size` or both")
        if self.time is not None and self.time.ms < 3_600_000:
            raise ValueError("a retention shorter than 1h keeps less than one TSDB block")
        if self.size is not None and self.size.bytes < 1024 * 1024:
            raise ValueError("a retention size under 1MiB holds no block")
        return self


DatabaseName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_$-]*$", max_length=63)]


class PostgresExporter(Strict):
    """The database the stack's postgres exporter reads (the service's, on the target host)."""

    address: HostPort | None = Field(default=None, description="HOST:PORT; default the stack's target_host:5432")
    job: str | None = Field(default=None, description="the scrape job whose exporter the stack's stands in for; "
                            "default a job of its own, `postgres`")
    database: DatabaseName = "postgres"
    user: DatabaseName = "postgres"
    password_file: SecretFile | None = Field(default=None, description="a file holding the user's password")
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "disable"


class RedisExporter(Strict):
    """The Redis the stack's redis exporter reads (without authentication: a local instance)."""

    address: HostPort | None = Field(default=None, description="HOST:PORT; default the stack's target_host:6379")
    job: str | None = Field(default=None, description="the scrape job whose exporter the stack's stands in for; "
                            "default a job of its own, `redis`")


class Stack(Strict):
    exporters: list[Literal["node", "blackbox", "postgres", "redis"]] = Field(default_factory=empty_list)
    postgres: PostgresExporter | None = Field(default=None, description="where the postgres exporter connects")
    redis: RedisExporter | None = Field(default=None, description="where the redis exporter connects")
    logs: Literal["loki"] | None = Field(default=None, description="add Loki and a log shipper")
    log_files: list[LogFile] = Field(
        default_factory=empty_list, description="files (globs) on this machine the service logs to, shipped to Loki with its container output")
    log_retention: Duration | None = Field(
        default=None, description="how long the stack's Loki keeps logs (at least 24h; default: kept until deleted)")
    tracing: Literal["jaeger"] | None = Field(default=None, description="add Jaeger")
    retention: Retention | None = Field(default=None, description="how long the stack's Prometheus keeps samples (default 15d)")
    target_host: Annotated[str, Field(pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$", max_length=253)] = Field(
        default="host.docker.internal", description="host name or IPv4 address where the stack's containers reach the service"
    )

    @model_validator(mode="after")
    def _files_need_loki(self) -> "Stack":
        if self.log_files and self.logs is None:
            raise ValueError("`log_files` are shipped to Loki: add `logs: loki`")
        if self.log_retention is not None and self.logs is None:
            raise ValueError("`log_retention` is Loki's: add `logs: loki`")
        for name in ("postgres", "redis"):
            if getattr(self, name) is not None and name not in self.exporters:
                raise ValueError(f"`{name}` configures the {name} exporter: add {name} to `exporters`")
        return self


# Kubernetes object names, label keys and values (apimachinery's validation rules).
K8S_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
K8S_LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
K8S_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
K8sName = Annotated[str, Field(pattern=K8S_NAME, max_length=63)]
K8sLabels = dict[Annotated[str, Field(pattern=K8S_LABEL_KEY)], Annotated[str, Field(pattern=K8S_LABEL_VALUE)]]


class ServiceMonitorSettings(Strict):
    selector: K8sLabels = Field(
        default_factory=empty_dict, description="matchLabels of the service's Service (default app.kubernetes.io/name: SERVICE)"
    )
    labels: K8sLabels = Field(default_factory=empty_dict, description="e.g. release: kube-prometheus-stack")
    port: K8sName = Field(default="metrics", description="named port of the Service")


K8sLabelKey = Annotated[str, Field(pattern=K8S_LABEL_KEY, max_length=253)]


class DashboardConfigMaps(Strict):
    """The service's dashboards as ConfigMaps for Grafana's dashboard sidecar (kube-prometheus-stack)."""

    enabled: bool = True
    labels: K8sLabels = Field(default_factory=lambda: {"grafana_dashboard": "1"},
                              description="the labels the sidecar looks for (its `label` and `labelValue`)")
    folder_annotation: K8sLabelKey | None = Field(
        default="grafana_folder", description="the annotation the sidecar reads the folder from (its `folderAnnotation`)")
    folder: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f/]+$")] | None = Field(
        default=None, description="Grafana folder of the dashboards (default: the service name)")


class Kubernetes(Strict):
    namespace: K8sName | None = None
    deployment: K8sName | None = Field(default=None, description="the Deployment the probe patch applies to (default: the service name)")
    container: K8sName | None = Field(default=None, description="its container that gets the probes (default: the service name)")
    labels: K8sLabels = Field(default_factory=empty_dict, description="added to every operator object")
    service_monitor: ServiceMonitorSettings = Field(default_factory=ServiceMonitorSettings)
    blackbox_exporter: HostPort = Field(
        default="blackbox-exporter.monitoring.svc:9115", description="host:port of the blackbox exporter Service the Probes use"
    )
    alertmanager_secret: K8sName | None = Field(
        default=None, description="Secret holding the channels' secrets for the AlertmanagerConfig (default: SERVICE-alertmanager)"
    )
    dashboards: DashboardConfigMaps = Field(default_factory=DashboardConfigMaps)


# --- rule groups ----------------------------------------------------------------------------


class RuleGroups(Strict):
    """Settings of every rule group the service's rule file holds."""

    labels: Labels = Field(default_factory=empty_dict, description="added to every rule's series and alerts (Prometheus 3.0 or later)")
    query_offset: Duration | None = Field(
        default=None, description="evaluate rules this far in the past, for late data (Prometheus 2.53 or later)"
    )
    limit: int | None = Field(
        default=None, ge=0, le=INT32_MAX, description="fail a rule that produces more series or alerts than this (0: no limit)"
    )
    slo: SloRules = Field(
        default="chained",
        description="how SLO error ratios over long windows are recorded: chained (from the shortest window's "
        "recorded rates, cheap) or exact (every window from the raw series)",
    )


# --- versions -------------------------------------------------------------------------------


def _version_text(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('write the version in quotes, e.g. "3.5": YAML reads an unquoted 3.10 as the number 3.1')
    return value


def _supported(tool: str) -> Any:
    from promgen.core.versions import FLOOR, TITLES, Version

    def check(text: str) -> str:
        version = Version.parse(text)
        if version < FLOOR[tool]:  # type: ignore[index]
            raise ValueError(f"promgen supports {TITLES[tool]} {FLOOR[tool]} and later, not {version}")  # type: ignore[index]
        return text

    return AfterValidator(check)


class Versions(Strict):
    prometheus: Annotated[str, BeforeValidator(_version_text), _supported("prometheus")] | None = Field(
        default=None, description="oldest Prometheus the output must work on, MAJOR.MINOR (default: the newest promgen is judged against)"
    )
    alertmanager: Annotated[str, BeforeValidator(_version_text), _supported("alertmanager")] | None = Field(
        default=None, description="oldest Alertmanager the output must work on, MAJOR.MINOR (default: the newest promgen is judged against)"
    )

    def targets(self) -> Any:
        from promgen.core.versions import NEWEST, Targets, Version

        return Targets(
            Version.parse(self.prometheus) if self.prometheus else NEWEST["prometheus"],
            Version.parse(self.alertmanager) if self.alertmanager else NEWEST["alertmanager"],
        )


# --- the spec -------------------------------------------------------------------------------


class Spec(Strict):
    """A promgen spec: one service's monitoring, declared."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        defer_build=True,
        title="promgen spec",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    version: Literal[1]
    extends: str | None = Field(
        default=None, description="a base spec (relative to this file) whose sections this spec builds on"
    )
    service: Service
    scrape: Scrape = Field(default_factory=Scrape)
    remote_write: list[RemoteWrite] = Field(default_factory=empty_list)
    rules: RuleGroups = Field(default_factory=RuleGroups)
    metrics: list[Metric] = Field(default_factory=empty_list)
    slos: list[SLO] = Field(default_factory=empty_list)
    alerts: list[Alert] = Field(default_factory=empty_list)
    log_alerts: list[LogAlert] = Field(
        default_factory=empty_list, description="alerts on the service's logs (LogQL), for Loki's ruler")
    severities: list[Severity] = Field(min_length=1, description="ordered, most urgent first")
    channels: list[Channel] = Field(default_factory=empty_list)
    time_intervals: dict[Name, TimeInterval] = Field(default_factory=empty_dict)
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    probes: Probes | None = None
    dashboards: Dashboards = Field(default_factory=Dashboards)
    stack: Stack = Field(default_factory=Stack)
    kubernetes: Kubernetes = Field(default_factory=Kubernetes)
    versions: Versions = Field(default_factory=Versions)


__all__ = ["Spec", "Size", "Duration"]
