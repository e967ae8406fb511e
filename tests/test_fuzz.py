"""Fuzzing load -> validate -> render with hypothesis: mutated example specs and random ones.

The only acceptable outcomes are a clean SpecError (every problem at a real `line:col`), a
validation result whose problems all have positions, or -- for a spec with no errors -- a render
whose files sit at safe paths and parse as the YAML or JSON they claim to be. Anything else (an
exception from a parser, pydantic, a producer, Jinja) is a bug.

Runs in-process (no subprocesses) so CI affords many examples: the `promgen-fuzz-ci` profile
(selected when CI is set) runs 2,000 mutated examples plus 500 random specs, derandomized so a
pull request never fails on a new random draw; locally `promgen-fuzz-dev` runs fewer, randomly.
PROMGEN_FUZZ_EXAMPLES=20000 runs a long local session.
"""

from __future__ import annotations

import json
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from promgen.check import check
from promgen.cli.init import starter_spec
from promgen.core.model import build_model
from promgen.core.stack import Stack
from promgen.errors import Problem, SpecError
from promgen.load.loader import validate_document
from promgen.produce import registry as outputs
from promgen.write import files as write
from promgen.yamlio.reader import parse_document
from tests.support import EXAMPLES, in_ci

DISPLAY = "fuzz.yaml"
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], print_blob=True)
settings.register_profile("promgen-fuzz-ci", max_examples=2000, derandomize=True, **_COMMON)
settings.register_profile("promgen-fuzz-dev", max_examples=150, **_COMMON)
PROFILE = settings.get_profile("promgen-fuzz-ci" if in_ci() else "promgen-fuzz-dev")
if os.environ.get("PROMGEN_FUZZ_EXAMPLES"):
    PROFILE = settings(PROFILE, max_examples=int(os.environ["PROMGEN_FUZZ_EXAMPLES"]))
RANDOM_PROFILE = settings(PROFILE, max_examples=max(50, PROFILE.max_examples // 4))

SOURCES: list[str] = [p.read_text(encoding="utf-8") for p in EXAMPLES] + [starter_spec("fuzzed")]
DATA: list[Any] = [yaml.safe_load(text) for text in SOURCES]

# --- the pipeline under test ------------------------------------------------------------------------


def assert_positioned(problems: list[Problem], text: str) -> None:
    assert problems, "an error without a single problem"
    lines = len(text.splitlines()) + text.count("\n") + 2  # YAML also breaks lines at \r, \x85, \u2028
    for problem in problems:
        assert problem.file == DISPLAY
        assert 1 <= problem.line <= lines and problem.column >= 1, problem.render()
        assert problem.message.strip(), problem
        assert "Traceback" not in problem.message


def pipeline(text: str) -> str:
    """Load, validate and render `text`; returns how it ended ("spec-error", "invalid", "rendered")."""
    try:
        loaded = validate_document(parse_document(text, DISPLAY))
    except SpecError as error:
        assert_positioned(error.problems, text)
        return "spec-error"
    problems = check(loaded)
    if problems:
        assert_positioned(problems, text)
    if any(p.level == "error" for p in problems):
        return "invalid"
    model = build_model(loaded.spec, DISPLAY)
    produced = outputs.produce_all(Stack((model,)))
    plan = write.Plan.of({name: output.files for name, output in produced.items()})  # refuses unsafe paths
    for path, rendered in plan.files.items():
        if path.endswith(".json"):
            json.loads(rendered)
        elif path.endswith((".yml", ".yaml")):
            list(yaml.load_all(rendered, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    return "rendered"


# --- mutations --------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "0", "1e400", "5m", "-1s", "99.999", "{{window}}", "{{ 7*7 }}", "{% raw %}", "../x", "a/b",
                     'x"y', "\\", "\n", "\t", "\u2028", "P0", "critical", "sum(rate(x[5m]))", "up{", "#", "*a", "&a"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_of(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_of(value, prefix + (index,))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


ODD_STRINGS = st.sampled_from(["", " ", "0", "0s", "1ms", "1y", "999d", "5m", "100%", "1GB", "x" * 300, "a/b", "../etc",
                               'q"uote', "back\\slash", "new\nline", "{{ 7*7 }}", "{% if %}", "$__rate_interval",
                               "sum(rate(x[5m]))", "up{job=\"a\"}", "up{", "critical", "P0", "monday:friday", "25:00-26:00",
                               "http://", "https://example.com/{alert}", "Europe/Nowhere", "#", "ünïcødé", "\u2028"])
ODD_NUMBERS = st.sampled_from([0, -1, 1, 100, 101, 99.99999, 1e-12, 1e308, 2**63, -0.0, 65536, 0.5])


def _same_kind(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.just(not value)
    if isinstance(value, (int, float)):
        return ODD_NUMBERS | st.floats(allow_nan=False, allow_infinity=False) | st.integers()
    if isinstance(value, str):
        return ODD_STRINGS | st.text(max_size=12)
    if isinstance(value, list):
        return st.permutations(value).map(list) | st.just([]) | st.just(value + value)
    return st.just({}) | st.just(value)


@st.composite
def mutated_data(draw: st.DrawFn) -> str:
    """An example's data with a few structural mutations, dumped back to YAML."""
    data = json.loads(json.dumps(draw(st.sampled_from(DATA)), default=str))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path), path[-1]
        operation = draw(st.sampled_from(["drop", "retype", "tweak", "tweak", "unicode", "duplicate", "nullify"]))
        note(f"{operation} at {path}")
        if operation == "drop":
            del parent[key]
        elif operation == "retype":
            parent[key] = draw(VALUES)
        elif operation == "tweak":  # same type, odd value: reaches the semantic checks and the producers
            parent[key] = draw(_same_kind(parent[key]))
        elif operation == "unicode" and isinstance(parent[key], str):
            text = parent[key]
            at = draw(st.integers(0, len(text)))
            parent[key] = text[:at] + draw(st.text(min_size=1, max_size=8)) + text[at:]
        elif operation == "duplicate" and isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(parent[key])))
        elif operation == "nullify":
            parent[key] = None
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


YAML_NOISE = st.sampled_from([":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!", "!custom ", "|", ">", "'", '"', "#", "%", "@", "\t", "\n", "  ", "---\n", "...\n", "<<: *a\n", "? ", "\x00", "\ufeff", "\u2028"])


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """An example's text with text-level damage: truncation, noise, duplicated or lost lines."""
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        operation = draw(st.sampled_from(["truncate", "insert", "noise", "duplicate-line", "drop-line", "swap-lines"]))
        lines = text.splitlines(keepends=True)
        note(operation)
        if operation == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif operation == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(min_size=1, max_size=12)) + text[at:]
        elif operation == "noise":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(YAML_NOISE) + text[at + draw(st.integers(0, 2)) :]
        elif lines:
            index = draw(st.integers(0, len(lines) - 1))
            if operation == "duplicate-line":  # a repeated key: "duplicate key"
                lines.insert(index, lines[index])
            elif operation == "drop-line":
                del lines[index]
            else:
                other = draw(st.integers(0, len(lines) - 1))
                lines[index], lines[other] = lines[other], lines[index]
            text = "".join(lines)
    return text


SPEC_KEYS = ["version", "service", "scrape", "metrics", "slos", "alerts", "severities", "channels", "time_intervals",
             "alertmanager", "probes", "dashboards", "stack", "kubernetes", "remote_write"]


@st.composite
def random_spec(draw: st.DrawFn) -> str:
    """A mapping with spec section names (and others) holding random values."""
    keys = draw(st.lists(st.sampled_from(SPEC_KEYS) | st.text(max_size=6), max_size=8, unique=True))
    data = {key: draw(VALUES) for key in keys}
    if draw(st.booleans()):
        data.update(version=1, service={"name": draw(st.sampled_from(["svc", "a", "Bad", "a/b", ""]))},
                    severities=draw(st.lists(st.fixed_dictionaries({"name": st.sampled_from(["critical", "warning", "x/y"])}), max_size=3)))
    return yaml.safe_dump(data, allow_unicode=True)


# --- the tests --------------------------------------------------------------------------------------


def test_every_source_renders_unmutated() -> None:
    """The fuzz seeds themselves are valid specs, so mutations start from something that renders."""
    assert len(SOURCES) >= 2
    for text in SOURCES:
        assert pipeline(text) == "rendered"


@PROFILE
@given(text=st.one_of(mutated_data(), mutated_text()))
def test_mutated_specs_end_cleanly(text: str) -> None:
    note(text[:4000])
    event(pipeline(text))


@RANDOM_PROFILE
@given(text=st.one_of(random_spec(), st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_random_specs_end_cleanly(text: str) -> None:
    note(text[:2000])
    event(pipeline(text))


def test_profile_runs_enough_examples_in_ci() -> None:
    ci = settings.get_profile("promgen-fuzz-ci")
    assert ci.max_examples >= 2000
    if in_ci():
        assert PROFILE.max_examples >= 2000
