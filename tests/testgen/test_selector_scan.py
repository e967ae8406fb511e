"""The selectors read off an expression's text (promql_syntax.selectors, which spares a large render
thousands of parses) are the selectors the parser finds, or the scan says it is not sure (None) and
the expression is parsed: on every rule of every example, on written edge cases, and on random
expressions."""

from __future__ import annotations

from typing import Any

import promql_parser as pq
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from promgen.judge.promql import parsed
from promgen.judge.promql_syntax import selectors
from promgen.testgen.arithmetic import walk
from promgen.testgen.layout import _parsed_reads
from tests.support import EXAMPLE_NAMES, rendered


def _parsed_selectors(expr: str) -> list[Any]:
    return sorted(_parsed_reads(expr))


def _rule_expressions(name: str) -> list[str]:
    found = []
    for path, text in rendered(name).items():
        if path.startswith("prometheus/rules/") and not path.endswith(".test.yml"):
            for group in (yaml.safe_load(text) or {}).get("groups", []):
                found += [rule["expr"] for rule in group["rules"]]
    return found


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_rule_of_an_example_reads_as_the_parser_reads_it(name: str) -> None:
    expressions = _rule_expressions(name)
    scanned = [(expr, selectors(expr)) for expr in expressions]
    assert expressions
    for expr, found in scanned:
        if found is not None:
            assert sorted(found) == _parsed_selectors(expr), expr
    read = sum(found is not None for _, found in scanned)
    assert read >= 0.9 * len(expressions), f"only {read} of {len(expressions)} read off the text"


@pytest.mark.parametrize("expr", [
    'sum by (le) (rate(http_request_duration_seconds_bucket{job="api",le!~"0.1|0.5"}[5m]))',
    'sum(rate(x{a="1"}[5m])) without (instance) / on(slo) group_left(team) slo_info',
    "x * on(job) group_left y",
    '{__name__="up", job="a"} == 0',
    '{__name__=~"up|down"} == 0',
    "rate({__name__=\"errors_total\"}[1h]) > bool 1",
    "info_metric > 0",
    "inflight_requests > inf",
    "NaN_total or nan_total",
    "max_over_time(x[1h] offset 5m @ start())",
    "time() - last_seen_timestamp_seconds > 3600",
    'label_replace(up, "dst", "$1", "src", "(.*)")',
    'count_values("version", build_info)',
    "topk by (job) (5, x) unless y and z",
    "absent(up{job='single-quoted'})",
    "-x + vector(1) atan2 y",
    "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 0.5 # a comment",
])
def test_written_edge_cases_read_as_the_parser_reads_them(expr: str) -> None:
    found = selectors(expr)
    assert found is not None, expr
    assert sorted(found) == _parsed_selectors(expr)


@pytest.mark.parametrize("expr", [
    'up{job="a\\"b"}',  # an escape: the parser decodes it
    "up{job=`raw`}",
    '{"utf8.name"}',
    'up{job="a" or job="b"}',
    "up{job=~}",
    "up ^^ 1 ~",
])
def test_what_the_scan_is_not_sure_of_goes_to_the_parser(expr: str) -> None:
    assert selectors(expr) is None


_NAMES = st.sampled_from(["up", "x_total", "info", "inf_total", "by_job", "slo:sli_error:ratio_rate5m", "on"])
_LABELS = st.sampled_from(["job", "le", "slo", "on", "by", "__name__"])
_VALUES = st.sampled_from(["a", "", "5..", "x|y", "up"])


@st.composite
def _selector(draw: st.DrawFn) -> str:
    matchers = draw(st.lists(st.tuples(_LABELS, st.sampled_from(["=", "!=", "=~", "!~"]), _VALUES), max_size=3))
    body = ", ".join(f'{label}{op}"{value}"' for label, op, value in matchers)
    name = draw(st.sampled_from(["", *["x_total", "up", "info", "inf_total", "slo:sli_error:ratio_rate5m"]]))
    if not name and not matchers:
        name = "up"
    return f"{name}{{{body}}}" if matchers or draw(st.booleans()) else name


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda e: f"rate({e}[5m])", _selector()),
        st.builds(lambda op, grouping, e: f"{op} {grouping} ({e})", st.sampled_from(["sum", "max", "count"]),
                  st.sampled_from(["by (job)", "without (le)", ""]), inner),
        st.builds(lambda a, op, matching, b: f"{a} {op} {matching} {b}", inner,
                  st.sampled_from(["/", "and", "or", "unless", "> bool", "*"]),
                  st.sampled_from(["", "on(slo)", "ignoring(le) group_left", "on(job) group_right(team)"]), inner),
        st.builds(lambda e: f"({e})[1h:5m]", inner).map(lambda e: f"max_over_time({e})"),
        st.builds(lambda e, n: f"topk({n}, {e})", inner, st.integers(1, 9)),
        st.builds(lambda e: f"{e} offset 5m", _selector()),
    )


_EXPRESSIONS = st.recursive(_selector(), _extend, max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(_EXPRESSIONS)
def test_random_expressions_read_as_the_parser_reads_them(expr: str) -> None:
    try:
        expected = _parsed_selectors(expr)
    except ValueError:
        return  # not PromQL (a set operator between scalars, a label named like a keyword): nothing to read
    found = selectors(expr)
    if found is not None:
        assert sorted(found) == expected, expr


@pytest.mark.parametrize("expr", [
    'sum(rate(http_requests_total{instance=~"$instance"}[$__rate_interval]))',
    '{__name__="up"} == 0',  # the parser's tree names no selector written so
    "up unless on(job) absent(other_metric)",
    'up{job="a" or job="b"}',
])
def test_metric_names_read_off_the_text_are_the_parsed_names(expr: str) -> None:
    from promgen.judge import promql

    promql._NAMES.clear()
    root = parsed(promql.substitute_grafana_variables(expr))
    expected = {node.name for node in walk(root) if isinstance(node, pq.VectorSelector) and node.name}
    assert promql.metric_names(expr) == expected
