"""Alertmanager's configuration as plain data for one service or a fleet: route tree, inhibit
rules, receivers, time intervals, global settings. Readable by Alertmanager 0.25 (the floor) and
later: `matchers` only, no `match`/`match_re`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promgen.core.model import Model
    from promgen.core.stack import Stack
from promgen.derive.alertmanager.matchers import Matcher
from promgen.derive.alertmanager.receivers import global_config, receivers
from promgen.derive.alertmanager.routes import (
    Route,
    inhibit_rules,
    route_tree,
    time_intervals,
)


@dataclass(frozen=True)
class AlertmanagerConfig:
    """Every section of alertmanager.yml, finished; the template only lays them out."""

    global_: dict[str, Any]
    tree: Route
    inhibit_rules: list[dict[str, Any]]
    time_intervals: list[dict[str, Any]]
    receivers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def route(self) -> dict[str, Any]:
        return self.tree.as_config()


def stack_route_tree(stack: Stack) -> Route:
    """The tree of a stack: a service's own tree, or below the root a route per service (matching
    `service="<svc>"`) holding that service's routes, with its grouping and timings where they
    differ from the root's (the first service's)."""
    trees = [route_tree(model) for model in stack.services]
    if not stack.fleet:
        return trees[0]
    # The root catches alerts of no service: it notifies the default most services share (the
    # first service's among equals), and groups and times as the first service does.
    defaults = [tree.receiver for tree in trees]
    root = replace(trees[0], receiver=max(dict.fromkeys(defaults), key=defaults.count))
    timings = ("group_by", "group_wait", "group_interval", "repeat_interval")
    children = tuple(
        Route(
            matchers=(Matcher("service", "=", model.service),),
            receiver=tree.receiver if tree.receiver != root.receiver else None,
            routes=tree.routes,
            origin=f"service {model.service}",
            **{key: getattr(tree, key) for key in timings if getattr(tree, key) != getattr(root, key)},
        )
        for model, tree in zip(stack.services, trees)
    )
    return replace(root, routes=children)


def stack_inhibit_rules(stack: Stack) -> list[dict[str, Any]]:
    """The severity ladders' inhibit rules; when the services' ladders differ, each service's rules
    carry its `service` matcher, so one service's ladder never mutes another's alerts."""
    per_service = [inhibit_rules(model) for model in stack.services]
    if all(rules == per_service[0] for rules in per_service):
        return per_service[0]
    found: list[dict[str, Any]] = []
    for model, rules in zip(stack.services, per_service):
        only = str(Matcher("service", "=", model.service))
        for rule in rules:
            found.append({**rule, "source_matchers": [only, *rule["source_matchers"]],
                          "target_matchers": [only, *rule["target_matchers"]]})
    return found


def derive_stack(stack: Stack) -> AlertmanagerConfig:
    """alertmanager.yml of a stack: one service's, or the services' trees under one root, every
    channel once, one list of time intervals."""
    if not stack.fleet:
        return derive(stack.first)
    found: list[dict[str, Any]] = []
    for model in stack.services:
        found += [receiver for receiver in receivers(model) if receiver["name"] not in {r["name"] for r in found}]
    intervals: list[dict[str, Any]] = []
    for model in stack.services:
        intervals += [entry for entry in time_intervals(model) if entry["name"] not in {i["name"] for i in intervals}]
    mailing = next((model for model in stack.services if model.spec.alertmanager.smtp is not None), stack.first)
    return AlertmanagerConfig(
        global_=global_config(mailing, found),
        tree=stack_route_tree(stack),
        inhibit_rules=stack_inhibit_rules(stack),
        time_intervals=intervals,
        receivers=found,
    )


def derive(model: Model) -> AlertmanagerConfig:
    found = receivers(model)
    return AlertmanagerConfig(
        global_=global_config(model, found),
        tree=route_tree(model),
        inhibit_rules=inhibit_rules(model),
        time_intervals=time_intervals(model),
        receivers=found,
    )
