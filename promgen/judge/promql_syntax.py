"""What PromQL's text shows and its parsed tree does not: the spelling a Prometheus version reads.

promql-parser turns `up > 1m` into `up > 60` and `{"up"}` into `{__name__="up"}`, so the tree
cannot tell that the expression uses syntax Prometheus 2.x refuses (durations as numbers, quoted
UTF-8 names). A small lexer over the text finds those spellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# PromQL's tokens by kind, in the order they are tried.
_KINDS = (
    ("space", r"\s+|\#[^\n]*"),
    ("string", r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`"""),
    ("duration", r"(?:[0-9]+(?:ms|y|w|d|h|m|s))+(?![A-Za-z0-9_:.])"),
    ("number", r"0[xX][0-9a-fA-F]+|(?:[0-9]*\.)?[0-9]+(?:[eE][+-]?[0-9]+)?|(?:[Ii]nf|NaN)(?![A-Za-z0-9_:])"),
    ("word", r"[A-Za-z_:][A-Za-z0-9_:.]*"),
    ("operator", r"=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],@:]"),
)
_TOKEN = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS))
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


Selector = tuple[str, list[tuple[str, str, str]]]  # (metric name, matchers (label, op, value) but the name's)
_MATCH_OPS = frozenset({"=", "!=", "=~", "!~"})
_KEYWORDS = frozenset({"and", "or", "unless", "atan2", "bool", "offset"})
_MODIFIED = frozenset({"by", "without"})  # `sum by (job) (x)`: the aggregation's name comes before them


# The tokens `selectors` reads, as plain strings (one C call; spaces kept, so that what touches what
# is known); a character no other kind takes is a token of its own, which the scan refuses.
_SCAN = re.compile("|".join(f"(?:{pattern})" for _kind, pattern in _KINDS) + "|.", re.DOTALL)
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:")
_NUMBERS = frozenset({"Inf", "inf", "NaN"})
_SYMBOLS = frozenset({"=~", "!~", "!=", "==", "<=", ">=", *"-+*/%^<>=(){}[],@:"})


def selectors(expr: str) -> list[Selector] | None:
    """The selectors of `expr` with a metric name (its own or `__name__="..."`), read from the text
    without parsing it: a large render reads the selectors of thousands of generated rules, and the
    parser takes several times as long. None where the text holds anything this reading is not sure
    of (an escape or backtick in a string, UTF-8 names, a character it does not know): parse it then."""
    listed = _scan_tokens(expr)
    if listed is None:
        return None
    found: list[Selector] = []
    index = 0
    while index < len(listed):
        token = listed[index]
        after = listed[index + 1] if index + 1 < len(listed) else ""
        word = token[0] in _NAME_START and token not in _NUMBERS and token != ":"
        if word and token in GROUPING:
            if after == "(":
                index = _closing(listed, index + 1)
                if index < 0:
                    return None
            elif token not in ("group_left", "group_right"):
                return None  # `by` without its labels: not PromQL this reading knows
            index += 1
        elif word and (after == "(" or after in _MODIFIED or token in _KEYWORDS):
            index += 1  # a function, an aggregation, or a keyword
        elif word or token == "{":
            name = token if word else ""
            matchers: list[tuple[str, str, str]] = []
            if token == "{" or after == "{":
                index = _matchers(listed, index + (1 if token == "{" else 2), matchers)
                if index < 0:
                    return None
            index += 1
            names = [value for label, op, value in matchers if label == "__name__"]
            if any(label == "__name__" and op != "=" for label, op, _ in matchers):
                continue  # the evaluator does not model a pattern on the name
            name = names[-1] if names else name
            if name:
                found.append((name, [m for m in matchers if m[0] != "__name__"]))
        else:
            index += 1
    return found


def _scan_tokens(expr: str) -> list[str] | None:
    """The tokens of `expr` without spaces and comments; None for a token the scan is not sure of."""
    raw = _SCAN.findall(expr)
    listed: list[str] = []
    for at, token in enumerate(raw):
        first = token[0]
        if first.isspace() or first == "#":
            continue
        if first in "\"'`":
            if "\\" in token or first == "`":
                return None
        elif first.isdigit() or first == "." or token in _NUMBERS:
            following = raw[at + 1][0] if at + 1 < len(raw) else " "
            if following in _NAME_START or following.isdigit():
                return None  # `inf` read off the front of `info`, or a duration Go reads another way
        elif first not in _NAME_START and token not in _SYMBOLS:
            return None  # a character PromQL has no use for here
        listed.append(token)
    return listed


def _closing(listed: list[str], opening: int) -> int:
    """The index of the `)` that closes the label list opened at `opening`; -1 when it is not one."""
    for index in range(opening + 1, len(listed)):
        if listed[index] == ")":
            return index
        if listed[index][0] not in _NAME_START and listed[index] != ",":
            return -1
    return -1


def _matchers(listed: list[str], start: int, into: list[tuple[str, str, str]]) -> int:
    """Reads `label op "value"` items from `start` to the closing `}` into `into`; that brace's
    index, or -1 when the braces hold anything else (`or`, quoted names)."""
    index = start
    while index < len(listed):
        if listed[index] == "}":
            return index
        if index + 2 >= len(listed):
            return -1
        label, op, value = listed[index:index + 3]
        if label[0] not in _NAME_START or label == "or" or op not in _MATCH_OPS or value[0] not in "\"'":
            return -1
        into.append((label, op, value[1:-1]))
        index += 3
        if index < len(listed) and listed[index] == ",":
            index += 1
    return -1
