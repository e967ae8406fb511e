"""Which labels an expression's result is sure to keep, so annotations only use labels that exist.

`sum(x)` keeps none, `sum by (pod) (x)` keeps pod, `rate(x[5m])` keeps whatever x has (unknown
here: None). An alert whose description says `{{ $labels.instance }}` over `max(pg_up) == 0`
renders an empty instance; `dropped_labels` finds that before anyone is paged with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import promql_parser as pq

from promgen.judge.promql import parsed
from promgen.testgen.arithmetic import constant
from promgen.testgen.selectors import selector_parts

Kept = frozenset[str] | None  # None: not known (a selector keeps every label its series have)

_LABEL_USE = re.compile(r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)")
_SCALAR_FUNCTIONS = {"time", "scalar", "pi", "minute", "hour", "day_of_month", "day_of_week", "days_in_month", "month", "year"}
_KEEP_INPUT = {"topk", "bottomk", "limitk", "limit_ratio"}


def used_labels(annotations: Mapping[str, str]) -> list[str]:
    """Labels the annotations read, in order of first use."""
    return list(dict.fromkeys(m.group(1) for text in annotations.values() for m in _LABEL_USE.finditer(text)))


def dropped_labels(expr: str, annotations: Mapping[str, str]) -> list[str]:
    """Labels the annotations use that the expression's result cannot carry."""
    found = _kept_by(expr)
    if found is None:
        return []
    return [label for label in used_labels(annotations) if label not in found]


def kept_labels(expr: str) -> frozenset[str] | None:
    """The labels every result of `expr` carries; None when not known (a selector keeps all its series')."""
    return _kept_by(expr)


@lru_cache(maxsize=65536)
def _kept_by(expr: str) -> frozenset[str] | None:
    """`kept` of the parsed expression (None when it keeps every label or does not parse); cached
    by text, as the checks and the render both ask."""
    try:
        node = parsed(expr)
    except Exception:
        return None
    return kept(node)


def _is_scalar(node: Any) -> bool:
    if constant(node) is not None:
        return True
    if isinstance(node, pq.ParenExpr):
        return _is_scalar(node.expr)
    if isinstance(node, pq.Call):
        return node.func.name in _SCALAR_FUNCTIONS and node.func.name != "vector"
    if isinstance(node, pq.BinaryExpr):
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    return False


def kept(node: Any) -> Kept:
    if isinstance(node, (pq.VectorSelector, pq.MatrixSelector)):
        return None
    if isinstance(node, (pq.NumberLiteral, pq.StringLiteral)):
        return frozenset()
    if isinstance(node, (pq.ParenExpr, pq.UnaryExpr, pq.SubqueryExpr)):
        return kept(node.expr)
    if isinstance(node, pq.Call):
        return _call(node)
    if isinstance(node, pq.AggregateExpr):
        return _aggregate(node)
    if isinstance(node, pq.BinaryExpr):
        return _binary(node)
    return None


def _call(node: Any) -> Kept:
    name, args = node.func.name, list(node.args)
    if name in ("absent", "absent_over_time"):
        arg = args[0].vector_selector if isinstance(args[0], pq.MatrixSelector) else args[0]
        if isinstance(arg, pq.VectorSelector):
            return frozenset(label for label, op, _ in selector_parts(arg)[1] if op == "=")
        return frozenset()
    if name in _SCALAR_FUNCTIONS or name == "vector" or not args:
        return frozenset()
    if name == "histogram_quantile":
        inner = kept(args[1])
        return None if inner is None else inner - {"le"}
    if name in ("label_replace", "label_join"):
        inner = kept(args[0])
        target = getattr(args[1], "val", None)
        return None if inner is None else inner | ({target} if isinstance(target, str) else set())
    vector = next((arg for arg in args if not _is_scalar(arg)), args[0])
    return kept(vector)


def _aggregate(node: Any) -> Kept:
    inner = kept(node.expr)
    op = str(node.op)
    if op in _KEEP_INPUT:
        return inner
    modifier = node.modifier
    if modifier is None:
        labels: frozenset[str] = frozenset()
    elif str(modifier.type).endswith("By"):
        labels = frozenset(modifier.labels) if inner is None else frozenset(modifier.labels) & inner
    else:
        return None if inner is None else inner - set(modifier.labels)
    if op == "count_values" and node.param is not None and isinstance(getattr(node.param, "val", None), str):
        labels |= {node.param.val}
    return labels


def _binary(node: Any) -> Kept:
    op = str(node.op)
    left_scalar, right_scalar = _is_scalar(node.lhs), _is_scalar(node.rhs)
    if left_scalar and right_scalar:
        return frozenset()
    if right_scalar:
        return kept(node.lhs)
    if left_scalar:
        return kept(node.rhs)
    lhs, rhs = kept(node.lhs), kept(node.rhs)
    if op in ("and", "unless"):
        return lhs
    if op == "or":
        if lhs is None or rhs is None:
            return lhs if rhs is None else rhs
        return lhs & rhs
    modifier = node.modifier
    matching = modifier.matching if modifier is not None else None
    card = str(modifier.card) if modifier is not None else ""
    if card.endswith(("ManyToOne", "OneToMany")):
        side = lhs if card.endswith("ManyToOne") else rhs
        extra = frozenset(modifier.group_labels or ()) if hasattr(modifier, "group_labels") else frozenset()
        return None if side is None else side | extra
    if matching is not None and str(matching.type).endswith("Include"):
        return frozenset(matching.labels)
    ignored = set(matching.labels) if matching is not None else set()
    # one-to-one: both sides carry the same labels (apart from ignored ones)
    known = lhs if lhs is not None else rhs
    return None if known is None else known - ignored
