"""`extends: PATH`: a service spec built on a base spec an organisation shares.

A base is a spec without `service` that may itself extend another base. The loader merges each
base under the spec that extends it, before any validation, keeping where every value was written,
so a problem is reported at the `file:line:col` of the base or the service that wrote the value:

- mappings merge recursively, the service winning;
- lists of named things merge by name (severities, channels, metrics, SLOs and alerts by `name`,
  scrape targets by `job`, custom dashboards by `title`, remote_write entries by `name`): a service
  entry replaces the base entry of the same name where the base has it, so the ladder keeps its
  order; new entries are appended;
- every other list, and every scalar, is the service's when it writes one.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

from promgen.errors import SpecError
from promgen.yamlio.reader import Document, PathKey, Positions, load_document

# List -> the field naming its entries.
NAMED_LISTS: dict[PathKey, str] = {
    ("severities",): "name",
    ("channels",): "name",
    ("metrics",): "name",
    ("slos",): "name",
    ("alerts",): "name",
    ("log_alerts",): "name",
    ("remote_write",): "name",
    ("scrape", "targets"): "job",
    ("dashboards", "custom"): "title",
}
# What `load_document` says of a file it cannot use at all: reported at the `extends:` line instead.
_UNUSABLE = ("no such file", "cannot read", "is a directory", "the spec is empty", "the spec must be a mapping",
             "file is", "more than", "not UTF-8", "nothing to read")


# Parsed files of this process, by (real path, display name, modification time, size): a base that
# fifty services extend is read once, and so is a spec a directory listing already opened.
_PARSED: dict[tuple[Path, str, int, int], Document] = {}
_PARSED_MAX = 4096


def read_document(path: Path, display: str) -> Document:
    """`load_document`, once per unchanged file (documents are never modified after loading)."""
    try:
        status = path.stat()
    except OSError:
        return load_document(path, display)  # says why, as it always does
    key = (path.resolve(), display, status.st_mtime_ns, status.st_size)
    found = _PARSED.get(key)
    if found is None:
        found = load_document(path, display)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = found
    return found


def load_with_bases(path: Path, display: str) -> Document:
    """The spec at `path` merged with the bases it extends (a spec without `extends` as it is)."""
    return _resolve(read_document(path, display), path, [path.resolve()])


def is_base(document: Document) -> bool:
    return isinstance(document.data, dict) and "service" not in document.data


def extended_file(document: Document, path: Path) -> Path | None:
    """The base file `document` (read from `path`) names in `extends:`, unread; None without one (or
    with a name no file can have)."""
    target = document.data.get("extends") if isinstance(document.data, dict) else None
    return path.parent / target if isinstance(target, str) and target.strip() and "\0" not in target else None


def _resolve(document: Document, path: Path, chain: list[Path]) -> Document:
    data = document.data
    if not isinstance(data, dict) or "extends" not in data:
        return document
    target = data["extends"]
    if isinstance(target, str) and "\0" in target:
        raise _at_extends(document, "`extends` holds a NUL character, which no file name can")
    base_path = extended_file(document, path)
    if base_path is None:
        raise _at_extends(document, "`extends` names a base spec file, relative to this one (e.g. extends: base.yaml)")
    base_display = posixpath.normpath(posixpath.join(posixpath.dirname(document.file), target))
    real = base_path.resolve()
    outside = _outside_repository(path, target, real)
    if outside is not None:
        raise _at_extends(document, outside)
    if real in chain:
        names = " -> ".join([*(p.name for p in chain[chain.index(real):]), real.name])
        raise _at_extends(document, f"`extends` goes round in a circle: {names}")
    try:
        base = read_document(base_path, base_display)
    except SpecError as error:
        unusable = [p for p in error.problems if p.message.startswith(_UNUSABLE)]
        if unusable:
            reason = unusable[0].message
            if reason.startswith("the spec is empty"):
                reason = "the file is empty (a base holds sections its services share, e.g. severities)"
            raise _at_extends(document, f"base spec {target}: {reason}") from None
        raise
    if "service" in base.data:
        raise _at_extends(
            document,
            f"{target} has a `service`: a base holds what services share (severities, channels, ...), "
            "so extend a file without one",
        )
    return merge(_resolve(base, base_path, [*chain, real]), document)


EXTENDS_FROM = "PROMGEN_EXTENDS_FROM"  # folders (os.pathsep-separated) a spec may extend files from


def repository_root(path: Path) -> Path | None:
    """The top of the git repository holding `path` (a folder with `.git`), or None."""
    for folder in path.resolve().parents:
        if (folder / ".git").exists():
            return folder
    return None


def _outside_repository(spec: Path, target: str, base: Path) -> str | None:
    """Why `spec` may not extend `base` (its real path; `target` as `extends:` wrote it): a base outside
    the spec's git repository, or named by an absolute path, could be any file on the machine that runs
    a pull request's CI, so it needs its folder in PROMGEN_EXTENDS_FROM. None when allowed."""
    allowed = [Path(entry).resolve() for entry in os.environ.get(EXTENDS_FROM, "").split(os.pathsep) if entry]
    if any(base.is_relative_to(folder) for folder in allowed):
        return None
    root = repository_root(spec)
    if posixpath.isabs(target):
        where = "is named by an absolute path"
    elif root is not None and not base.is_relative_to(root):
        where = "is outside the spec's repository"
    else:
        return None
    return (f"the base {where}; a pull request could make CI read any file that way: allow its folder with "
            f"{EXTENDS_FROM}=<folder> in the environment that runs promgen")


def _at_extends(document: Document, message: str) -> SpecError:
    return SpecError([document.problem(("extends",), message)])


def merge(base: Document, child: Document) -> Document:
    """`child` over `base`, with every value's position in the file that wrote it."""
    positions = Positions()
    data = _merge(base, child, base.data, child.data, (), (), (), positions)
    sources = (*base.sources, *child.sources) if base.sources and child.sources else ()
    return Document(child.file, data, positions, sources)


def _merge(
    base: Document, child: Document, old: Any, new: Any, old_path: PathKey, new_path: PathKey, at: PathKey,
    out: Positions,
) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        _mark(child, new_path, at, out)
        merged: dict[str, Any] = {}
        for key, value in old.items():
            if key in new:
                merged[key] = _merge(base, child, value, new[key], old_path + (key,), new_path + (key,), at + (key,), out)
            else:
                merged[key] = _take(base, value, old_path + (key,), at + (key,), out)
        for key, value in new.items():
            if key not in old:
                merged[key] = _take(child, value, new_path + (key,), at + (key,), out)
        return merged
    named = NAMED_LISTS.get(at)
    if named is not None and isinstance(old, list) and isinstance(new, list):
        _mark(child, new_path, at, out)
        # (document, path there, value) of each entry, base entries first, replaced in place by name
        entries: list[tuple[Document, PathKey, Any]] = [(base, old_path + (i,), item) for i, item in enumerate(old)]
        where = {_name(item, named): i for i, item in enumerate(old) if _name(item, named) is not None}
        for j, item in enumerate(new):
            name = _name(item, named)
            if name is not None and name in where:
                entries[where[name]] = (child, new_path + (j,), item)
            else:
                entries.append((child, new_path + (j,), item))
        return [_take(document, item, path, at + (i,), out) for i, (document, path, item) in enumerate(entries)]
    return _take(child, new, new_path, at, out)


def _name(item: Any, field: str) -> str | None:
    value = item.get(field) if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def _take(document: Document, value: Any, source: PathKey, at: PathKey, out: Positions) -> Any:
    """`value` as it is, its positions copied from `document` (where it sits at `source`) to `at`."""
    _mark(document, source, at, out)
    if isinstance(value, dict):
        for key, item in value.items():
            _take(document, item, source + (key,), at + (key,), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _take(document, item, source + (index,), at + (index,), out)
    return value


def _mark(document: Document, source: PathKey, at: PathKey, out: Positions) -> None:
    positions = document.positions
    file = positions.files.get(source, document.file)
    if source in positions.values:
        out.values[at] = positions.values[source]
        out.files[at] = file
    if source in positions.keys:
        out.keys[at] = positions.keys[source]
        out.files[at] = file
