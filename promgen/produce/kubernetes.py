"""kubernetes/: the Deployment probe patch and the Prometheus Operator objects.

ServiceMonitor, PrometheusRule, Probe and AlertmanagerConfig restate the Prometheus and
Alertmanager outputs for a cluster run by the Prometheus Operator; each file only exists when
the spec has something for it (probes, scrape targets, rules, external probes, channels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model
from promgen.core.stack import Stack
from promgen.derive import kubernetes as k8s
from promgen.derive.alertmanager import config as am
from promgen.derive.grafana import dashboards as grafana
from promgen.derive.prometheus import config as prom
from promgen.load.models import DashboardConfigMaps
from promgen.produce.grafana import dashboard_text, prepare_dashboards
from promgen.produce.parts.keys import service_reads
from promgen.produce.registry import Output, service_weight
from promgen.produce.templates import render_template
from promgen.yamlio.writer import dump_yaml


def _namespace_flag(model: Model) -> str:
    namespace = model.spec.kubernetes.namespace
    return f" -n {namespace}" if namespace else ""


def _deployment_patch(model: Model, files: dict[str, str]) -> None:
    patch = k8s.deployment_patch(model)
    if patch is None:
        return
    container = patch["spec"]["template"]["spec"]["containers"][0]
    files[conventions.KUBERNETES_DEPLOYMENT_PATCH_FILE] = render_template(
        "kubernetes/deployment-patch.yaml.j2",
        header=model.header,
        patch=patch,
        deployment=patch["metadata"]["name"],
        container=container["name"],
        namespace_flag=_namespace_flag(model),
    )


def _service_monitor(model: Model, files: dict[str, str]) -> None:
    obj = k8s.service_monitor(model)
    if obj is None:
        return
    files[conventions.KUBERNETES_SERVICE_MONITOR_FILE] = render_template(
        "kubernetes/servicemonitor.yaml.j2",
        header=model.header,
        obj=obj,
        port=model.spec.kubernetes.service_monitor.port,
        several=len(obj["spec"]["endpoints"]) > 1,
    )


def _prometheus_rule(model: Model, files: dict[str, str]) -> None:
    obj = k8s.prometheus_rule(model, prom.rule_groups(model))
    if obj is None:
        return
    files[conventions.KUBERNETES_PROMETHEUS_RULE_FILE] = render_template(
        "kubernetes/prometheusrule.yaml.j2",
        header=model.header_for("prometheus"),
        obj=obj,
        rules_dir=conventions.rules_dir(model.service),
    )


def _probes(model: Model, files: dict[str, str]) -> int:
    objects = k8s.probes(model)
    if objects:
        files[conventions.KUBERNETES_PROBE_FILE] = render_template(
            "kubernetes/probe.yaml.j2",
            header=model.header,
            objects=objects,
            prober=model.spec.kubernetes.blackbox_exporter,
            blackbox_file=conventions.BLACKBOX_CONFIG_FILE,
            job=model.blackbox_job,
        )
    return len(objects)


def _alertmanager_config(model: Model, files: dict[str, str], notes: list[str], fleet: bool) -> None:
    if not model.spec.channels:
        return
    config = am.derive(model)
    obj, caveats = k8s.alertmanager_config(
        model, config.route, config.receivers, config.inhibit_rules, config.time_intervals, config.global_
    )
    keys = k8s.secret_keys(model, config.receivers, config.global_)
    secret = k8s.secret_name(model)
    namespace = model.spec.kubernetes.namespace
    files[conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE] = render_template(
        "kubernetes/alertmanagerconfig.yaml.j2",
        header=model.header_for("alertmanager"),
        obj=obj,
        keys=keys,
        secret=secret,
        namespace_note=f" in namespace {namespace}" if namespace else "",
        namespace_flag=_namespace_flag(model),
        # in a stack of several services, secrets/ holds every service's: name this one's only
        from_files=" ".join(f"--from-file={conventions.SECRETS_DIR}/{key}" for key in keys) if fleet
        else f"--from-file={conventions.SECRETS_DIR}/",
        caveats=caveats,
    )
    notes.extend(f"{conventions.KUBERNETES_ALERTMANAGER_CONFIG_FILE}: {caveat}" for caveat in caveats)


def _dashboard_objects(model: Model, dashboards: list[dict[str, Any]], notes: list[str],
                       folder: str | None = None, app: str | None = None) -> list[dict[str, Any]]:
    """A ConfigMap per dashboard; one over the API server's 1 MiB is left out with a note saying so."""
    objects = []
    for dashboard in dashboards:
        text = dashboard_text(dashboard)
        obj = k8s.dashboard_config_map(model, dashboard["uid"], text, folder, app)
        size = len(dump_yaml(obj).encode("utf-8"))
        if size > conventions.CONFIG_MAP_MAX_BYTES:
            notes.append(f"dashboard {dashboard['uid']} is {size / 1024 / 1024:.1f} MiB as a ConfigMap, over the "
                         "1 MiB the API server accepts: not written; load it from grafana/dashboards/ with the "
                         "dashboard provider, or give its SLOs to dashboards of their own")
            continue
        objects.append(obj)
    return objects


def _config_maps_file(header: str, settings: DashboardConfigMaps, objects: list[dict[str, Any]]) -> str:
    return render_template(
        "kubernetes/grafana-dashboards.yaml.j2", header=header, objects=objects,
        selector=", ".join(f"{key}={value}" for key, value in settings.labels.items()),
        folder_annotation=settings.folder_annotation,
    )


def _dashboard_config_maps(model: Model, files: dict[str, str], notes: list[str]) -> int:
    settings = model.spec.kubernetes.dashboards
    if not settings.enabled:
        return 0
    dashboards, _notes = grafana.service_dashboards(model)
    objects = _dashboard_objects(model, dashboards, notes)
    if objects:
        files[conventions.KUBERNETES_DASHBOARDS_FILE] = _config_maps_file(model.header, settings, objects)
    return len(objects)


def _fleet_dashboard(stack: Stack, output: Output) -> None:
    """The fleet dashboard, with the first service's namespace, labels and sidecar settings."""
    first = stack.services[0]
    if not first.spec.kubernetes.dashboards.enabled:
        return
    objects = _dashboard_objects(first, [grafana.fleet_dashboard(stack)], output.notes,
                                 folder=conventions.FLEET_GRAFANA_FOLDER, app=conventions.FLEET_DASHBOARD_UID)
    if objects:
        output.files[conventions.KUBERNETES_FLEET_DASHBOARD_FILE] = _config_maps_file(
            stack.header, first.spec.kubernetes.dashboards, objects)
        output.stats["objects"] += len(objects)


@dataclass(frozen=True)
class Part:
    service: int | None  # None: the fleet dashboard's ConfigMap (a stack of several services)


def files(stack: Stack) -> Output:
    """Each service's objects; with several services, each under kubernetes/<service>/."""
    return assemble(stack, [part(stack, p) for p in parts(stack)])


def parts(stack: Stack) -> list[Part]:
    """One part per service (its objects read that service only), then the fleet's."""
    return [*(Part(number) for number in range(len(stack.services))), Part(None)]


def reads(stack: Stack, which: Part, documents: list[Any]) -> Any:
    return None if which.service is None else service_reads(stack, which.service, documents)


def weight(stack: Stack, which: Part) -> int:
    return 1 if which.service is None else service_weight(stack, which.service)


def prepare(stack: Stack, which: Part) -> None:
    """A service's ConfigMaps hold its dashboards (grafana.prepare)."""
    prepare_dashboards(stack, which.service)


def part(stack: Stack, which: Part) -> Output:
    output = Output(stats={"objects": 0})
    if which.service is None:
        if stack.fleet:
            _fleet_dashboard(stack, output)
        return output
    model = stack.services[which.service]
    found: dict[str, str] = {}
    notes: list[str] = []
    _deployment_patch(model, found)
    _service_monitor(model, found)
    _prometheus_rule(model, found)
    probes = _probes(model, found)
    _alertmanager_config(model, found, notes, stack.fleet)
    dashboards = _dashboard_config_maps(model, found, notes)
    # every other file holds one object
    output.stats["objects"] += len(found) - (1 if probes else 0) + probes - (1 if dashboards else 0) + dashboards
    if stack.fleet:
        found = {conventions.kubernetes_file(path, model.service): text for path, text in found.items()}
        notes = [f"{model.service}: {conventions.kubernetes_file(note, model.service)}" for note in notes]
    output.files.update(found)
    output.notes += notes
    return output


def assemble(stack: Stack, outputs: list[Output]) -> Output:
    assembled = Output(stats={"objects": 0})
    for output in outputs:
        assembled.files.update(output.files)
        assembled.notes += output.notes
        assembled.stats["objects"] += output.stats["objects"]
    return assembled
