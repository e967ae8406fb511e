"""The Jinja environment's filters: to_json writes what json.dumps(indent=2) writes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from promgen.produce.templates import _to_json

_SCALARS = st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.booleans(), st.none())
_KEYS = st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(_VALUES)
def test_to_json_writes_what_json_dumps_writes(value: object) -> None:
    assert _to_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_to_json_writes_subclasses_as_json_does() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 2

    value = {"level": Level.HIGH, "nested": [Level.HIGH, {"x": float("nan")}], Level.HIGH: "key"}
    assert _to_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.one_of(_SCALARS, st.lists(st.text(max_size=8), max_size=3)), max_size=4),
       st.integers(min_value=0, max_value=6))
def test_to_yaml_indents_every_line_but_empty_ones(value: dict[str, object], indent: int) -> None:
    from promgen.produce.templates import _to_yaml
    from promgen.yamlio.writer import dump_yaml

    text = dump_yaml(value).rstrip("\n")
    expected = "\n".join(" " * indent + line if line else line for line in text.splitlines()) if indent else text
    assert _to_yaml(value, indent) == expected
