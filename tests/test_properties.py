"""The hardening promise as a property: for any spec, either `validate` refuses it with positioned
problems (and no traceback), or `validate` accepts it, `render` works, and promtool (check config,
check rules --lint-fatal, test rules) and amtool check-config accept the output.

Specs come from two generators:
- **from the JSON Schema** (`specs/promgen.schema.json`): every section drawn from its schema, with
  domain edges mixed into every string and number (NaN, infinities, huge and negative numbers,
  empty and Unicode strings, Go template syntax) and every enum member;
- **targeted edges**: a small valid spec with one to three values replaced by a draw from the
  schema of that very field, so most of them stay valid and reach the renderers and the judges.

Validation and rendering run in-process for every example; the accepted stacks are then judged in
batches by the real tools (the newest release, and the oldest too when the spec targets it).
CI runs 2,000 examples (derandomized, so a pull request never fails on a new draw);
PROMGEN_PROPERTY_EXAMPLES=20000 runs a longer session (`python bench/properties.py` does).
Every spec this test ever found failing lives on in tests/found/ as a regular test.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from promgen.check import check
from promgen.core.model import build_model
from promgen.core.stack import Stack
from promgen.errors import SpecError
from promgen.load.loader import validate_document
from promgen.produce import registry as outputs
from promgen.write import files as write
from promgen.yamlio.reader import parse_document
from tests.support import ROOT, in_ci, prometheus_judgements, write_tree

DISPLAY = "property.yaml"
SCHEMA: dict[str, Any] = json.loads((ROOT / "specs" / "promgen.schema.json").read_text())
EXAMPLES = int(os.environ.get("PROMGEN_PROPERTY_EXAMPLES", "2000" if in_ci() else "200"))
JUDGED = int(os.environ.get("PROMGEN_PROPERTY_JUDGED", "300" if in_ci() else "40"))
SETTINGS = settings(
    max_examples=EXAMPLES, derandomize=in_ci(), deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FOUND = ROOT / "tests" / "found"

# PromQL a judged Prometheus refuses although promql-parser reads it (each once passed validate).
EDGE_PROMQL = ["up + on(job) fill(0) up > 1", "up + fill_left(1) up", "up offset 9999999d == 0", "ln(-1) > 0",
               '{"up"} == 0', 'sum by ("a.b") (up) > 0', "time() - up > bool (1m)",
               'label_join(up, "a-b", ",", "job") == 0', 'count_values("a-b", up) > 1']
EDGE_STRINGS = ["", " ", "é漢字🙂", "\u202e", "a\nb", "{{ 7*7 }}", "{{ $value }}", "{{ end }}", "{{", "}}", '{{ "{{" }}',
                "x" * 200, "-", "0", "../x", "$HOME", "a:b", "5s", "up == 0", "critical", *EDGE_PROMQL]
EDGE_NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 1e-308, 0, -0.0, -1, 2**63, -(2**63), 2**31, 10**30]


# --- generation from the JSON Schema -----------------------------------------------------------


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def from_schema(node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    node = _resolve(node)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return st.one_of([from_schema(option, depth) for option in node[key]])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**node, "type": k}, depth) for k in kind])
    if kind == "object":
        return _object(node, depth)
    if kind == "array":
        items = node.get("items", {})
        return st.lists(from_schema(items, depth + 1), max_size=0 if depth > 4 else 3)
    if kind == "string":
        pattern = node.get("pattern")
        base: st.SearchStrategy[Any] = (
            st.from_regex(pattern, fullmatch=True).filter(lambda s: len(s) < 60) if pattern else st.text(max_size=24)
        )
        return base | st.sampled_from(EDGE_STRINGS)
    if kind == "integer":
        low, high = node.get("minimum"), node.get("maximum")
        return st.integers(low, high) | st.sampled_from([n for n in EDGE_NUMBERS if isinstance(n, int)])
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32) | st.sampled_from(EDGE_NUMBERS)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.none() | st.text(max_size=8) | st.integers()


def _object(node: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    properties = node.get("properties", {})
    if properties:
        required = set(node.get("required", ()))
        return st.fixed_dictionaries(
            {name: from_schema(sub, depth + 1) for name, sub in properties.items() if name in required},
            optional={name: from_schema(sub, depth + 1) for name, sub in properties.items() if name not in required},
        )
    patterns = node.get("patternProperties", {})
    if patterns:
        pattern, sub = next(iter(patterns.items()))
        keys = st.from_regex(pattern, fullmatch=True).filter(lambda s: 0 < len(s) < 20)
        return st.dictionaries(keys, from_schema(sub, depth + 1), max_size=0 if depth > 4 else 2)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        return st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), from_schema(extra, depth + 1), max_size=2)
    return st.just({})


def schema_at(path: tuple[Any, ...]) -> dict[str, Any] | None:
    """The schema of the value at `path` of a spec (None where the schema does not say)."""
    node = _resolve(SCHEMA)
    for part in path:
        node = _resolve(node)
        options = node.get("anyOf") or node.get("oneOf")
        if options:
            node = _resolve(next((o for o in options if _resolve(o).get("type") in ("object", "array")), options[0]))
        if isinstance(part, int):
            node = node.get("items", {})
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        elif node.get("patternProperties"):
            node = next(iter(node["patternProperties"].values()))
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return node


# --- targeted edges on valid specs ---------------------------------------------------------------


def small_valid() -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": "prop", "runbook_url": "https://wiki.example.com/{alert}", "labels": {"tier": "web"}},
        "scrape": {"interval": "15s", "targets": [{"job": "prop", "static": ["app:8000"], "labels": {"zone": "a"}}]},
        "metrics": [
            {"name": "http_requests_total", "type": "counter", "labels": ["code"]},
            {"name": "request_seconds", "type": "histogram", "buckets": [0.1, 0.5, 1]},
            {"name": "queue_depth", "type": "gauge"},
        ],
        "slos": [
            {"name": "availability", "objective": 99.9,
             "sli": {"errors": 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))',
                     "total": "sum(rate(http_requests_total[{{window}}]))"}},
            {"name": "latency", "objective": 95, "sli": {"latency": {"metric": "request_seconds", "threshold": "500ms"}}},
        ],
        "alerts": [
            {"name": "Errors", "expr": 'sum(rate(http_requests_total{code=~"5.."}[5m])) > 1', "for": "5m",
             "severity": "critical", "summary": "Errors.", "description": "{{ $value | humanize }} per second."},
            {"name": "QueueDeep", "template": "gauge_above", "params": {"metric": "queue_depth", "threshold": 100},
             "severity": "warning"},
            {"name": "Down", "template": "target_down", "severity": "critical"},
        ],
        "severities": [
            {"name": "critical", "aliases": ["P0"], "notify": ["ops"], "repeat_interval": "1h"},
            {"name": "warning", "notify": ["mail"], "during": ["office"]},
        ],
        "channels": [
            {"name": "ops", "type": "webhook", "url": "https://hooks.example.com/ops"},
            {"name": "mail", "type": "email", "to": "ops@example.com"},
        ],
        "time_intervals": {"office": {"weekdays": ["monday:friday"], "times": ["09:00-17:00"]}},
        "alertmanager": {"smtp": {"smarthost": "smtp.example.com:587", "from": "am@example.com"}},
    }


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += leaf_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += leaf_paths(value, prefix + (index,))
    return found


@st.composite
def edged(draw: st.DrawFn) -> dict[str, Any]:
    spec = small_valid()
    if draw(st.booleans()):
        spec["versions"] = draw(st.sampled_from([{"prometheus": "2.42", "alertmanager": "0.25"}, {"prometheus": "3.5"}]))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(leaf_paths(spec)))
        sub = schema_at(path)
        value = draw(from_schema(sub) if sub is not None else st.sampled_from(EDGE_STRINGS + EDGE_NUMBERS))
        note(f"{path} = {value!r}")
        parent: Any = spec
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = value
    return spec


SPECS = st.one_of(edged(), edged(), edged(), from_schema(SCHEMA))


# --- the invariant -------------------------------------------------------------------------------


def outcome(spec: Any) -> tuple[str, dict[str, str]]:
    """("rejected" | "accepted", files rendered): raises on anything else (a crash is a bug)."""
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    try:
        loaded = validate_document(parse_document(text, DISPLAY))
    except SpecError as error:
        assert error.problems and all(p.line >= 1 and p.column >= 1 and p.message for p in error.problems)
        return "rejected", {}
    problems = check(loaded)
    if any(p.level == "error" for p in problems):
        assert all(p.line >= 1 and p.column >= 1 and p.message for p in problems)
        return "rejected", {}
    model = build_model(loaded.spec, DISPLAY)
    produced = outputs.produce_all(Stack((model,)), ["prometheus", "alertmanager"])
    plan = write.Plan.of({name: output.files for name, output in produced.items()})
    return "accepted", plan.files


@pytest.mark.judge
def test_every_spec_is_refused_cleanly_or_renders_what_the_judges_accept(tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    accepted: list[tuple[str, str, dict[str, str]]] = []  # (release, spec text, files)

    @SETTINGS
    @given(spec=SPECS)
    def run(spec: Any) -> None:
        kind, files = outcome(spec)
        counts[kind] += 1
        if kind == "accepted" and len(accepted) < JUDGED:
            versions = spec.get("versions") or {}
            release = "oldest" if str(versions.get("prometheus", "")).startswith("2.") else "newest"
            accepted.append((release, yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), files))

    run()
    trees: dict[Path, tuple[str, str]] = {}
    for index, (release, text, files) in enumerate(accepted):
        tree = write_tree(files, tmp_path / f"stack{index}")
        trees[tree] = (release, text)
    failures: dict[str, str] = {}
    for release in ("oldest", "newest"):
        judged = [tree for tree, (r, _) in trees.items() if r == release or release == "newest"]
        for tree, said in prometheus_judgements(judged, release).items():
            failures[trees[tree][1]] = f"{release}: {said}"
    print(f"\nproperty: {sum(counts.values())} specs generated, {counts['rejected']} rejected, "
          f"{counts['accepted']} accepted, {len(trees)} judged, {len(failures)} judge failures")
    assert sum(counts.values()) >= min(EXAMPLES, 2000) or not in_ci()
    assert counts["accepted"] >= 50 or not in_ci(), "the generator must reach the renderers"
    assert not failures, "\n\n".join(f"{spec}\n--> {said}" for spec, said in list(failures.items())[:3])


# --- what it found, kept --------------------------------------------------------------------------

FOUND_CASES = sorted(FOUND.glob("*.yaml"))


@pytest.mark.judge
@pytest.mark.parametrize("path", FOUND_CASES, ids=[p.stem for p in FOUND_CASES])
def test_specs_the_property_found_stay_fixed(path: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    kind, files = outcome(copy.deepcopy(spec))
    if kind == "accepted":
        versions = spec.get("versions") or {}
        release = "oldest" if str(versions.get("prometheus", "")).startswith("2.") else "newest"
        tree = write_tree(files, tmp_path / "out")
        assert not prometheus_judgements([tree], release)
