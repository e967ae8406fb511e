"""Selectors as the evaluator reads them: (metric name, matchers), and label matching with Go's
regular-expression anchoring. `Unsupported` says what the evaluator does not model."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from promgen.core.memo import ByObject


class Unsupported(Exception):
    """The expression uses something the evaluator does not model; the message says what."""
# --- selectors and matchers ------------------------------------------------------------------

Matcher = tuple[str, str, str]  # (label, op, value) with op in = != =~ !~

_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


# By parser node: a fleet has many selectors, each read many times.
_SELECTORS: ByObject[tuple[str, list[Matcher]]] = ByObject(16384)


def selector_parts(vs: Any) -> tuple[str, list[Matcher]]:
    """(metric name, matchers other than the name) of a selector node; the matchers list is shared:
    callers only read it."""
    return _SELECTORS.get(vs, lambda: read_selector(vs))


def read_selector(vs: Any) -> tuple[str, list[Matcher]]:
    """selector_parts without its cache, for a node read once (the cache would only add work)."""
    if vs.matchers.or_matchers:
        raise Unsupported("`or` inside a selector")
    name = vs.name
    matchers: list[Matcher] = []
    for m in vs.matchers.matchers:
        op = _OPS[str(m.op).rsplit(".", 1)[-1]]
        if m.name == "__name__":
            if op != "=":
                raise Unsupported("a regular expression on the metric name")
            name = m.value
            continue
        matchers.append((m.name, op, m.value))
    if not name:
        raise Unsupported("a selector without a metric name")
    return name, matchers


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(f"(?:{pattern})", re.DOTALL)
    except re.error as error:
        raise Unsupported(f"regular expression {pattern!r} ({error})") from None


def matcher_ok(value: str, op: str, pattern: str) -> bool:
    if op == "=":
        return value == pattern
    if op == "!=":
        return value != pattern
    found = _regex(pattern).fullmatch(value) is not None
    return found if op == "=~" else not found


def matches(labels: Mapping[str, str], matchers: Sequence[Matcher]) -> bool:
    return all(matcher_ok(labels.get(name, ""), op, value) for name, op, value in matchers)
