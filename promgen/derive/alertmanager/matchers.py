"""Alertmanager's matchers as 0.25 parses them (`pkg/labels.ParseMatcher`), matched as it matches
them, and matcher sets that can never match."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


# Alertmanager's pkg/labels ParseMatcher, as in 0.25.
_MATCHER = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$', re.DOTALL)
_REGEX_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


@dataclass(frozen=True)
class Matcher:
    """One Alertmanager matcher: `name op "value"`; regexes are anchored at both ends."""

    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")  # a missing label matches as the empty string
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        from promgen.judge.go_regex import fullmatch

        found = fullmatch(self.value, actual)
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def parse_matcher(text: str, *, angle_groups: bool = True) -> Matcher:
    """A matcher as Alertmanager parses it (quoted or bare value); ValueError when it is not one."""
    found = _MATCHER.match(text)
    if found is None:
        raise ValueError(f'{text!r} is not a matcher like team="database" or env=~"prod|staging"')
    name, op, raw = found.groups()
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    value: list[str] = []
    escaped = False
    for index, char in enumerate(raw):
        if escaped:
            escaped = False
            value.append({"n": "\n", '"': '"', "\\": "\\"}.get(char, "\\" + char))
        elif char == "\\" and index < len(raw) - 1:
            escaped = True
        elif char == '"':
            if not quoted or index < len(raw) - 1:
                raise ValueError(f"{text!r}: the value has an unescaped double quote")
            quoted = False
        else:
            value.append(char)
    if quoted:
        raise ValueError(f"{text!r}: the value's closing double quote is missing")
    matcher = Matcher(name, op, "".join(value))
    if op in ("=~", "!~"):
        from promgen.judge.go_regex import problem

        reason = problem(matcher.value, angle_groups=angle_groups)
        if reason is not None:
            raise ValueError(f"{text!r}: not a Go regular expression ({reason})")
    return matcher


def contradiction(matchers: Sequence[Matcher]) -> str | None:
    """Why no alert can satisfy all `matchers` at once (an equality the others exclude), else None."""
    for fixed in matchers:
        if fixed.op != "=":
            continue
        for other in matchers:
            if other is not fixed and other.name == fixed.name and not other.matches({fixed.name: fixed.value}):
                return f"{fixed} and {other} exclude each other"
    return None


def severity_matcher(names: Sequence[str]) -> Matcher:
    """Matches a severity by its canonical name or any alias (other tools may send an alias)."""
    if len(names) == 1:
        return Matcher("severity", "=", names[0])
    return Matcher("severity", "=~", "|".join(_REGEX_META.sub(r"\\\1", n) for n in names))
