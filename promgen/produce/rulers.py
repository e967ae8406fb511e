"""Opt-in outputs (`render --only mimir` / `--only vmrule`): each service's rule groups for the
Mimir/Cortex ruler and for VictoriaMetrics' operator."""

from __future__ import annotations

from promgen import conventions
from promgen.derive import prometheus as rules
from promgen.derive import rulers
from promgen.model import Model
from promgen.outputs import Output
from promgen.render import render_template
from promgen.stack import Stack


def _groups(stack: Stack) -> list[tuple[Model, list[rules.Group]]]:
    found: list[tuple[Model, list[rules.Group]]] = []
    for model in stack.services:
        interval = rules.group_interval(model, stack)
        groups = [{**group, "interval": interval} if interval else group
                  for rule_file in rules.rule_files(model) for group in rule_file.groups]
        found.append((model, groups))
    return found


def mimir(stack: Stack) -> Output:
    output = Output()
    for model, groups in _groups(stack):
        if groups:
            output.files[conventions.mimir_rules_file(model.service)] = render_template(
                "rulers/mimir.yaml.j2", header=model.header_for("prometheus"),
                namespace=rulers.mimir_namespace(model, groups), rules_dir=conventions.rules_dir(model.service))
            output.stats["groups"] = output.stats.get("groups", 0) + len(groups)
    return output


def vmrule(stack: Stack) -> Output:
    output = Output()
    for model, groups in _groups(stack):
        if groups:
            output.files[conventions.vmrule_file(model.service)] = render_template(
                "rulers/vmrule.yaml.j2", header=model.header_for("prometheus"),
                obj=rulers.vmrule(model, groups), rules_dir=conventions.rules_dir(model.service))
            output.stats["groups"] = output.stats.get("groups", 0) + len(groups)
    return output
