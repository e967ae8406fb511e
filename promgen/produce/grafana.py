"""grafana/: dashboards (overview, SLO, custom) and the provisioning files that load them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promgen.core import conventions
from promgen.core.memo import ByObject
from promgen.core.stack import Stack
from promgen.derive.grafana import dashboards as grafana
from promgen.produce.parts.keys import service_reads
from promgen.produce.registry import Output, service_weight
from promgen.produce.templates import render_template


@dataclass(frozen=True)
class Part:
    service: int | None  # None: what the stack shares (data sources, providers, the fleet dashboard)


def files(stack: Stack) -> Output:
    return assemble(stack, [part(stack, p) for p in parts(stack)])


def parts(stack: Stack) -> list[Part]:
    """The shared part, then one per service (a service's dashboards read that service only)."""
    return [Part(None), *(Part(number) for number in range(len(stack.services)))]


def reads(stack: Stack, which: Part, documents: list[Any]) -> Any:
    return None if which.service is None else service_reads(stack, which.service, documents)


def weight(stack: Stack, which: Part) -> int:
    return 1 if which.service is None else service_weight(stack, which.service)


def prepare(stack: Stack, which: Part) -> None:
    """A service's dashboards and their texts, which its runbook pages and Kubernetes ConfigMaps read
    too: made before the workers fork (registry.produce_all), so that every worker inherits them."""
    prepare_dashboards(stack, which.service)


def prepare_dashboards(stack: Stack, service: int | None) -> None:
    """The `prepare` of a part that reads the dashboards of service `service` (None: no service's):
    derived and written out once (both are memoised)."""
    if service is not None:
        for dashboard in grafana.service_dashboards(stack.services[service])[0]:
            dashboard_text(dashboard)


def part(stack: Stack, which: Part) -> Output:
    if which.service is None:
        out: dict[str, str] = {
            conventions.GRAFANA_DATASOURCES_FILE: render_template(
                "grafana/datasources.yml.j2", header=stack.header, datasources=grafana.datasources(stack)
            ),
            conventions.GRAFANA_DASHBOARD_PROVIDER_FILE: render_template(
                "grafana/dashboards.yml.j2",
                header=stack.header,
                providers=grafana.providers(stack),
                path=conventions.GRAFANA_DASHBOARDS_MOUNT,
                by_service=stack.fleet,
            ),
        }
        out.update({path: dashboard_text(board) for path, board in grafana.fleet_files(stack).items()})
        return Output(files=out)
    found, notes = grafana.service_files(stack, which.service)
    return Output(files={path: dashboard_text(dashboard) for path, dashboard in found.items()}, notes=notes)


def assemble(stack: Stack, outputs: list[Output]) -> Output:
    """The parts' files; the services' notes in order. Two dashboards of one uid are an error (the
    spec checks reject them first; never overwrite silently)."""
    shared, *services = outputs
    assembled = Output(files=dict(shared.files))
    uids: set[str] = set()
    dashboards = 0
    for output in [*services, shared]:
        assembled.files.update(output.files)
        assembled.notes += output.notes
        for path in output.files:
            if path.startswith(conventions.GRAFANA_DASHBOARDS_DIR + "/") and path.endswith(".json"):
                uid = path.rsplit("/", 1)[1].removesuffix(".json")
                if uid in uids:
                    raise ValueError(f"two dashboards have the uid {uid!r}")
                uids.add(uid)
                dashboards += 1
    # One column in the render summary: "dashboards" (a panels count would widen the shared table).
    assembled.stats["dashboards"] = dashboards
    return assembled


# Dashboard texts by dashboard object: the Kubernetes output writes the same dashboards (derived once
# per model) into ConfigMaps, and the SLO dashboard of a thousand SLOs takes seconds to write out.
_TEXTS: ByObject[str] = ByObject(64)


def dashboard_text(dashboard: dict[str, Any]) -> str:
    """The dashboard's JSON file, written once per dashboard object."""
    return _TEXTS.get(dashboard, lambda: render_template("grafana/dashboard.json.j2", dashboard=dashboard))
