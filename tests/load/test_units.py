"""Durations and sizes as users write them: promgen/load/units.py."""

from __future__ import annotations

import pytest

from promgen.load.units import (
    Duration,
    Size,
    format_duration,
    parse_duration,
    parse_size,
)

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("0", 0),
        ("0s", 0),
        ("1ms", 1),
        ("250ms", 250),
        ("30s", 30 * SECOND),
        ("5m", 5 * MINUTE),
        ("1h", HOUR),
        ("1h30m", HOUR + 30 * MINUTE),
        ("2h45m10s", 2 * HOUR + 45 * MINUTE + 10 * SECOND),
        ("1d", DAY),
        ("30d", 30 * DAY),
        ("1w", 7 * DAY),
        ("1y", 365 * DAY),
        ("1d12h", DAY + 12 * HOUR),
        ("1s500ms", 1500),
        ("300s", 300 * SECOND),
        ("90m", 90 * MINUTE),
        (" 5m ", 5 * MINUTE),
    ],
)
def test_parse_duration(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0s"),
        (1, "1ms"),
        (30 * SECOND, "30s"),
        (5 * MINUTE, "5m"),
        (HOUR + 30 * MINUTE, "1h30m"),
        (90 * MINUTE, "1h30m"),
        (DAY, "1d"),
        (30 * DAY, "30d"),
        (7 * DAY, "7d"),
        (DAY + HOUR + MINUTE + SECOND + 1, "1d1h1m1s1ms"),
        (1500, "1s500ms"),
    ],
)
def test_format_duration(ms: int, text: str) -> None:
    assert format_duration(ms) == text


@pytest.mark.parametrize(
    "ms",
    [0, 1, 999, 1000, 59_999, 60_000, 3_599_999, HOUR, 5400_000, DAY - 1, DAY, 30 * DAY, 400 * DAY, 123_456_789],
)
def test_format_then_parse_round_trips(ms: int) -> None:
    assert parse_duration(format_duration(ms)) == ms


@pytest.mark.parametrize("text", ["30s", "5m", "1h30m", "2d3h", "1s500ms", "30d", "12h"])
def test_canonical_text_round_trips(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "5",  # no unit
        "10",
        "5 m",  # space inside
        "m5",
        "-5m",
        "1.5h",  # no fractions
        "5min",
        "5M",  # units are lower case
        "1H",
        "30m1h",  # largest unit first
        "1s1m",
        "5m5m",  # each unit once
        "1h 30m",
        "five minutes",
        "5mm",
        "1sms",
    ],
)
def test_invalid_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_duration_object() -> None:
    d = Duration("1h30m")
    assert d.ms == 5_400_000
    assert d.seconds == 5400.0
    assert str(d) == "1h30m"
    assert d == Duration("90m")
    assert hash(d) == hash(Duration("90m"))
    assert Duration("5m") < Duration("1h")
    assert Duration.of_ms(5_400_000).text == "1h30m"


@pytest.mark.parametrize("value", [5, 1.5, True, None, ["5m"]])
def test_duration_validator_rejects_non_strings(value: object) -> None:
    with pytest.raises(ValueError):
        Duration._validate(value)


def test_duration_validator_accepts_zero_and_text() -> None:
    assert Duration._validate(0).ms == 0
    assert Duration._validate("5m").ms == 5 * MINUTE


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("1GB", 1e9),
        ("1 GB", 1e9),
        ("1gb", 1e9),
        ("512MiB", 512 * 2**20),
        ("512 MiB", 512 * 2**20),
        ("1KB", 1000),
        ("1KiB", 1024),
        ("1MB", 1e6),
        ("2TB", 2e12),
        ("1TiB", 2**40),
        ("1GiB", 2**30),
        ("1.5GB", 1.5e9),
        ("100", 100),
        ("100B", 100),
        ("1e9", 1e9),
        (1_000_000, 1e6),
        (0, 0),
        (1.5e9, 1.5e9),
    ],
)
def test_parse_size(value: str | int | float, size: float) -> None:
    assert parse_size(value) == pytest.approx(size)


def test_decimal_and_binary_units_differ() -> None:
    assert parse_size("1GB") == 1_000_000_000
    assert parse_size("1GiB") == 1_073_741_824
    assert parse_size("512MiB") == 536_870_912


@pytest.mark.parametrize(
    "value",
    ["", "GB", "1XB", "1 gigabyte", "-1GB", "1,5GB", "1GB!", "1 G B", "1PB", "lots"],
)
def test_invalid_sizes(value: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(value)


@pytest.mark.parametrize("value", [-1, -0.5])
def test_negative_sizes(value: float) -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_size(value)


def test_boolean_is_not_a_size() -> None:
    with pytest.raises(ValueError):
        parse_size(True)


def test_size_object() -> None:
    s = Size("512MiB")
    assert s.bytes == 512 * 2**20
    assert str(s) == "512MiB"
    assert s == Size(512 * 2**20)
    assert hash(s) == hash(Size(536870912))
    with pytest.raises(ValueError):
        Size._validate(["1GB"])
