"""The dashboard judge catches what it claims to: each rule is shown a broken dashboard (or
provisioning file) and must name the fault. Without these, a judge that passes everything would
make every test in test_grafana.py meaningless."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from promgen.core import conventions
from promgen.derive.grafana.layout import GRID_COLUMNS, Panel, Section, layout
from promgen.judge import dashboards as judge
from tests.support import rendered

GOOD = "grafana/dashboards/promptforge-overview.json"


def good() -> dict[str, Any]:
    return json.loads(rendered("promptforge")[GOOD])


def first_panel(dashboard: dict[str, Any], kind: str = "timeseries") -> dict[str, Any]:
    return next(p for p in dashboard["panels"] if p["type"] == kind)


def rules(findings: list[judge.Finding]) -> set[str]:
    return {f.rule for f in findings}


def test_the_good_dashboard_passes() -> None:
    assert judge.judge(good()) == []


def _no_datasource_variable(d: dict[str, Any]) -> None:
    d["templating"]["list"] = []


def _renamed_datasource_variable(d: dict[str, Any]) -> None:
    d["templating"]["list"][0]["name"] = "DS_PROMETHEUS"


def _panel_without_unit(d: dict[str, Any]) -> None:
    del first_panel(d)["fieldConfig"]["defaults"]["unit"]


def _panel_with_unknown_unit(d: dict[str, Any]) -> None:
    first_panel(d)["fieldConfig"]["defaults"]["unit"] = "requests per second"


def _fixed_datasource(d: dict[str, Any]) -> None:
    first_panel(d)["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}


def _target_fixed_datasource(d: dict[str, Any]) -> None:
    first_panel(d)["targets"][0]["datasource"] = {"type": "prometheus", "uid": "prometheus"}


def _fixed_rate_range(d: dict[str, Any]) -> None:
    first_panel(d)["targets"][0]["expr"] = "sum(rate(http_requests_total[5m]))"


def _irate_fixed_range(d: dict[str, Any]) -> None:
    first_panel(d)["targets"][0]["expr"] = "sum(irate(http_requests_total[1m])) / sum(rate(x[$__rate_interval]))"


def _broken_promql(d: dict[str, Any]) -> None:
    first_panel(d)["targets"][0]["expr"] = "sum(rate(http_requests_total[$__rate_interval])"


def _broken_annotation(d: dict[str, Any]) -> None:
    d["annotations"]["list"][1]["target"]["expr"] = "ALERTS{"


def _long_uid(d: dict[str, Any]) -> None:
    d["uid"] = "x" * 41


def _no_uid(d: dict[str, Any]) -> None:
    del d["uid"]


def _old_schema(d: dict[str, Any]) -> None:
    d["schemaVersion"] = 36


def _duplicate_ids(d: dict[str, Any]) -> None:
    d["panels"][2]["id"] = d["panels"][1]["id"]


def _overlap(d: dict[str, Any]) -> None:
    d["panels"][2]["gridPos"] = dict(d["panels"][1]["gridPos"], x=d["panels"][1]["gridPos"]["x"] + 1)


def _off_the_grid(d: dict[str, Any]) -> None:
    panel = first_panel(d)
    panel["gridPos"] = dict(panel["gridPos"], x=20, w=8)


def _no_targets(d: dict[str, Any]) -> None:
    first_panel(d)["targets"] = []


def _heatmap_recalculating(d: dict[str, Any]) -> None:
    first_panel(d, "heatmap")["options"]["calculate"] = True


def _no_header(d: dict[str, Any]) -> None:
    d["description"] = "my dashboard"


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], set[str]]] = {
    "no datasource variable": (_no_datasource_variable, {"schema", "template-datasource-rule"}),
    "datasource variable renamed": (_renamed_datasource_variable, {"schema", "template-datasource-rule"}),
    "panel without unit": (_panel_without_unit, {"schema", "panel-units-rule"}),
    "panel with unknown unit": (_panel_with_unknown_unit, {"panel-units-rule"}),
    "panel with a fixed datasource": (_fixed_datasource, {"schema", "panel-datasource-rule"}),
    "target with a fixed datasource": (_target_fixed_datasource, {"schema", "panel-datasource-rule"}),
    "rate over 5m": (_fixed_rate_range, {"target-rate-interval-rule"}),
    "irate over 1m": (_irate_fixed_range, {"target-rate-interval-rule"}),
    "expr does not parse": (_broken_promql, {"target-promql-rule"}),
    "annotation does not parse": (_broken_annotation, {"target-promql-rule"}),
    "uid of 41 characters": (_long_uid, {"schema", "uid-rule"}),
    "no uid": (_no_uid, {"schema", "uid-rule"}),
    "schemaVersion 36": (_old_schema, {"schema", "schema-version-rule"}),
    "duplicate panel ids": (_duplicate_ids, {"panel-id-rule"}),
    "overlapping panels": (_overlap, {"grid-rule"}),
    "panel beyond column 24": (_off_the_grid, {"grid-rule"}),
    "panel without targets": (_no_targets, {"schema"}),
    "heatmap that re-buckets": (_heatmap_recalculating, {"schema"}),
    "no generated header": (_no_header, {"schema"}),
}


@pytest.mark.parametrize("fault", BROKEN, ids=str)
def test_the_judge_names_the_fault(fault: str) -> None:
    dashboard = good()
    breaks, expected = BROKEN[fault]
    breaks(dashboard)
    assert rules(judge.judge(dashboard)) == expected


def test_rate_interval_rule_allows_other_range_functions() -> None:
    assert judge.rate_interval_problem("sum(rate(x[$__rate_interval]))") is None
    assert judge.rate_interval_problem("sum(rate(x[${__rate_interval}]))") is None
    assert judge.rate_interval_problem("avg_over_time(slo:sli_error:ratio_rate5m[30d])") is None
    assert judge.rate_interval_problem("sum(increase(x[1h]))") is None
    assert judge.rate_interval_problem("sum(rate(x[5m]))") == "rate() over a fixed range; use [$__rate_interval]"
    assert judge.rate_interval_problem("sum(rate(x[5m]") is None  # does not parse: the PromQL rule's business


def test_units() -> None:
    for unit in ("s", "ms", "bytes", "reqps", "percentunit", "short", "none", "dateTimeFromNow", "suffix:req"):
        assert judge.unit_known(unit), unit
    for unit in ("", "seconds", "suffix:", "requests/s"):
        assert not judge.unit_known(unit), unit


# --- provisioning -------------------------------------------------------------------------


def provisioning(path: str) -> dict[str, Any]:
    return yaml.safe_load(rendered("promptforge")[path])


def test_datasource_provisioning_faults() -> None:
    assert judge.datasource_findings(provisioning(conventions.GRAFANA_DATASOURCES_FILE)) == []
    cases: dict[str, Callable[[dict[str, Any]], None]] = {
        "apiVersion": lambda d: d.update(apiVersion=2),
        "is missing or empty": lambda d: d.update(datasources=[]),
        "exactly one datasource must be the default": lambda d: d["datasources"][1].update(isDefault=True),
        "secrets do not belong": lambda d: d["datasources"][0].update(secureJsonData={"password": "x"}),
        "alertmanager implementation": lambda d: d["datasources"][1]["jsonData"].pop("implementation"),
        "uids are not unique": lambda d: d["datasources"][1].update(uid="prometheus"),
        "unknown key 'is_default'": lambda d: d["datasources"][0].update(is_default=True),
        "missing 'url'": lambda d: d["datasources"][0].pop("url"),
    }
    for message, breaks in cases.items():
        data = provisioning(conventions.GRAFANA_DATASOURCES_FILE)
        breaks(data)
        findings = judge.datasource_findings(data)
        assert any(message in str(f) for f in findings), (message, findings)


def test_dashboard_provider_faults() -> None:
    assert judge.provider_findings(provisioning(conventions.GRAFANA_DASHBOARD_PROVIDER_FILE)) == []
    cases: dict[str, Callable[[dict[str, Any]], None]] = {
        "apiVersion": lambda d: d.pop("apiVersion"),
        "not an absolute path": lambda d: d["providers"][0]["options"].update(path="grafana/dashboards"),
        "only file providers": lambda d: d["providers"][0].update(type="git"),
        "names are not unique": lambda d: d["providers"].append(copy.deepcopy(d["providers"][0])),
        "unknown key 'options_path'": lambda d: d["providers"][0].update(options_path="/x"),
    }
    for message, breaks in cases.items():
        data = provisioning(conventions.GRAFANA_DASHBOARD_PROVIDER_FILE)
        breaks(data)
        findings = judge.provider_findings(data)
        assert any(message in str(f) for f in findings), (message, findings)
    assert judge.provider_findings(["not", "a", "mapping"]) == [judge.Finding("provisioning", "/", "is not a mapping")]


# --- the layout, for any panels -------------------------------------------------------------

sizes = st.tuples(st.integers(1, GRID_COLUMNS), st.integers(1, 12), st.booleans())
sections = st.lists(
    st.tuples(st.one_of(st.none(), st.text(min_size=1, max_size=5)), st.lists(sizes, max_size=12)), max_size=6
)


@settings(max_examples=200, deadline=None)
@given(sections)
def test_layout_never_overlaps_and_numbers_panels_in_order(shape: list[tuple[str | None, list[tuple[int, int, bool]]]]) -> None:
    built = [
        Section(title, [Panel({"type": "timeseries", "title": f"p{i}"}, w=w, h=h, new_line=new) for i, (w, h, new) in enumerate(items)])
        for title, items in shape
    ]
    panels = layout(built)
    dashboard = {"panels": panels}
    assert [f for f in judge.lint(dashboard) if f.rule in ("grid-rule", "panel-id-rule")] == []
    assert len(panels) == sum(len(items) + (1 if title is not None and items else 0) for title, items in shape)
    rows = [p for p in panels if p["type"] == "row"]
    assert all(r["gridPos"] == {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": r["gridPos"]["y"]} for r in rows)
    # panels come in reading order: top to bottom, left to right within a line
    positions = [(p["gridPos"]["y"], p["gridPos"]["x"]) for p in panels]
    assert positions == sorted(positions)


def test_layout_rejects_impossible_sizes() -> None:
    with pytest.raises(ValueError):
        Panel({"title": "too wide"}, w=25)
    with pytest.raises(ValueError):
        Panel({"title": "flat"}, h=0)
