"""The Prometheus output: prometheus.yml for the stack, and each service's rule files and their
promtool unit tests."""

from __future__ import annotations

from promgen.core import conventions
from promgen.core.model import Model
from promgen.core.stack import Stack
from promgen.derive.prometheus import config as derive
from promgen.produce.registry import Output
from promgen.produce.templates import render_template
from promgen.testgen.layout import test_files


def files(stack: Stack) -> Output:
    rendered = {
        conventions.PROMETHEUS_CONFIG_FILE: render_template(
            "prometheus/prometheus.yml.j2", header=stack.header_for("prometheus"), config=derive.stack_config(stack)
        ),
    }
    output = Output(files=rendered)
    for model in stack.services:
        _service_files(model, stack, output)
    return output


def _service_files(model: Model, stack: Stack, output: Output) -> None:
    header = model.header_for("prometheus")
    rule_files = derive.rule_files(model)
    interval = derive.group_interval(model, stack)
    for rule_file in rule_files:
        sections = tuple((comment, {**group, "interval": interval} if interval else group)
                         for comment, group in rule_file.sections)
        output.files[rule_file.path] = render_template("prometheus/rules.yml.j2", header=header, sections=sections)
    cases, untested = 0, []
    for test in test_files(model, rule_files):
        output.files[test.path] = render_template("prometheus/tests.yml.j2", header=header, tests=test.data,
                                                  untested=test.untested)
        cases += test.cases
        untested += test.untested
    groups = [group for rule_file in rule_files for group in rule_file.groups]
    for key, count in {**derive.counts(groups), "tests": cases}.items():
        output.stats[key] = output.stats.get(key, 0) + count
    prefix = f"{model.service}: " if stack.fleet else ""
    output.notes += [f"{prefix}untested: {entry}" for entry in untested]
    output.notes += [prefix + note for note in derive.label_notes(groups)]
