"""Custom dashboards: uids, panel queries and units."""

from __future__ import annotations

from promgen.check.context import Context
from promgen.check.promql.catalogue import custom_panel_queries
from promgen.core.conventions import custom_dashboard_uid, dashboard_uid
from promgen.judge.dashboards import rate_interval_problem, unit_known
from promgen.judge.promql import substitute_grafana_variables


def dashboards(ctx: Context) -> None:
    service = ctx.spec.service.name
    generated = [name for name in ctx.spec.dashboards.generate if name != "slo" or ctx.spec.slos]
    taken = {dashboard_uid(service, name): f"the generated {name} dashboard" for name in generated}
    for d, dashboard in enumerate(ctx.spec.dashboards.custom):
        uid = custom_dashboard_uid(service, dashboard.title, dashboard.uid)
        field = "uid" if dashboard.uid else "title"
        if uid in taken:
            ctx.error(("dashboards", "custom", d, field),
                       f"dashboard uid {uid!r} is already {taken[uid]}'s; give this dashboard another {field}")
        taken.setdefault(uid, f"dashboards.custom[{d}]")
        for p, panel in enumerate(dashboard.panels):
            if not unit_known(panel.unit):
                ctx.warn(("dashboards", "custom", d, "panels", p, "unit"),
                         f"{panel.unit!r} is not a Grafana unit id (e.g. s, ms, bytes, reqps, percentunit, short)")
    for query in custom_panel_queries(ctx.spec):
        ctx.promql(query.path, substitute_grafana_variables(query.expr), query.expr)
        problem = rate_interval_problem(query.expr)
        if problem:
            ctx.warn(query.path, f"{problem} (it covers at least four scrapes at any zoom)")

