"""The Prometheus output: prometheus.yml, the service's rule files and their promtool unit tests."""

from __future__ import annotations

from promgen import conventions
from promgen.derive import prometheus as derive
from promgen.derive.test_layout import test_files
from promgen.model import Model
from promgen.outputs import Output
from promgen.render import render_template


def files(model: Model) -> Output:
    header = model.header_for("prometheus")
    rule_files = derive.rule_files(model)
    rendered = {
        conventions.PROMETHEUS_CONFIG_FILE: render_template(
            "prometheus/prometheus.yml.j2", header=header, config=derive.config(model)
        ),
    }
    for rule_file in rule_files:
        rendered[rule_file.path] = render_template("prometheus/rules.yml.j2", header=header, sections=rule_file.sections)
    cases, untested = 0, []
    for test in test_files(model, rule_files):
        rendered[test.path] = render_template("prometheus/tests.yml.j2", header=header, tests=test.data,
                                              untested=test.untested)
        cases += test.cases
        untested += test.untested
    groups = [group for rule_file in rule_files for group in rule_file.groups]
    stats = derive.counts(groups)
    stats["tests"] = cases
    notes = [f"untested: {entry}" for entry in untested] + derive.label_notes(groups)
    return Output(files=rendered, notes=notes, stats=stats)
