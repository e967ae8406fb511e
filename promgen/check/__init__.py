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
