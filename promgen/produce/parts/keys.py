"""The digest of what each part of a render reads: equal digests, equal files (the code is part of
every digest). A part whose producer says what it reads (`reads`) is keyed by that; any other part
by everything the render reads, so it is derived again whenever any input changes."""

from __future__ import annotations

from typing import Any

from promgen.core.memo import ByObject
from promgen.core.stack import Stack
from promgen.write.fingerprint import code_digest, digest


def keys(stack: Stack, documents: list[Any], tasks: list[tuple[str, Any]], parted: dict[str, Any],
         inputs: str | None, coarse: bool = False) -> list[str | None]:
    """A key per task ((output name, part or None)); None where no digest can name the inputs.
    `coarse`: by `coarse_reads` where the producer has it (cheaper to make, changed by more: a slice
    of tests keyed by its whole service rather than by the rule files it loads)."""
    found: list[str | None] = []
    for name, which in tasks:
        module = parted.get(name)
        reader = getattr(module, "coarse_reads", None) if coarse else None
        reader = reader or getattr(module, "reads", None)
        read = reader(stack, which, documents) if reader is not None else None
        if read is None:
            found.append(None if inputs is None else digest(["whole", inputs, name, repr(which)]))
            continue
        try:
            found.append(digest(["part", code_digest(), name, repr(which), read, coarse]))
        except (TypeError, ValueError):
            found.append(None)
    return found


def has_coarse(parted: dict[str, Any], name: str) -> bool:
    return hasattr(parted.get(name), "coarse_reads")


def service_reads(stack: Stack, number: int, documents: list[Any]) -> Any:
    """What a part that reads one service reads: its spec as loaded (merged with its bases), the name
    headers give it, the render options, and whether it is one of several (files go to its folder);
    as one digest, made once per render (a large spec is megabytes of JSON)."""
    model = stack.services[number]
    return _SERVICE_DIGESTS.get(stack, lambda: digest({
        "source": model.source, "spec": documents[number], "options": repr(model.options), "fleet": stack.fleet,
        "targets": repr(model.targets)}), number)


_SERVICE_DIGESTS: ByObject[str] = ByObject(4096)
