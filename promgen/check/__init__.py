"""What `validate` judges beyond the schema: each loaded spec's meaning, and the specs of one stack
against each other. Checks read the loaded spec (and PromQL through `promgen.judge`); they never
derive output."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promgen.errors import Problem
    from promgen.load.loader import LoadedSpec


def check(loaded: LoadedSpec) -> list[Problem]:
    """Every semantic problem of the spec, in file order: each check of the registry applied once."""
    from promgen.check.context import Context
    from promgen.check.registry import CHECKS

    context = Context(loaded)
    for entry in CHECKS:
        entry.run(context)
    return sorted(context.problems)


def check_remembered(loaded: LoadedSpec) -> list[Problem]:
    """`check`, or what it found in the very same files before (promgen.write.cache records it,
    outside any output directory, keyed by the files' digests and promgen's code)."""
    from promgen.errors import Problem
    from promgen.write import cache

    key = _key(loaded)
    recorded = cache.recalled_checks(key) if key is not None else None
    if recorded is not None:
        problems = [Problem.from_record(record) for record in recorded]
        if all(problems):
            return [problem for problem in problems if problem is not None]
    found = check(loaded)
    if key is not None:
        cache.remember_checks(key, [problem.record() for problem in found])
    return found


def _key(loaded: LoadedSpec) -> str | None:
    """The digest of everything `check` reads: the files the spec was read from, and the code."""
    from promgen.write.fingerprint import code_digest, digest

    if not loaded.document.sources:
        return None  # a document not read from files
    return digest(["checks", code_digest(), loaded.document.sources])

