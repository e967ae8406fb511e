"""Go's number formatting and Prometheus' template functions, as Prometheus renders annotations.

Generated unit tests state the exact annotations an alert carries, so `{{ $value | humanize }}`
must be rendered here byte for byte as Prometheus 2 does (prometheus/template/template.go;
checked against promtool in tests/test_prometheus_synthesis.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache


class TemplateUnsupported(Exception):
    """An annotation uses Go template syntax beyond what `expand` models."""


def go_g(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64), which is also how `{{ $value }}` prints a float."""
    if value and math.isfinite(value):  # 0.0 and -0.0 are one cache key; NaN never hits one
        return _go_g_finite(value)
    return _go_g(value)


@lru_cache(maxsize=16384)  # test input repeats the same few steps and levels
def _go_g_finite(value: float) -> str:
    return _go_g(value)


def _go_g(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    exp = int(exponent) + len(text) - 1  # the scientific exponent
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:  # Go's shortest %g switches to %e at 6 digits, not Python's 16
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return prefix + format(Decimal(repr(abs(value))).normalize(), "f")


def go_4g(value: float) -> str:
    """fmt.Sprintf("%.4g", v)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return "%.4g" % value  # Python's %g and Go's agree for finite values (two-digit exponents, no trailing zeros)


_LARGE = ("k", "M", "G", "T", "P", "E", "Z", "Y")
_SMALL = ("m", "u", "n", "p", "f", "a", "z", "y")


def humanize(value: float) -> str:
    if value == 0 or math.isnan(value) or math.isinf(value):
        return go_4g(value)
    prefix = ""
    if abs(value) >= 1:
        for p in _LARGE:
            if abs(value) < 1000:
                break
            prefix = p
            value /= 1000
        return go_4g(value) + prefix
    for p in _SMALL:
        if abs(value) >= 1:
            break
        prefix = p
        value *= 1000
    return go_4g(value) + prefix


def humanize1024(value: float) -> str:
    if abs(value) <= 1 or math.isnan(value) or math.isinf(value):
        return go_4g(value)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(value) < 1024:
            break
        prefix = p
        value /= 1024
    return go_4g(value) + prefix


def humanize_duration(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return go_4g(value)
    if value == 0:
        return go_4g(value) + "s"
    if abs(value) >= 1:
        if abs(value) >= 2**63:
            raise TemplateUnsupported("humanizeDuration of a value beyond Go's int64 range")
        sign = "-" if value < 0 else ""
        value = abs(value)
        whole = int(value)
        seconds, minutes, hours, days = whole % 60, whole // 60 % 60, whole // 3600 % 24, whole // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{go_4g(value)}s"
    prefix = ""
    for p in _SMALL:
        if abs(value) >= 1:
            break
        prefix = p
        value *= 1000
    return f"{go_4g(value)}{prefix}s"


def humanize_percentage(value: float) -> str:
    return go_4g(value * 100) + "%"


FUNCTIONS = {
    "humanize": humanize,
    "humanize1024": humanize1024,
    "humanizeDuration": humanize_duration,
    "humanizePercentage": humanize_percentage,
}


_ACTION = re.compile(r"\{\{(-\s)?\s*(.*?)\s*(\s-)?\}\}", re.DOTALL)
_QUOTED = re.compile(r'"([^"\\]*)"')
_PRINTF = re.compile(r'^printf\s+"(%\.(\d+)[fg])"\s+(\$value|\.Value)$')


def expand(text: str, labels: Mapping[str, str], value: float) -> str:
    """An alert annotation as Prometheus expands it: `$value`, `$labels.x` and the humanize functions.

    Missing labels expand to "" (Prometheus runs templates with missingkey=zero).
    """
    out: list[str] = []
    position = 0
    for match in _ACTION.finditer(text):
        literal = text[position:match.start()]
        if match.group(1):
            literal = literal.rstrip()
        if out and out[-1] == _TRIM_NEXT:
            out.pop()
            literal = literal.lstrip()
        out.append(literal)
        out.append(_action(match.group(2), labels, value))
        if match.group(3):
            out.append(_TRIM_NEXT)
        position = match.end()
    rest = text[position:]
    if out and out[-1] == _TRIM_NEXT:
        out.pop()
        rest = rest.lstrip()
    if "{{" in rest:
        raise TemplateUnsupported("an unclosed {{")
    out.append(rest)
    return "".join(out)


_TRIM_NEXT = "\x00trim"


def _action(action: str, labels: Mapping[str, str], value: float) -> str:
    quoted = _QUOTED.fullmatch(action)
    if quoted:  # `{{ "{{" }}`, how promgen writes a literal {{
        return quoted.group(1)
    printf = _PRINTF.match(action)
    if printf:
        verb = printf.group(1)
        if verb.endswith("g"):
            raise TemplateUnsupported("printf %g")
        return verb % value
    parts = [p.strip() for p in action.split("|")]
    head = parts[0].split()
    if len(head) == 2 and head[0] in FUNCTIONS:  # `humanize $value`
        parts = [head[1], head[0]] + parts[1:]
    elif len(head) != 1:
        raise TemplateUnsupported(f"template action {{{{ {action} }}}}")
    subject = parts[0]
    result: float | str
    if subject in ("$value", ".Value"):
        result = value
    else:
        for prefix in ("$labels.", ".Labels.", "$externalLabels.", ".ExternalLabels."):
            if subject.startswith(prefix) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", subject[len(prefix):]):
                name = subject[len(prefix):]
                result = "" if prefix.lower().lstrip("$.").startswith("external") else labels.get(name, "")
                break
        else:
            raise TemplateUnsupported(f"template action {{{{ {action} }}}}")
    for function in parts[1:]:
        if function not in FUNCTIONS or not isinstance(result, float):
            raise TemplateUnsupported(f"template function {function!r}")
        result = FUNCTIONS[function](result)
    return go_g(result) if isinstance(result, float) else result
