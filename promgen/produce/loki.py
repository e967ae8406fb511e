"""loki/rules/<service>.rules.yml: each service's log alerts, for Loki's ruler (the local stack's
Loki mounts the folder; `lokitool rules sync` loads it into another Loki)."""

from __future__ import annotations

from promgen.core import conventions
from promgen.core.stack import Stack
from promgen.derive import loki
from promgen.produce.registry import Output
from promgen.produce.templates import render_template


def files(stack: Stack) -> Output:
    output = Output(stats={"log alerts": 0})
    for model in stack.services:
        groups = loki.rule_groups(model)
        if not groups:
            continue
        sections = tuple((f"Log alerts of {model.service} (LogQL, evaluated by Loki's ruler)", group) for group in groups)
        output.files[conventions.loki_rules_file(model.service)] = render_template(
            "prometheus/rules.yml.j2", header=model.header, sections=sections)
        output.stats["log alerts"] += sum("alert" in rule for group in groups for rule in group["rules"])
        if model.spec.stack.logs == "loki":
            prefix = f"{model.service}: " if stack.fleet else ""
            output.notes += [prefix + note for note in loki.local_label_notes(model)]
    return output
