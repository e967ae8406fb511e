"""Kubernetes objects as plain data: the Deployment probe patch and the Prometheus Operator objects.

Pure: the model (and, for PrometheusRule and AlertmanagerConfig, the data the Prometheus and
Alertmanager outputs derive) in, dicts out. The operator objects restate what the other outputs
say, never decide anything of their own: the PrometheusRule carries the rule file's groups, the
AlertmanagerConfig the alertmanager.yml route tree, translated to the CRDs' field names.
"""

from __future__ import annotations

import re
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive import blackbox
from promgen.errors import OutputError
from promgen.load.models import HttpProbe, Probes, ScrapeTarget
from promgen.load.units import Duration

MONITORING_V1 = "monitoring.coreos.com/v1"
MONITORING_V1ALPHA1 = "monitoring.coreos.com/v1alpha1"
PROBE_KINDS = ("liveness", "readiness", "startup")
_RE2_META = set("\\.+*?()|[]{}^$")


def metadata(model: Model, name: str, extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Name, namespace (when the spec sets one) and labels of an object promgen manages."""
    settings = model.spec.kubernetes
    labels = {"app.kubernetes.io/name": model.service, "app.kubernetes.io/managed-by": "promgen"}
    labels.update(settings.labels)
    labels.update(extra_labels or {})
    meta: dict[str, Any] = {"name": name}
    if settings.namespace:
        meta["namespace"] = settings.namespace
    meta["labels"] = labels
    return meta


def whole_seconds(duration: Duration, what: str) -> int:
    """Kubernetes probe timings are integer seconds; `validate` rejects anything else first."""
    seconds, rest = divmod(duration.ms, 1000)
    if rest:
        raise OutputError(f"{what} is {duration}: Kubernetes probe timings are whole seconds")
    return seconds


# --- the Deployment patch -------------------------------------------------------------------


def http_probe(kind: str, probe: HttpProbe, probes: Probes) -> dict[str, Any]:
    """A container probe (core/v1 Probe) with an httpGet handler."""
    where = f"probes.{kind}"
    return {
        "httpGet": {"path": probe.path, "port": probe.port or probes.port, "scheme": probes.scheme},
        "initialDelaySeconds": whole_seconds(probe.initial_delay, f"{where}.initial_delay"),
        "periodSeconds": whole_seconds(probe.period, f"{where}.period"),
        "timeoutSeconds": whole_seconds(probe.timeout, f"{where}.timeout"),
        "failureThreshold": probe.failure_threshold,
        "successThreshold": probe.success_threshold,
    }


def deployment_patch(model: Model) -> dict[str, Any] | None:
    """A strategic-merge patch adding the spec's probes to one container (merged by container name)."""
    probes = model.spec.probes
    if probes is None or all(getattr(probes, kind) is None for kind in PROBE_KINDS):
        return None
    settings = model.spec.kubernetes
    container: dict[str, Any] = {"name": settings.container or model.service}
    for kind in PROBE_KINDS:
        probe = getattr(probes, kind)
        if probe is not None:
            container[f"{kind}Probe"] = http_probe(kind, probe, probes)
    meta: dict[str, Any] = {"name": settings.deployment or model.service}
    if settings.namespace:
        meta["namespace"] = settings.namespace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


# --- ServiceMonitor and Probe ---------------------------------------------------------------


def _re2_escape(text: str) -> str:
    return "".join("\\" + char if char in _RE2_META else char for char in text)


def _hosts(target: ScrapeTarget) -> list[str]:
    return list(dict.fromkeys(address.rsplit(":", 1)[0] for address in target.static))


def endpoint(model: Model, target: ScrapeTarget, several: bool) -> dict[str, Any]:
    """One ServiceMonitor endpoint per scrape target; relabelings keep the spec's job label.

    With several targets every endpoint keeps only the Services named like the hosts of its
    static addresses (`api:8000` -> the Service `api`), so each job scrapes its own Service.
    """
    scrape = model.spec.scrape
    found: dict[str, Any] = {
        "port": model.spec.kubernetes.service_monitor.port,
        "path": target.path,
        "scheme": target.scheme,
        "interval": str(target.interval or scrape.interval),
    }
    timeout = target.timeout or scrape.timeout
    if timeout is not None:
        found["scrapeTimeout"] = str(timeout)
    relabelings: list[dict[str, Any]] = []
    if several:
        relabelings.append(
            {
                "sourceLabels": ["__meta_kubernetes_service_name"],
                "regex": "|".join(_re2_escape(host) for host in _hosts(target)),
                "action": "keep",
            }
        )
    labels = {"job": target.job, **target.labels}
    relabelings.extend({"targetLabel": key, "replacement": value, "action": "replace"} for key, value in labels.items())
    found["relabelings"] = relabelings
    return found


def service_monitor(model: Model) -> dict[str, Any] | None:
    """The service's Service scraped at each of its own jobs' paths; an exporter's job (`exporter:`)
    is not a port of that Service (its chart brings its own ServiceMonitor)."""
    targets = [target for target in model.spec.scrape.targets if target.exporter is None]
    if not targets:
        return None
    settings = model.spec.kubernetes.service_monitor
    selector = settings.selector or {"app.kubernetes.io/name": model.service}
    return {
        "apiVersion": MONITORING_V1,
        "kind": "ServiceMonitor",
        "metadata": metadata(model, model.service, settings.labels),
        "spec": {
            "selector": {"matchLabels": dict(selector)},
            "endpoints": [endpoint(model, target, len(targets) > 1) for target in targets],
        },
    }


def probes(model: Model) -> list[dict[str, Any]]:
    """One Probe per blackbox module, probing the spec's external URLs through the exporter Service."""
    job = model.blackbox_job
    if job is None:
        return []
    prober = {"url": model.spec.kubernetes.blackbox_exporter, "scheme": "http", "path": "/probe"}
    interval = (model.spec.probes.interval if model.spec.probes else None) or model.spec.scrape.interval
    return [
        {
            "apiVersion": MONITORING_V1,
            "kind": "Probe",
            "metadata": metadata(model, conventions.kubernetes_probe_name(model.service, module)),
            "spec": {
                "jobName": job,
                "interval": str(interval),
                "module": module,
                "prober": prober,
                "targets": {"staticConfig": {"static": urls}},
            },
        }
        for module, urls in blackbox.targets_by_module(model).items()
    ]


# --- PrometheusRule ---------------------------------------------------------------------------


def prometheus_rule(model: Model, groups: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The rule file's groups, unchanged: PrometheusRule rules use Prometheus' own field names."""
    if not groups:
        return None
    return {
        "apiVersion": MONITORING_V1,
        "kind": "PrometheusRule",
        "metadata": metadata(model, model.service),
        "spec": {"groups": groups},
    }


# --- AlertmanagerConfig -----------------------------------------------------------------------

# alertmanager.yml field -> AlertmanagerConfig (v1alpha1) field. A field missing here fails the
# render loudly rather than vanishing from the cluster's routing.
_ROUTE_FIELDS = {
    "receiver": "receiver",
    "matchers": "matchers",
    "continue": "continue",
    "group_by": "groupBy",
    "group_wait": "groupWait",
    "group_interval": "groupInterval",
    "repeat_interval": "repeatInterval",
    "active_time_intervals": "activeTimeIntervals",
    "mute_time_intervals": "muteTimeIntervals",
    "routes": "routes",
}
_RECEIVER_KINDS = {
    "email_configs": "emailConfigs",
    "slack_configs": "slackConfigs",
    "pagerduty_configs": "pagerdutyConfigs",
    "webhook_configs": "webhookConfigs",
    "opsgenie_configs": "opsgenieConfigs",
    "webex_configs": "webexConfigs",
    "msteams_configs": "msteamsConfigs",
    "msteamsv2_configs": "msteamsv2Configs",
    "discord_configs": "discordConfigs",
    "telegram_configs": "telegramConfigs",
    "rocketchat_configs": "rocketchatConfigs",
}
# Receivers the AlertmanagerConfig CRD has no integration for: the receiver stays (routes name it),
# without the integration, and the file's header says so.
_NO_CRD_KIND = {"jira_configs": "Jira"}
_PLAIN_FIELDS = {
    "send_resolved": "sendResolved",
    "to": "to",
    "from": "from",
    "text": "text",
    "channel": "channel",
    "username": "username",
    "color": "color",
    "title": "title",
    "description": "description",
    "message": "message",
    "url": "url",
    "max_alerts": "maxAlerts",
    "api_url": "apiURL",
    "room_id": "roomID",
    "responders": "responders",
    "chat_id": "chatID",
    "parse_mode": "parseMode",
}
# Secrets: a *_file path in alertmanager.yml, a SecretKeySelector in the cluster.
_SECRET_FIELDS = {
    "api_url_file": "apiURL",
    "routing_key_file": "routingKey",
    "service_key_file": "serviceKey",
    "api_key_file": "apiKey",
    "bot_token_file": "botToken",
    "token_file": "token",
    "token_id_file": "tokenID",
    "url_file": "urlSecret",
}
# Where the CRD spells a secret differently for one receiver kind.
_SECRET_FIELDS_BY_KIND = {
    "msteams_configs": {"webhook_url_file": "webhookUrl"},
    "msteamsv2_configs": {"webhook_url_file": "webhookURL"},
    "discord_configs": {"webhook_url_file": "apiURL"},
}
_KEY_VALUE_FIELDS = {"headers": "headers", "details": "details"}
# alertmanager.yml's global smtp_* settings; the CRD has no global section, so each email config carries them.
_SMTP_FIELDS = {
    "smtp_smarthost": "smarthost",
    "smtp_from": "from",
    "smtp_auth_username": "authUsername",
    "smtp_require_tls": "requireTLS",
}


def secret_name(model: Model) -> str:
    return model.spec.kubernetes.alertmanager_secret or conventions.alertmanager_secret(model.service)


def secret_ref(model: Model, path: str) -> dict[str, str]:
    """The Secret key standing in for a secret file: the file's name, in the service's one Secret."""
    return {"name": secret_name(model), "key": conventions.secret_key(path)}


def secret_keys(model: Model, receivers: list[dict[str, Any]], global_: dict[str, Any]) -> list[str]:
    """Every key the AlertmanagerConfig expects in its Secret, sorted (for the docs and the file header)."""
    paths = [value for _, value in _walk_files(receivers)]
    if "smtp_auth_password_file" in global_:
        paths.append(global_["smtp_auth_password_file"])
    return sorted({conventions.secret_key(path) for path in paths})


def _walk_files(value: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_file") and isinstance(item, str):
                found.append((key, item))
            else:
                found.extend(_walk_files(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_walk_files(item))
    return found


def crd_matcher(text: str) -> dict[str, Any]:
    from promgen.derive.alertmanager.matchers import parse_matcher

    matcher = parse_matcher(text)
    return {"name": matcher.name, "value": matcher.value, "matchType": matcher.op}


def crd_route(route: dict[str, Any]) -> dict[str, Any]:
    """An alertmanager.yml route (and its children) with the CRD's field names and matcher objects."""
    result: dict[str, Any] = {}
    for key, value in route.items():
        if key not in _ROUTE_FIELDS:
            raise OutputError(f"AlertmanagerConfig: no translation for the route field {key!r}")
        if key == "matchers":
            value = [crd_matcher(text) for text in value]
        elif key == "routes":
            value = [crd_route(child) for child in value]
        result[_ROUTE_FIELDS[key]] = value
    return result


def _http_config(model: Model, config: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in config.items():
        if key == "authorization" and set(value) <= {"type", "credentials_file"}:
            result["authorization"] = {
                "type": value.get("type", "Bearer"),
                "credentials": secret_ref(model, value["credentials_file"]),
            }
        else:
            raise OutputError(f"AlertmanagerConfig: no translation for the http_config field {key!r}")
    return result


def crd_integration(model: Model, kind: str, config: dict[str, Any], global_: dict[str, Any]) -> dict[str, Any]:
    """One receiver integration (a slack config, an email config, ...) in the CRD's spelling."""
    result: dict[str, Any] = {}
    secrets = {**_SECRET_FIELDS, **_SECRET_FIELDS_BY_KIND.get(kind, {})}
    for key, value in config.items():
        if key in _PLAIN_FIELDS:
            result[_PLAIN_FIELDS[key]] = value
        elif key in secrets:
            result[secrets[key]] = secret_ref(model, value)
        elif key in _KEY_VALUE_FIELDS:
            result[_KEY_VALUE_FIELDS[key]] = [{"key": k, "value": v} for k, v in value.items()]
        elif key == "http_config":
            result["httpConfig"] = _http_config(model, value)
        else:
            raise OutputError(f"AlertmanagerConfig: no translation for the {kind} field {key!r}")
    if kind == "email_configs":
        for key, field in _SMTP_FIELDS.items():
            if key in global_:
                result.setdefault(field, global_[key])
        if "smtp_auth_password_file" in global_:
            result["authPassword"] = secret_ref(model, global_["smtp_auth_password_file"])
    return result


def crd_receiver(
    model: Model, receiver: dict[str, Any], global_: dict[str, Any], caveats: list[str] | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {"name": receiver["name"]}
    for key, configs in receiver.items():
        if key == "name":
            continue
        if key in _NO_CRD_KIND:
            if caveats is not None:
                caveats.append(f"receiver {receiver['name']}: the CRD has no {_NO_CRD_KIND[key]} integration, so "
                               "this receiver notifies nobody here (alertmanager.yml has it)")
            continue
        if key not in _RECEIVER_KINDS:
            raise OutputError(f"AlertmanagerConfig: no translation for the receiver kind {key!r}")
        result[_RECEIVER_KINDS[key]] = [crd_integration(model, key, config, global_) for config in configs]
    return result


def _day_range(text: str) -> dict[str, int]:
    start, _, end = text.partition(":")
    return {"start": int(start), "end": int(end or start)}


def crd_time_interval(interval: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(a CRD TimeInterval, its time zone or None): the CRD has no `location`, its times are UTC."""
    result: dict[str, Any] = {}
    for key, value in interval.items():
        if key == "times":
            result["times"] = [{"startTime": span["start_time"], "endTime": span["end_time"]} for span in value]
        elif key == "days_of_month":
            result["daysOfMonth"] = [_day_range(text) for text in value]
        elif key in ("weekdays", "months", "years"):
            result[key] = value
        elif key != "location":
            raise OutputError(f"AlertmanagerConfig: no translation for the time interval field {key!r}")
    return result, interval.get("location")


def alertmanager_config(
    model: Model,
    route: dict[str, Any],
    receivers: list[dict[str, Any]],
    inhibit_rules: list[dict[str, Any]],
    time_intervals: list[dict[str, Any]],
    global_: dict[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    """(the AlertmanagerConfig object, caveats for its header) from alertmanager.yml's sections."""
    caveats: list[str] = []
    mute_intervals: list[dict[str, Any]] = []
    for entry in time_intervals:
        converted = []
        for interval in entry["time_intervals"]:
            crd, location = crd_time_interval(interval)
            converted.append(crd)
            if location not in (None, "UTC"):
                caveats.append(
                    f"time interval {entry['name']}: the CRD has no time zone, so its times are UTC here "
                    f"(alertmanager.yml reads them in {location})"
                )
        mute_intervals.append({"name": entry["name"], "timeIntervals": converted})
    spec: dict[str, Any] = {"route": crd_route(route)}
    spec["receivers"] = [crd_receiver(model, receiver, global_, caveats) for receiver in receivers]
    if inhibit_rules:
        spec["inhibitRules"] = [
            {
                "sourceMatch": [crd_matcher(text) for text in rule["source_matchers"]],
                "targetMatch": [crd_matcher(text) for text in rule["target_matchers"]],
                "equal": rule["equal"],
            }
            for rule in inhibit_rules
        ]
    if mute_intervals:
        spec["muteTimeIntervals"] = mute_intervals
    obj = {
        "apiVersion": MONITORING_V1ALPHA1,
        "kind": "AlertmanagerConfig",
        "metadata": metadata(model, model.service),
        "spec": spec,
    }
    return obj, caveats


def config_map_name(uid: str) -> str:
    """A dashboard's ConfigMap: `grafana-dashboard-<uid>`, lowercase, `_` as `-` (a DNS subdomain)."""
    return "grafana-dashboard-" + re.sub(r"[^a-z0-9-]", "-", uid.lower()).strip("-")


def dashboard_config_map(model: Model, uid: str, text: str, folder: str | None = None,
                         app: str | None = None) -> dict[str, Any]:
    """One dashboard, as the Grafana sidecar loads it: a ConfigMap with the sidecar's label whose one
    key is `<uid>.json`, the dashboard's JSON exactly as grafana/dashboards/ holds it. `app` names
    what the dashboard belongs to when it is not the service (the fleet dashboard)."""
    settings = model.spec.kubernetes.dashboards
    meta = metadata(model, config_map_name(uid), dict(settings.labels))
    if app:
        meta["labels"]["app.kubernetes.io/name"] = app
    if settings.folder_annotation:
        meta["annotations"] = {settings.folder_annotation: folder or settings.folder or model.service}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {f"{uid}.json": text}}
