"""prometheus.yml and the rule file as plain data.

`rule_groups` is also what the Kubernetes PrometheusRule carries, so both stay the same rules.
"""

from __future__ import annotations

import posixpath
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from promgen.core import conventions
from promgen.core.model import Model, ResolvedAlert, per_model
from promgen.core.stack import Stack
from promgen.derive import blackbox
from promgen.derive.prometheus import slo as slo_rules
from promgen.derive.prometheus.promql_labels import dropped_labels
from promgen.load.units import Duration, format_duration, parse_duration

Rule = dict[str, Any]
Item = TypeVar("Item")
Group = dict[str, Any]


# --- prometheus.yml --------------------------------------------------------------------------


def config(model: Model) -> dict[str, Any]:
    spec = model.spec
    scrape = spec.scrape
    compressed = model.options.compressed  # --compress-time: faster clocks, never below 1s
    global_: dict[str, Any] = {"scrape_interval": str(compressed(scrape.interval))}
    if scrape.timeout is not None:
        global_["scrape_timeout"] = str(compressed(scrape.timeout))
    global_["evaluation_interval"] = str(model.evaluation_interval)
    global_["external_labels"] = {"service": model.service, "environment": spec.service.environment}
    data: dict[str, Any] = {
        "global": global_,
        "rule_files": rule_file_names(model),
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [model.options.alertmanager]}]}]},
        "scrape_configs": scrape_configs(model),
    }
    if spec.remote_write:
        data["remote_write"] = remote_write(model)
    return data


def stack_config(stack: Stack) -> dict[str, Any]:
    """prometheus.yml of a stack: one service's own config, or every service's jobs and rule files
    under the first service's global settings (a job of a service scraping at another interval or
    timeout says so itself; `group_interval` does the same for rule groups)."""
    if not stack.fleet:
        return config(stack.first)
    data = config(stack.first)
    environments = {model.spec.service.environment for model in stack.services}
    data["global"]["external_labels"] = {"environment": environments.pop()} if len(environments) == 1 else {}
    if not data["global"]["external_labels"]:
        del data["global"]["external_labels"]
    data["rule_files"] = [name for model in stack.services for name in rule_file_names(model)]
    jobs: list[dict[str, Any]] = []
    remote: list[dict[str, Any]] = []
    for model in stack.services:
        scrape = model.spec.scrape
        # Prometheus' default timeout is 10s, and never longer than the interval
        timeout = scrape.timeout or min(scrape.interval, Duration("10s"), key=lambda d: d.ms)
        for job in scrape_configs(model):
            for key, own in (("scrape_interval", scrape.interval), ("scrape_timeout", timeout)):
                value = str(model.options.compressed(own))
                if key not in job and value != data["global"].get(key, "10s" if key == "scrape_timeout" else None):
                    job = {**job, key: value}
            jobs.append(job)
        remote += [entry for entry in remote_write(model) if entry not in remote]
    data["scrape_configs"] = jobs
    if remote:
        data["remote_write"] = remote
    else:
        data.pop("remote_write", None)
    return data


def group_interval(model: Model, stack: Stack) -> str | None:
    """The `interval` a service's rule groups need in a stack whose global evaluation interval is
    another service's (None when they agree)."""
    own = str(model.evaluation_interval)
    return own if stack.fleet and own != str(stack.first.evaluation_interval) else None


def scrape_configs(model: Model) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    overrides, compressed = model.options.targets, model.options.compressed
    for target in model.spec.scrape.targets:
        job: dict[str, Any] = {"job_name": target.job, "metrics_path": target.path, "scheme": target.scheme}
        if target.interval is not None:
            job["scrape_interval"] = str(compressed(target.interval))
        if target.timeout is not None:
            job["scrape_timeout"] = str(compressed(target.timeout))
        if target.tls is not None:
            job["tls_config"] = {key: value for key, value in target.tls.model_dump().items()
                                 if value is not None and value is not False}
        if target.bearer_token_file is not None:
            job["authorization"] = {"credentials_file": target.bearer_token_file}
        static: dict[str, Any] = {"targets": list(overrides.get(target.job, target.static))}
        if target.labels:
            static["labels"] = dict(target.labels)
        job["static_configs"] = [static]
        jobs.append(job)
    blackbox = blackbox_job(model)
    if blackbox is not None:
        jobs.append(blackbox)
    return jobs


def _probe_url(url: str, hosts: dict[str, str]) -> str:
    """`url` with its host:port replaced when `hosts` maps it (a URL without a port has its scheme's)."""
    if not hosts:
        return url
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    moved = hosts.get(address)
    if moved is None:
        return url
    userinfo = parts.netloc.rpartition("@")[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{userinfo}@{moved}" if userinfo else moved))


def blackbox_job(model: Model) -> dict[str, Any] | None:
    """One job probing every external URL through the blackbox exporter.

    The job's `params` name the first probe's module; URLs probed with another module set
    `__param_module` on their target group, which Prometheus sends as the `module` parameter.
    """
    name = model.blackbox_job
    probes = model.spec.probes
    if name is None or probes is None:
        return None
    by_module: dict[str, list[str]] = {}
    for probe in probes.external_probes:
        by_module.setdefault(blackbox.module_of(probe)[0], []).append(_probe_url(probe.url, model.options.probe_hosts))
    default = next(iter(by_module))
    static: list[dict[str, Any]] = []
    for module, urls in by_module.items():
        group: dict[str, Any] = {"targets": urls}
        if module != default:
            group["labels"] = {"__param_module": module}
        static.append(group)
    job: dict[str, Any] = {"job_name": name, "metrics_path": "/probe"}
    if probes.interval is not None:
        interval = model.options.compressed(probes.interval)
        job["scrape_interval"] = str(interval)
        # Prometheus' default timeout is 10s, and never longer than the interval
        timeout = model.spec.scrape.timeout or Duration("10s")
        job["scrape_timeout"] = str(min(model.options.compressed(timeout), interval, key=lambda d: d.ms))
    return {
        **job,
        "params": {"module": [default]},
        "static_configs": static,
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": model.options.blackbox_exporter},
        ],
    }


def remote_write(model: Model) -> list[dict[str, Any]]:
    """Long-term stores; credentials only as files, never inline."""
    entries: list[dict[str, Any]] = []
    for target in model.spec.remote_write:
        entry: dict[str, Any] = {"url": target.url}
        if target.name:
            entry["name"] = target.name
        if target.bearer_token_file:
            entry["authorization"] = {"type": "Bearer", "credentials_file": target.bearer_token_file}
        if target.basic_auth:
            entry["basic_auth"] = {
                "username": target.basic_auth.username,
                "password_file": target.basic_auth.password_file,
            }
        entries.append(entry)
    return entries


# --- rules -----------------------------------------------------------------------------------


def alert_rule(alert: ResolvedAlert) -> Rule:
    rule: Rule = {"alert": alert.name, "expr": alert.expr}
    if alert.for_.ms:
        rule["for"] = str(alert.for_)
    if alert.keep_firing_for is not None and alert.keep_firing_for.ms:
        rule["keep_firing_for"] = str(alert.keep_firing_for)
    rule["labels"] = dict(alert.labels)
    rule["annotations"] = dict(alert.annotations)
    return rule


def chunks(items: Sequence[Item], size: int = conventions.MAX_RULES_PER_GROUP) -> list[list[Item]]:
    """`items` cut into groups of at most `size`, in order (a service's alerts into rule files)."""
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


@dataclass(frozen=True)
class RuleFile:
    """One rule file: its path below the output directory and its groups, each with a one-line comment."""

    path: str
    sections: tuple[tuple[str, Group], ...]

    @property
    def groups(self) -> list[Group]:
        return [group for _, group in self.sections]


def rule_file_names(model: Model) -> list[str]:
    """The service's rule files as prometheus.yml lists them (relative to it): each by name, never a
    glob, so that a file promgen did not write is never loaded."""
    return [posixpath.relpath(path, posixpath.dirname(conventions.PROMETHEUS_CONFIG_FILE))
            for path in rule_file_paths(model)]


def rule_file_paths(model: Model) -> list[str]:
    """The paths of `rule_files`, in its order, without deriving a rule: the local stack's
    prometheus.yml lists them for models of its own (a thousand SLOs' rules take half a second)."""
    return ([conventions.slo_rules_file(model.service, slo.name) for slo in model.spec.slos]
            + [conventions.alert_rules_file(model.service, part) for part in range(1, len(chunks(model.alerts)) + 1)])


@per_model
def rule_files(model: Model) -> list[RuleFile]:
    """The service's rule files: one per SLO (its recording rules, then its alerts) and one per group
    of the spec's alerts (at most MAX_RULES_PER_GROUP rules each). Small files keep promtool's tests
    linear: a test loads only the files its alert needs, and promtool evaluates every rule of the
    files it loads at every step."""
    files: list[RuleFile] = []
    for index, slo in enumerate(model.spec.slos):
        plan = slo_rules.plan(model, index)
        about = f"SLO {slo.name}: {slo_rules.decimal_text(plan.objective * 100)}% over {plan.window}"
        sections = [(
            f"{about}; error ratio over each burn-rate window, objective, budget and budget remaining",
            _group(model, conventions.slo_recording_group(model.service, slo.name), slo_rules.recording_rules(model, plan)),
        )]
        alert_rules = slo_rules.alert_rules(model, plan)
        if alert_rules:
            sections.append((
                f"{about}; multiwindow multi-burn-rate alerts on the recorded error ratios",
                _group(model, conventions.slo_alert_group(model.service, slo.name), alert_rules),
            ))
        files.append(RuleFile(conventions.slo_rules_file(model.service, slo.name), tuple(sections)))
    parts = chunks([alert_rule(alert) for alert in model.alerts])
    for part, rules in enumerate(parts, start=1):
        note = f" (part {part} of {len(parts)})" if len(parts) > 1 else ""
        section = (f"Alerts of the spec{note}", _group(model, conventions.alert_group(model.service, part), rules))
        files.append(RuleFile(conventions.alert_rules_file(model.service, part), (section,)))
    return files


def _group(model: Model, name: str, rules: list[Rule]) -> Group:
    """A rule group with the service's group settings (rules: labels, query_offset, limit)."""
    settings = model.spec.rules
    group: Group = {"name": name}
    if settings.query_offset is not None:
        group["query_offset"] = str(model.options.compressed(settings.query_offset))
    if settings.limit:
        group["limit"] = settings.limit
    if settings.labels:
        group["labels"] = dict(settings.labels)
    group["rules"] = [escalated for rule in rules for escalated in (rule, *escalation_copies(model, rule))]
    return group


def escalation_copies(model: Model, rule: Rule) -> list[Rule]:
    """The escalation copy of an alert rule whose severity escalates: the same condition, pending
    `after` longer, labelled so the escalation route (and only it) takes it. Alertmanager has no
    notion of time since an alert started; Prometheus' `for` does."""
    severity = rule.get("labels", {}).get("severity") if "alert" in rule else None
    if severity is None or severity not in model.severity_of:
        return []
    escalation = model.severity(severity).escalate
    if escalation is None:
        return []
    after = model.options.compressed(escalation.after).ms
    copy: Rule = {}
    for key, value in rule.items():
        if key == "labels":
            copy["for"] = format_duration(parse_duration(rule.get("for", "0s")) + after)
            copy["labels"] = {**value, conventions.ESCALATED_LABEL: conventions.ESCALATED_VALUE}
        elif key != "for":
            copy[key] = value
    return [copy]


def rule_groups(model: Model) -> list[Group]:
    """Every group of every rule file, in file order (what a Kubernetes PrometheusRule carries)."""
    return [group for rule_file in rule_files(model) for group in rule_file.groups]


def counts(groups: list[Group]) -> dict[str, int]:
    rules = [rule for group in groups for rule in group["rules"]]
    alerts = sum("alert" in rule for rule in rules)
    return {"rules": len(rules), "alerts": alerts, "recording rules": len(rules) - alerts}


def label_notes(groups: list[Group]) -> list[str]:
    """Alerts whose annotations use a label their expression's aggregation drops (it renders empty)."""
    notes: list[str] = []
    for group in groups:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            set_by_rule = rule.get("labels", {})
            for label in dropped_labels(rule["expr"], rule.get("annotations", {})):
                if label in set_by_rule:  # $labels also holds the rule's own labels
                    continue
                notes.append(
                    f"{rule['alert']}: its annotations use {{{{ $labels.{label} }}}}, which its expression does not keep;"
                    f" it renders empty (aggregate with `by ({label})` to keep it)"
                )
    return notes
