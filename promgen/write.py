"""Rendered files -> DIR, safely; or what writing them would change (`render --check`).

Ownership: DIR/.promgen-manifest.json lists every file promgen wrote there, with the output
that produced it and its sha256. promgen overwrites and removes only files listed there; a
different file in its way is an OutputError naming it, unless `force`.

Safety: new contents are first written into a staging directory beside DIR (same file
system), then each file is moved into place with an atomic rename. An interrupted render
leaves every file either old or new, never half-written, and the manifest written before the
moves already claims every file that may then be in DIR, so the next render finishes the job.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from promgen.conventions import MANIFEST_FILE
from promgen.errors import OutputError

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Plan:
    """What one render produces: file texts by relative path, and which output produced each."""

    files: dict[str, str]
    owner: dict[str, str]
    outputs: frozenset[str]  # the outputs rendered this time (removal is limited to their files)
    complete: bool = True  # every output was rendered (not `--only`)

    @classmethod
    def of(cls, produced: Mapping[str, Mapping[str, str]], complete: bool = True) -> Plan:
        """From {output name: {path: text}}."""
        files: dict[str, str] = {}
        owner: dict[str, str] = {}
        for output, output_files in produced.items():
            for rel, text in output_files.items():
                files[safe_relative(rel)] = text
                owner[safe_relative(rel)] = output
        return cls(dict(sorted(files.items())), owner, frozenset(produced), complete)


@dataclass(frozen=True)
class Entry:
    output: str
    sha256: str


@dataclass
class Changes:
    """How DIR differs from the plan, by relative path."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # promgen wrote them earlier; the spec no longer produces them
    foreign: list[str] = field(default_factory=list)  # in the way, not written by promgen (also in `changed`)
    edited: list[str] = field(default_factory=list)  # promgen's files edited by hand since (also in `changed`)

    @property
    def stale(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def written(self) -> list[str]:
        return sorted(self.added + self.changed)


@dataclass(frozen=True)
class Drift:
    changes: Changes
    diff: str

    @property
    def stale(self) -> bool:
        return self.changes.stale


# --- paths and the manifest -----------------------------------------------------------------


def safe_relative(rel: str) -> str:
    """`rel` as a clean relative POSIX path inside DIR; OutputError for anything that could escape it."""
    path = PurePosixPath(rel)
    if (
        not rel
        or "\\" in rel
        or "\0" in rel
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in rel.split("/"))
        or (len(rel) > 1 and rel[1] == ":")
    ):
        raise OutputError(f"refusing to write {rel!r}: not a plain relative path inside the output directory")
    if rel == MANIFEST_FILE:
        raise OutputError(f"refusing to write {rel!r}: promgen keeps its manifest there")
    return rel


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out_dir: Path, *, force: bool = False) -> dict[str, Entry]:
    """The files promgen wrote in `out_dir` earlier (empty when there is no manifest)."""
    path = out_dir / MANIFEST_FILE
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as error:
        raise OutputError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        if data.get("promgen_manifest") != MANIFEST_VERSION or not isinstance(data.get("files"), dict):
            raise ValueError(f"not a version {MANIFEST_VERSION} promgen manifest")
        entries: dict[str, Entry] = {}
        for rel, entry in data["files"].items():
            if not (isinstance(entry, dict) and isinstance(entry.get("output"), str) and isinstance(entry.get("sha256"), str)):
                raise ValueError(f"entry {rel!r} needs `output` and `sha256`")
            entries[safe_relative(rel)] = Entry(entry["output"], entry["sha256"])
        return entries
    except (ValueError, AttributeError, OutputError) as error:
        if force:
            return {}
        reason = str(error).replace("refusing to write", "it lists")
        raise OutputError(
            f"{path} is not a valid promgen manifest ({reason}); promgen cannot tell which files it owns: "
            "delete it and rerun with --force"
        ) from None


def manifest_text(entries: Mapping[str, Entry]) -> str:
    files = {rel: {"output": e.output, "sha256": e.sha256} for rel, e in sorted(entries.items())}
    document = {
        "promgen_manifest": MANIFEST_VERSION,
        "comment": "files promgen render wrote in this directory; it overwrites and removes only these",
        "files": files,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _read(path: Path) -> bytes | None:
    """A file's bytes; None when it does not exist."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise OutputError(f"cannot write {path}: a directory is in the way") from None
    except OSError as error:
        raise OutputError(f"cannot read {path}: {error.strerror or error}") from None


# --- comparing ------------------------------------------------------------------------------


def changes(plan: Plan, out_dir: Path, manifest: Mapping[str, Entry]) -> Changes:
    """What writing `plan` into `out_dir` would add, change and remove."""
    result = Changes()
    for rel, text in plan.files.items():
        current = _read(out_dir / rel)
        if current is None:
            result.added.append(rel)
        elif current == text.encode("utf-8"):
            result.unchanged.append(rel)
        else:
            result.changed.append(rel)
            if rel not in manifest:
                result.foreign.append(rel)
            elif sha256(current) != manifest[rel].sha256:
                result.edited.append(rel)
    for rel in sorted(_removal_candidates(plan, manifest)):
        if _read(out_dir / rel) is not None:
            result.removed.append(rel)
    return result


def _removal_candidates(plan: Plan, manifest: Mapping[str, Entry]) -> Iterable[str]:
    for rel, entry in manifest.items():
        if rel not in plan.files and (plan.complete or entry.output in plan.outputs):
            yield rel


def _diff_lines(before: str, after: str, fromfile: str, tofile: str) -> list[str]:
    lines: list[str] = []
    for line in difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=fromfile, tofile=tofile
    ):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return lines


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", errors="replace")


def compare(plan: Plan, out_dir: Path) -> Drift:
    """The changes a render would make, as a unified diff (added and removed files included)."""
    found = changes(plan, out_dir, read_manifest(out_dir))
    lines: list[str] = []
    for rel in sorted(found.added + found.changed + found.removed):
        before = _text(_read(out_dir / rel))
        if rel in found.added:
            lines += _diff_lines("", plan.files[rel], "/dev/null", f"b/{rel}")
        elif rel in found.removed:
            lines += _diff_lines(before, "", f"a/{rel}", "/dev/null")
        else:
            lines += _diff_lines(before, plan.files[rel], f"a/{rel}", f"b/{rel}")
    return Drift(found, "".join(lines))


# --- writing --------------------------------------------------------------------------------


def write(plan: Plan, out_dir: Path, *, force: bool = False) -> Changes:
    """Bring `out_dir` to the plan through a staging directory; returns what changed."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"cannot write into {out_dir}: it is a file, not a directory")
    manifest = read_manifest(out_dir, force=force)
    found = changes(plan, out_dir, manifest)
    if found.foreign and not force:
        shown = ", ".join(str(out_dir / rel) for rel in found.foreign[:3])
        more = f" and {len(found.foreign) - 3} more" if len(found.foreign) > 3 else ""
        raise OutputError(
            f"refusing to overwrite {shown}{more}: promgen did not write "
            f"{'it' if len(found.foreign) == 1 else 'them'} (not in {out_dir / MANIFEST_FILE}); "
            "move it away or rerun with --force"
        )
    final = {rel: e for rel, e in manifest.items() if rel not in found.removed and rel not in plan.files}
    final.update({rel: Entry(plan.owner[rel], sha256(text.encode("utf-8"))) for rel, text in plan.files.items()})
    if not found.stale:
        if final != manifest:
            _write_manifest(out_dir, final)
        return found
    staging = _staging_dir(out_dir)
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)  # a cancelled CI job: still clean up
    except ValueError:  # not the main thread
        previous = None
    try:
        for rel in found.written:
            _stage(staging / rel, plan.files[rel])
        # Claim every file that may be in DIR if the moves below are interrupted.
        _write_manifest(out_dir, {**manifest, **final})
        for rel in found.written:
            _move(staging / rel, out_dir / rel)
        for rel in found.removed:
            _remove(out_dir, rel)
        _write_manifest(out_dir, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return found


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _staging_dir(out_dir: Path) -> Path:
    """A fresh directory beside DIR (same file system, so moves are renames), else inside it."""
    base = out_dir.resolve()
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{base.name}.promgen-", dir=base.parent))
    except OSError:
        pass
    try:
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".promgen-staging-", dir=base))
    except OSError as error:
        raise OutputError(f"cannot write into {out_dir}: {error.strerror or error}") from None


def _stage(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(path, 0o644)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def _move(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    except (NotADirectoryError, FileExistsError):
        raise OutputError(f"cannot write {target}: a file is in the way of its directory") from None
    except IsADirectoryError:
        raise OutputError(f"cannot write {target}: a directory is in the way") from None
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None


def _remove(out_dir: Path, rel: str) -> None:
    """Remove a file promgen wrote earlier, and the directories that leaves empty."""
    target = out_dir / rel
    try:
        target.unlink()
    except FileNotFoundError:
        pass
    except OSError as error:
        raise OutputError(f"cannot remove {target}: {error.strerror or error}") from None
    parent = target.parent
    while parent != out_dir and out_dir in parent.parents:
        try:
            parent.rmdir()
        except OSError:  # not empty (or not ours to judge): stop
            break
        parent = parent.parent


def _write_manifest(out_dir: Path, entries: Mapping[str, Entry]) -> None:
    target = out_dir / MANIFEST_FILE
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=out_dir, prefix=f"{MANIFEST_FILE}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(manifest_text(entries))
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
