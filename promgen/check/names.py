"""Names that must be unique: alerts, SLOs, channels, metrics, severities and their aliases, jobs, and
alert names that clash with generated SLO alerts."""

from __future__ import annotations

from promgen.check.context import Context, slo_alert_names
from promgen.yamlio.reader import PathKey


def unique_names(ctx: Context) -> None:
    spec = ctx.spec
    ctx.duplicates("alerts", [a.name for a in spec.alerts], "alert name")
    ctx.duplicates("log_alerts", [a.name for a in spec.log_alerts], "log alert name")
    metric_alerts = {alert.name: index for index, alert in enumerate(spec.alerts)}
    for index, alert in enumerate(spec.log_alerts):
        if alert.name in metric_alerts:
            ctx.error(("log_alerts", index, "name"),
                       f"alert name {alert.name!r} is also an alert of `alerts` (alerts[{metric_alerts[alert.name]}])")
    ctx.duplicates("slos", [s.name for s in spec.slos], "SLO name")
    ctx.duplicates("channels", [c.name for c in spec.channels], "channel name")
    ctx.duplicates("metrics", [m.name for m in spec.metrics], "metric")
    ctx.duplicates("severities", [s.name for s in spec.severities], "severity name")
    jobs = [t.job for t in spec.scrape.targets]
    seen: dict[str, int] = {}
    for index, job in enumerate(jobs):
        if job in seen:
            ctx.error(("scrape", "targets", index, "job"), f"duplicate job {job!r}")
        seen.setdefault(job, index)
    owner: dict[str, str] = {s.name: s.name for s in spec.severities}
    written: dict[str, PathKey] = {s.name: ("severities", i, "name") for i, s in enumerate(spec.severities)}
    for index, severity in enumerate(spec.severities):
        for alias_index, alias in enumerate(severity.aliases):
            here: PathKey = ("severities", index, "aliases", alias_index)
            if alias in owner and owner[alias] != severity.name or alias == severity.name:
                file, line, column = ctx.doc.positions.locate(written.get(alias, here), ctx.doc.file)
                ctx.error(here, f"alias {alias!r} already names severity {owner.get(alias, alias)!r} "
                                f"({file}:{line}:{column}), in service {spec.service.name}'s severities")
            owner.setdefault(alias, severity.name)
            written.setdefault(alias, here)
    generated = {
        name
        for slo in spec.slos
        for name in slo_alert_names(slo)
    }
    named: list[tuple[str, list[str]]] = [("alerts", [a.name for a in spec.alerts]),
                                          ("log_alerts", [a.name for a in spec.log_alerts])]
    for section, names in named:
        for index, name in enumerate(names):
            if name in generated:
                ctx.error((section, index, "name"), f"alert name {name!r} clashes with a generated SLO alert")

