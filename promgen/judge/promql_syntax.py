"""What PromQL's text shows and its parsed tree does not: the spelling a Prometheus version reads.

promql-parser turns `up > 1m` into `up > 60` and `{"up"}` into `{__name__="up"}`, so the tree
cannot tell that the expression uses syntax Prometheus 2.x refuses (durations as numbers, quoted
UTF-8 names). A small lexer over the text finds those spellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<duration>(?:[0-9]+(?:ms|y|w|d|h|m|s))+)(?![A-Za-z0-9_:.])
  | (?P<number>0[xX][0-9a-fA-F]+|(?:[0-9]*\.)?[0-9]+(?:[eE][+-]?[0-9]+)?|[Ii]nf|NaN)
  | (?P<word>[A-Za-z_:][A-Za-z0-9_:.]*)
  | (?P<operator>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],@:])
    """,
    re.VERBOSE,
)
GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokens(expr: str) -> list[Token]:
    """The tokens of `expr`, spaces and comments left out; an unknown character ends the list (the
    parser reports the expression)."""
    found: list[Token] = []
    position = 0
    while position < len(expr):
        match = _TOKEN.match(expr, position)
        if match is None:
            break
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(Token(kind, match.group()))
    return found


def durations_as_numbers(expr: str) -> list[str]:
    """Durations written where PromQL reads a number (`up > 1m`, `> bool (5m)`): not a range, a
    subquery's range or step, nor an offset (`offset 5m`, `offset -5m`)."""
    found: list[str] = []
    depth = 0  # inside [...]
    listed = tokens(expr)
    for index, token in enumerate(listed):
        if token.text == "[":
            depth += 1
        elif token.text == "]":
            depth = max(depth - 1, 0)
        elif token.kind == "duration" and depth == 0:
            before = [t.text for t in listed[max(index - 2, 0):index]]
            if not (before[-1:] == ["offset"] or before == ["offset", "-"]):
                found.append(token.text)
    return found


def quoted_names(expr: str) -> list[str]:
    """Names written as quoted strings (`{"up"}`, `{"a.b"="x"}`, `sum by ("a.b")`): Prometheus 3's
    syntax for UTF-8 metric and label names."""
    listed = tokens(expr)
    found: list[str] = []
    braces = 0
    grouping = False
    for index, token in enumerate(listed):
        before = listed[index - 1].text if index else ""
        after = listed[index + 1].text if index + 1 < len(listed) else ""
        if token.text == "{":
            braces += 1
        elif token.text == "}":
            braces = max(braces - 1, 0)
        elif token.text == "(" and before in GROUPING:
            grouping = True
        elif token.text == ")":
            grouping = False
        elif token.kind == "string" and (grouping or (braces and after in (",", "}", "=", "!=", "=~", "!~"))
                                         and (braces and before in ("{", ",") or grouping)):
            found.append(token.text)
    return found
