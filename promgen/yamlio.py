"""All YAML I/O: loading specs with source positions (ruamel.yaml) and dumping outputs (PyYAML).

Loading is defensive: a spec is user input, so every way a file can be broken becomes one
`Problem` with a position, never an exception from a parser or a hang.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promgen.errors import Problem, SpecError

MAX_SPEC_BYTES = 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

PathKey = tuple[str | int, ...]


@dataclass
class Positions:
    """1-based (line, column) of every key and value in a loaded document, by path."""

    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: PathKey) -> tuple[int, int]:
        """Position of the value at `path`, or of the nearest enclosing value that has one."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return (1, 1)

    def of_key(self, path: PathKey) -> tuple[int, int]:
        return self.keys.get(path) or self.of_value(path)


@dataclass(frozen=True)
class Document:
    """A loaded spec file: plain data (dicts, lists, scalars) and where each part came from."""

    file: str
    data: Any
    positions: Positions

    def problem(self, path: PathKey, message: str, *, at_key: bool = False, level: str = "error") -> Problem:
        line, col = self.positions.of_key(path) if at_key else self.positions.of_value(path)
        return Problem(self.file, line, col, message, level)  # type: ignore[arg-type]


def _fail(file: str, line: int, col: int, message: str) -> SpecError:
    return SpecError([Problem(file, line, col, message)])


def read_text(path: Path, display: str) -> str:
    """The spec's text; size, encoding and readability problems become a SpecError."""
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise _fail(display, 1, 1, f"file is {size} bytes; a spec may be at most {MAX_SPEC_BYTES} bytes")
        raw = path.read_bytes()
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


def _yaml_problem(display: str, error: Exception) -> SpecError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = str(getattr(error, "problem", None) or str(error).splitlines()[0]).strip()
    context = str(getattr(error, "context", None) or "").strip()
    if "\\t" in problem or "\t" in problem:
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
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    if not text.strip() or all(l.strip().startswith("#") or not l.strip() for l in text.splitlines()):
        raise _fail(display, 1, 1, "the spec is empty: it needs at least `version: 1`, `service` and `severities`")
    depth = _max_flow_depth(text)
    if depth > MAX_DEPTH:
        raise _fail(display, 1, 1, f"nesting deeper than {MAX_DEPTH} levels; a spec is never that deep")
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        loaded = yaml.load(text)
    except YAMLError as error:
        raise _yaml_problem(display, error) from None
    except RecursionError:
        raise _fail(display, 1, 1, f"nesting deeper than {MAX_DEPTH} levels; a spec is never that deep") from None
    except Exception as error:  # ruamel raises a few non-YAMLError types on hostile input
        raise _yaml_problem(display, error) from None
    if loaded is None:
        raise _fail(display, 1, 1, "the spec is empty: it needs at least `version: 1`, `service` and `severities`")
    if not isinstance(loaded, dict):
        kind = "a list" if isinstance(loaded, list) else f"a single value ({type(loaded).__name__})"
        raise _fail(display, 1, 1, f"the spec must be a mapping of sections (version, service, ...), not {kind}")
    positions = Positions()
    positions.values[()] = (1, 1)
    budget = [MAX_NODES]
    try:
        data = _plain(loaded, (), positions, budget, 0, display)
    except RecursionError:
        raise _fail(display, 1, 1, f"nesting deeper than {MAX_DEPTH} levels; a spec is never that deep") from None
    return Document(display, data, positions)


def _max_flow_depth(text: str) -> int:
    """Deepest bracket nesting, checked before parsing so hostile input cannot exhaust the stack."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest if deepest > MAX_DEPTH else 0


def _plain(node: Any, path: PathKey, positions: Positions, budget: list[int], depth: int, file: str) -> Any:
    """Copy ruamel's round-trip objects into plain Python, recording positions on the way.

    Aliases are expanded here, so a node budget stops 'billion laughs' documents.
    """
    budget[0] -= 1
    if budget[0] < 0:
        line, col = positions.of_value(path)
        raise _fail(file, line, col, f"the document expands to more than {MAX_NODES} values (too many aliases?)")
    if depth > MAX_DEPTH:
        line, col = positions.of_value(path)
        raise _fail(file, line, col, f"nesting deeper than {MAX_DEPTH} levels; a spec is never that deep")
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        lc = getattr(node, "lc", None)
        for key, value in node.items():
            if not isinstance(key, (str, int, float, bool)) or key is None:
                line, col = positions.of_value(path)
                raise _fail(
                    file, line, col,
                    "YAML read this value as a nested mapping or list (it starts with `{` or `[`); put it in quotes",
                )
            key_text = str(key).lower() if isinstance(key, bool) else str(key)
            child = path + (key_text,)
            if lc is not None:
                try:
                    kl, kc, vl, vc = lc.data[key]
                    positions.keys[child] = (kl + 1, kc + 1)
                    positions.values[child] = (vl + 1, vc + 1)
                except (KeyError, TypeError, ValueError):
                    pass
            result[key_text] = _plain(value, child, positions, budget, depth + 1, file)
        return result
    if isinstance(node, list):
        items = []
        lc = getattr(node, "lc", None)
        for index, value in enumerate(node):
            child = path + (index,)
            if lc is not None:
                try:
                    line, col = lc.data[index]
                    positions.values[child] = (line + 1, col + 1)
                except (KeyError, TypeError, ValueError, IndexError):
                    pass
            items.append(_plain(value, child, positions, budget, depth + 1, file))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    # Timestamps and other tagged scalars: keep their text so validation reports them as written.
    return str(node)


# --- output -------------------------------------------------------------------------------


def dump_yaml(data: Any) -> str:
    """Deterministic YAML for generated files: insertion order, block style, literal multi-line strings."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    _Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)
