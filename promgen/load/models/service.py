"""The service, its scraping, remote_write, rule-group settings and target versions."""

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    model_validator,
)

from promgen.load.models.base import (
    INT32_MAX,
    HostPort,
    Labels,
    Name,
    SecretFile,
    ServiceName,
    Strict,
    empty_dict,
    empty_list,
)
from promgen.load.models.metrics import SloRules
from promgen.load.units import Duration
from promgen.load.urls import RemoteWriteURL, RunbookURL, ScrapePath

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


class ScrapeTls(Strict):
    ca_file: SecretFile | None = Field(default=None, description="CA certificate the target's certificate is checked against")
    cert_file: SecretFile | None = Field(default=None, description="client certificate")
    key_file: SecretFile | None = Field(default=None, description="client key")
    server_name: str | None = None
    insecure_skip_verify: bool = False


class ScrapeTarget(Strict):
    job: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    static: list[HostPort] = Field(min_length=1)
    path: ScrapePath = "/metrics"
    scheme: Literal["http", "https"] = "http"
    interval: Duration | None = None
    timeout: Duration | None = None
    labels: Labels = Field(default_factory=empty_dict)
    exporter: Literal["node", "cadvisor", "kube-state-metrics", "postgres", "redis", "blackbox"] | None = Field(
        default=None, description="the exporter this job scrapes (default: the service itself)")
    tls: ScrapeTls | None = Field(default=None, description="TLS settings for https targets")
    bearer_token_file: SecretFile | None = Field(default=None, description="a file holding the bearer token to send")
    local_port: int | None = Field(default=None, ge=1, le=65535,
                                   description="the port it listens on when run on a developer's machine: the "
                                               "compose stack scrapes stack.target_host there (default: the "
                                               "ports of `static`)")


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
    naming: Literal["promgen", "sloth", "pyrra"] = Field(
        default="promgen",
        description="sloth: the SLO series also carry sloth's labels (sloth_id, sloth_service, sloth_slo), sloth's "
                    "own series are recorded beside promgen's (slo:period_error_budget_remaining:ratio, "
                    "slo:current_burn_rate:ratio, slo:period_burn_rate:ratio, slo:time_period:days, "
                    "sloth_slo_info) and the burn alerts carry sloth_severity; pyrra: pyrra's series are recorded "
                    "beside promgen's (<metric>:burnrate<window>, pyrra_objective, pyrra_window, pyrra_availability, "
                    "pyrra_requests:rate5m, pyrra_errors:rate5m): dashboards and alerts written for them keep working",
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
