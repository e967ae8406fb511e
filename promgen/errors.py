"""The error types promgen raises; `cli.py` is the only place that turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about a spec, pointing at the value that causes it."""

    file: str
    line: int
    column: int
    message: str
    level: Level = "error"

    def render(self) -> str:
        prefix = "" if self.level == "error" else "warning: "
        return f"{self.file}:{self.line}:{self.column}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "level": self.level,
            "message": self.message,
        }


class PromgenError(Exception):
    """Base of every error that is the user's to fix (exit code 1)."""


class SpecError(PromgenError):
    """The spec is wrong; carries every problem found, each with file:line:col."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class OutputError(PromgenError):
    """Rendered output is wrong or cannot be written (stale, foreign file in the way, ...)."""
