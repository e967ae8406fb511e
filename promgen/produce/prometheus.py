"""The Prometheus output: prometheus.yml, the rule file and its promtool unit tests."""

from __future__ import annotations

from promgen import conventions
from promgen.derive import prometheus as derive
from promgen.derive import rule_tests
from promgen.model import Model
from promgen.outputs import Output
from promgen.render import render_template


def files(model: Model) -> Output:
    sections = derive.rule_sections(model)
    groups = [group for _, group in sections]
    synthesis = rule_tests.synthesise(model, groups)
    service = model.service
    rendered = {
        conventions.PROMETHEUS_CONFIG_FILE: render_template(
            "prometheus/prometheus.yml.j2", header=model.header_for("prometheus"), config=derive.config(model)
        ),
        conventions.rules_file(service): render_template(
            "prometheus/rules.yml.j2", header=model.header_for("prometheus"), sections=sections
        ),
        conventions.tests_file(service): render_template(
            "prometheus/tests.yml.j2", header=model.header_for("prometheus"), tests=rule_tests.test_file(model, synthesis, groups),
            untested=synthesis.untested,
        ),
    }
    stats = derive.counts(groups)
    stats["tests"] = len(synthesis.cases)
    notes = [f"untested: {entry}" for entry in synthesis.untested] + derive.label_notes(groups)
    return Output(files=rendered, notes=notes, stats=stats)
