"""An earlier render's files, reused: a part of a render (a slice of a service's promtool tests, an
output) whose inputs are unchanged need not be derived again when DIR still holds its files.

Nothing read from DIR vouches for DIR (docs/threat-model.md): promgen recorded, outside DIR
(`cache.remember_part`), the sha256 of each file the part made from exactly those inputs, and a file
of DIR is reused only when its content has that digest. A file edited, missing, or made by anyone
else fails the test, and the part is derived again; a missing or unreadable record does the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from promgen.errors import OutputError
from promgen.write import cache
from promgen.write.files import LOCK_TIMEOUT_S
from promgen.write.manifest import READ_LIMIT, sha256
from promgen.write.safe_dir import OutputDir


@dataclass
class Recalled:
    """A part's files (read from DIR and proven), notes and counts, as a render of it made them."""

    files: dict[str, str]
    notes: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


def recall(out_dir: Path, keys: list[str | None]) -> list[Recalled | None]:
    """For each part key, its files from DIR when promgen's record for the key vouches for every one
    of them; None otherwise (and for a None key)."""
    found: list[Recalled | None] = [None] * len(keys)
    records: list[tuple[int, dict[str, object]]] = []
    for at, key in enumerate(keys):
        record = cache.recalled_part(key) if key is not None else None
        if record is not None:
            records.append((at, record))
    if not records:
        return found
    try:
        directory = OutputDir.open(out_dir, create=False)
        if directory is None:
            return found
        with directory, directory.locked(exclusive=False, timeout_s=LOCK_TIMEOUT_S):
            for at, record in records:
                found[at] = _proven(directory, record)
    except OutputError:
        return [None] * len(keys)
    return found


def _proven(directory: OutputDir, record: dict[str, object]) -> Recalled | None:
    digests, notes, stats = record.get("files"), record.get("notes", []), record.get("stats", {})
    if not isinstance(digests, dict) or not isinstance(notes, list) or not isinstance(stats, dict):
        return None
    files: dict[str, str] = {}
    for rel, digest in digests.items():
        data = directory.read(rel, READ_LIMIT) if isinstance(rel, str) else None
        if data is None or sha256(data) != digest:
            return None
        try:
            files[rel] = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not all(isinstance(n, str) for n in notes) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in stats.items()):
        return None
    return Recalled(files, list(notes), dict(stats))


def anything_recorded() -> bool:
    """Whether promgen's cache holds any part record (none: nothing can be reused, keys need not be
    made before the parts are)."""
    return cache.has_parts()


def remember(key: str | None, files: dict[str, str], notes: list[str], stats: dict[str, int]) -> None:
    """Record what the part of digest `key` made (nothing for a None key)."""
    if key is not None:
        cache.remember_part(key, {"files": {rel: sha256(text.encode("utf-8")) for rel, text in sorted(files.items())},
                                  "notes": notes, "stats": stats})
