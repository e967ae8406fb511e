"""What every importer shares: the source documents with their positions, the services being built,
and the items an import could not carry over (each a YAML comment in the spec and a warning).

An importer reads another tool's SLO documents and returns `ImportedService`s: plain promgen spec
data per service. Nothing here knows a source format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from promgen.errors import Problem, SpecError
from promgen.load.models.base import ALERT_NAME_MAX
from promgen.yamlio.reader import Document, PathKey


@dataclass(frozen=True)
class Source:
    """One document of a source file, or an object written inside one (`at` is where, so an SLI
    inlined in an OpenSLO SLO reads and reports like one of its own)."""

    document: Document
    at: PathKey = ()

    def inner(self, path: PathKey) -> Source:
        return Source(self.document, self.at + path)

    @property
    def data(self) -> Any:
        value: Any = self.document.data
        for key in self.at:
            value = value[key]
        return value

    def left(self, path: PathKey, what: str) -> Problem:
        """Something of the source the spec does not say exactly, where the source says it."""
        return self.document.problem(self.at + path, what, level="warning")

    def problem(self, path: PathKey, message: str) -> Problem:
        return self.document.problem(self.at + path, message)

    def fail(self, path: PathKey, message: str) -> SpecError:
        return SpecError([self.problem(path, message)])

    def get(self, path: PathKey, kind: type | tuple[type, ...], what: str, *, required: bool = True) -> Any:
        """The value at `path` when it has the expected type; None when absent and not required;
        SpecError otherwise."""
        value: Any = self.data
        for key in path:
            if isinstance(key, int):
                value = value[key] if isinstance(value, list) and key < len(value) else None
            else:
                value = value.get(key) if isinstance(value, dict) else None
            if value is None:
                break
        if value is None:
            if required:
                raise self.fail(path[:-1], f"missing `{path[-1]}` ({what})")
            return None
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(path, f"`{_dotted(path)}` must be {what}, not true or false")
        if not isinstance(value, kinds):
            raise self.fail(path, f"`{_dotted(path)}` must be {what}")
        return value


def _dotted(path: PathKey) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


@dataclass
class ImportedService:
    name: str
    sources: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    description: str = ""
    slos: list[dict[str, Any]] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)  # most urgent first
    left: list[Problem] = field(default_factory=list)  # warnings: what was not carried over
    refused: list[Problem] = field(default_factory=list)  # errors: SLOs promgen cannot express, and why
    origins: list[Problem] = field(default_factory=list)  # where each of `slos` is in the sources
    settings: dict[str, Any] = field(default_factory=dict)  # spec sections beside the SLOs (rules: naming)

    def add(self, slo: dict[str, Any], origin: Problem) -> None:
        self.slos.append(slo)
        self.origins.append(origin)

    def severity(self, name: str) -> str:
        """Registers a severity the SLOs use (in the order first seen) and returns it."""
        if name not in self.severities:
            self.severities.append(name)
        return name

    def spec(self) -> dict[str, Any]:
        service: dict[str, Any] = {"name": self.name}
        if self.labels:
            service["labels"] = dict(self.labels)
        spec: dict[str, Any] = {"version": 1, "service": service}
        metrics = read_metrics(self.slos)
        if metrics:
            spec["metrics"] = metrics
        spec["slos"] = self.slos
        spec.update(self.settings)
        spec["severities"] = [{"name": name} for name in (self.severities or [DEFAULT_PAGE, DEFAULT_TICKET])]
        return spec


DEFAULT_PAGE = "critical"
DEFAULT_TICKET = "warning"

_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_NOT_SERVICE = re.compile(r"[^a-z0-9-]+")
_NOT_LABEL = re.compile(r"[^A-Za-z0-9_]")


def service_name(raw: str) -> str:
    """A promgen service name ([a-z][a-z0-9-]*, at most 40) for another tool's service name."""
    name = _NOT_SERVICE.sub("-", raw.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = "svc-" + name
    return name[:ALERT_NAME_MAX].rstrip("-")


def slo_name(raw: str) -> str:
    """A promgen SLO name ([A-Za-z][A-Za-z0-9_-]*, at most 63)."""
    name = _NOT_NAME.sub("-", raw).strip("-")
    if not name or not name[0].isalpha():
        name = "slo-" + name
    return name[:63].rstrip("-")


severity_name = slo_name  # severities follow the same name rules as SLOs


def alert_name(raw: str) -> str:
    """A CamelCase alert name ([A-Z][A-Za-z0-9]*) for another tool's alert name."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", raw) if p]
    name = "".join(p[0].upper() + p[1:] for p in parts)
    if not name or not name[0].isalpha():
        name = "Slo" + name
    return name[:40]


def label_name(raw: str) -> str:
    name = _NOT_LABEL.sub("_", raw)
    return name if name and not name[0].isdigit() else "_" + name


def objective_percent(value: float) -> float | int:
    """A percentage as written (99.9), without float noise from a 0-1 target (0.999 * 100)."""
    number = float(f"{value:.10g}")
    return int(number) if number.is_integer() else number


WINDOW_VARIABLE = "{{window}}"


def over_window(function: str, selector: str, by: str = "") -> str:
    """`sum [by (...)] (function(selector[{{window}}]))`: a source's events over promgen's window
    variable (`by` is a modifier such as "by (handler)")."""
    return f"sum{f' {by} ' if by else ''}({function}({selector}[{WINDOW_VARIABLE}]))"


def drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", {}, [])}


def read_metrics(slos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The metrics the imported SLIs read, declared `external: true` (the source tool's Prometheus
    scrapes them, not one promgen configures), each with the labels the queries use on it; a
    histogram by its base name when its `_bucket` series is read."""
    from promgen.judge.promql import parsed, substitute_window

    used: dict[str, set[str]] = {}
    counters: set[str] = set()  # read through rate() or increase(): counters, whatever their name says
    natives: set[str] = set()  # read through histogram_count() and the like: native histograms
    for slo in slos:
        sli = slo.get("sli", {})
        queries = [sli[field] for field in ("errors", "good", "total", "error_ratio") if isinstance(sli.get(field), str)]
        latency = sli.get("latency")
        if isinstance(latency, dict) and isinstance(latency.get("metric"), str):
            selector = latency.get("selector") or ""
            queries.append(f"{latency['metric']}_bucket{{{selector}}}" if selector.strip() else f"{latency['metric']}_bucket")
        for query in queries:
            try:
                root = parsed(substitute_window(query, "5m"))
            except Exception:  # validate reports it
                continue
            _collect(root, used, frozenset(), counters, natives)
    histograms = {name.removesuffix("_bucket") for name in used if name.endswith("_bucket")} | natives
    declared: dict[str, dict[str, Any]] = {}
    for name in sorted(used):
        base = name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
        if base in histograms:
            entry = declared.setdefault(base, {"name": base, "type": "histogram", "labels": set()})
        else:
            kind = "counter" if name in counters or name.endswith(("_total", "_count", "_sum")) else "gauge"
            entry = declared.setdefault(name, {"name": name, "type": kind, "labels": set()})
        entry["labels"] |= used[name] - {"le", "job", "instance", "__name__"}
    return [{**entry, "labels": sorted(entry["labels"]), "external": True,
             "help": "read by the imported SLOs; scraped by the Prometheus they ran on"} for entry in declared.values()]


COUNTER_FUNCTIONS = ("rate", "irate", "increase", "resets")
NATIVE_FUNCTIONS = ("histogram_count", "histogram_sum", "histogram_fraction", "histogram_avg", "histogram_stddev",
                    "histogram_stdvar")


def _collect(node: Any, used: dict[str, set[str]], grouping: frozenset[str], counters: set[str], natives: set[str],
             counted: bool = False, native: bool = False) -> None:
    import promql_parser as pq

    if isinstance(node, pq.VectorSelector):
        name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), "")
        if name:
            used.setdefault(name, set()).update({m.name for m in node.matchers.matchers} | grouping)
            if counted:
                counters.add(name)
            if native:
                natives.add(name)
        return
    if isinstance(node, pq.AggregateExpr):
        labels = frozenset(node.modifier.labels) if node.modifier is not None else frozenset()
        _collect(node.expr, used, grouping | labels, counters, natives, counted, native)
        return
    call = node.func.name if isinstance(node, pq.Call) else ""
    for child in _children(node):
        _collect(child, used, grouping, counters, natives, counted or call in COUNTER_FUNCTIONS,
                 native or call in NATIVE_FUNCTIONS)


def _children(node: Any) -> list[Any]:
    import promql_parser as pq

    if isinstance(node, pq.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, (pq.ParenExpr, pq.UnaryExpr, pq.SubqueryExpr)):
        return [node.expr]
    if isinstance(node, pq.Call):
        return list(node.args)
    if isinstance(node, pq.MatrixSelector):
        return [node.vector_selector]
    return []
