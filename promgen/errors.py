"""The error types promgen raises; `cli.py` is the only place that turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning"]


def printable(text: str) -> str:
    """`text` with control and invisible formatting characters escaped (`\\n`, `\\x1b`, `\\u202e`),
    so a file name or value from a spec can never start a new line in a CI log, move the cursor
    or reorder what is shown."""
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        elif char in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return "".join(out)


def shortened(text: str, limit: int = 160) -> str:
    """`text` cut to `limit` characters, saying how long it was: a hostile value (a file name of
    100,000 characters) never floods a log."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about a spec, pointing at the value that causes it."""

    file: str
    line: int
    column: int
    message: str
    level: Level = "error"
    # other spec files the problem is about too (a cross-spec conflict): they are not valid either
    related: tuple[str, ...] = field(default=(), compare=False)

    def render(self) -> str:
        prefix = "" if self.level == "error" else "warning: "
        return printable(f"{self.file}:{self.line}:{self.column}: {prefix}{self.message}")

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "level": self.level,
            "message": self.message,
        }

    def record(self) -> dict[str, object]:
        """`as_dict` with the related files: what promgen's cache keeps (`from_record` reads it)."""
        return {**self.as_dict(), "related": list(self.related)}

    @staticmethod
    def from_record(record: dict[str, object]) -> Problem | None:
        """The problem `record` kept; None for a record of another form."""
        file, line, column, message = (record.get(name) for name in ("file", "line", "column", "message"))
        level, related = record.get("level"), record.get("related")
        if not (isinstance(file, str) and isinstance(line, int) and isinstance(column, int)
                and isinstance(message, str) and level in ("error", "warning") and isinstance(related, list)
                and all(isinstance(other, str) for other in related)):
            return None
        return Problem(file, line, column, message, "error" if level == "error" else "warning", tuple(related))


class PromgenError(Exception):
    """Base of every error that is the user's to fix (exit code 1)."""


class SpecError(PromgenError):
    """The spec is wrong; carries every problem found, each with file:line:col."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class OutputError(PromgenError):
    """Rendered output is wrong or cannot be written (stale, foreign file in the way, ...)."""
