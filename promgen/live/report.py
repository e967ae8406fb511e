"""A `promgen check --prometheus` report as tables (rich) for people, or JSON for machines."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import IO, Any

from promgen.errors import printable
from promgen.live.results import Report
from promgen.load.units import format_duration


def as_json(report: Report) -> dict[str, Any]:
    return {
        "prometheus": report.url,
        "version": report.version,
        "since": report.since,
        "start": report.start,
        "end": report.end,
        "retention_seconds": report.retention_s,
        "ok": report.errors == 0,
        "selectors": [{
            "selector": r.selector.text, "metric": r.selector.metric, "now": r.now, "since": r.since,
            "pending": r.selector.pending, "jobs": list(r.selector.jobs),
            "read_by": [{"what": reader.what, **_place(reader.place)} for reader in r.selector.readers],
        } for r in report.selectors],
        "alerts": [{
            "service": r.rule.service, "alert": r.rule.name, "severity": r.rule.severity, "fired": r.fired,
            "firing_seconds": r.firing_s, "longest_seconds": r.longest_s, "series": r.series,
            "interval_seconds": r.rule.interval_s, "for_seconds": r.rule.for_s,
            "evaluated_from_expressions": list(r.substituted), **_place(r.rule.place),
        } for r in report.alerts],
        "slos": [{
            "service": r.slo.service, "slo": r.slo.name, "objective": r.slo.objective, "window": r.slo.window,
            "budget_remaining": r.budget_remaining, "error_ratio": r.ratios,
            "burn_rate": {window: r.burn(window) for window in r.ratios}, **_place(r.slo.place),
        } for r in report.slos],
        "groups": [{
            "group": r.group.name, "service": r.group.service, "rules": len(r.group.exprs), "samples": r.samples,
            "over_budget": r.samples is not None and r.samples > report.sample_budget,
            "rules_reading_unrecorded_series": r.not_recorded,
        } for r in report.groups],
        "problems": [{"level": f.level, "message": f.message, **_place(f.place)} for f in report.findings],
    }


def write_json(report: Report, stream: IO[str]) -> None:
    json.dump(as_json(report), stream, indent=2)
    stream.write("\n")


def _place(place: Any) -> dict[str, Any]:
    return {"file": place.file, "line": place.line, "column": place.column}


def write_text(report: Report, stream: IO[str]) -> None:
    """The tables, then the problems one `file:line:col: message` line each (never wrapped, so
    editors and CI annotations read them), then the count."""
    import io

    from rich.console import Console

    tables = io.StringIO()
    terminal = stream.isatty()
    console = Console(file=tables, width=None if terminal else 160, force_terminal=terminal, highlight=False,
                      markup=False, soft_wrap=False)
    _tables(report, console)
    for line in tables.getvalue().splitlines():
        stream.write(line.rstrip() + "\n")
    for finding in report.findings:
        stream.write(printable(finding.render()) + "\n")
    errors = report.errors
    warnings = sum(f.level == "warning" for f in report.findings)
    stream.write(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}\n")


def _tables(report: Report, console: Any) -> None:
    from rich.table import Table

    ended = datetime.fromtimestamp(report.end, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    kept = f", keeps {format_duration(int(report.retention_s * 1000))}" if report.retention_s else ""
    console.print(printable(f"Prometheus {report.url} ({report.version}{kept}): the last {report.since} to {ended}"))

    dead = sum(r.since == 0 and not r.selector.pending for r in report.selectors)
    table = Table(title=f"Series: {len(report.selectors)} selectors, {dead} match nothing", title_justify="left")
    for column, justify in (("selector", "left"), ("now", "right"), (report.since, "right"), ("read by", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    order = sorted(report.selectors, key=lambda r: (r.since != 0, r.since is not None, r.selector.text))
    for r in order:
        state = " (pending)" if r.selector.pending else ""
        readers = ", ".join(reader.what for reader in r.selector.readers[:2])
        more = f" +{len(r.selector.readers) - 2}" if len(r.selector.readers) > 2 else ""
        table.add_row(printable(r.selector.text) + state, _count(r.now), _count(r.since), printable(readers) + more)
    console.print(table)

    table = Table(title=f"Backtest: how often each alert would have fired over the last {report.since}",
                  title_justify="left")
    for column, justify in (("service", "left"), ("alert", "left"), ("severity", "left"), ("fired", "right"),
                            ("firing", "right"), ("longest", "right"), ("evaluated on", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for alert in sorted(report.alerts, key=lambda alert: (-alert.fired, alert.rule.service, alert.rule.name, alert.rule.severity)):
        source = "rule expressions (recording rules not deployed)" if alert.substituted else "series on the server"
        table.add_row(alert.rule.service, alert.rule.name, alert.rule.severity, str(alert.fired), _span(alert.firing_s),
                      _span(alert.longest_s), source)
    console.print(table)

    if report.slos:
        windows = sorted({w for slo in report.slos for w in slo.ratios if w != slo.slo.window}, key=_seconds)
        table = Table(title="SLOs now: error budget left over each SLO's window, burn rate per window",
                      title_justify="left")
        for column in ("service", "SLO", "objective", "budget left", *(f"burn {w}" for w in windows)):
            table.add_column(column, justify="left" if column in ("service", "SLO") else "right")
        for slo in report.slos:
            left = "no events" if slo.budget_remaining is None else f"{slo.budget_remaining:.1%} of {slo.slo.window}"
            burns = [_burn(slo.burn(w)) if w in slo.ratios else "" for w in windows]
            table.add_row(slo.slo.service, slo.slo.name, f"{slo.slo.objective * 100:.6g}%", left, *burns)
        console.print(table)

    table = Table(title=f"Rule groups: samples one evaluation reads (budget {report.sample_budget:,})",
                  title_justify="left")
    for column, justify in (("group", "left"), ("rules", "right"), ("samples", "right"), ("note", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for group in sorted(report.groups, key=lambda group: (-(group.samples or 0), group.group.name)):
        notes = []
        if group.samples is not None and group.samples > report.sample_budget:
            notes.append("over budget")
        if group.not_recorded:
            notes.append(f"{group.not_recorded} read recorded series not on the server yet")
        table.add_row(group.group.name, str(len(group.group.exprs)), "?" if group.samples is None else f"{group.samples:,}",
                      "; ".join(notes))
    console.print(table)


def _count(value: int | None) -> str:
    return "failed" if value is None else str(value)


def _span(seconds: float) -> str:
    return "-" if seconds == 0 else format_duration(int(seconds * 1000))


def _burn(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2f}x"


def _seconds(window: str) -> int:
    from promgen.load.units import parse_duration

    return parse_duration(window)
