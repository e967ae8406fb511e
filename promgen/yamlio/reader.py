"""Loading specs with source positions: YAML composed by libyaml (PyYAML's C parser, with marks) and
turned into plain data with YAML 1.2 scalar rules by a small walker that records every key's and
value's position; plain block YAML (most of a large spec) is read by promgen.yamlio.block into the
same data and positions, several times faster. Loading is defensive: a spec is user input, so every way a file can be
broken becomes one `Problem` with a position, never an exception from a parser or a hang.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
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
    # (display name, sha256 of the text) of every file it was read from (a spec and its bases): equal
    # sources, equal documents, so what is derived from a document alone can be remembered by them.
    sources: tuple[tuple[str, str], ...] = ()

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
    document = parse_document(text, display)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return Document(document.file, document.data, document.positions, ((display, digest),))


def parse_document(text: str, display: str) -> Document:
    """Parse spec text into plain data and positions (YAML 1.2 core-schema scalars): plain block YAML
    by promgen.yamlio.block, anything else composed by libyaml."""
    from promgen.yamlio import block

    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise _fail(display, 1, 1, "the spec is empty: it needs at least `version: 1`, `service` and `severities`")
    quick = block.read(text)
    if quick is not None:
        data, positions = quick
        positions.values[()] = (1, 1)
        return Document(display, data, positions)
    return compose_document(text, display)


def compose_document(text: str, display: str) -> Document:
    """`parse_document` by libyaml alone: every YAML a spec may hold, and every error with its place."""
    import yaml

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


_RESOLVED_STARTS = frozenset("~nNtTfF+-.0123456789")  # what a null, bool, int or float can start with


def resolve_scalar(value: str, plain: bool) -> Any:
    """A scalar's value: a plain one by the YAML 1.2 core schema, a quoted or tagged one as written."""
    if not plain or (value and value[0] not in _RESOLVED_STARTS):
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
            return resolve_scalar(node.value, plain=not node.style and not self.explicitly_tagged(node))
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
