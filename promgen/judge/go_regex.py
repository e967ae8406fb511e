"""Regular expressions as Go's regexp package (RE2 syntax) reads them: Prometheus label matchers,
label_replace, Alertmanager matchers.

Python's `re` accepts lookarounds, backreferences, possessive quantifiers and atomic groups that
Go rejects, and rejects `\\pN` that Go accepts; google-re2 (PyPI) parses the RE2 syntax Go's
regexp implements. Two differences remain and are checked here: Go has no `\\C`, and named groups
written `(?<name>...)` need Go 1.22 (Prometheus 3.0 and Alertmanager 0.27 are built with it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_ANGLE_GROUP = re.compile(r"(?<!\\)\(\?<[A-Za-z_]")
_ANY_BYTE = re.compile(r"(?<!\\)(?:\\\\)*\\C")


@lru_cache(maxsize=1)
def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 logs every rejected pattern to stderr otherwise
    return options


@lru_cache(maxsize=1024)
def problem(pattern: str, *, angle_groups: bool = True) -> str | None:
    """Why Go cannot compile `pattern`, else None. `angle_groups`: the reader's Go has `(?<name>...)`."""
    import re2

    if _ANY_BYTE.search(pattern):
        return "Go regular expressions have no \\C"
    if not angle_groups and _ANGLE_GROUP.search(pattern):
        return "named groups written (?<name>...) need a newer version; write (?P<name>...)"
    try:
        re2.compile(pattern, _options())
    except re2.error as error:
        reason = error.args[0] if error.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return str(reason)
    return None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    import re2

    return re2.compile(pattern, _options())


def fullmatch(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` as a whole, with Go's (RE2's) semantics; a pattern Go
    cannot compile matches nothing."""
    import re2

    try:
        return _compiled(pattern).fullmatch(text) is not None
    except re2.error:
        return False
