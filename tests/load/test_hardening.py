"""Hostile and awkward input: promgen answers with one clean `file:line:col` error, or renders it right.

- through the real CLI: alias bombs, a 10 MB file, deep nesting (flow, indented, and `- - - ...`
  on one line, which used to crash libyaml's recursive composer), binary input: exit 1, one
  positioned problem, no traceback, nothing written;
- `{{`, `{%` and `{#` in user strings reach the output literally (Jinja never evaluates data);
- label values with quotes, backslashes and newlines survive YAML and PromQL escaping;
- names with path separators are rejected, so no rendered file lands outside the output directory.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from promgen.cli.render import produce
from promgen.errors import SpecError
from promgen.load.go_template import literal as go_literal
from promgen.produce import registry as outputs
from promgen.write import manifest
from tests.conftest import run_promgen
from tests.support import judge, write_tree

PROBLEM_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): \S")


def base_spec() -> dict[str, Any]:
    """A small spec that touches every output: scrape job, SLO, alert, severities, channel, dashboards."""
    return {
        "version": 1,
        "service": {"name": "hardened", "team": "platform", "labels": {"tier": "backend"}},
        "scrape": {"interval": "15s", "targets": [{"job": "hardened", "static": ["app:8000"]}]},
        "metrics": [
            {"name": "http_requests_total", "type": "counter", "help": "Requests", "labels": ["code"]},
            {"name": "http_request_duration_seconds", "type": "histogram", "help": "Latency", "buckets": [0.1, 0.5, 1]},
        ],
        "slos": [
            {
                "name": "availability",
                "objective": 99.9,
                "sli": {
                    "errors": 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))',
                    "total": "sum(rate(http_requests_total[{{window}}]))",
                },
            }
        ],
        "alerts": [
            {
                "name": "HighErrorRate",
                "expr": 'sum(rate(http_requests_total{code=~"5.."}[5m])) > 1',
                "for": "5m",
                "severity": "critical",
                "summary": "Errors are high.",
            },
            {"name": "ServiceDown", "template": "target_down", "for": "1m", "severity": "warning"},
        ],
        "severities": [{"name": "critical", "notify": ["hook"]}, {"name": "warning", "notify": ["hook"]}],
        "channels": [{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}],
        "probes": {"port": 8000, "liveness": {"path": "/health"}, "external": ["https://hardened.example.com/health"]},
        "dashboards": {
            "generate": ["overview", "slo"],
            "custom": [
                {
                    "title": "Traffic",
                    "panels": [{"title": "Requests", "expr": "sum(rate(http_requests_total[$__rate_interval]))"}],
                }
            ],
        },
        "stack": {"exporters": ["node", "blackbox"]},
    }


def render_spec(spec: dict[str, Any], tmp_path: Path) -> dict[str, outputs.Output]:
    """Render a spec (written as YAML) in-process, the way the CLI does."""
    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        _model, produced, _warnings = produce(Path("promgen.yaml"))
    finally:
        os.chdir(cwd)
    return produced


def parsed(path: str, text: str) -> list[Any]:
    """The documents of one rendered file (YAML or JSON)."""
    if path.endswith(".json"):
        return [json.loads(text)]
    if path.endswith((".yml", ".yaml")):
        return list(yaml.safe_load_all(text))
    return []


def leaves(node: Any) -> Iterator[str]:
    """Every string in a parsed document, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from leaves(value)
    elif isinstance(node, list):
        for item in node:
            yield from leaves(item)
    elif isinstance(node, str):
        yield node


def strings_of(output: outputs.Output) -> set[str]:
    return {leaf for path, text in output.files.items() for doc in parsed(path, text) for leaf in leaves(doc)}


def require(produced: dict[str, outputs.Output], name: str) -> outputs.Output:
    assert name in outputs.PRODUCERS, f"output {name} is not registered"
    return produced[name]


# --- hostile files through the real CLI --------------------------------------------------------


def _alias_bomb() -> bytes:
    lines = ["version: 1", "service: {name: bomb}", "severities: [{name: critical}]", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


def _ten_megabytes() -> bytes:
    head = "version: 1\nservice: {name: huge}\nseverities: [{name: critical}]\nfiller: |\n"
    return head.encode() + b"  " + b"x" * 10_000_000 + b"\n"


def _deep_flow() -> bytes:
    return b"version: 1\nservice: {name: deep}\nx: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"


def _deep_block_one_line() -> bytes:
    # libyaml composes recursively in C: this used to kill the process with SIGSEGV.
    return b"version: 1\nservice: {name: deep}\nx:\n" + b"- " * 200_000 + b"x\n"


def _deep_indented() -> bytes:
    return b"version: 1\nx:\n" + b"".join(b" " * i + b"k:\n" for i in range(200)) + b" " * 200 + b"v\n"


def _binary() -> bytes:
    return bytes(range(256)) * 64


def _binary_utf8_with_nul() -> bytes:
    return b"version: 1\nservice:\n  name: nul\x00ls\n"


def _utf16() -> bytes:
    return "version: 1\nservice: {name: wide}\n".encode("utf-16")


HOSTILE = {
    "alias-bomb": _alias_bomb,
    "ten-megabytes": _ten_megabytes,
    "deep-flow": _deep_flow,
    "deep-block-one-line": _deep_block_one_line,
    "deep-indented": _deep_indented,
    "binary": _binary,
    "nul-byte": _binary_utf8_with_nul,
    "utf-16": _utf16,
}


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_one_clean_error(case: str, command: str, tmp_path: Path) -> None:
    spec = tmp_path / "promgen.yaml"
    spec.write_bytes(HOSTILE[case]())
    out = tmp_path / "out"
    args = ["validate", str(spec)] if command == "validate" else ["render", str(spec), "-o", str(out)]
    result = run_promgen(*args)
    printed = result.stdout + result.stderr
    assert result.returncode == 1, printed[-2000:]
    assert "Traceback" not in printed
    problems = [line for line in printed.splitlines() if PROBLEM_LINE.match(line)]
    assert len(problems) == 1, printed[-2000:]
    found = PROBLEM_LINE.match(problems[0])
    assert found and found["file"] == str(spec) and int(found["line"]) >= 1 and int(found["col"]) >= 1
    assert len(printed) < 2000, "the error should be one line, not a dump of the input"
    assert not out.exists(), "a failed render must write nothing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["promgen.yaml"], "no staging directory left behind"


def test_deep_block_nesting_points_at_the_level_that_is_too_deep(tmp_path: Path) -> None:
    spec = tmp_path / "deep.yaml"
    spec.write_bytes(_deep_block_one_line())
    result = run_promgen("validate", str(spec))
    assert result.returncode == 1
    # the 65th nested sequence starts at column 2 * 64 + 1 of line 4
    assert f"{spec}:4:129: nesting deeper than 64 levels" in result.stdout


# --- Jinja never evaluates user strings ---------------------------------------------------------


def jinja_bait(tag: str) -> tuple[str, str]:
    """A user string full of Jinja syntax, and what it would become if Jinja evaluated it."""
    return f"{tag} {{{{ 7*7 }}}} {{% if true %}}on{{% endif %}} {{# gone #}} {{{{", f"{tag} 49 on"


def test_jinja_syntax_in_user_strings_is_rendered_literally(tmp_path: Path) -> None:
    spec = base_spec()
    bait = {field: jinja_bait(field) for field in ("summary", "description", "label", "annotation", "service-label", "dashboard", "panel", "panel-description", "legend", "help", "slo-description")}
    for field in ("summary", "description", "label", "annotation"):  # Go templates: a literal {{ is written escaped
        written, evaluated = bait[field]
        bait[field] = (go_literal(written), evaluated)
    alert = spec["alerts"][0]
    alert["summary"] = bait["summary"][0]
    alert["description"] = bait["description"][0]
    alert["labels"] = {"note": bait["label"][0]}
    alert["annotations"] = {"dashboard": bait["annotation"][0]}
    spec["service"]["labels"]["note"] = bait["service-label"][0]
    custom = spec["dashboards"]["custom"][0]
    custom["title"] = bait["dashboard"][0]
    custom["panels"][0].update(title=bait["panel"][0], description=bait["panel-description"][0], legend=bait["legend"][0])
    spec["metrics"][0]["help"] = bait["help"][0]
    spec["slos"][0]["description"] = bait["slo-description"][0]

    produced = render_spec(spec, tmp_path)
    assert produced, "no output is registered"
    everything = "\n".join(text for output in produced.values() for text in output.files.values())
    for literal, evaluated in bait.values():
        assert evaluated not in everything, f"Jinja evaluated a user string: {evaluated!r}"

    expected_in = {
        "prometheus": ("summary", "description", "label", "annotation", "service-label"),
        "grafana": ("dashboard", "panel", "panel-description", "legend"),
    }
    checked = 0
    for name, fields in expected_in.items():
        if name not in produced:
            continue
        strings = strings_of(produced[name])
        for field in fields:
            # service labels are literal text, which promgen escapes for Prometheus' template expansion
            expected = go_literal(bait[field][0]) if field == "service-label" else bait[field][0]
            assert expected in strings, f"{name}: {field} {expected!r} is not in the output as written"
            checked += 1
    assert checked, "no user string was looked for in the output"


# --- escaping of label values -----------------------------------------------------------------

AWKWARD = {
    "quote": 'say "hi"',
    "backslash": r"C:\new\table",
    "newline": "first line\nsecond line",
    "mixed": 'a\\"b\n\tc \'single\' # not a comment: {x}',
    "unicode": "grüße ✓ — \u2028 line separator",
}


def promql_string(value: str) -> str:
    """A PromQL string literal, as a user writes one in an expression."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def awkward_spec() -> dict[str, Any]:
    spec = base_spec()
    spec["metrics"][0]["labels"].append("path")
    spec["alerts"][0]["expr"] = (
        f'sum(rate(http_requests_total{{code=~"5..", path={promql_string(AWKWARD["mixed"])}}}[5m])) > 1'
    )
    spec["service"]["labels"].update({f"svc_{k}": v for k, v in AWKWARD.items()})
    spec["alerts"][0]["labels"] = {f"alert_{k}": v for k, v in AWKWARD.items()}
    spec["scrape"]["targets"][0]["labels"] = {f"target_{k}": v for k, v in AWKWARD.items()}
    return spec


def rules_of(produced: dict[str, outputs.Output]) -> list[dict[str, Any]]:
    prometheus = require(produced, "prometheus")
    return [
        rule
        for path, text in prometheus.files.items()
        if "/rules/" in path
        for doc in parsed(path, text)
        for group in doc["groups"]
        for rule in group["rules"]
    ]


def test_awkward_label_values_round_trip_through_the_rule_yaml(tmp_path: Path) -> None:
    produced = render_spec(awkward_spec(), tmp_path)
    alerts = [r for r in rules_of(produced) if "alert" in r]
    assert alerts
    for rule in alerts:
        for key, value in AWKWARD.items():
            assert rule["labels"][f"svc_{key}"] == value, rule["alert"]
    explicit = next(r for r in alerts if r["alert"] == "HighErrorRate")
    for key, value in AWKWARD.items():
        assert explicit["labels"][f"alert_{key}"] == value


def test_awkward_label_values_round_trip_through_the_scrape_config(tmp_path: Path) -> None:
    produced = render_spec(awkward_spec(), tmp_path)
    prometheus = require(produced, "prometheus")
    config = yaml.safe_load(prometheus.files["prometheus/prometheus.yml"])
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "hardened")
    labels = {k: v for static in job["static_configs"] for k, v in static.get("labels", {}).items()}
    for key, value in AWKWARD.items():
        assert labels[f"target_{key}"] == value


def test_awkward_label_values_are_escaped_in_promql_series(tmp_path: Path) -> None:
    """A matcher value the user escaped in an alert's PromQL survives the rule YAML verbatim, and reaches
    the generated promtool tests' input series re-escaped: parsed back as PromQL, it is the original value."""
    spec = awkward_spec()
    produced = render_spec(spec, tmp_path)
    prometheus = require(produced, "prometheus")
    rule = next(r for r in rules_of(produced) if r.get("alert") == "HighErrorRate")
    assert rule["expr"] == spec["alerts"][0]["expr"]
    selectors = [
        series["series"]
        for path, text in prometheus.files.items()
        if "/tests/" in path
        for doc in parsed(path, text)
        for test in doc.get("tests", [])
        if test["name"].startswith("HighErrorRate ")
        for series in test.get("input_series", [])
    ]
    values = [
        matcher.value
        for selector in selectors
        for matcher in promql_parser.parse(selector).matchers.matchers
        if matcher.name == "path"
    ]
    assert AWKWARD["mixed"] in values, values
    mangled = [v for v in values if v != AWKWARD["mixed"] and ("single" in v or "\\" in v or '"' in v)]
    assert not mangled, mangled  # other values are the generator's own non-matching series (e.g. "/api")


@pytest.mark.judge
def test_promtool_accepts_rules_and_tests_with_awkward_labels(tmp_path: Path) -> None:
    import subprocess

    promtool = judge("promtool")
    produced = render_spec(awkward_spec(), tmp_path)
    prometheus = require(produced, "prometheus")
    tree = write_tree(prometheus.files, tmp_path / "out")
    rules = sorted((tree / "prometheus" / "rules").rglob("*.yml"))
    tests = sorted((tree / "prometheus" / "tests").rglob("*.yml"))
    assert rules
    done = subprocess.run([promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    if tests:
        done = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


# --- path separators ----------------------------------------------------------------------------


def _set(spec: dict[str, Any], where: tuple[Any, ...], value: Any) -> None:
    node: Any = spec
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value


SEPARATED_NAMES = {
    "service name": (("service", "name"), "../etc"),
    "service name slash": (("service", "name"), "a/b"),
    "scrape job": (("scrape", "targets", 0, "job"), "a/../../b"),
    "slo name": (("slos", 0, "name"), "avail/ability"),
    "alert name": (("alerts", 0, "name"), "High/ErrorRate"),
    "severity name": (("severities", 0, "name"), "crit\\ical"),
    "channel name": (("channels", 0, "name"), "hook/../x"),
    "dashboard uid": (("dashboards", "custom", 0, "uid"), "../../etc"),
}


@pytest.mark.parametrize("case", sorted(SEPARATED_NAMES))
def test_names_with_path_separators_are_rejected(case: str, tmp_path: Path) -> None:
    where, value = SEPARATED_NAMES[case]
    spec = base_spec()
    _set(spec, where, value)
    with pytest.raises(SpecError) as raised:
        render_spec(spec, tmp_path)
    problems = raised.value.problems
    assert problems and all(p.line >= 1 and p.column >= 1 for p in problems)
    assert any(repr(value) in p.message or value in p.message for p in problems), [p.render() for p in problems]


def test_time_interval_names_with_separators_are_rejected(tmp_path: Path) -> None:
    spec = base_spec()
    spec["time_intervals"] = {"office/hours": {"weekdays": ["monday:friday"]}}
    spec["severities"][1]["during"] = ["office/hours"]
    with pytest.raises(SpecError) as raised:
        render_spec(spec, tmp_path)
    assert any("office/hours" in p.message for p in raised.value.problems)


def test_titles_with_path_separators_never_escape_the_output_directory(tmp_path: Path) -> None:
    """Titles are free text; any file name derived from them must stay a plain path inside DIR."""
    spec = base_spec()
    spec["dashboards"]["custom"][0]["title"] = "../../../etc/passwd"
    spec["dashboards"]["custom"].append(
        {"title": "/absolute\\windows\\..", "panels": [{"title": "../p", "expr": "sum(up)"}]}
    )
    produced = render_spec(spec, tmp_path)
    paths = [path for output in produced.values() for path in output.files]
    assert paths
    for path in paths:
        assert manifest.safe_relative(path) == path
        assert ".." not in path.split("/") and not path.startswith("/")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("command", ["validate", "render"])
def test_an_endless_file_is_refused_not_read_forever(command: str, tmp_path: Path) -> None:
    """/dev/zero (and pipes) report size 0: reading must stop at the size limit."""
    out = tmp_path / "out"
    args = ["validate", "/dev/zero"] if command == "validate" else ["render", "/dev/zero", "-o", str(out)]
    result = run_promgen(*args)
    assert result.returncode == 1
    assert "/dev/zero:1:1: more than 1048576 bytes; a spec may be at most 1048576 bytes" in result.stdout + result.stderr
    assert not out.exists()


def test_a_spec_on_stdin_is_read_and_size_limited() -> None:
    small = run_promgen("validate", "/dev/stdin", stdin="version: 1\n")
    assert small.returncode == 1 and "/dev/stdin:1:1: spec: missing required field `service`" in small.stdout
    large = run_promgen("validate", "/dev/stdin", stdin="# padding\n" * 200_000)
    assert large.returncode == 1 and "/dev/stdin:1:1: more than 1048576 bytes" in large.stdout
