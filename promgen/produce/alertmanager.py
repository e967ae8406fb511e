"""alertmanager/alertmanager.yml: route tree by service and severity, receivers, inhibit rules, time intervals."""

from __future__ import annotations

from promgen.core import conventions
from promgen.core.stack import Stack
from promgen.derive.alertmanager import config as alertmanager_config
from promgen.derive.alertmanager import routes as alertmanager_routes
from promgen.produce.registry import Output
from promgen.produce.templates import render_template


def files(stack: Stack) -> Output:
    config = alertmanager_config.derive_stack(stack)
    text = render_template(
        "alertmanager/alertmanager.yml.j2",
        header=stack.header_for("alertmanager"),
        global_=config.global_,
        route=config.route,
        default_receiver=config.tree.receiver,
        by_service=stack.fleet,
        inhibit_rules=config.inhibit_rules,
        time_intervals=config.time_intervals,
        receivers=config.receivers,
    )
    notes = [
        f"{model.service + ': ' if stack.fleet else ''}{where} is longer than Alertmanager's default "
        "--data.retention of 120h, which resends after 120h; run alertmanager with a longer --data.retention"
        for model in stack.services
        for where in alertmanager_routes.beyond_retention(model)
    ]
    if stack.options.receivers_to:
        notes.append(f"every receiver posts to {stack.options.receivers_to}")
    stats = {"routes": config.tree.count(), "receivers": len(config.receivers)}
    return Output(files={conventions.ALERTMANAGER_FILE: text}, notes=notes, stats=stats)
