"""Durations (`30s`, `5m`, `30d`) and sizes (`1GB`, `512MiB`) as users write them in a spec."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

# Prometheus' own duration units, largest first; a duration lists each at most once, in this order.
DURATION_UNITS_MS: dict[str, int] = {
    "y": 365 * 86_400_000,
    "w": 7 * 86_400_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1_000,
    "ms": 1,
}
# Go's time.Duration counts nanoseconds in an int64: about 292 years.
MAX_DURATION_MS = (2**63 - 1) // 1_000_000
DURATION_PATTERN = r"^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$"
_DURATION_RE = re.compile(DURATION_PATTERN)
_DURATION_PART_RE = re.compile(r"([0-9]+)(ms|y|w|d|h|m|s)")

SIZE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
SIZE_PATTERN = r"^[0-9]+(\.[0-9]+)?([eE][0-9]+)? ?([KMGT]i?)?[bB]?$"
_SIZE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?(?:[eE][0-9]+)?) ?([a-zA-Z]*)$")


def parse_duration(text: str) -> int:
    """Milliseconds in a Prometheus duration; ValueError with a hint when it is not one."""
    text = text.strip()
    if not text or not _DURATION_RE.match(text):
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit from ms, s, m, h, d, w, y, "
            "largest unit first (for example 30s, 5m, 1h30m, 30d)"
        )
    total = sum(int(n) * DURATION_UNITS_MS[u] for n, u in _DURATION_PART_RE.findall(text))
    if total > MAX_DURATION_MS:
        raise ValueError(f"duration {text!r} is longer than Prometheus and Alertmanager can hold (about 292y)")
    return total


def format_duration(ms: int) -> str:
    """The canonical Prometheus spelling of a duration: 5400000 -> '1h30m'."""
    if type(ms) is int:  # a float equal to an int would share its cache entry and print differently
        return _format_whole_duration(ms)
    return _spell_duration(ms)


@lru_cache(maxsize=4096)  # test files spell the same few durations tens of thousands of times
def _format_whole_duration(ms: int) -> str:
    return _spell_duration(ms)


def _spell_duration(ms: int) -> str:
    if ms == 0:
        return "0s"
    parts: list[str] = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = DURATION_UNITS_MS[unit]
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


class Duration:
    """A duration as written (`text`) and its length in milliseconds (`ms`)."""

    __slots__ = ("text", "ms")

    def __init__(self, text: str) -> None:
        self.ms = parse_duration(text)
        self.text = text.strip()

    @classmethod
    def of_ms(cls, ms: int) -> Duration:
        return cls(format_duration(ms))

    @property
    def seconds(self) -> float:
        return self.ms / 1000

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Duration({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other.ms == self.ms

    def __lt__(self, other: Duration) -> bool:
        return self.ms < other.ms

    def __hash__(self) -> int:
        return hash(self.ms)

    @classmethod
    def _validate(cls, value: Any) -> Duration:
        if isinstance(value, Duration):
            return value
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError("a duration must be a string such as 30s, 5m or 1h")
        if isinstance(value, int):
            if value != 0:
                raise ValueError(f"duration {value} has no unit: write {value}s or {value}m")
            return cls("0")
        return cls(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {"type": "string", "pattern": DURATION_PATTERN, "examples": ["30s", "5m", "1h", "30d"]}


def parse_size(value: str | int | float) -> float:
    """Bytes in a size: 1GB = 1e9, 512MiB = 512 * 2**20; bare numbers are bytes."""
    if isinstance(value, bool):
        raise ValueError("a size must be a number of bytes or a string such as 1GB or 512MiB")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return _finite(float(value), value)
    match = _SIZE_RE.match(value.strip())
    unit = match.group(2).lower() if match else None
    if match is None or unit not in SIZE_UNITS:
        raise ValueError(
            f"invalid size {value!r}: use a number and a unit from B, KB, MB, GB, TB, KiB, MiB, GiB, TiB "
            "(for example 1GB or 512MiB)"
        )
    return _finite(float(match.group(1)) * SIZE_UNITS[unit], value)


def _finite(size: float, written: object) -> float:
    if not math.isfinite(size) or size > 1e300:
        raise ValueError(f"size {written!r} is not a finite number of bytes")
    return size


class Size:
    """A size in bytes, written as `1GB`, `512MiB` or a plain number."""

    __slots__ = ("text", "bytes")

    def __init__(self, value: str | int | float) -> None:
        self.bytes = parse_size(value)
        self.text = str(value)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Size({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Size) and other.bytes == self.bytes

    def __hash__(self) -> int:
        return hash(self.bytes)

    @classmethod
    def _validate(cls, value: Any) -> Size:
        if isinstance(value, Size):
            return value
        if not isinstance(value, (str, int, float)):
            raise ValueError("a size must be a number of bytes or a string such as 1GB or 512MiB")
        return cls(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": SIZE_PATTERN}],
            "examples": ["1GB", "512MiB"],
        }
