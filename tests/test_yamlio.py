"""The spec loader: YAML 1.2 scalars, merges, positions, and hostile input."""

from __future__ import annotations

import pytest

from promgen.errors import SpecError
from promgen.yamlio import MAX_DEPTH, parse_document


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
