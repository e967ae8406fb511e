"""Opt-in outputs (`render --only mimir` / `--only vmrule`): each service's rule groups for the
Mimir/Cortex ruler and for VictoriaMetrics' operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model
from promgen.core.stack import Stack
from promgen.derive.prometheus import rulers
from promgen.derive.prometheus.config import Group
from promgen.produce.registry import Output
from promgen.produce.templates import render_template


def mimir(stack: Stack) -> Output:
    return _per_service(stack, conventions.mimir_rules_file, "rulers/mimir.yaml.j2", rulers.mimir_namespace)


def vmrule(stack: Stack) -> Output:
    return _per_service(stack, conventions.vmrule_file, "rulers/vmrule.yaml.j2", rulers.vmrule)


def _per_service(stack: Stack, path_of: Callable[[str], str], template: str,
                 document: Callable[[Model, list[Group]], dict[str, Any]]) -> Output:
    """One file per service that has rules: `document` of its groups laid out by `template`."""
    output = Output()
    for model in stack.services:
        groups = rulers.groups(model)
        if not groups:
            continue
        output.files[path_of(model.service)] = render_template(
            template, header=model.header_for("prometheus"), document=document(model, groups),
            rules_dir=conventions.rules_dir(model.service))
        output.stats["groups"] = output.stats.get("groups", 0) + len(groups)
    return output
