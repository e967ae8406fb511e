"""alertmanager/alertmanager.yml: route tree by severity, receivers, inhibit rules, time intervals."""

from __future__ import annotations

from promgen import conventions
from promgen.derive import alertmanager
from promgen.model import Model
from promgen.outputs import Output
from promgen.render import render_template


def files(model: Model) -> Output:
    config = alertmanager.derive(model)
    text = render_template(
        "alertmanager/alertmanager.yml.j2",
        header=model.header_for("alertmanager"),
        global_=config.global_,
        route=config.route,
        default_receiver=config.tree.receiver,
        inhibit_rules=config.inhibit_rules,
        time_intervals=config.time_intervals,
        receivers=config.receivers,
    )
    notes = [
        f"{where} is longer than Alertmanager's default --data.retention of 120h, "
        "which resends after 120h; run alertmanager with a longer --data.retention"
        for where in alertmanager.beyond_retention(model)
    ]
    if model.options.receivers_to:
        notes.append(f"every receiver posts to {model.options.receivers_to}")
    stats = {"routes": config.tree.count(), "receivers": len(config.receivers)}
    return Output(files={conventions.ALERTMANAGER_FILE: text}, notes=notes, stats=stats)
