"""The spec loader: YAML 1.2 scalars, merges, positions, and hostile input."""

from __future__ import annotations

import pytest

from promgen.errors import SpecError
from promgen.yamlio.reader import MAX_DEPTH, parse_document


def test_plain_scalars_follow_yaml_1_2() -> None:
    data = parse_document(
        "version: 1\nno_bool: no\non_bool: on\noctal: 0755\nsci: 1e9\nhex: 0x1F\nyes: true\n"
        "nothing: ~\nquoted: '5'\ntagged: !!str 7\nday: 2024-01-01\nratio: 1.5\n",
        "f.yaml",
    ).data
    assert data == {
        "version": 1,
        "no_bool": "no",
        "on_bool": "on",
        "octal": 755,
        "sci": 1e9,
        "hex": 31,
        "yes": True,
        "nothing": None,
        "quoted": "5",
        "tagged": "7",
        "day": "2024-01-01",
        "ratio": 1.5,
    }


def test_merge_keys_fill_missing_keys_only() -> None:
    data = parse_document("base: &b {x: 1, y: 2}\nderived: {<<: *b, y: 3}\n", "f.yaml").data
    assert data["derived"] == {"y": 3, "x": 1}


def test_positions_of_keys_and_values_are_one_based() -> None:
    doc = parse_document("version: 1\nservice:\n  name: x\nlist:\n  - a: 1\n", "f.yaml")
    assert doc.positions.values[("service", "name")] == (3, 9)
    assert doc.positions.keys[("service", "name")] == (3, 3)
    assert doc.positions.values[("list", 0)] == (5, 5)
    assert doc.positions.of_value(("list", 0, "missing")) == (5, 5)


def test_brackets_in_strings_and_comments_are_not_nesting() -> None:
    text = "version: 1\n# " + "[" * 100 + "\nteam: '" + "{" * 100 + "'\n"
    assert parse_document(text, "f.yaml").data["team"] == "{" * 100


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("a: " + "[" * (MAX_DEPTH + 10) + "]" * (MAX_DEPTH + 10) + "\n", (1, 4 + MAX_DEPTH), "nesting deeper"),
        ("version: 1\nversion: 2\n", (2, 1), 'duplicate key "version" (first at line 1)'),
        ("a:\n  b: 1\n\tc: 2\n", (3, 1), "tab character"),
        ("expr: {{window}}\n", (1, 8), "put it in quotes"),
        ("a: !custom x\n", (1, 4), "not supported"),
        ("# comment\n- a\n", (2, 1), "not a list"),
    ],
)
def test_broken_documents_point_at_the_problem(text: str, position: tuple[int, int], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_document(text, "f.yaml")
    [problem] = raised.value.problems
    assert (problem.line, problem.column) == position
    assert message in problem.message


# --- output -------------------------------------------------------------------------------------

import yaml  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from promgen.yamlio import writer as yamlio  # noqa: E402


class _LiteralDumper(yaml.CSafeDumper):
    """PyYAML's own dump, as dump_yaml documents it: libyaml, literal blocks for multi-line strings."""


def _literal_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_LiteralDumper.add_representer(str, _literal_str)


def _reference(data: object) -> str:
    return yaml.dump(data, Dumper=_LiteralDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=4096)


# Strings a generator writes, and strings that need care: numbers, booleans and nulls as text,
# indicators, `: ` and ` #`, quotes, leading and trailing spaces and line breaks, unicode, control
# characters, long lines.
_TRICKY = st.sampled_from([
    "", " ", "a b", "a: b", "a #b", "a#b", "-", "- a", "-a", "?", "? a", ":", "a:", "#", "!x", "&a", "*a",
    "|", ">", "'", '"', "%x", "@x", "`x", "{a}", "[a]", "a,b", "0", "1.5", "1e3", "0x1F", "0o7", "1_000",
    "true", "False", "yes", "no", "on", "~", "null", ".inf", "-.inf", ".nan", "2001-12-14", "12:30",
    "a\nb", "a\n", "a\n\n", "\na", " a\nb", "a \nb", "a\n b", "a\tb", "\x07", "é ✓", "\u2028", "a\rb", "a\x85b",
    "...", "... a", "---", "--- a", ".a", "$x", "a::b", "a:b", "https://x.example/a?b=c&d=%20", "a ? b",
    "5%", "a  b", "x & y", "(a)", "a;b", "a :b", "a: ", "a:\n", "slo:sli_error:ratio_rate5m",
    'rate(x{a="b"}[5m]) > 0.5', "{{ $value | humanizePercentage }}", "0+10x120", "_x1", "x" * 300,
])
_STRINGS = st.one_of(_TRICKY, st.text(max_size=30), st.lists(_TRICKY, max_size=4).map(" ".join),
                     st.lists(_TRICKY, max_size=4).map("\n".join))
_SCALARS = st.one_of(_STRINGS, st.integers(), st.floats(), st.booleans(), st.none())
_KEYS = st.one_of(_STRINGS, st.integers(), st.booleans())
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=25,
)


@pytest.mark.parametrize("text", _TRICKY.elements)
def test_each_tricky_string_is_written_as_pyyaml_writes_it(text: str) -> None:
    """As a key and as a value, in a mapping, a sequence, and nested deeper (literal blocks move)."""
    document = {text: text, "k": [text, {text: [text]}], "d": {"e": {"f": text}}}
    assert yamlio.dump_yaml(document) == _reference(document)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.dictionaries(_KEYS, _DOCUMENTS, max_size=5), st.lists(_DOCUMENTS, max_size=4)))
def test_dump_yaml_writes_what_pyyaml_writes(document: object) -> None:
    assert yamlio.dump_yaml(document) == _reference(document)


_LAYOUT_CHARACTERS = st.sampled_from(list(" \n\tab:#'\"-?|>{}[],&*!%@`.019xyz\\~é\x07\x7f"))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.text(_LAYOUT_CHARACTERS, max_size=12), st.text(max_size=8), _TRICKY))
def test_strings_written_without_libyaml_are_what_libyaml_writes(text: str) -> None:
    """Plain, single-quoted and literal strings are laid out directly; each must equal libyaml's."""
    try:
        expected: str | None = yamlio._libyaml_text(text)
    except yamlio._Unwritten:
        expected = None
    try:
        written: str | None = yamlio._string_layout(text)
    except yamlio._Unwritten:
        written = None
    assert written == expected


def test_the_block_writer_lays_out_generated_files_itself() -> None:
    """Rule and test files take the direct path (libyaml writes their scalars, not their layout)."""
    document = {
        "groups": [{"name": "x", "labels": {"a.b/c": "d"}, "rules": [
            {"alert": "A", "expr": 'sum(rate(x{a="b"}[5m])) > 0.5', "for": "5m",
             "annotations": {"summary": "Value: {{ $value }}", "description": "two\nlines\n"}},
            {"record": "r", "expr": "1", "labels": {"n": 1, "b": True, "f": 0.5, "z": None}},
        ]}],
        "empty": {}, "none": [], "nested": {"deep": [{}, [], "x"]},
    }
    lines: list[str] = []
    yamlio._block_mapping(document, 0, lines.append)  # raises _Unwritten when it would hand over
    assert "".join(lines) == _reference(document)
