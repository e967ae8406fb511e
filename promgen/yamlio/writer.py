"""Dumping generated files: deterministic YAML (insertion order, block style, literal multi-line
strings) written by a block writer of its own where it can tell what libyaml would write, and by
libyaml everywhere else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# --- output -------------------------------------------------------------------------------


def dump_yaml(data: Any, indent: int = 0) -> str:
    """Deterministic YAML for generated files: insertion order, block style, literal multi-line
    strings; every line but empty ones indented by `indent` (a document inside a template).

    The same bytes as `yaml.dump(data, Dumper=CSafeDumper, sort_keys=False, default_flow_style=False,
    allow_unicode=True, width=4096)` with literal-style multi-line strings. Mappings and sequences are
    laid out here and the common strings written as libyaml's analysis decides (the block writer
    below); a document with anything else goes to libyaml whole.
    """
    kind = type(data)
    if data and (kind is dict or kind is list or kind is tuple):
        try:
            lines: list[str] = []
            if kind is dict:
                _block_mapping(data, indent, lines.append)
            else:
                _block_sequence(data, indent, lines.append)
            return "".join(lines)
        except _Unwritten:
            pass
    text = _libyaml_dump(data)
    if not indent:
        return text
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in text.rstrip("\n").splitlines()) + "\n"


def _libyaml_dump(data: Any) -> str:
    import yaml

    return str(yaml.emit(_events(data), Dumper=_emitter(), width=4096, allow_unicode=True))


# The block writer: what libyaml writes for block mappings and sequences, laid out directly. Keys
# and scalars take libyaml's own text: the common strings (plain, single-quoted, literal blocks) as
# its analysis decides (`_string_layout`, held to libyaml by tests), the rest asked of libyaml one
# distinct string at a time. Anything it would not lay out as libyaml does (a key that is not a
# simple key, a quoted value folded over lines, nested sequences) raises _Unwritten, and the whole
# document goes through libyaml instead.


class _Unwritten(Exception):
    """The block writer leaves this document to libyaml."""


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]{0,100}")


@lru_cache(maxsize=4096)
def _key_text(key: str) -> str:
    """`key` as libyaml writes a block mapping's key (a simple key: one line, at most 128 characters)."""
    if _PLAIN_KEY.fullmatch(key) and _reads_as(key) == STR_TAG:
        return key
    written = _libyaml_dump({key: 0})
    if not written.endswith(": 0\n") or written.startswith("?") or written.count("\n") != 1:
        raise _Unwritten
    return written[: -len(": 0\n")]


def _block_mapping(data: dict[Any, Any], indent: int, add: Any, first_prefix: str | None = None) -> None:
    """`data` at `indent`; its first line starts with `first_prefix` (a sequence's dash) when given."""
    pad = " " * indent
    prefix = pad if first_prefix is None else first_prefix
    for key, value in data.items():
        key = _key_text(key) if type(key) is str else _other_text(key)
        kind = type(value)
        if kind is dict:
            if value:
                add(f"{prefix}{key}:\n")
                _block_mapping(value, indent + 2, add)
            else:
                add(f"{prefix}{key}: {{}}\n")
        elif kind is list or kind is tuple:
            if value:
                add(f"{prefix}{key}:\n")
                _block_sequence(value, indent, add)  # libyaml does not indent a mapping's sequences
            else:
                add(f"{prefix}{key}: []\n")
        else:
            add(f"{prefix}{key}: {_placed(_value_text(value), indent + 2)}\n")
        prefix = pad


def _block_sequence(data: list[Any] | tuple[Any, ...], indent: int, add: Any) -> None:
    dash = " " * indent + "- "
    for item in data:
        kind = type(item)
        if kind is dict:
            if item:
                _block_mapping(item, indent + 2, add, first_prefix=dash)
            else:
                add(f"{dash}{{}}\n")
        elif kind is list or kind is tuple:
            if item:
                raise _Unwritten  # nested sequences: none in promgen's output
            add(f"{dash}[]\n")
        else:
            add(f"{dash}{_placed(_value_text(item), indent + 2)}\n")


def _placed(text: str, indent: int) -> str:
    """A scalar's text (as written at indent 2) moved to `indent`: only literal blocks span lines."""
    if indent == 2 or "\n" not in text:
        return text
    return _indented(text, " " * (indent - 2))


_LINE_START = re.compile(r"\n(?=[^\n])")  # the start of every line but the first, except empty lines


def _indented(text: str, pad: str) -> str:
    """`pad` put before every line of `text` but the first, except empty lines."""
    if "\n\n" in text or text.endswith("\n"):
        return _LINE_START.sub("\n" + pad, text)
    return text.replace("\n", "\n" + pad)  # no empty line: a dashboard's megabytes, several times faster


def _value_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _string_text(value)
    if kind is not bool and kind is not int and kind is not float and value is not None:
        if isinstance(value, str):
            return _string_text(str(value))
        raise _Unwritten
    return _other_text(value)


def _other_text(value: Any) -> str:
    # not cached: 1, 1.0 and True are one key to a cache, and so are 0.0 and -0.0
    tag, text = _scalar_text(value)
    if _reads_as(text) != tag:
        raise _Unwritten
    return text


# What libyaml writes for the common strings, without asking it; held to its output by tests.
# Plain, as libyaml's analysis allows it in block context: no indicator first (nor `---`/`...`, nor
# `-`, `?` or `:` before a space), no `: ` or ` #`, no space or `:` last, and YAML reads it back as a
# string. At most 1,000 characters, so no line reaches the width, where libyaml would fold.
_PLAIN_VALUE = re.compile(r"(?![-?:](?: |$))(?!---|\.\.\.)[^ #,\[\]{}&*!|>'\"%@`][ -~]{0,1000}")
# One line of printable ASCII: libyaml single-quotes it when it cannot be plain.
_QUOTABLE = re.compile(r"[ -~]{0,1000}")


def _printable_lines(text: str) -> bool:
    """Whether `text` is lines of printable ASCII (`[\\n -~]*`): asked of a dashboard's megabytes, which
    str's own tests answer many times faster than a regular expression."""
    return text.isascii() and text.replace("\n", "").isprintable()


_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def _string_text(text: str) -> str:
    """`text` as libyaml writes it as a block mapping's value at indent 2, without the line break."""
    # A fleet's long texts (a dashboard in a ConfigMap) are written once; caching them only holds memory.
    return _short_string_text(text) if len(text) <= 4096 else _string_layout(text)


@lru_cache(maxsize=65536)
def _short_string_text(text: str) -> str:
    return _string_layout(text)


def _string_layout(text: str) -> str:
    if _QUOTABLE.fullmatch(text):
        if (_PLAIN_VALUE.fullmatch(text) and not text.endswith((" ", ":")) and ": " not in text
                and " #" not in text and _reads_as(text) == STR_TAG):
            return text
        return "'" + text.replace("'", "''") + "'"
    # Lines of printable ASCII make a literal block unless a line ends in a space (libyaml would
    # double-quote the whole), the text starts with a space or a break (it would add an indentation
    # indicator), or more than one break ends it (it would leave the document open with `|+`).
    if ("\n" in text and text[0] not in " \n" and not text.endswith((" ", "\n\n")) and " \n" not in text
            and _printable_lines(text)):
        if text.endswith("\n"):
            return "|\n  " + _indented(text[:-1], "  ")
        return "|-\n  " + _indented(text, "  ")
    return _libyaml_text(text)


def _libyaml_text(text: str) -> str:
    if _OTHER_BREAKS.search(text):
        raise _Unwritten  # libyaml breaks lines at these too, and indents what follows
    written = _libyaml_dump({"k": text})
    if not written.startswith("k: ") or written.endswith("\n...\n"):  # `|+` leaves the document open
        raise _Unwritten
    body = written[3:].removesuffix("\n")
    if "\n" in body and not body.startswith("|"):
        raise _Unwritten  # a quoted scalar folded over lines
    return body


STR_TAG = "tag:yaml.org,2002:str"


def _events(data: Any) -> list[Any]:
    import yaml

    events: list[Any] = [yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=None)]
    _add_node(data, events.append, yaml.ScalarEvent, yaml)
    events += [yaml.DocumentEndEvent(explicit=None), yaml.StreamEndEvent()]
    return events


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def _add_node(data: Any, add: Any, scalar: Any, yaml: Any) -> None:
    """Append the events of `data`; dispatch on the exact type first (it runs once per value)."""
    kind = type(data)
    if kind is str:
        add(scalar(None, STR_TAG, (_reads_as(data) == STR_TAG, True), data, style="|" if "\n" in data else None))
    elif kind is dict:
        add(yaml.MappingStartEvent(None, _MAP_TAG, True, flow_style=False))
        for key, value in data.items():
            if type(key) is str:
                add(scalar(None, STR_TAG, (_reads_as(key) == STR_TAG, True), key, style="|" if "\n" in key else None))
            else:
                _add_node(key, add, scalar, yaml)
            if type(value) is str:
                add(scalar(None, STR_TAG, (_reads_as(value) == STR_TAG, True), value,
                           style="|" if "\n" in value else None))
            else:
                _add_node(value, add, scalar, yaml)
        add(yaml.MappingEndEvent())
    elif kind is list or kind is tuple:
        add(yaml.SequenceStartEvent(None, _SEQ_TAG, True, flow_style=False))
        for item in data:
            _add_node(item, add, scalar, yaml)
        add(yaml.SequenceEndEvent())
    elif isinstance(data, str):
        _add_node(str(data), add, scalar, yaml)
    elif isinstance(data, dict):
        _add_node(dict(data), add, scalar, yaml)
    else:
        tag, text = _scalar_text(data)
        add(scalar(None, tag, (_reads_as(text) == tag, tag == STR_TAG), text, style=None))


def _scalar_text(value: Any) -> tuple[str, str]:
    """(tag, text) of a non-string scalar, as PyYAML's SafeRepresenter writes it."""
    if value is None:
        return "tag:yaml.org,2002:null", "null"
    if isinstance(value, bool):
        return "tag:yaml.org,2002:bool", "true" if value else "false"
    if isinstance(value, int):
        return "tag:yaml.org,2002:int", str(value)
    if isinstance(value, float):
        if value != value:
            text = ".nan"
        elif value in (float("inf"), float("-inf")):
            text = ".inf" if value > 0 else "-.inf"
        else:
            text = repr(value).lower()
            if "." not in text and "e" in text:
                text = text.replace("e", ".0e", 1)
        return "tag:yaml.org,2002:float", text
    raise TypeError(f"cannot write a {type(value).__name__} as YAML")


@lru_cache(maxsize=65536)
def _reads_as(text: str) -> str:
    """The tag YAML reads a plain scalar `text` as (str unless it looks like a number, bool, null...)."""
    from yaml.nodes import ScalarNode

    return str(_resolver().resolve(ScalarNode, text, (True, False)))


@lru_cache(maxsize=1)
def _resolver() -> Any:
    import yaml

    return yaml.resolver.Resolver()


@lru_cache(maxsize=1)
def _emitter() -> Any:
    """libyaml's emitter when available (several times faster than PyYAML's; same bytes)."""
    import yaml

    return getattr(yaml, "CSafeDumper", yaml.SafeDumper)
