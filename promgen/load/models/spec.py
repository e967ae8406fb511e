"""The spec: every section together."""

from typing import Literal

from pydantic import (
    ConfigDict,
    Field,
)

from promgen.load.models.alerts import Alert, LogAlert
from promgen.load.models.base import Checks, Name, Strict, empty_dict, empty_list
from promgen.load.models.deploy import Dashboards, Kubernetes, Probes, Stack
from promgen.load.models.metrics import SLO, Metric
from promgen.load.models.routing import (
    AlertmanagerSettings,
    Channel,
    Severity,
    TimeInterval,
)
from promgen.load.models.service import (
    RemoteWrite,
    RuleGroups,
    Scrape,
    Service,
    Versions,
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
    checks: Checks = Field(default_factory=Checks, description="validate's checks this spec switches off, each with a reason")



def service_jobs(spec: Spec) -> tuple[str, ...]:
    """The jobs of `spec` that scrape the service itself (not an exporter beside it): alert
    templates' default jobs, the ServiceMonitor's endpoints."""
    return tuple(t.job for t in spec.scrape.targets if t.exporter is None)
