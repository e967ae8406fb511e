"""Alertmanager's time interval fields, read as Alertmanager reads them (timeinterval package):
days of the month from -31 to 31 without 0, months by name or number, years, each optionally a
`start:end` range that is not always empty."""

from __future__ import annotations

from typing import Any

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")  # Alertmanager's order


def _as_text(value: Any) -> Any:
    """`days_of_month: [1, 15]` as YAML numbers reads the same as strings."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _bounds(text: str) -> tuple[str, str]:
    parts = text.strip().lower().split(":")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"{text!r} is not a value or a start:end range")
    return (parts[0], parts[-1])


def _integer(part: str, what: str) -> int:
    digits = part[1:] if part.startswith("-") else part
    if not digits.isdigit() or len(digits) > 9:
        raise ValueError(f"{part!r} is not a {what}")
    return int(part)


def day_of_month(text: str) -> str:
    begin, end = (_integer(p, "day of the month (1 to 31, or -1 to -31 from the end)") for p in _bounds(text))
    for day in (begin, end):
        if day == 0 or not -31 <= day <= 31:
            raise ValueError(f"{day} is not a day of the month: use 1 to 31, or -1 to -31 counted from the end")
    if begin < 0 < end:
        raise ValueError(f"{text!r}: a range that starts counting from the end of the month must end that way too")
    if (28 + begin if begin < 0 else begin) > (28 + end if end < 0 else end):
        raise ValueError(f"{text!r}: the range is empty (its end comes before its start)")
    return text


def month(text: str) -> str:
    def number(part: str) -> int:
        if part in MONTHS:
            return MONTHS.index(part) + 1
        value = _integer(part, "month (a name such as march, or 1 to 12)")
        if not 1 <= value <= 12:
            raise ValueError(f"{value} is not a month: use 1 to 12 or a name such as march")
        return value

    begin, end = (number(p) for p in _bounds(text))
    if begin > end:
        raise ValueError(f"{text!r}: the end month comes before the start month (ranges do not wrap around the year)")
    return text


def year(text: str) -> str:
    begin, end = (_integer(p, "year") for p in _bounds(text))
    if not (1 <= begin <= 9999 and 1 <= end <= 9999):
        raise ValueError(f"{text!r}: a year is a number from 1 to 9999")
    if begin > end:
        raise ValueError(f"{text!r}: the end year comes before the start year")
    return text


def weekday_order(text: str) -> str | None:
    """Why a weekday range is empty to Alertmanager (it counts from Sunday), else None."""
    parts = text.split(":")
    if len(parts) == 2 and all(p in WEEKDAYS for p in parts) and WEEKDAYS.index(parts[0]) > WEEKDAYS.index(parts[1]):
        listed = ", ".join(f'"{d}"' for d in _wrapped(parts[0], parts[1]))
        return (f"{text!r}: Alertmanager's weeks run from sunday to saturday, so this range is empty; "
                f"list the days instead: [{listed}]")
    return None


def _wrapped(start: str, end: str) -> list[str]:
    days: list[str] = []
    index = WEEKDAYS.index(start)
    while True:
        days.append(WEEKDAYS[index])
        if WEEKDAYS[index] == end:
            return days
        index = (index + 1) % 7
