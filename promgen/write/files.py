"""Rendered files -> DIR, safely; or what writing them would change (`render --check`).

Ownership: DIR/.promgen-manifest.json lists every file promgen wrote there (`manifest`). promgen
overwrites only files listed there (a different file in its way is an OutputError naming it, unless
`force`), and removes a listed file only while its content still has the recorded sha256: a file
edited since is kept and reported. Every file below DIR that promgen does not write is reported.

Safety (docs/threat-model.md): every path below DIR is walked without following links
(`safe_dir.OutputDir`); a render holds an exclusive lock on DIR and swaps through a journal
(`journal`); nothing read from DIR vouches for DIR.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from promgen.core.conventions import MANIFEST_FILE
from promgen.errors import OutputError
from promgen.write import cache
from promgen.write.journal import (
    JOURNAL_FILE,
    LEFTOVER,
    recover,
    swap,
    termination_raises,
)
from promgen.write.manifest import (
    READ_LIMIT,
    Entry,
    listing,
    manifest_text,
    read_manifest,
    safe_relative,
    sha256,
)
from promgen.write.safe_dir import OutputDir

LOCK_TIMEOUT_S = 600.0
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
                rel = safe_relative(rel)
                files[rel] = text
                owner[rel] = output
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
    return rel == MANIFEST_FILE or bool(LEFTOVER.match(rel.split("/", 1)[0]))


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
    with directory, termination_raises(), directory.locked(exclusive=True, timeout_s=LOCK_TIMEOUT_S):
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
            swap(directory, plan, found.written, removals, manifest_text(final, inputs))
        if inputs is not None:
            cache.remember_render(inputs, {rel: final[rel].sha256 for rel in plan.files})  # hashed once, above
        found.kept.sort()
        return found


def _refuse_unsafe(directory: OutputDir, found: Changes, force: bool) -> None:
    if force:
        return
    if found.foreign:
        raise OutputError(
            f"refusing to overwrite {listing(directory, found.foreign)}: promgen did not write "
            f"{'it' if len(found.foreign) == 1 else 'them'} (not in {directory.shown(MANIFEST_FILE)}); "
            "move it away or rerun with --force"
        )
    if found.kept:
        raise OutputError(
            f"{listing(directory, found.kept)} changed since promgen wrote "
            f"{'it' if len(found.kept) == 1 else 'them'}, and the spec no longer produces "
            f"{'it' if len(found.kept) == 1 else 'them'}: promgen keeps edited files; move "
            f"{'it' if len(found.kept) == 1 else 'them'} away, or rerun with --force to keep "
            f"{'it' if len(found.kept) == 1 else 'them'} and forget {'it' if len(found.kept) == 1 else 'them'}"
        )
