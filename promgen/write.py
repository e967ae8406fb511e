"""A plan of files -> written below DIR, or compared with DIR (`--check`)."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from promgen.errors import OutputError

Files = dict[str, str]


@dataclass(frozen=True)
class Drift:
    added: list[str]
    changed: list[str]
    removed: list[str]
    diff: str

    @property
    def stale(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise OutputError(f"cannot read {path}: {error}") from None


def compare(files: Files, out_dir: Path, previous: set[str] | None = None) -> Drift:
    """What writing `files` would change in `out_dir`; `previous` are files promgen wrote before."""
    added: list[str] = []
    changed: list[str] = []
    chunks: list[str] = []
    for rel, text in files.items():
        current = _read(out_dir / rel)
        if current == text:
            continue
        (added if current is None else changed).append(rel)
        chunks.extend(
            difflib.unified_diff(
                (current or "").splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{rel}" if current is not None else "/dev/null",
                tofile=f"b/{rel}",
            )
        )
    removed = sorted(p for p in (previous or set()) if p not in files and (out_dir / p).exists())
    for rel in removed:
        current = _read(out_dir / rel) or ""
        chunks.extend(
            difflib.unified_diff(current.splitlines(keepends=True), [], fromfile=f"a/{rel}", tofile="/dev/null")
        )
    diff = "".join(c if c.endswith("\n") else c + "\n" for c in chunks)
    return Drift(added, changed, removed, diff)


def write_files(files: Files, out_dir: Path) -> list[str]:
    """Write every file atomically (temp file + rename); returns the paths that changed."""
    written: list[str] = []
    for rel, text in files.items():
        target = out_dir / rel
        if _read(target) == text:
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except OSError as error:
            raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
        written.append(rel)
    return written
