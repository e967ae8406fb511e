"""PromQL at validate time: parsed with PyPI promql-parser (native; no promtool needed), then held
to what the target Prometheus reads.

promql-parser follows the newest PromQL, so it accepts functions a Prometheus 2.42 lacks,
experimental functions no Prometheus enables by default, UTF-8 names and regular expressions
Go cannot compile; `problems` refuses each of those for the version the spec targets.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

import promql_parser

from promgen.core.versions import FEATURES, Targets

# Grafana's interval variables, replaced by a plausible duration before parsing a panel query.
GRAFANA_DURATIONS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__interval_ms": "60000",
    "__range_s": "3600",
}
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}?")
# Experimental in every judged Prometheus (they need --enable-feature=promql-experimental-functions,
# and promtool rejects them without it).
EXPERIMENTAL = frozenset({
    "double_exponential_smoothing", "first_over_time", "info", "mad_over_time", "sort_by_label",
    "sort_by_label_desc", "ts_of_first_over_time", "ts_of_last_over_time", "ts_of_max_over_time",
    "ts_of_min_over_time", "limitk", "limit_ratio",
})
_LEGACY_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LEGACY_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
Result = Literal["vector", "any"]


@lru_cache(maxsize=512)
def parsed(expr: str) -> Any:
    """`expr` parsed once per process: checks, rules, tests and dashboards read the same expressions
    many times, and the parser's nodes are never modified, so they can be shared. Raises as
    promql_parser.parse does."""
    return promql_parser.parse(expr)


def parse_error(expr: str) -> str | None:
    """None when `expr` parses as PromQL, else the parser's reason."""
    if not expr.strip():
        return "the expression is empty"
    try:
        parsed(expr)
    except Exception as error:  # the binding raises ValueError, but any failure is a parse failure
        return str(error) or type(error).__name__
    return None


def problems(expr: str, targets: Targets, result: Result = "any") -> list[str]:
    """Why the target Prometheus cannot run `expr` as a rule (or a panel, with result="any")."""
    return list(_problems(expr, targets, result))


@lru_cache(maxsize=65536)
def _problems(expr: str, targets: Targets, result: Result) -> tuple[str, ...]:
    # Kept apart from the parse cache (small answers): several checks ask of every alert, in turn.
    if not expr.strip():
        return ("the expression is empty",)
    try:
        root = parsed(expr)
    except Exception as error:
        return (f"does not parse: {str(error) or type(error).__name__}",)
    found: list[str] = []
    nodes = _nodes(root)
    if "$" not in expr and expr not in _NAMES:  # Grafana's variables are replaced before names are read
        _remember_names(expr, nodes)
    for node in nodes:
        found.extend(_node_problems(node, targets))
    found.extend(_spelling_problems(expr, targets))
    kind = value_type(root)
    if result == "vector" and kind != "vector":
        found.append(f"a rule needs an instant vector, and this is a {kind}"
                     + (" (a range selector needs a function such as rate() around it)" if kind == "range vector" else ""))
    return tuple(dict.fromkeys(found))


def metric_names(expr: str) -> set[str]:
    """The metric names `expr` selects (Grafana's variables allowed); none when it does not parse."""
    found = _NAMES.get(expr)
    if found is None:
        from promgen.judge.promql_syntax import selectors

        text = substitute_grafana_variables(expr)
        scanned = selectors(text) if "__name__" not in text else None  # the tree names no `__name__=` selector
        if scanned is not None:
            found = frozenset(name for name, _matchers in scanned)
            _remember(expr, found)
            return set(found)
        try:
            root = parsed(text)
        except Exception:  # the checks that own the expression report it
            root = None
        found = _remember_names(expr, [] if root is None else _nodes(root))
    return set(found)


# Metric names by expression. Kept apart from the parse cache (a parsed expression is tens of
# kilobytes, its names are not), and filled by `problems` too: the checks ask both of every alert.
_NAMES: dict[str, frozenset[str]] = {}
_NAMES_MAX = 65536


def _remember_names(expr: str, nodes: list[Any]) -> frozenset[str]:
    names = frozenset(node.name for node in nodes if isinstance(node, promql_parser.VectorSelector) and node.name)
    _remember(expr, names)
    return names


def _remember(expr: str, names: frozenset[str]) -> None:
    if len(_NAMES) >= _NAMES_MAX:
        _NAMES.clear()
    _NAMES[expr] = names


def _nodes(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, promql_parser.BinaryExpr):
        children = [node.lhs, node.rhs]
    elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        children = [node.expr]
    elif isinstance(node, promql_parser.AggregateExpr):
        children = [node.expr] + ([node.param] if node.param is not None else [])
    elif isinstance(node, promql_parser.Call):
        children = list(node.args)
    elif isinstance(node, promql_parser.MatrixSelector):
        children = [node.vector_selector]
    else:
        children = []
    for child in children:
        found.extend(_nodes(child))
    return found


def _spelling_problems(expr: str, targets: Targets) -> list[str]:
    """What the text shows and the tree hides (promgen.judge.promql_syntax)."""
    from promgen.judge.promql_syntax import durations_as_numbers, quoted_names

    found: list[str] = []
    numbers = targets.lacks("durations as numbers")
    if numbers is not None:
        found += [f"{text} is a duration where PromQL reads a number; durations as numbers {numbers}: "
                  f"write the seconds ({text} = {_seconds(text)})" for text in durations_as_numbers(expr)]
    utf8 = targets.lacks("utf-8 names")
    if utf8 is not None:
        found += [f"the quoted name {text} is UTF-8 name syntax, which {utf8}" for text in quoted_names(expr)]
    return found


def _seconds(duration: str) -> str:
    from promgen.load.units import parse_duration

    try:
        return f"{parse_duration(duration) / 1000:g}"
    except ValueError:
        return "its seconds"


# Go's time.Duration holds at most this many seconds (about 292 years): Prometheus refuses a longer
# range, offset or subquery step as "duration out of range".
GO_DURATION_MAX_S = 9_223_372_036.854775807
# promql-parser's value types, as value_type names them.
_VALUE_TYPES = {"vector": "vector", "scalar": "scalar", "matrix": "range vector", "string": "string"}


def _too_long(node: Any) -> list[str]:
    spans: list[tuple[str, Any]] = []
    if isinstance(node, (promql_parser.VectorSelector, promql_parser.SubqueryExpr)):
        spans.append(("offset", node.offset))
    if isinstance(node, promql_parser.MatrixSelector):
        spans.append(("range", node.range))
    if isinstance(node, promql_parser.SubqueryExpr):
        spans += [("subquery range", node.range), ("subquery step", node.step)]
    return [f"the {what} of {span.days}d is out of Prometheus' range for a duration (at most 106751d, about 292 "
            "years)" for what, span in spans if span is not None and abs(span.total_seconds()) > GO_DURATION_MAX_S]


def _node_problems(node: Any, targets: Targets) -> list[str]:
    found = _too_long(node)
    if isinstance(node, promql_parser.Call):
        return found + _call_problems(node, targets)
    if isinstance(node, promql_parser.AggregateExpr):
        if str(node.op) in EXPERIMENTAL:
            found.append(f"{node.op} is an experimental aggregation (Prometheus needs "
                         "--enable-feature=promql-experimental-functions, which promgen does not assume)")
        if str(node.op) == "count_values" and isinstance(node.param, promql_parser.StringLiteral):
            found += _label_name_problems(node.param.val, targets, "count_values' output label")
        return found
    if isinstance(node, promql_parser.VectorSelector):
        return found + _selector_problems(node, targets)
    if isinstance(node, promql_parser.SubqueryExpr) and node.at is not None and _fixed_at(node.at):
        return found + ["a rule cannot pin a subquery to a fixed time with @ <timestamp>"]
    if isinstance(node, promql_parser.BinaryExpr) and node.modifier is not None:
        fill = getattr(node.modifier, "fill_values", None)
        if fill is not None and (fill.lhs is not None or fill.rhs is not None):
            found.append("fill(), fill_left() and fill_right() are not PromQL in any Prometheus promgen is judged "
                         "against (its parser reads them as unknown functions)")
    return found


def _label_name_problems(name: str, targets: Targets, what: str) -> list[str]:
    if _LEGACY_LABEL.match(name):
        return []
    reason = targets.lacks("utf-8 names")
    return [] if reason is None else [f"{what} {name!r} is not a valid label name: UTF-8 names {reason}"]


def _argument_problems(node: Any) -> list[str]:
    """Arguments of a type the function does not take (`ln(-1)`: a scalar where it needs a vector),
    which promql-parser lets through for some functions and Prometheus refuses."""
    expected = [_VALUE_TYPES.get(str(kind).rsplit(".", 1)[-1].lower(), "") for kind in node.func.arg_types]
    found: list[str] = []
    for index, argument in enumerate(node.args):
        wanted = expected[min(index, len(expected) - 1)] if expected else ""
        actual = value_type(argument)
        if wanted and actual != wanted:
            article = "an" if wanted.startswith(("a", "e", "i", "o", "u")) else "a"
            found.append(f"{node.func.name}() takes {article} {wanted} as argument {index + 1}, and this is a {actual}")
    return found


def _call_problems(node: Any, targets: Targets) -> list[str]:
    name = node.func.name
    if name in EXPERIMENTAL or node.func.experimental:
        return [f"{name}() is an experimental PromQL function (Prometheus needs "
                "--enable-feature=promql-experimental-functions, which promgen does not assume)"]
    if name in FEATURES:
        reason = targets.lacks(name)
        if reason is not None:
            return [f"{name}() {reason}"]
    arguments = _argument_problems(node)
    if arguments:
        return arguments
    if name == "label_join" and len(node.args) >= 2 and isinstance(node.args[1], promql_parser.StringLiteral):
        return _label_name_problems(node.args[1].val, targets, "label_join's target label")
    if name == "label_replace" and len(node.args) == 5:
        found: list[str] = []
        regex = node.args[4]
        if isinstance(regex, promql_parser.StringLiteral):
            found += _regex_problems(regex.val, targets, "label_replace's regular expression")
        target = node.args[1]
        if isinstance(target, promql_parser.StringLiteral) and not _LEGACY_LABEL.match(target.val):
            reason = targets.lacks("utf-8 names")
            if reason is not None:
                found.append(f"label_replace target label {target.val!r} is not a valid label name: UTF-8 names {reason}")
        return found
    return []


def _selector_problems(node: Any, targets: Targets) -> list[str]:
    found: list[str] = []
    names = [node.name] if node.name else []
    names += [m.value for m in node.matchers.matchers if m.name == "__name__" and str(m.op).endswith("Equal")]
    utf8 = targets.lacks("utf-8 names")
    for name in names:
        if utf8 is not None and not _LEGACY_METRIC.match(name):
            found.append(f"metric name {name!r} has characters only UTF-8 names allow, which {utf8}")
    for matcher in node.matchers.matchers:
        if utf8 is not None and not _LEGACY_LABEL.match(matcher.name):
            found.append(f"label name {matcher.name!r} has characters only UTF-8 names allow, which {utf8}")
        if str(matcher.op).rsplit(".", 1)[-1] in ("Re", "NotRe"):
            found += _regex_problems(matcher.value, targets, f"the regular expression of {matcher.name}")
    if node.at is not None and _fixed_at(node.at):
        found.append("a rule cannot pin a selector to a fixed time with @ <timestamp>; use @ start() or @ end()")
    return found


def _fixed_at(at: Any) -> bool:
    return not str(at).strip().startswith(("@ start", "@ end"))


def _regex_problems(pattern: str, targets: Targets, what: str) -> list[str]:
    from promgen.judge.go_regex import problem

    reason = problem(pattern, angle_groups=targets.has("angle named groups in PromQL"))
    return [f"{what} is not a Go regular expression: {reason}"] if reason else []


def value_type(node: Any) -> str:
    """PromQL's type of an expression: vector, scalar, string or range vector."""
    if isinstance(node, promql_parser.NumberLiteral):
        return "scalar"
    if isinstance(node, promql_parser.StringLiteral):
        return "string"
    if isinstance(node, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
        return "range vector"
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        return value_type(node.expr)
    if isinstance(node, promql_parser.BinaryExpr):
        sides = (value_type(node.lhs), value_type(node.rhs))
        return "vector" if "vector" in sides else "scalar"
    if isinstance(node, promql_parser.Call):
        kind = str(node.func.return_type).rsplit(".", 1)[-1].lower()
        return {"matrix": "range vector"}.get(kind, kind)
    return "vector"


# Every word of a text that could be a series' name: every name `metric_names` finds in an expression
# is one of its words, so a query none of whose words is a name of interest need not be read further.
NAME_WORDS = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*").findall


def query_words(expr: str) -> set[str]:
    """The words of a query (a panel's: its Grafana variables substituted) that could name a series."""
    return set(NAME_WORDS(substitute_grafana_variables(expr)))


def substitute_grafana_variables(expr: str) -> str:
    """A Grafana panel query with its `$variables` replaced so it can be parsed as PromQL."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return GRAFANA_DURATIONS.get(name, name)

    return _VARIABLE.sub(replace, expr)


_VARIABLE_MATCHER = re.compile(r',?\s*[A-Za-z_][A-Za-z0-9_]*=~?"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?"')
_RANGE = re.compile(r"\[[0-9a-z]+(:[0-9a-z]*)?\]")


@lru_cache(maxsize=65536)
def query_shape(expr: str) -> str | None:
    """`expr` as PromQL prints it with every range as `[R]` and the matchers on dashboard variables
    (`instance=~"$instance"`) left out: a panel's `rate(x[$__rate_interval])` and an alert's
    `rate(x[5m])` have one shape. None when it does not parse."""
    text = _VARIABLE_MATCHER.sub("", expr).replace("{,", "{")
    try:
        node = parsed(substitute_grafana_variables(text))
    except Exception:  # the binding raises ValueError, but any failure is a parse failure
        return None
    return _RANGE.sub("[R]", str(node))


def substitute_window(expr: str, window: str) -> str:
    return expr.replace("{{window}}", window).replace("{{ window }}", window)
