"""A quick reader for the plain block YAML most specs are written in.

libyaml composes a 1 MB spec into node objects in most of a second, before the walker turns them
into data; specs of that size are nearly all `key: value` lines and `- item` lines. This reader
reads exactly that subset, line by line, into the data and positions the walker would give, and
declines (returns None) at the first thing outside it: flow collections, block or multi-line
scalars, anchors, aliases, tags, escapes, quoted keys, duplicate keys, anything libyaml would
report as an error. The caller then composes the text with libyaml, which reads or reports it.
"""

from __future__ import annotations

import re
from typing import Any

from promgen.yamlio.reader import (
    MAX_DEPTH,
    MAX_NODES,
    PathKey,
    Positions,
    resolve_scalar,
)

# Characters libyaml refuses, line breaks other than \n, tabs and a byte-order mark: the full path
# reports or reads those.
_DECLINED_TEXT = re.compile("[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_./-]*):(?= |$)")
_INDICATORS = frozenset("[]{},#&*!|>%@`")

Line = tuple[int, int, str]  # (0-based line number, indentation, text after it)


class _Decline(Exception):
    """The text holds something outside the subset this reader knows."""


def read(text: str) -> tuple[Any, Positions] | None:
    """The document's data and positions as the walker makes them, or None to compose it in full."""
    if _DECLINED_TEXT.search(text):
        return None
    lines: list[Line] = []
    for number, line in enumerate(text.split("\n")):
        content = line.lstrip(" ")
        if content and content[0] != "#":
            lines.append((number, len(line) - len(content), content.rstrip(" ")))
    if not lines or lines[0][1] != 0:
        return None
    reader = _Reader(lines)
    try:
        data = reader.mapping(0, (), 0)
    except _Decline:
        return None
    return (data, reader.positions) if reader.at == len(lines) else None


def _entry(text: str) -> bool:
    return text == "-" or text.startswith("- ")


class _Reader:
    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.at = 0
        self.positions = Positions()
        self.nodes = 1  # the root

    def _count(self, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise _Decline  # the walker reports it

    def mapping(self, indent: int, path: PathKey, depth: int) -> dict[str, Any]:
        """The `key: value` lines at `indent` from the current line on (the values at `depth` + 1)."""
        result: dict[str, Any] = {}
        lines, keys, values = self.lines, self.positions.keys, self.positions.values
        depth += 1
        while self.at < len(lines):
            number, column, text = lines[self.at]
            if column != indent:
                if column < indent:
                    break
                raise _Decline
            match = _KEY.match(text)  # never a document marker (`---`, `...`, `%`): they start otherwise
            if match is None or match.group(1) in result:
                raise _Decline
            key = match.group(1)
            child = (*path, key)
            keys[child] = (number + 1, column + 1)
            self.at += 1
            self._count(depth)
            end = match.end()
            value = text[end:].lstrip(" ")
            if not value or value[0] == "#":
                result[key] = self._nested(number, column + end, indent, child, depth, indentless=True)
            else:
                values[child] = (number + 1, column + len(text) - len(value) + 1)
                result[key] = self._inline(value, indent)
        return result

    def sequence(self, indent: int, path: PathKey, depth: int) -> list[Any]:
        """The `- item` lines at `indent` from the current line on (the items at `depth` + 1)."""
        items: list[Any] = []
        lines, values = self.lines, self.positions.values
        depth += 1
        while self.at < len(lines):
            number, column, text = lines[self.at]
            if column < indent or (column == indent and not _entry(text)):
                break
            if column > indent:
                raise _Decline
            child = (*path, len(items))
            self._count(depth)
            value = text[1:].lstrip(" ")
            at = column + len(text) - len(value)  # where the item's own text starts
            if not value or value[0] == "#":
                self.at += 1
                items.append(self._nested(number, column + 1, column, child, depth, indentless=False))
            elif _KEY.match(value):  # `- key: value`: a mapping whose keys line up at `at`
                lines[self.at] = (number, at, value)
                values[child] = (number + 1, at + 1)
                items.append(self.mapping(at, child, depth))
            else:
                self.at += 1
                values[child] = (number + 1, at + 1)
                items.append(self._inline(value, column))
        return items

    def _nested(self, number: int, after: int, indent: int, path: PathKey, depth: int, *, indentless: bool) -> Any:
        """A block collection on the lines below (deeper than `indent`; a list may share a key's
        indentation), or null, placed just after the indicator as libyaml places it."""
        if self.at < len(self.lines):
            _, column, text = self.lines[self.at]
            if column > indent or (indentless and column == indent and _entry(text)):
                self.positions.values[path] = (self.lines[self.at][0] + 1, column + 1)
                if _entry(text):
                    return self.sequence(column, path, depth)
                if _KEY.match(text):
                    return self.mapping(column, path, depth)
                raise _Decline
        self.positions.values[path] = (number + 1, after + 1)
        return None

    def _inline(self, text: str, indent: int) -> Any:
        """A scalar written on its line; a deeper line after it would continue it (declined)."""
        if self.at < len(self.lines) and self.lines[self.at][1] > indent:
            raise _Decline
        first = text[0]
        if first == '"':
            end = text.find('"', 1)
            if end < 0 or "\\" in text[:end]:
                raise _Decline
            _comment_only(text[end + 1:])
            return text[1:end]
        if first == "'":
            end = text.find("'", 1)
            while end >= 0 and text[end + 1:end + 2] == "'":
                end = text.find("'", end + 2)
            if end < 0:
                raise _Decline
            _comment_only(text[end + 1:])
            return text[1:end].replace("''", "'")
        if first in _INDICATORS or (first in "-?:" and (len(text) == 1 or text[1] == " ")):
            raise _Decline
        comment = text.find(" #")
        if comment >= 0:
            text = text[:comment].rstrip(" ")
        if ": " in text or text.endswith(":"):
            raise _Decline
        try:
            return resolve_scalar(text, plain=True)
        except ValueError:
            raise _Decline from None


def _comment_only(after: str) -> None:
    """What follows a quoted scalar on its line: nothing, or a comment after a space."""
    if after and not (after[0] == " " and after.lstrip(" ")[:1] in ("", "#")):
        raise _Decline
