"""What is collected and how: scrape and evaluation intervals, remote_write, rule-group settings the
target Prometheus must have, declared metrics, exporters' jobs, Kubernetes probes and secret files."""

from __future__ import annotations

from promgen.check.context import RESERVED_ALERT_LABELS, Context
from promgen.yamlio.reader import PathKey


def _local_collisions(ctx: Context) -> None:
    """Two jobs the compose stack would scrape at one address read one process twice: on a developer's
    machine the services listen on different ports (`local_port`)."""
    from promgen.derive.compose.local import local_addresses

    jobs = [t.job for t in ctx.spec.scrape.targets]
    seen: dict[str, str] = {}
    for job, addresses in local_addresses(ctx.spec).items():
        for address in addresses:
            if address in seen:
                index = jobs.index(job)
                where = "local_port" if ctx.spec.scrape.targets[index].local_port is not None else "static"
                ctx.warn(("scrape", "targets", index, where),
                         f"the compose stack would scrape jobs {seen[address]} and {job} both at {address}, one "
                         f"process: set `local_port` to the port {job} listens on on a developer's machine")
            seen.setdefault(address, job)


def scrape(ctx: Context) -> None:
    """A scrape timeout longer than its interval is refused by Prometheus."""
    scrape = ctx.spec.scrape
    if scrape.timeout is not None and scrape.timeout.ms > scrape.interval.ms:
        ctx.error(("scrape", "timeout"), f"scrape timeout {scrape.timeout} is longer than the interval {scrape.interval}")
    for index, target in enumerate(scrape.targets):
        interval = target.interval or scrape.interval
        timeout = target.timeout or scrape.timeout
        if timeout is not None and timeout.ms > interval.ms and (target.timeout or target.interval):
            field = "timeout" if target.timeout else "interval"
            ctx.error(("scrape", "targets", index, field),
                       f"scrape timeout {timeout} is longer than job {target.job}'s interval {interval}")
        if interval.ms == 0:
            ctx.error(("scrape", "targets", index, "interval"), "a scrape interval must be longer than 0")
    if scrape.interval.ms == 0:
        ctx.error(("scrape", "interval"), "a scrape interval must be longer than 0")
    probes = ctx.spec.probes
    if probes is not None and probes.interval is not None:
        if probes.interval.ms == 0:
            ctx.error(("probes", "interval"), "a probe interval must be longer than 0")
        elif scrape.timeout is not None and scrape.timeout.ms > probes.interval.ms:
            ctx.error(("probes", "interval"),
                       f"scrape timeout {scrape.timeout} is longer than the probes' interval {probes.interval}")
    if scrape.evaluation_interval is not None and scrape.evaluation_interval.ms == 0:
        ctx.error(("scrape", "evaluation_interval"), "an evaluation interval must be longer than 0")
    if ctx.spec.alertmanager.resolve_timeout.ms == 0:
        ctx.error(("alertmanager", "resolve_timeout"), "resolve_timeout must be longer than 0")
    _local_collisions(ctx)
    names: dict[str, int] = {}
    for index, remote in enumerate(ctx.spec.remote_write):
        if remote.name is None:
            continue
        if remote.name in names:
            ctx.error(("remote_write", index, "name"),
                       f"remote_write name {remote.name!r} is already remote_write[{names[remote.name]}]'s")
        names.setdefault(remote.name, index)


def rule_groups(ctx: Context) -> None:
    """Rule group settings and alert fields the target Prometheus must have."""
    settings = ctx.spec.rules
    gated = [("labels", "rule group labels", bool(settings.labels)),
             ("query_offset", "query_offset", settings.query_offset is not None)]
    for field, feature, used in gated:
        missing = ctx.targets.lacks(feature) if used else None
        if missing is not None:
            ctx.error(("rules", field), f"rules.{field} {missing}")
    for key, value in settings.labels.items():
        if key in RESERVED_ALERT_LABELS:
            ctx.error(("rules", "labels", key), f"label {key!r} is set by promgen; choose another name", at_key=True)
        if "{{" in value:  # whether Prometheus expands group labels differs by rule kind: keep them plain
            ctx.error(("rules", "labels", key), "a rule group label cannot hold {{")
    for index, alert in enumerate(ctx.spec.alerts):
        missing = ctx.targets.lacks("keep_firing_for") if alert.keep_firing_for is not None else None
        if missing is not None:
            ctx.error(("alerts", index, "keep_firing_for"), f"keep_firing_for {missing}")


def stack_exporters(ctx: Context) -> None:
    for exporter in ("postgres", "redis"):
        settings = getattr(ctx.spec.stack, exporter)
        if settings is not None and settings.job is not None:
            ctx.reference(("stack", exporter, "job"), settings.job, ctx.jobs, "job")


def service(ctx: Context) -> None:
    for key in ctx.spec.service.labels:
        if key in RESERVED_ALERT_LABELS:
            ctx.error(("service", "labels", key), f"label {key!r} is set by promgen; choose another name", at_key=True)
    service = ctx.spec.service
    if (ctx.spec.alerts or ctx.spec.slos) and service.runbook_url is None and service.runbook_base_url is None:
        ctx.warn(("service", "name"), f"alerts link their runbook as runbooks/{service.name}/<Alert>.md, a path that is "
                                      "no link in Slack, PagerDuty or email: set service.runbook_base_url to where the "
                                      "rendered runbooks/ folder is served (a repository's web view, e.g. "
                                      "https://github.com/ORG/REPO/blob/main/monitoring/runbooks), or "
                                      "service.runbook_url to a wiki page per alert ({alert} is its name)")


def metrics(ctx: Context) -> None:
    for index, metric in enumerate(ctx.spec.metrics):
        if metric.buckets is not None:
            if metric.type != "histogram":
                ctx.error(("metrics", index, "buckets"), f"buckets only go with histograms; {metric.name} is a {metric.type}")
            elif any(b >= a for b, a in zip(metric.buckets, metric.buckets[1:])):
                ctx.error(("metrics", index, "buckets"), "buckets must be strictly increasing")
        for label_index, label in enumerate(metric.labels):
            if label in ("le", "quantile") and metric.type in ("histogram", "summary"):
                ctx.error(("metrics", index, "labels", label_index), f"label {label!r} is reserved for {metric.type}s")
            if label.startswith("__"):
                ctx.error(("metrics", index, "labels", label_index), "label names starting with __ are reserved")


def probes(ctx: Context) -> None:
    """Kubernetes probe timings are whole seconds; external probes use blackbox modules promgen writes."""
    from promgen.derive.blackbox import MODULES

    probes = ctx.spec.probes
    if probes is None:
        return
    for kind in ("liveness", "readiness", "startup"):
        probe = getattr(probes, kind)
        if probe is None:
            continue
        for field in ("initial_delay", "period", "timeout"):
            value = getattr(probe, field)
            if value.ms % 1000:
                ctx.error(("probes", kind, field), f"{field} must be whole seconds: Kubernetes probe timings are integer seconds")
            elif field != "initial_delay" and value.ms == 0:
                ctx.error(("probes", kind, field), f"{field} must be at least 1s (Kubernetes rejects 0)")
        if kind != "readiness" and probe.success_threshold != 1:
            ctx.error(("probes", kind, "success_threshold"), f"a {kind} probe's success_threshold must be 1 (Kubernetes rejects any other)")
    for index, external in enumerate(probes.external_probes):
        ctx.reference(("probes", "external", index, "module"), external.module, MODULES, "blackbox module")


def secret_files(ctx: Context) -> None:
    """The compose stack mounts one secrets directory and the Kubernetes Secret keys secrets by file name."""
    from promgen.core.conventions import secret_key

    spec = ctx.spec
    found: list[tuple[PathKey, str]] = []
    for index, channel in enumerate(spec.channels):
        found.extend((("channels", index, key), value) for key, value in channel.model_dump().items()
                     if key.endswith("_file") and isinstance(value, str))
    smtp = spec.alertmanager.smtp
    if smtp is not None and smtp.auth_password_file:
        found.append((("alertmanager", "smtp", "auth_password_file"), smtp.auth_password_file))
    for index, remote in enumerate(spec.remote_write):
        if remote.bearer_token_file:
            found.append((("remote_write", index, "bearer_token_file"), remote.bearer_token_file))
        if remote.basic_auth is not None:
            found.append((("remote_write", index, "basic_auth", "password_file"), remote.basic_auth.password_file))
    first: dict[str, str] = {}
    for path, value in found:
        key = secret_key(value)
        if first.setdefault(key, value) != value:
            ctx.error(path, f"secret file {value} and {first[key]} have the same file name {key!r}; the compose "
                       "stack and the Kubernetes Secret tell secrets apart by file name, so rename one")

