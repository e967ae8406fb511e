"""All YAML I/O: loading specs with source positions and dumping generated files.

Specs are composed by libyaml (PyYAML's C parser: fast, with marks) and turned into plain data
with YAML 1.2 scalar rules by a small walker that records every key's and value's position.
Loading is defensive: a spec is user input, so every way a file can be broken becomes one
`Problem` with a position, never an exception from a parser or a hang.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from promgen.errors import Problem, SpecError

MAX_SPEC_BYTES = 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_INT_DIGITS = 100  # Python refuses to print integers past 4,300 digits; no field needs more than 20

PathKey = tuple[str | int, ...]


@dataclass
class Positions:
    """1-based (line, column) of every key and value in a loaded document, by path; for a spec merged
    with its base (`extends`), also the file each value was written in."""

    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    files: dict[PathKey, str] = field(default_factory=dict)  # only where not the document's own file

    def _nearest(self, path: PathKey, table: dict[PathKey, tuple[int, int]]) -> PathKey | None:
        for end in range(len(path), -1, -1):
            if path[:end] in table:
                return path[:end]
        return None

    def of_value(self, path: PathKey) -> tuple[int, int]:
        """Position of the value at `path`, or of the nearest enclosing value that has one."""
        found = self._nearest(path, self.values)
        return self.values[found] if found is not None else (1, 1)

    def of_key(self, path: PathKey) -> tuple[int, int]:
        return self.keys.get(path) or self.of_value(path)

    def locate(self, path: PathKey, default_file: str, *, at_key: bool = False) -> tuple[str, int, int]:
        """(file, line, column) of the key or value at `path` (or the nearest enclosing value)."""
        if at_key and path in self.keys:
            return self.files.get(path, default_file), *self.keys[path]
        found = self._nearest(path, self.values)
        if found is None:
            return default_file, 1, 1
        return self.files.get(found, default_file), *self.values[found]


@dataclass(frozen=True)
class Document:
    """A loaded spec file: plain data (dicts, lists, scalars) and where each part came from."""

    file: str
    data: Any
    positions: Positions

    def problem(self, path: PathKey, message: str, *, at_key: bool = False, level: str = "error") -> Problem:
        file, line, col = self.positions.locate(path, self.file, at_key=at_key)
        return Problem(file, line, col, message, level)  # type: ignore[arg-type]


def _fail(file: str, line: int, col: int, message: str) -> SpecError:
    return SpecError([Problem(file, line, col, message)])


def read_text(path: Path, display: str) -> str:
    """The spec's text; size, encoding and readability problems become a SpecError."""
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise _fail(display, 1, 1, f"file is {size} bytes; a spec may be at most {MAX_SPEC_BYTES} bytes")
        raw = _read_bounded(path, display)
        if len(raw) > MAX_SPEC_BYTES:
            raise _fail(display, 1, 1, f"more than {MAX_SPEC_BYTES} bytes; a spec may be at most {MAX_SPEC_BYTES} bytes")
    except IsADirectoryError:
        raise _fail(display, 1, 1, "is a directory, not a spec file") from None
    except FileNotFoundError:
        raise _fail(display, 1, 1, "no such file") from None
    except OSError as error:
        raise _fail(display, 1, 1, f"cannot read: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        col = error.start - (before.rfind(b"\n") + 1) + 1
        raise _fail(display, line, col, f"not UTF-8 text (byte 0x{raw[error.start]:02x}); save the spec as UTF-8") from None


PIPE_WAIT_S = 30.0  # a pipe (`/dev/stdin`, `<(...)`) that sends nothing for this long is given up on


def _read_bounded(path: Path, display: str) -> bytes:
    """At most MAX_SPEC_BYTES + 1 bytes of `path`.

    Opened non-blocking, so a named pipe nobody writes to reads as empty instead of hanging, and
    /dev/zero stops at the size limit; a pipe whose writer goes quiet is given up on after
    PIPE_WAIT_S seconds.
    """
    import select

    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        if stat.S_ISDIR(os.fstat(handle).st_mode):
            raise IsADirectoryError(path)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_SPEC_BYTES:
            try:
                chunk = os.read(handle, min(1 << 20, MAX_SPEC_BYTES + 1 - size))
            except BlockingIOError:
                ready, _, _ = select.select([handle], [], [], PIPE_WAIT_S)
                if not ready:
                    raise _fail(display, 1, 1, f"nothing to read after {PIPE_WAIT_S:g}s (a pipe nobody writes to?)") from None
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def _yaml_problem(display: str, error: Exception, text: str = "") -> SpecError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = str(getattr(error, "problem", None) or str(error).splitlines()[0]).strip()
    context = str(getattr(error, "context", None) or "").strip()
    lines = text.splitlines()
    at_mark = lines[line - 1][col - 1 : col] if 0 < line <= len(lines) else ""
    if "\\t" in problem or "\t" in problem or at_mark == "\t":
        message = "tab character: YAML indentation must use spaces"
    elif "duplicate key" in problem:
        message = problem.split(" with value", 1)[0].replace("found ", "")
    else:
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return _fail(display, line, col, message)


def load_document(path: Path, display: str | None = None) -> Document:
    """Load one spec file into plain data plus positions; raises SpecError on any problem."""
    display = display or str(path)
    text = read_text(path, display)
    return parse_document(text, display)


def parse_document(text: str, display: str) -> Document:
    """Parse spec text into plain data and positions (YAML 1.2 core-schema scalars)."""
    import yaml

    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise _fail(display, 1, 1, "the spec is empty: it needs at least `version: 1`, `service` and `severities`")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    deep = _too_deep(text, loader)
    if deep is not None:
        raise _fail(display, *deep, f"nesting deeper than {MAX_DEPTH} levels; a spec is never that deep")
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as error:
        raise _yaml_problem(display, error, text) from None
    except RecursionError:
        raise _fail(display, 1, 1, f"nesting deeper than {MAX_DEPTH} levels; a spec is never that deep") from None
    if root is None:
        raise _fail(display, 1, 1, "the spec is empty: it needs at least `version: 1`, `service` and `severities`")
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        line, col = root.start_mark.line + 1, root.start_mark.column + 1
        raise _fail(display, line, col, f"the spec must be a mapping of sections (version, service, ...), not {kind}")
    walker = _Walker(display, text)
    data = walker.walk(root, (), 0)
    walker.positions.values[()] = (1, 1)
    return Document(display, data, walker.positions)


def load_documents(path: Path, display: str | None = None) -> list[Document]:
    """Every document of a multi-document YAML file (`---` separated; empty ones skipped), each with
    its positions: the files other tools read (sloth, OpenSLO, pyrra) are often several in one."""
    import yaml

    display = display or str(path)
    text = read_text(path, display)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    deep = _too_deep(text, loader)
    if deep is not None:
        raise _fail(display, *deep, f"nesting deeper than {MAX_DEPTH} levels")
    try:
        roots = [root for root in yaml.compose_all(text, Loader=loader) if root is not None]
    except yaml.YAMLError as error:
        raise _yaml_problem(display, error, text) from None
    except RecursionError:
        raise _fail(display, 1, 1, f"nesting deeper than {MAX_DEPTH} levels") from None
    walker = _Walker(display, text)  # one node budget for the whole file
    documents = []
    for root in roots:
        walker.positions = Positions()
        data = walker.walk(root, (), 0)
        walker.positions.values[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
        documents.append(Document(display, data, walker.positions))
    return documents


_BRACKETS = re.compile(r"[\[\]{}]").findall


def _max_flow_depth(text: str) -> int:
    """Deepest bracket nesting, counting brackets anywhere (an upper bound of the flow depth)."""
    depth = deepest = 0
    for char in _BRACKETS(text):  # the brackets alone: a loop over every character is slow in Python
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest


def _too_deep(text: str, loader: Any) -> tuple[int, int] | None:
    """Where nesting passes MAX_DEPTH, else None.

    libyaml's composer recurses in C, so a document nested thousands of levels deep crashes the
    process instead of raising; its parser is iterative, so the depth is measured on its events.
    Each block level takes at least one column of indentation or indicators and each flow level
    a bracket, so only documents with a deep line start or many open brackets (which may also
    sit in strings or comments) need the extra pass.
    """
    import yaml

    indented = max((len(line) - len(line.lstrip(" -?:")) for line in text.splitlines()), default=0)
    if indented <= MAX_DEPTH and _max_flow_depth(text) <= MAX_DEPTH:
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the root mapping is depth 0 to the walker, 1 here
                    mark = event.start_mark
                    assert mark is not None  # the parser marks every event it emits
                    return mark.line + 1, mark.column + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # composing reports the syntax error, with its position, before nesting this deep
    return None


# YAML 1.2 core schema for plain scalars: `no`, `on`, `0755` and `1:30` stay strings (unlike YAML 1.1).
_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")
_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary", "merge", "omap", "pairs", "set", "value")}


def _scalar(value: str, plain: bool) -> Any:
    if not plain:
        return value
    if _NULL.match(value):
        return None
    if _BOOL.match(value):
        return value.lower() == "true"
    if _INT.match(value):
        if len(value) > MAX_INT_DIGITS:
            raise ValueError(f"a number with {len(value)} digits is too large for any field of a spec")
        return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
    if _FLOAT.match(value):
        special = value.lstrip("+-").lower()
        if special in (".inf", ".nan"):
            return float(value.replace(".", "", 1))
        return float(value)
    return value


class _Walker:
    """Turns a composed YAML node tree into plain Python, recording where each value came from.

    Aliases are expanded here, so a node budget stops 'billion laughs' documents.
    """

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.lines = text.splitlines()
        self.positions = Positions()
        self.budget = MAX_NODES

    def explicitly_tagged(self, node: Any) -> bool:
        """`!!str 7` keeps its tag; only untagged plain scalars follow the YAML 1.2 rules."""
        line, col = node.start_mark.line, node.start_mark.column
        return 0 <= line < len(self.lines) and self.lines[line][col : col + 1] == "!"

    def fail(self, node: Any, message: str) -> SpecError:
        return _fail(self.file, node.start_mark.line + 1, node.start_mark.column + 1, message)

    def walk(self, node: Any, path: PathKey, depth: int) -> Any:
        import yaml

        self.budget -= 1
        if self.budget < 0:
            # aliased nodes carry their anchor's position; the section being expanded is more useful
            line, col = self.positions.of_value(path[:1])
            raise _fail(self.file, line, col, f"the document expands to more than {MAX_NODES} values (too many aliases?)")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels; a spec is never that deep")
        if node.tag not in _STANDARD_TAGS and not node.tag.startswith("tag:yaml.org,2002:"):
            raise self.fail(node, f"YAML tag {node.tag!r} is not supported in a spec")
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                child_path = path + (index,)
                self.positions.values[child_path] = (child.start_mark.line + 1, child.start_mark.column + 1)
                items.append(self.walk(child, child_path, depth + 1))
            return items
        try:
            return _scalar(node.value, plain=not node.style and not self.explicitly_tagged(node))
        except ValueError as error:
            raise self.fail(node, str(error)) from None

    def mapping(self, node: Any, path: PathKey, depth: int) -> dict[str, Any]:
        import yaml

        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merged: list[Any] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(
                    key_node,
                    "YAML read this value as a nested mapping or list (it starts with `{` or `[`); put it in quotes",
                )
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.append(value_node)
                continue
            key = key_node.value
            if key in first_line:
                raise self.fail(key_node, f'duplicate key "{key}" (first at line {first_line[key]})')
            first_line[key] = key_node.start_mark.line + 1
            child = path + (key,)
            self.positions.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            self.positions.values[child] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            result[key] = self.walk(value_node, child, depth + 1)
        for source in merged:  # `<<: *defaults` -- explicit keys win
            sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
            for item in sources:
                if not isinstance(item, yaml.MappingNode):
                    raise self.fail(item, "`<<` merges a mapping (or a list of mappings) into this one")
                for key, value in self.mapping(item, path, depth + 1).items():
                    result.setdefault(key, value)
        return result


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
    return _LINE_START.sub("\n" + " " * (indent - 2), text)


_LINE_START = re.compile(r"\n(?=[^\n])")  # the start of every line but the first, except empty lines


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
# Lines of printable ASCII make a literal block unless a line ends in a space (libyaml would
# double-quote the whole), the text starts with a space or a break (it would add an indentation
# indicator), or more than one break ends it (it would leave the document open with `|+`).
_NOT_LINES = re.compile(r"[^\n -~]")  # one character class: fast over a long text (a dashboard)

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
    if ("\n" in text and text[0] not in " \n" and not text.endswith((" ", "\n\n")) and " \n" not in text
            and not _NOT_LINES.search(text)):
        if text.endswith("\n"):
            return "|\n  " + _LINE_START.sub("\n  ", text[:-1])
        return "|-\n  " + _LINE_START.sub("\n  ", text)
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
