"""Where the stack runs and what it shows: probes, dashboards, the compose stack and Kubernetes."""

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
    model_validator,
)

from promgen.load.models.base import (
    INT32_MAX,
    HostPort,
    SecretFile,
    Strict,
    empty_dict,
    empty_list,
)
from promgen.load.units import Duration, Size
from promgen.load.urls import ProbeURL

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
