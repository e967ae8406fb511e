"""Rendered files -> DIR, safely; or what writing them would change (`render --check`).

Ownership: DIR/.promgen-manifest.json lists every file promgen wrote there, with the output
that produced it and its sha256. promgen overwrites only files listed there (a different file in
its way is an OutputError naming it, unless `force`), and removes a listed file only while its
content still has the recorded sha256: a file edited since is kept and reported.

Safety (docs/threat-model.md): every path below DIR is walked without following links
(`safe_dir.OutputDir`); a render holds an exclusive lock on DIR; new contents are staged in a
directory inside DIR (same file system, so every move is a rename), then a journal naming every
move and removal is written atomically: the commit point. Before it, an interruption leaves the
old stack (and a staging directory the next render removes); after it, the next promgen render
finishes the moves before doing anything else. SIGINT, SIGTERM and SIGHUP wait until the moves
are done, so only SIGKILL or a crash can stop a render between the journal and the last move.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import posixpath
import re
import secrets
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from promgen.core.conventions import MANIFEST_FILE
from promgen.errors import OutputError, printable, shortened
from promgen.write import cache
from promgen.write.safe_dir import OutputDir

MANIFEST_VERSION = 1
JOURNAL_VERSION = 2
JOURNAL_FILE = ".promgen-journal.json"
STAGING_PREFIX = ".promgen-staging-"
# Names in DIR that only promgen's own bookkeeping may use (output paths may not start with it).
RESERVED_PREFIX = ".promgen-"
# Leftovers of a killed render: staging directories and half-written temporary files.
_LEFTOVER = re.compile(r"^\.promgen-(staging-[A-Za-z0-9_-]+|.*\.tmp)$")
READ_LIMIT = 64 * 1024 * 1024  # promgen never writes a file this large; anything bigger is not its own
LOCK_TIMEOUT_S = 600.0
NAME_MAX, PATH_MAX = 255, 4095  # bytes of one path component and of a whole path (Linux); promgen's are far shorter
# Files below DIR that are the user's although promgen does not write them: the compose stack's
# secrets (one file per `*_file` the spec names, mounted read-only, never read by promgen).
KEPT_ALWAYS = ("secrets/*",)


@dataclass(frozen=True)
class Plan:
    """What one render produces: file texts by relative path, and which output produced each."""

    files: dict[str, str]
    owner: dict[str, str]
    outputs: frozenset[str]  # the outputs rendered this time (removal is limited to their files)
    complete: bool = True  # every output was rendered (not `--only`)
    opt_in: frozenset[str] = frozenset()  # outputs only `--only` renders: a complete render keeps their files
    keep: tuple[str, ...] = KEPT_ALWAYS  # patterns of the user's own files below DIR (never reported)

    @classmethod
    def of(cls, produced: Mapping[str, Mapping[str, str]], complete: bool = True,
           opt_in: frozenset[str] = frozenset(), keep: tuple[str, ...] = ()) -> Plan:
        """From {output name: {path: text}}; `keep` adds to KEPT_ALWAYS."""
        files: dict[str, str] = {}
        owner: dict[str, str] = {}
        for output, output_files in produced.items():
            for rel, text in output_files.items():
                files[safe_relative(rel)] = text
                owner[safe_relative(rel)] = output
        return cls(dict(sorted(files.items())), owner, frozenset(produced), complete, opt_in, (*KEPT_ALWAYS, *keep))

    def kept(self, rel: str) -> bool:
        return kept(rel, self.keep)

    def territory(self, rel: str) -> bool:
        """Whether `rel` lies where this plan answers for every file: all of DIR for a complete
        render, the top-level directories of the selected outputs' files for `--only`."""
        if self.complete:
            return True
        top = rel.split("/", 1)[0]
        return "/" in rel and any(planned.startswith(top + "/") for planned in self.files)

    def digests(self) -> dict[str, str]:
        return {rel: sha256(text.encode("utf-8")) for rel, text in self.files.items()}


def kept(rel: str, patterns: tuple[str, ...]) -> bool:
    """`rel` is the user's own file by one of `patterns` (shell patterns on the whole relative path,
    `*` matching across `/`; a pattern ending in `/` keeps everything below that directory)."""
    return any(fnmatch.fnmatchcase(rel, pattern + "*" if pattern.endswith("/") else pattern) for pattern in patterns)


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
    kept: list[str] = field(default_factory=list)  # no longer produced but edited since: never removed
    pruned: list[str] = field(default_factory=list)  # manifest entries of files that no longer exist
    unlisted: list[str] = field(default_factory=list)  # below DIR, neither promgen's nor kept by a pattern

    @property
    def stale(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.kept or self.unlisted)

    @property
    def written(self) -> list[str]:
        return sorted(self.added + self.changed)


@dataclass(frozen=True)
class Drift:
    changes: Changes
    diff: str
    existed: bool = True  # DIR was there to compare with

    @property
    def stale(self) -> bool:
        return self.changes.stale


# --- paths and the manifest -----------------------------------------------------------------


def safe_relative(rel: str) -> str:
    """`rel` as a clean relative POSIX path inside DIR; OutputError for anything that could escape it."""
    path = PurePosixPath(rel)
    if (
        not rel
        or len(rel.encode("utf-8", "surrogatepass")) > PATH_MAX
        or any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX for part in rel.split("/"))
        or "\\" in rel
        or "\0" in rel
        or not rel.isprintable()
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in rel.split("/"))
        or (len(rel) > 1 and rel[1] == ":")
    ):
        raise OutputError(f"refusing to write {printable(shortened(repr(rel)))}: not a plain relative path inside "
                          "the output directory")
    if rel == MANIFEST_FILE or rel.startswith(RESERVED_PREFIX):
        raise OutputError(f"refusing to write {printable(repr(rel))}: promgen keeps its own bookkeeping there")
    return rel


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_json(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


@dataclass(frozen=True)
class Manifest:
    """What DIR's manifest records: the files promgen wrote, and the digest of the complete render's
    inputs when the last render was one (promgen.fingerprint)."""

    entries: dict[str, Entry] = field(default_factory=dict)
    inputs: str | None = None


def read_manifest(directory: OutputDir | None, *, force: bool = False) -> Manifest:
    """DIR's manifest (empty when there is none)."""
    if directory is None:
        return Manifest()
    raw = directory.read(MANIFEST_FILE, READ_LIMIT)
    if raw is None:
        return Manifest()
    try:
        data = _load_json(raw)
        if not isinstance(data, dict) or data.get("promgen_manifest") != MANIFEST_VERSION or not isinstance(data.get("files"), dict):
            raise ValueError(f"not a version {MANIFEST_VERSION} promgen manifest")
        entries: dict[str, Entry] = {}
        for rel, entry in data["files"].items():
            if not (isinstance(entry, dict) and isinstance(entry.get("output"), str) and isinstance(entry.get("sha256"), str)):
                raise ValueError(f"entry {printable(repr(rel))} needs `output` and `sha256`")
            entries[safe_relative(rel)] = Entry(entry["output"], entry["sha256"])
        inputs = data.get("inputs")
        return Manifest(entries, inputs if isinstance(inputs, str) else None)
    except (ValueError, AttributeError, OutputError) as error:
        if force:
            return Manifest()
        reason = str(error).replace("refusing to write", "it lists")
        raise OutputError(
            f"{directory.shown(MANIFEST_FILE)} is not a valid promgen manifest ({reason}); promgen cannot tell which "
            "files it owns: delete it and rerun with --force"
        ) from None


def manifest_text(entries: Mapping[str, Entry], inputs: str | None = None) -> str:
    files = {rel: {"output": e.output, "sha256": e.sha256} for rel, e in sorted(entries.items())}
    document: dict[str, object] = {
        "promgen_manifest": MANIFEST_VERSION,
        "comment": "files promgen render wrote in this directory; it overwrites and removes only these",
        "files": files,
    }
    if inputs is not None:  # what a complete render of these files read (promgen.fingerprint)
        document["inputs"] = inputs
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def up_to_date(out_dir: Path, inputs: str, keep: tuple[str, ...] = ()) -> int | None:
    """The number of files a complete render of `inputs` writes when DIR holds exactly those files with
    the content promgen recorded for them (`cache.remember_render`, kept outside DIR) and nothing else
    but its bookkeeping and kept files; None when anything differs or no record exists (then only a
    full comparison can tell). Nothing read from DIR vouches for DIR."""
    recorded = cache.recalled_render(inputs)
    if recorded is None:
        return None
    patterns = (*KEPT_ALWAYS, *keep)
    try:
        directory = OutputDir.open(out_dir, create=False)
        if directory is None:
            return None
        with directory, directory.locked(exclusive=False, timeout_s=LOCK_TIMEOUT_S):
            read_manifest(directory)  # one the next render would refuse is for the full comparison to report
            present = {rel for rel in directory.everything() if not _bookkeeping(rel) and not kept(rel, patterns)}
            if present != {rel for rel in recorded if not kept(rel, patterns)}:
                return None
            for rel, digest in recorded.items():
                current = directory.read(rel, READ_LIMIT)
                if current is None or sha256(current) != digest:
                    return None
            return len(recorded)
    except OutputError:
        return None


def _bookkeeping(rel: str) -> bool:
    """promgen's own files in DIR: the manifest, and leftovers of a killed render that the next render
    removes (a pending journal is not: `--check` reports it)."""
    return rel == MANIFEST_FILE or bool(_LEFTOVER.match(rel.split("/", 1)[0]))


# --- comparing ------------------------------------------------------------------------------


def changes(plan: Plan, directory: OutputDir | None, manifest: Mapping[str, Entry]) -> Changes:
    """What writing `plan` into DIR would add, change, remove and keep, and what lies below DIR in the
    plan's territory that promgen does not write (`unlisted`)."""
    result = Changes()
    for rel, text in plan.files.items():
        current = directory.read(rel, READ_LIMIT) if directory is not None else None
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
    for rel in sorted(manifest):
        if rel in plan.files:
            continue
        current = directory.read(rel, READ_LIMIT) if directory is not None else None
        if current is None:
            result.pruned.append(rel)
        elif _removal_candidate(plan, manifest[rel]):
            (result.removed if sha256(current) == manifest[rel].sha256 else result.kept).append(rel)
    if directory is not None:
        accounted = {*plan.files, *result.removed, *result.kept}
        result.unlisted = [rel for rel in directory.everything()
                           if rel not in accounted and not _bookkeeping(rel) and rel != JOURNAL_FILE
                           and not plan.kept(rel) and plan.territory(rel)]
    return result


def _removal_candidate(plan: Plan, entry: Entry) -> bool:
    return (plan.complete and entry.output not in plan.opt_in) or entry.output in plan.outputs


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
    directory = OutputDir.open(out_dir, create=False)
    if directory is None:
        return replace(_drift(plan, None, changes(plan, None, {})), existed=False)
    with directory, directory.locked(exclusive=False, timeout_s=LOCK_TIMEOUT_S):
        if directory.kind(JOURNAL_FILE) is not None:
            raise OutputError(
                f"{directory.shown(JOURNAL_FILE)}: a render was interrupted while it replaced files; "
                "run `promgen render` to finish it"
            )
        found = changes(plan, directory, read_manifest(directory).entries)
        return _drift(plan, directory, found)


def _drift(plan: Plan, directory: OutputDir | None, found: Changes) -> Drift:
    lines: list[str] = []
    for rel in sorted(found.added + found.changed + found.removed):
        if rel in found.added:
            lines += _diff_lines("", plan.files[rel], "/dev/null", f"b/{rel}")
            continue
        assert directory is not None  # changed and removed files exist in DIR
        before = _text(directory.read(rel, READ_LIMIT))
        if rel in found.removed:
            lines += _diff_lines(before, "", f"a/{rel}", "/dev/null")
        else:
            lines += _diff_lines(before, plan.files[rel], f"a/{rel}", f"b/{rel}")
    return Drift(found, "".join(lines))


# --- writing --------------------------------------------------------------------------------


def write(plan: Plan, out_dir: Path, *, force: bool = False, inputs: str | None = None) -> Changes:
    """Bring DIR to the plan through a staged, journaled swap; returns what changed. `inputs` (a
    complete render's digest, promgen.fingerprint) goes into the manifest; a partial render's None
    clears it there."""
    directory = OutputDir.open(out_dir, create=True)
    assert directory is not None
    with directory, _termination_raises(), directory.locked(exclusive=True, timeout_s=LOCK_TIMEOUT_S):
        recover(directory)
        recorded = read_manifest(directory, force=force)
        manifest = recorded.entries
        found = changes(plan, directory, manifest)
        _refuse_unsafe(directory, found, force)
        final = {rel: e for rel, e in manifest.items()
                 if rel not in plan.files and rel not in found.removed and rel not in found.kept
                 and rel not in found.pruned}
        final.update({rel: Entry(plan.owner[rel], sha256(text.encode("utf-8"))) for rel, text in plan.files.items()})
        if found.written or found.removed or final != manifest or recorded.inputs != inputs:
            removals = {rel: manifest[rel].sha256 for rel in found.removed}
            _swap(directory, plan, found.written, removals, manifest_text(final, inputs))
        if inputs is not None:
            cache.remember_render(inputs, plan.digests())
        found.kept.sort()
        return found


def _refuse_unsafe(directory: OutputDir, found: Changes, force: bool) -> None:
    if force:
        return
    if found.foreign:
        raise OutputError(
            f"refusing to overwrite {_listing(directory, found.foreign)}: promgen did not write "
            f"{'it' if len(found.foreign) == 1 else 'them'} (not in {directory.shown(MANIFEST_FILE)}); "
            "move it away or rerun with --force"
        )
    if found.kept:
        raise OutputError(
            f"{_listing(directory, found.kept)} changed since promgen wrote "
            f"{'it' if len(found.kept) == 1 else 'them'}, and the spec no longer produces "
            f"{'it' if len(found.kept) == 1 else 'them'}: promgen keeps edited files; move "
            f"{'it' if len(found.kept) == 1 else 'them'} away, or rerun with --force to keep "
            f"{'it' if len(found.kept) == 1 else 'them'} and forget {'it' if len(found.kept) == 1 else 'them'}"
        )


def _listing(directory: OutputDir, rels: list[str]) -> str:
    shown = ", ".join(directory.shown(rel) for rel in rels[:3])
    return shown + (f" and {len(rels) - 3} more" if len(rels) > 3 else "")


@dataclass(frozen=True)
class Journal:
    """A committed swap: every staged file to move into place (the manifest last), what each target
    held when the swap was committed (its sha256, None when absent), and every file to remove (only
    while it still has the recorded sha256).

    DIR is untrusted, so a journal found there is honoured only when it carries an HMAC under this
    user's key (`cache.key`, kept outside DIR): only a render on this machine can have written it.
    Even then a move replaces only a target that still holds what the journal recorded."""

    staging: str
    moves: tuple[str, ...]
    before: dict[str, str | None]
    removals: dict[str, str]

    def body(self) -> str:
        document = {"promgen_journal": JOURNAL_VERSION, "staging": self.staging, "moves": list(self.moves),
                    "before": dict(sorted(self.before.items())), "removals": dict(sorted(self.removals.items()))}
        return json.dumps(document, indent=2, sort_keys=True)

    def text(self, mac: str) -> str:
        return json.dumps({"body": self.body(), "mac": mac}, indent=2) + "\n"

    @classmethod
    def parse(cls, raw: bytes) -> Journal:
        """The journal `raw` holds, when this user's promgen wrote it; ValueError saying why not."""
        outer = _load_json(raw)
        if not isinstance(outer, dict) or not isinstance(outer.get("body"), str):
            raise ValueError(f"not a version {JOURNAL_VERSION} promgen journal")
        if not cache.signed_here(outer["body"], outer.get("mac")):
            raise ValueError("promgen did not write it on this machine (its signature does not match)")
        data = _load_json(outer["body"].encode("utf-8"))
        if not isinstance(data, dict) or data.get("promgen_journal") != JOURNAL_VERSION:
            raise ValueError(f"not a version {JOURNAL_VERSION} promgen journal")
        staging, moves, before, removals = data.get("staging"), data.get("moves"), data.get("before"), data.get("removals")
        if not (isinstance(staging, str) and staging.startswith(STAGING_PREFIX) and _LEFTOVER.match(staging)):
            raise ValueError("its staging directory is not promgen's")
        if not (isinstance(moves, list) and all(isinstance(m, str) for m in moves)):
            raise ValueError("`moves` must list paths")
        if not (isinstance(before, dict) and set(before) == set(moves)
                and all(v is None or isinstance(v, str) for v in before.values())):
            raise ValueError("`before` must give each move's previous sha256")
        if not (isinstance(removals, dict) and all(isinstance(v, str) for v in removals.values())):
            raise ValueError("`removals` must map paths to sha256 sums")
        checked = tuple(m if m == MANIFEST_FILE else safe_relative(m) for m in moves)
        return cls(staging, checked, dict(before), {safe_relative(k): v for k, v in removals.items()})


def _digest_of(directory: OutputDir, rel: str) -> str | None:
    current = directory.read(rel, READ_LIMIT)
    return None if current is None else sha256(current)


def _swap(directory: OutputDir, plan: Plan, written: list[str], removals: dict[str, str], manifest: str) -> None:
    staging = STAGING_PREFIX + secrets.token_hex(8)
    moves = (*written, MANIFEST_FILE)
    journal = Journal(staging, moves, {rel: _digest_of(directory, rel) for rel in moves}, removals)
    mac = cache.sign(journal.body())
    if mac is None:
        raise OutputError(
            f"cannot keep promgen's key in {printable(str(cache.directory()))}, which a render needs to prove its "
            "journal its own: make that folder writable or set PROMGEN_CACHE_DIR to one that is"
        )
    committed = False
    try:
        for rel in written:
            directory.create(f"{staging}/{rel}", plan.files[rel].encode("utf-8"))
        directory.create(f"{staging}/{MANIFEST_FILE}", manifest.encode("utf-8"))
        for rel in _one_per_directory(written):
            directory.prepare_parent(rel)
        with _signals_deferred():
            temp = f"{JOURNAL_FILE}.{secrets.token_hex(4)}.tmp"
            directory.create(temp, journal.text(mac).encode("utf-8"))
            directory.rename(temp, JOURNAL_FILE)
            directory.sync()
            committed = True
            _apply(directory, journal)
    finally:
        if not committed:
            directory.remove_tree(staging)


def _one_per_directory(rels: list[str]) -> list[str]:
    """One of `rels` in each directory they are in."""
    return list({posixpath.dirname(rel): rel for rel in rels}.values())


def _apply(directory: OutputDir, journal: Journal) -> None:
    """Carry out a committed journal; safe to repeat after any interruption (moves already made are
    skipped, removals happen only while the file still has the recorded content). A move whose target
    no longer holds what it held at the commit is refused before anything moves."""
    pending = [rel for rel in journal.moves if directory.kind(f"{journal.staging}/{rel}") is not None]
    changed = [rel for rel in pending if _digest_of(directory, rel) != journal.before[rel]]
    if changed:
        raise OutputError(
            f"{directory.shown(JOURNAL_FILE)}: {_listing(directory, changed)} changed since the interrupted render "
            "began to replace it; promgen leaves it alone: move it away (or delete the journal) and render again"
        )
    for rel in journal.moves:
        directory.rename(f"{journal.staging}/{rel}", rel, missing_ok=True)
    for rel, digest in journal.removals.items():
        current = directory.read(rel, READ_LIMIT)
        if current is not None and sha256(current) == digest:
            directory.unlink(rel)
            directory.remove_empty_parents(rel)
    directory.sync()
    directory.unlink(JOURNAL_FILE)
    directory.remove_tree(journal.staging)


def recover(directory: OutputDir) -> None:
    """Finish a swap a killed render on this machine committed, then remove what killed renders left
    behind. A journal promgen cannot prove its own is reported and left alone."""
    raw = directory.read(JOURNAL_FILE, READ_LIMIT)
    if raw is not None:
        try:
            journal = Journal.parse(raw)
        except (ValueError, OutputError) as error:
            raise OutputError(
                f"{directory.shown(JOURNAL_FILE)} is not a journal promgen can honour ({printable(str(error))}); "
                "nothing was moved: delete it and render again"
            ) from None
        with _signals_deferred():
            _apply(directory, journal)
    for name in directory.names():
        if _LEFTOVER.match(name):
            directory.remove_tree(name)


# --- signals --------------------------------------------------------------------------------

_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def _termination_raises() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) raises SystemExit, so cleanup runs; the previous handler returns after."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block is done: each one that arrives is recorded
    and raised again right after, under the handler that was there before. (Python runs signal
    handlers in the main thread whichever thread the signal reaches, so a handler, not a thread's
    signal mask, is what defers them.)"""
    caught: list[int] = []
    previous: dict[signal.Signals, Any] = {}
    try:
        for deferred in _DEFERRED:
            previous[deferred] = signal.signal(deferred, lambda number, _frame: caught.append(number))
    except ValueError:  # not the main thread: nothing can be deferred
        for restored, handler in previous.items():
            signal.signal(restored, handler)
        yield
        return
    try:
        yield
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)
