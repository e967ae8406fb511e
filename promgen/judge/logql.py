"""What `validate` can tell of a LogQL alert expression without Loki: its brackets and strings close,
it selects streams the way Loki accepts, and it is a metric query (a ruler alerts on numbers, not on
log lines). The full grammar is Grafana's (`@grafana/lezer-logql`), which the test suite runs over
every rendered Loki rule."""

from __future__ import annotations

import re

# LogQL's range aggregations: what turns log lines into numbers.
RANGE_FUNCTIONS = frozenset({
    "rate", "count_over_time", "bytes_rate", "bytes_over_time", "absent_over_time", "rate_counter",
    "sum_over_time", "avg_over_time", "max_over_time", "min_over_time", "first_over_time",
    "last_over_time", "stdvar_over_time", "stddev_over_time", "quantile_over_time",
})
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*')
_FUNCTION = re.compile(r"\b([a-z_]+)\s*\(")


def problems(expr: str) -> list[str]:
    """Reasons `expr` cannot be a Loki alert expression; empty when none is found."""
    selectors, reason = _stream_selectors(expr)
    if reason is not None:
        return [reason]
    if not selectors:
        return ['it selects no log stream: a LogQL query starts from a stream selector like {service="api"}']
    found: list[str] = []
    for inner in selectors:
        found += _selector_problems(inner)
    code = "".join(char for _, char in _outside_literals(expr)[0])
    if not RANGE_FUNCTIONS & set(_FUNCTION.findall(code)):
        found.append("it is a log query, not a metric query: count its lines with a range aggregation, "
                     'like sum(count_over_time({service="api"} |= "ERROR" [5m])) > 0')
    return found


def selector_labels(expr: str) -> list[str]:
    """The label names the stream selectors of `expr` match on (for a well-formed expression)."""
    selectors, _ = _stream_selectors(expr)
    return [m.group(1) for inner in selectors for m in _MATCHER.finditer(inner)]


def _stream_selectors(expr: str) -> tuple[list[str], str | None]:
    """The text inside each top-level `{...}` of `expr`, or why its brackets or strings do not close."""
    outside, open_quote = _outside_literals(expr)
    if open_quote is not None:
        return [], f"a string opened with {open_quote} is not closed"
    stack: list[tuple[str, int]] = []
    selectors: list[str] = []
    for index, char in outside:
        if char in "([{":
            stack.append((char, index))
        elif char in _CLOSERS:
            if not stack:
                return [], f"{char!r} at offset {index} closes nothing"
            if stack[-1][0] != _CLOSERS[char]:
                return [], f"{char!r} at offset {index} comes before the {stack[-1][0]!r} at offset {stack[-1][1]} is closed"
            opener, start = stack.pop()
            if opener == "{":
                selectors.append(expr[start + 1:index])
    if stack:
        return [], f"{stack[-1][0]!r} at offset {stack[-1][1]} is not closed"
    return selectors, None


def _outside_literals(text: str) -> tuple[list[tuple[int, str]], str | None]:
    """The characters of `text` outside its string literals ("..." with backslash escapes, `...`
    raw), with their offsets; and the quote of a literal left open, if any."""
    found: list[tuple[int, str]] = []
    quote: str | None = None
    escaped = False
    for index, char in enumerate(text):
        if quote is None:
            if char in "\"`":
                quote = char
            else:
                found.append((index, char))
        elif escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            quote = None
    return found, quote


def _selector_problems(inner: str) -> list[str]:
    """Loki refuses a selector without a matcher that needs a non-empty value ({job=~".*"} would
    read every stream)."""
    matchers: list[tuple[str, str, str]] = []
    for part in _split_commas(inner):
        match = _MATCHER.fullmatch(part)
        if match is None:
            return [f"{{{inner}}} is not a stream selector: write label=\"value\" matchers, separated by commas"]
        matchers.append((match.group(1), match.group(2), match.group(3)[1:-1]))
    if not any(_needs_value(op, value) for _, op, value in matchers):
        return [f"{{{inner}}} needs a matcher that requires a value (like service=\"api\"): Loki refuses "
                "selectors that would match every stream"]
    return []


def _needs_value(op: str, value: str) -> bool:
    if op == "=":
        return value != ""
    if op == "=~":
        try:
            return re.fullmatch(value, "") is None
        except re.error:
            return True  # Loki reports its own regex errors
    return False


def _split_commas(inner: str) -> list[str]:
    """`inner` split at commas outside quoted values."""
    commas = [index for index, char in _outside_literals(inner)[0] if char == ","]
    bounds = [-1, *commas, len(inner)]
    return [inner[start + 1:stop] for start, stop in zip(bounds, bounds[1:])]
