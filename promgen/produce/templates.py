"""The one Jinja environment. Templates lay out finished data; they compute nothing."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from promgen.yamlio.writer import dump_yaml


def templates_dir() -> Path:
    """Templates ship inside the wheel as promgen/templates; a source checkout has them at the top."""
    package = Path(__file__).resolve().parent.parent  # promgen/
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("promgen's templates are missing from this installation")


def _to_yaml(value: Any, indent: int = 0) -> str:
    return dump_yaml(value, indent).rstrip("\n")


def _to_json(value: Any) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False), byte for byte, without its pure-Python
    encoder (json takes that path whenever it indents): dashboards of a thousand SLOs are large."""
    parts: list[str] = []
    _json_into(value, parts.append, "\n")
    return "".join(parts)


def _json_into(value: Any, add: Any, newline: str) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            add("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            key_text = _ENCODE_STRING(key if type(key) is str else _json_key(key))
            leaf = _JSON_LEAF.get(type(item))
            if leaf is not None:  # most values: written here rather than by a call per value
                add(f"{separator}{key_text}: {leaf(item)}")
            else:
                add(f"{separator}{key_text}: ")
                _json_into(item, add, inner)
            separator = "," + inner
        add(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            add("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            leaf = _JSON_LEAF.get(type(item))
            if leaf is not None:
                add(separator + leaf(item))
            else:
                add(separator)
                _json_into(item, add, inner)
            separator = "," + inner
        add(newline + "]")
    else:
        leaf = _JSON_LEAF.get(kind)
        add(leaf(value) if leaf is not None else json.dumps(value))


def _json_float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return json.dumps(value)  # NaN, Infinity, -Infinity, as json writes them
    return float.__repr__(value)


def _json_key(key: Any) -> str:
    return json.dumps(key).strip('"') if not isinstance(key, str) else key


_ENCODE_STRING = json.encoder.encode_basestring  # C-accelerated, as ensure_ascii=False uses
# Writers of the values that hold no others, by exact type (a subclass takes json's own path).
_JSON_LEAF: dict[type, Any] = {
    str: _ENCODE_STRING,
    int: int.__repr__,
    float: _json_float,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _: "null",
}


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["to_yaml"] = _to_yaml
    env.filters["to_json"] = _to_json
    return env


def render_template(name: str, **data: Any) -> str:
    """Render `templates/<name>` with finished data. User strings are data, never template source."""
    return str(environment().get_template(name).render(**data))
