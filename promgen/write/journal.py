"""The staged, journaled swap that brings DIR to a plan: new contents staged in a directory inside
DIR (same file system, so every move is a rename), then a journal naming every move and removal
written atomically: the commit point. Before it, an interruption leaves the old stack; after it,
the next render finishes the moves first. SIGINT, SIGTERM and SIGHUP wait until the moves are
done. DIR is untrusted, so a journal is honoured only when an HMAC under this user's key (kept
outside DIR) proves a render on this machine wrote it, and a move replaces only a target that
still holds what the journal recorded."""

from __future__ import annotations

import json
import posixpath
import re
import secrets
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promgen.core.conventions import MANIFEST_FILE
from promgen.errors import OutputError, printable
from promgen.write import cache
from promgen.write.safe_dir import OutputDir

if TYPE_CHECKING:
    from promgen.write.files import Plan
from promgen.write.manifest import READ_LIMIT, listing, load_json, safe_relative, sha256

JOURNAL_VERSION = 2
JOURNAL_FILE = ".promgen-journal.json"
STAGING_PREFIX = ".promgen-staging-"
# Leftovers of a killed render: staging directories and half-written temporary files.
LEFTOVER = re.compile(r"^\.promgen-(staging-[A-Za-z0-9_-]+|.*\.tmp)$")
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
        outer = load_json(raw)
        if not isinstance(outer, dict) or not isinstance(outer.get("body"), str):
            raise ValueError(f"not a version {JOURNAL_VERSION} promgen journal")
        if not cache.signed_here(outer["body"], outer.get("mac")):
            raise ValueError("promgen did not write it on this machine (its signature does not match)")
        data = load_json(outer["body"].encode("utf-8"))
        if not isinstance(data, dict) or data.get("promgen_journal") != JOURNAL_VERSION:
            raise ValueError(f"not a version {JOURNAL_VERSION} promgen journal")
        staging, moves, before, removals = data.get("staging"), data.get("moves"), data.get("before"), data.get("removals")
        if not (isinstance(staging, str) and staging.startswith(STAGING_PREFIX) and LEFTOVER.match(staging)):
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


def swap(directory: OutputDir, plan: Plan, written: list[str], removals: dict[str, str], manifest: str) -> None:
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
            f"{directory.shown(JOURNAL_FILE)}: {listing(directory, changed)} changed since the interrupted render "
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
        if LEFTOVER.match(name):
            directory.remove_tree(name)


# --- signals --------------------------------------------------------------------------------

_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def termination_raises() -> Iterator[None]:
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
