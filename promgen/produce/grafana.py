"""grafana/: dashboards (overview, SLO, custom) and the provisioning files that load them."""

from __future__ import annotations

from promgen import conventions
from promgen.derive import grafana
from promgen.outputs import Output
from promgen.render import render_template
from promgen.stack import Stack


def files(stack: Stack) -> Output:
    data = grafana.derive(stack)
    out: dict[str, str] = {
        conventions.GRAFANA_DATASOURCES_FILE: render_template(
            "grafana/datasources.yml.j2", header=stack.header, datasources=data.datasources
        ),
        conventions.GRAFANA_DASHBOARD_PROVIDER_FILE: render_template(
            "grafana/dashboards.yml.j2",
            header=stack.header,
            providers=data.providers,
            path=conventions.GRAFANA_DASHBOARDS_MOUNT,
            by_service=stack.fleet,
        ),
    }
    for path, dashboard in data.dashboards.items():
        out[path] = render_template("grafana/dashboard.json.j2", dashboard=dashboard)
    # One column in the render summary: "dashboards" (a panels count would widen the shared table).
    return Output(files=out, notes=data.notes, stats={"dashboards": len(data.dashboards)})
