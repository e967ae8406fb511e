"""What promgen remembers outside the output directory, where a pull request cannot write.

Everything below DIR is untrusted (docs/threat-model.md), so nothing read from DIR may vouch for
DIR: not the manifest's digests, not a journal. This folder holds what promgen itself computed:

- `key`: 32 random bytes, made once per user (mode 0600). A journal carries an HMAC under it, so
  recovery honours only journals a render on this machine wrote.
- `renders/<inputs digest>.json`: the sha256 of every file a complete render of those inputs writes,
  recorded by promgen when it rendered or fully compared them. `render --check` that finds a record
  for its inputs compares DIR with it instead of deriving the stack again.
- `parts/<part digest>.json`: the sha256 of every file one part of a render writes (a slice of a
  service's promtool tests, an output), keyed by the digest of exactly what that part reads, with its
  notes and counts. A render reuses a file of DIR only when its content has that digest.
- `reads/<digest>.json`: the selectors of recorded series that one rule file's rules read, keyed by
  the file's digest, the series its service records and promgen's code: which rule files a test
  loads is known without reading every rule again.
- `checks/<digest>.json`: the problems `validate`'s checks found in one spec, keyed by the digest of
  the files it was read from (the spec and its bases) and promgen's code: a fleet's unchanged specs
  are not checked again.

The folder is `$PROMGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/promgen`, else `~/.cache/promgen`. When it
cannot be used (a read-only home), promgen works without it: every check derives, and an
interrupted render's journal cannot be proven and is left for the user to remove.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path

KEY_BYTES = 32
RENDERS_KEPT = 256  # records of complete renders; the oldest go first
PARTS_KEPT = 20_000  # records of render parts (a large service has hundreds); the oldest go first
CHECKS_KEPT = 4096  # records of checked specs; the oldest go first
READS_KEPT = 50_000  # records of what a rule file reads (one per SLO's rule file); the oldest go first
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def directory() -> Path:
    configured = os.environ.get("PROMGEN_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "promgen"


def _ensure(folder: Path) -> Path | None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder if folder.is_dir() else None


def _write_atomically(path: Path, data: bytes, mode: int, durable: bool = False) -> bool:
    """`data` into `path` through a new file renamed over it. `durable`: synced to the disk first (the
    key); a record need not be, as a torn one does not read as a record and is made again, and a large
    render writes hundreds of them."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        try:
            os.write(handle, data)
            if durable:
                os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temp, path)
        return True
    except OSError:
        try:
            temp.unlink()
        except OSError:
            pass
        return False


def _read(path: Path, limit: int) -> bytes | None:
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        data = os.read(handle, limit + 1)
    except OSError:
        return None
    finally:
        os.close(handle)
    return data if len(data) <= limit else None


def key() -> bytes | None:
    """This user's journal key, made on first use; None when the cache folder cannot hold one."""
    folder = _ensure(directory())
    if folder is None:
        return None
    path = folder / "key"
    found = _read(path, KEY_BYTES)
    if found is not None and len(found) == KEY_BYTES:
        return found
    if not _write_atomically(path, secrets.token_bytes(KEY_BYTES), 0o600, durable=True):
        return None
    found = _read(path, KEY_BYTES)  # another process may have made it first: theirs is the key
    return found if found is not None and len(found) == KEY_BYTES else None


def sign(text: str) -> str | None:
    """HMAC-SHA256 of `text` under this user's key; None without a key."""
    secret = key()
    return None if secret is None else hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_here(text: str, mac: object) -> bool:
    """Whether `mac` is the HMAC of `text` under this user's key."""
    expected = sign(text)
    return expected is not None and isinstance(mac, str) and hmac.compare_digest(expected, mac)


def remember_render(inputs: str, files: dict[str, str]) -> None:
    """Record the sha256 of every file (by relative path) a complete render of `inputs` writes."""
    if not _DIGEST.match(inputs):
        return
    folder = _ensure(directory() / "renders")
    if folder is None:
        return
    text = json.dumps({"inputs": inputs, "files": dict(sorted(files.items()))}, separators=(",", ":"))
    if _write_atomically(folder / f"{inputs}.json", text.encode("utf-8"), 0o600):
        _prune(folder)


def recalled_render(inputs: str) -> dict[str, str] | None:
    """What `remember_render` recorded for `inputs`, or None."""
    if not _DIGEST.match(inputs):
        return None
    raw = _read(directory() / "renders" / f"{inputs}.json", 64 * 1024 * 1024)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("inputs") == inputs else None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    return files


def remember_part(key: str, record: dict[str, object]) -> None:
    """Record what the render part of digest `key` produced: {"files": {path: sha256}, ...}."""
    _remember("parts", key, record)


def recalled_part(key: str) -> dict[str, object] | None:
    """What `remember_part` recorded for `key`, or None."""
    return _recalled("parts", key)


def remember_checks(key: str, problems: list[dict[str, object]]) -> None:
    """Record the problems the checks found in the spec of digest `key`."""
    if _remember("checks", key, {"problems": problems}):
        _prune_past(directory() / "checks", CHECKS_KEPT)


def recalled_checks(key: str) -> list[dict[str, object]] | None:
    """What `remember_checks` recorded for `key`, or None."""
    data = _recalled("checks", key)
    problems = data.get("problems") if data is not None else None
    return problems if isinstance(problems, list) and all(isinstance(p, dict) for p in problems) else None


def remember_reads(key: str, reads: list[tuple[str, list[tuple[str, str, str]]]]) -> None:
    """Record the selectors of recorded series that the rule file of digest `key` reads."""
    _remember("reads", key, {"reads": reads})


def recalled_reads(key: str) -> list[tuple[str, list[tuple[str, str, str]]]] | None:
    """What `remember_reads` recorded for `key`, or None (also for a record of another shape)."""
    data = _recalled("reads", key)
    reads = data.get("reads") if data is not None else None
    found = [_selector(item) for item in reads] if isinstance(reads, list) else [None]
    return None if None in found else [item for item in found if item is not None]


def _selector(item: object) -> tuple[str, list[tuple[str, str, str]]] | None:
    """A recorded [name, [[label, op, value], ...]] as read; None for anything else."""
    if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], list)):
        return None
    matchers = [(m[0], m[1], m[2]) for m in item[1]
                if isinstance(m, list) and len(m) == 3 and all(isinstance(x, str) for x in m)]
    return (item[0], matchers) if len(matchers) == len(item[1]) else None


def _remember(kind: str, key: str, record: dict[str, object]) -> bool:
    """`record` kept as `<kind>/<key>.json`; whether it was."""
    if not _DIGEST.match(key):
        return False
    folder = _ensure(directory() / kind)
    if folder is None:
        return False
    text = json.dumps({"key": key, **record}, separators=(",", ":"), ensure_ascii=False)
    return _write_atomically(folder / f"{key}.json", text.encode("utf-8"), 0o600)


def _recalled(kind: str, key: str) -> dict[str, object] | None:
    """The record `_remember` kept for `key`, or None (none, unreadable, or of another key)."""
    if not _DIGEST.match(key):
        return None
    raw = _read(directory() / kind / f"{key}.json", 16 * 1024 * 1024)
    try:
        data = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("key") == key else None


def has_parts() -> bool:
    try:
        with os.scandir(directory() / "parts") as entries:
            return any(entry.name.endswith(".json") for entry in entries)
    except OSError:
        return False


def prune_parts() -> None:
    """Keep the records of parts, and of what rule files read, to their limits."""
    _prune_past(directory() / "parts", PARTS_KEPT)
    _prune_past(directory() / "reads", READS_KEPT)


def _prune_past(folder: Path, kept: int) -> None:
    """Drop the oldest records past `kept` (counted first: pruning sorts them all)."""
    try:
        with os.scandir(folder) as entries:
            count = sum(1 for _ in entries)
    except OSError:
        return
    if count > kept:
        _prune(folder, kept)


def _prune(folder: Path, kept: int = RENDERS_KEPT) -> None:
    try:
        records = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in records[:-kept]:
            old.unlink()
    except OSError:
        pass
