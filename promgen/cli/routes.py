"""`promgen routes SPEC... label=value...`: the receivers an alert with these labels reaches.

Walks the route tree promgen writes to alertmanager.yml (derive.alertmanager.stack_route_tree) with
Alertmanager's own matching algorithm, so it answers as `amtool config routes test` does on the
rendered file, without amtool or a render.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from promgen.derive.alertmanager import config as alertmanager_config
from promgen.derive.alertmanager import matchers, routes
from promgen.derive.alertmanager.routes import Route


def split_arguments(items: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Specs (files and directories) and labels: an argument naming an existing path, or a YAML file,
    is a spec; any other is a label (so a malformed label is reported as one)."""
    specs: list[Path] = []
    labels: list[str] = []
    for item in items:
        if Path(item).exists() or item.endswith((".yaml", ".yml")):
            specs.append(Path(item))
        else:
            labels.append(item)
    return specs, labels


def parse_labels(items: Sequence[str]) -> dict[str, str]:
    """`name=value` pairs (value optionally quoted, as amtool takes them); ValueError when malformed."""
    labels: dict[str, str] = {}
    for item in items:
        try:
            matcher = matchers.parse_matcher(item)
        except ValueError:
            matcher = None
        if matcher is None or matcher.op != "=":
            raise ValueError(f"{item!r} is not a label: write name=value, e.g. severity=critical")
        if matcher.name in labels:
            raise ValueError(f"label {matcher.name!r} is given twice")
        labels[matcher.name] = matcher.value
    return labels


def _describe(route: Route, root: bool) -> str:
    """A route as one line: its matchers (`*` matches every alert), receiver and settings."""
    matchers = "{" + ", ".join(str(m) for m in route.matchers) + "}" if route.matchers else "*"
    parts = ["root" if root else matchers]
    if route.receiver is not None:
        parts.append(f"-> {route.receiver}")
    if route.continue_:
        parts.append("continue")
    if route.group_by is not None:
        parts.append(f"group_by=[{', '.join(route.group_by)}]")
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if getattr(route, key) is not None:
            parts.append(f"{key}={getattr(route, key)}")
    if route.active_time_intervals:
        parts.append(f"during={','.join(route.active_time_intervals)}")
    return "  ".join(parts)


Responses = Mapping[tuple[str, str], str]  # (service, severity) -> what its people agreed to


def _equal(route: Route, name: str) -> str | None:
    """The value `route` requires of label `name`; for a severity with aliases (`=~"critical|P0"`) its name."""
    for matcher in route.matchers:
        if matcher.name == name and matcher.op == "=":
            return matcher.value
        if matcher.name == name and matcher.op == "=~":
            return matcher.value.split("|")[0]
    return None


def format_tree(root: Route, reached: Sequence[Route] = (), responses: Responses | None = None) -> list[str]:
    """The route tree, one route a line, in the order Alertmanager tries them; `reached` marked, and a
    severity's route followed by its response expectations when the spec states them."""
    lines: list[str] = []

    def walk(route: Route, prefix: str, branch: str, services: tuple[str, ...]) -> None:
        mark = "  <- reached" if any(route is r for r in reached) else ""
        service = _equal(route, "service")
        if service is not None:
            services = (service,)
        severity = _equal(route, "severity")
        response = next((responses[s, severity] for s in services if (s, severity) in responses), None) \
            if responses and severity else None
        note = f"  ({response})" if response else ""
        lines.append(f"{prefix}{branch}{_describe(route, route is root)}{note}{mark}")
        below = prefix + ("" if not branch else ("    " if branch.startswith("└") else "│   "))
        for index, child in enumerate(route.routes):
            walk(child, below, "└── " if index == len(route.routes) - 1 else "├── ", services)

    walk(root, "", "", tuple(service for service, _severity in (responses or {})))
    return lines


def unmatched_labels(root: Route, labels: Mapping[str, str]) -> list[str]:
    """A hint for each given label no route matches on but one is named like (`sevrity=critical`):
    the alert is routed as if it had not been given, which is rarely what was meant."""
    from promgen.load.suggest import did_you_mean

    names: set[str] = set()
    pending = [root]
    while pending:
        route = pending.pop()
        names.update(m.name for m in route.matchers)
        pending.extend(route.routes)
    known = sorted(names)
    # a label no route reads is common (alertname, instance); one spelt like a routed label is a typo
    return [f"hint: no route matches on label {name!r} (routes match on: {', '.join(known)}), so it does not change "
            f"where the alert goes{did_you_mean(name, known)}"
            for name in labels if name not in names and did_you_mean(name, known)]


def answer(root: Route, labels: Mapping[str, str], tree: bool, responses: Responses | None = None) -> list[str]:
    matches = routes.matching_routes(root, labels)
    if tree:
        return format_tree(root, [m.route for m in matches] if labels else [], responses)
    return [m.receiver for m in matches]


def run(spec_paths: Sequence[Path], labels: Mapping[str, str], *, tree: bool = False) -> int:
    from promgen.cli.render import load_stack

    stack, _warnings = load_stack(list(spec_paths))
    responses = {(model.service, severity.name): text for model in stack.services for severity in model.spec.severities
                 if (text := model.response(severity.name))}
    root = alertmanager_config.stack_route_tree(stack)
    for hint in unmatched_labels(root, labels):
        print(hint, file=sys.stderr)
    for line in answer(root, labels, tree, responses):
        print(line)
    return 0
