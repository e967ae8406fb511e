"""What a render's output depends on, as one digest: the rendering code, the specs as loaded (merged
with their bases), the names headers give them, and the render options.

`render` records it in DIR's manifest; `render --check` that finds the same digest there, and every
file with the content the manifest records, knows DIR is up to date without deriving anything (as
black skips files its cache knows). Any difference, or anything it cannot read, means a full render
and comparison, so the digest can make a check faster, never make a stale DIR pass.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any


def inputs_digest(documents: Sequence[tuple[str, Any]], options: Any) -> str:
    """The digest of a complete render of `documents` ((header name, merged spec data) in order)."""
    digest = hashlib.sha256()
    digest.update(code_digest().encode())
    digest.update(repr(options).encode())
    for name, data in documents:
        digest.update(json.dumps([name, data], ensure_ascii=False, default=_refuse).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _refuse(value: object) -> str:
    raise TypeError(f"a spec value of type {type(value).__name__}")  # never a guess: no digest at all


@lru_cache(maxsize=1)
def code_digest() -> str:
    """This promgen's modules, templates and dashboard schema, by relative name and content: the same
    for a source checkout and the wheel built from it, which ships templates/ and the schema inside
    the package."""
    from promgen.judge.dashboards import schema_path
    from promgen.produce.templates import templates_dir

    package = Path(__file__).resolve().parent.parent  # promgen/
    templates = templates_dir()
    files = [("promgen", p.relative_to(package)) for p in package.rglob("*.py") if "__pycache__" not in p.parts]
    files += [("templates", p.relative_to(templates)) for p in templates.rglob("*") if p.is_file()]
    roots = {"promgen": package, "templates": templates}
    digest = hashlib.sha256()
    for root, relative in sorted(files):
        digest.update(f"{root}/{relative.as_posix()}\0".encode())
        digest.update(hashlib.sha256((roots[root] / relative).read_bytes()).digest())
    digest.update(hashlib.sha256(schema_path().read_bytes()).digest())
    return digest.hexdigest()


def digest(data: Any) -> str:
    """sha256 of `data` as canonical JSON (Decimals by their exact text): what keys one part of a
    render, or one spec's checks, in promgen's cache."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: object) -> str:
    """Values of derived rules that JSON has no type for (Decimals), by their exact text."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"a value of type {type(value).__name__}")
