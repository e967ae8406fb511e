"""The Jinja environment's filters: to_json lays JSON out as json.dumps(indent=2) does, and reads back
as the value it wrote."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from promgen.produce.templates import _to_json

_FINITE = st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.one_of(st.text(max_size=12), st.integers(min_value=-(2**63), max_value=2**64 - 1), _FINITE,
                     st.booleans(), st.none())


def _values(scalars: st.SearchStrategy[object], keys: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                st.dictionaries(keys, inner, max_size=4)),
        max_leaves=30,
    )


@settings(max_examples=500, deadline=None)
@given(_values(st.one_of(st.text(max_size=12), st.integers(min_value=-(2**63), max_value=2**64 - 1),
                         st.booleans(), st.none()), st.text(max_size=8)))
def test_to_json_lays_out_what_json_dumps_lays_out(value: object) -> None:
    assert _to_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=500, deadline=None)
@given(_values(_SCALARS, st.text(max_size=8)))
def test_to_json_reads_back_as_the_value(value: object) -> None:
    """Floats too (orjson writes a few of them its own way: `1e-9` for json's `1e-09`)."""
    text = _to_json(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert all(line == line.rstrip(" ") for line in text.split("\n"))  # no trailing space (U+2028 is no break in JSON)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none()), _values(_SCALARS, st.text(max_size=8)),
                       min_size=1, max_size=3),
       st.integers(min_value=2**64))
def test_what_orjson_refuses_json_writes(value: dict[object, object], large: int) -> None:
    """Keys other than strings, and integers past 64 bits: json.dumps, byte for byte."""
    assert _to_json(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert _to_json([large, value]) == json.dumps([large, value], indent=2, ensure_ascii=False)


def test_to_json_writes_subclasses_as_json_does() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 2

    value = {"level": Level.HIGH, "nested": [Level.HIGH, {"x": "y"}], Level.HIGH: "key"}
    assert _to_json(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert _to_json({"level": Level.HIGH}) == json.dumps({"level": Level.HIGH}, indent=2)


def test_json_has_no_nan_nor_infinity() -> None:
    assert json.loads(_to_json({"a": float("nan"), "b": [float("inf"), float("-inf")]})) == {"a": None, "b": [None, None]}


def test_a_dashboard_number_reads_back_exactly() -> None:
    assert _to_json({"le": 1e-09, "tiny": 1e-05}) == '{\n  "le": 1e-9,\n  "tiny": 0.00001\n}'


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.one_of(_SCALARS, st.lists(st.text(max_size=8), max_size=3)), max_size=4),
       st.integers(min_value=0, max_value=6))
def test_to_yaml_indents_every_line_but_empty_ones(value: dict[str, object], indent: int) -> None:
    from promgen.produce.templates import _to_yaml
    from promgen.yamlio.writer import dump_yaml

    text = dump_yaml(value).rstrip("\n")
    expected = "\n".join(" " * indent + line if line else line for line in text.splitlines()) if indent else text
    assert _to_yaml(value, indent) == expected
