"""PromQL's arithmetic as Go does it (division by zero, modulo and powers of odd values), and the
expression tree read without evaluating it: every node, and the value of a constant expression."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import promql_parser as pq

from promgen.testgen.functions import go_div

# --- arithmetic as Go does it ----------------------------------------------------------------


def _mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):
        if a < 0 and not float(b).is_integer():
            return math.nan
        return math.inf


ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": go_div,
    "%": _mod,
    "^": _pow,
}
COMPARISON: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}
def walk(node: Any) -> list[Any]:
    """Every node of an expression, parents before children."""
    found = [node]
    for child in _children(node):
        found.extend(walk(child))
    return found


def _children(node: Any) -> list[Any]:
    if isinstance(node, pq.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, (pq.ParenExpr, pq.UnaryExpr, pq.SubqueryExpr)):
        return [node.expr]
    if isinstance(node, pq.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, pq.Call):
        return list(node.args)
    if isinstance(node, pq.MatrixSelector):
        return [node.vector_selector]
    return []


def constant(node: Any) -> float | None:
    """The value of an expression made only of numbers, else None."""
    if isinstance(node, pq.NumberLiteral):
        return float(node.val)
    if isinstance(node, pq.ParenExpr):
        return constant(node.expr)
    if isinstance(node, pq.UnaryExpr):
        inner = constant(node.expr)
        return None if inner is None else -inner
    if isinstance(node, pq.BinaryExpr) and str(node.op) in ARITHMETIC:
        a, b = constant(node.lhs), constant(node.rhs)
        if a is not None and b is not None:
            return ARITHMETIC[str(node.op)](a, b)
    return None
