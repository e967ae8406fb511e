"""What `promgen check` asks: the plan of a stack (selectors with the place that reads them, alert
rules as written, recorded series and their expressions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promgen.cli.render import source_name
from promgen.core.model import build_model
from promgen.judge.promql import parsed
from promgen.live.plan import Plan, plan, ranges_s, recorded_selectors, substituted
from promgen.load.inputs import load_all
from tests.support import ROOT


def _plan(*paths: Path) -> Plan:
    specs, _warnings = load_all(list(paths))
    return plan([(build_model(loaded.spec, source_name(path)), loaded) for path, loaded in specs])


@pytest.fixture(scope="module")
def platform() -> Plan:
    return _plan(ROOT / "examples" / "platform")


def test_every_alert_evaluates_from_raw_series_when_no_rule_is_deployed(platform: Plan) -> None:
    burns = [rule for rule in platform.alerts if recorded_selectors(rule.expr, platform.recorded)]
    assert burns, "the platform's SLOs alert on recorded ratios"
    for rule in platform.alerts:
        expr = substituted(rule.expr, platform.recorded, lambda selector: False)
        parsed(expr)  # valid PromQL
        assert "slo:" not in expr, (rule.name, expr)


def test_a_recorded_series_the_server_has_is_read_as_it_is(platform: Plan) -> None:
    rule = next(rule for rule in platform.alerts if recorded_selectors(rule.expr, platform.recorded))
    assert substituted(rule.expr, platform.recorded, lambda selector: True) == rule.expr


def test_chained_windows_are_replaced_by_the_exact_ones(platform: Plan) -> None:
    for name, by_labels in platform.recorded.items():
        if name.startswith("slo:sli_error:ratio_rate"):
            for expr in by_labels.values():
                assert "slo:" not in expr, (name, expr)  # from the raw series, not from a recorded rate


def test_selectors_say_who_reads_them_and_where(platform: Plan) -> None:
    texts = {s.text: s for s in platform.selectors}
    assert not any(text.startswith(("slo:", "ALERTS")) for text in texts), "series the stack's rules write are not asked"
    backlog = texts["queue_depth"]
    readers = [r.what for r in backlog.readers]
    assert readers[0] == "automation-orchestrator: alert QueueNotProcessing"  # in the spec's order
    assert {"automation-orchestrator: alert QueueBacklog", "automation-orchestrator: panel Production Monitoring / "
            "Queue depth"} <= set(readers)
    place = backlog.readers[0].place
    line = (ROOT / place.file).read_text(encoding="utf-8").splitlines()[place.line - 1]
    assert "queue_depth" in line[place.column - 1:]


def test_an_exporters_metric_is_expected_from_every_job_of_the_stack_that_scrapes_the_exporter(platform: Plan) -> None:
    node = next(s for s in platform.selectors if s.metric.startswith("node_filesystem"))
    assert len(node.jobs) > 1 and all(job.endswith("-node") for job in node.jobs)


def test_ranges_include_their_offset() -> None:
    assert ranges_s('rate(a[5m] offset 1h) + max_over_time(b[1d:1m])') == [3900.0, 86400.0]


def test_rules_and_slo_windows_reading_past_the_retention_are_warned_about(platform: Plan) -> None:
    from promgen.live.results import Report
    from promgen.live.run import _retention_findings

    report = Report("http://prometheus", "3.5.3", "7d", 0, 0, retention_s=2 * 86400, sample_budget=1)
    found = _retention_findings(platform, report)
    assert found and all(f.level == "warning" and "the server keeps 2d of samples" in f.message for f in found)
    groups = {f.message.split()[2] for f in found if f.message.startswith("rule group")}
    assert any(group.endswith("-recording") for group in groups)  # the 3d and 30d windows
    assert _retention_findings(platform, Report("http://prometheus", "3.5.3", "7d", 0, 0, 400 * 86400, 1)) == []
