"""The judge of Grafana dashboards and provisioning. No Grafana installs here, so the judge is ours:

- the JSON Schema of the dashboard format promgen emits (specs/grafana-dashboard.schema.json);
- every query parsed as PromQL, Grafana's `$variables` substituted first;
- the conventions of grafana/dashboard-linter: a `datasource` variable read by every panel and
  target, a known unit on every panel, `$__rate_interval` in rate() and irate(), plus a stable
  uid of at most 40 characters, panel ids 1..n in order, and every panel inside the 24-column
  grid with none overlapping another.

Each check returns Findings (empty when the dashboard passes); `judge()` runs them all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from promgen.judge.promql import parse_error, parsed, substitute_grafana_variables

GRID_COLUMNS = 24
MIN_SCHEMA_VERSION = 42
MAX_UID = 40
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# $__rate_interval stands in as this odd duration, so a range written by hand is told apart from it.
_RATE_INTERVAL_MS = 7_777_777
_RATE_INTERVAL = re.compile(r"\$\{?__rate_interval\}?")
RATE_FUNCTIONS = ("rate", "irate")

# Grafana's unit ids (packages/grafana-data/src/valueFormats/categories.ts), the ones a
# monitoring dashboard plausibly uses, and the custom unit forms Grafana accepts.
UNITS = frozenset(
    """
    none string short percent percentunit humidity dB hex0x hex sci locale pixel
    bytes decbytes bits decbits kbytes deckbytes mbytes decmbytes gbytes decgbytes tbytes dectbytes pbytes decpbytes
    pps binBps Bps binbps bps KiBs Kibits KBs Kbits MiBs Mibits MBs Mbits GiBs Gibits GBs Gbits TiBs Tibits TBs Tbits
    dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeAsLocal
    dateTimeAsLocalNoDateIfToday dateTimeAsSystem dateTimeFromNow
    hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks
    cps ops reqps rps wps iops cpm opm rpm wpm
    bool bool_yes_no bool_on_off
    celsius fahrenheit kelvin watt kwatt watth kwatth volt amp joule
    currencyUSD currencyEUR currencyGBP currencyJPY currencyCHF
    flops mflops gflops tflops
    """.split()
)
CUSTOM_UNIT_PREFIXES = ("suffix:", "prefix:", "si:", "count:", "currency:", "time:", "bool:")


@dataclass(frozen=True, order=True)
class Finding:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.where}: {self.message}"


# --- the JSON Schema ----------------------------------------------------------------------


def schema_path() -> Path:
    """specs/ ships in the wheel as promgen/specs; a source checkout has it at the top."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "specs", package.parent / "specs"):
        path = candidate / "grafana-dashboard.schema.json"
        if path.is_file():
            return path
    raise RuntimeError("specs/grafana-dashboard.schema.json is missing from this installation")


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_findings(dashboard: Any) -> list[Finding]:
    return sorted(
        Finding("schema", "/" + "/".join(str(p) for p in error.absolute_path), error.message)
        for error in _validator().iter_errors(dashboard)
    )


# --- walking a dashboard ------------------------------------------------------------------


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard.get("panels", []) if isinstance(p, dict)]


def _queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) of every panel target and every Prometheus annotation."""
    found: list[tuple[str, str]] = []
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            found.append((f"{_where(panel)} target {target.get('refId')}", str(target.get("expr", ""))))
    for annotation in dashboard.get("annotations", {}).get("list", []):
        target = annotation.get("target")
        if isinstance(target, dict) and "expr" in target:
            found.append((f"annotation {annotation.get('name')!r}", str(target["expr"])))
    return found


def _where(panel: dict[str, Any]) -> str:
    return f"panel {panel.get('id')} {panel.get('title')!r}"


# --- PromQL -------------------------------------------------------------------------------


def promql_findings(dashboard: dict[str, Any]) -> list[Finding]:
    findings = []
    for where, expr in _queries(dashboard):
        reason = parse_error(substitute_grafana_variables(expr))
        if reason is not None:
            findings.append(Finding("target-promql-rule", where, f"does not parse as PromQL ({reason}): {expr}"))
    return findings


def rate_interval_problem(expr: str) -> str | None:
    """Why `expr` should use $__rate_interval, or None (also None when it does not parse: another rule)."""
    import promql_parser

    text = substitute_grafana_variables(_RATE_INTERVAL.sub(f"{_RATE_INTERVAL_MS}ms", expr))
    try:
        tree = parsed(text)
    except Exception:
        return None
    wanted = timedelta(milliseconds=_RATE_INTERVAL_MS)
    parents: list[Any] = []
    problems: list[str] = []

    def enter(node: Any) -> None:
        if isinstance(node, promql_parser.MatrixSelector) and parents and isinstance(parents[-1], promql_parser.Call):
            function = parents[-1].func.name
            if function in RATE_FUNCTIONS and node.range != wanted:
                problems.append(f"{function}() over a fixed range; use [$__rate_interval]")
        parents.append(node)

    def leave(node: Any) -> None:
        parents.pop()

    promql_parser.walk(tree, enter, leave)
    return problems[0] if problems else None


def unit_known(unit: str) -> bool:
    return unit in UNITS or (unit.startswith(CUSTOM_UNIT_PREFIXES) and len(unit.split(":", 1)[1]) > 0)


# --- the linter rules ---------------------------------------------------------------------


def lint(dashboard: dict[str, Any]) -> list[Finding]:
    return [
        *_template_datasource(dashboard),
        *_datasources(dashboard),
        *_units(dashboard),
        *_rate_intervals(dashboard),
        *_uid(dashboard),
        *_schema_version(dashboard),
        *_panel_ids(dashboard),
        *_grid(dashboard),
    ]


def _template_datasource(dashboard: dict[str, Any]) -> list[Finding]:
    variables = [v for v in dashboard.get("templating", {}).get("list", []) if v.get("type") == "datasource"]
    named = [v for v in variables if v.get("name") == "datasource" and v.get("query") == "prometheus"]
    if len(named) != 1:
        return [Finding("template-datasource-rule", "templating",
                        "needs exactly one variable `datasource` of type datasource, query prometheus")]
    if named[0].get("label") != "Data source":
        return [Finding("template-datasource-rule", "templating", "the datasource variable should be labelled 'Data source'")]
    return []


def _datasources(dashboard: dict[str, Any]) -> list[Finding]:
    findings = []
    for panel in _panels(dashboard):
        if panel.get("type") == "row":
            continue
        if panel.get("datasource") != DATASOURCE:
            findings.append(Finding("panel-datasource-rule", _where(panel), f"datasource is {panel.get('datasource')!r}, not ${{datasource}}"))
        for target in panel.get("targets", []):
            if target.get("datasource") != DATASOURCE:
                findings.append(Finding("panel-datasource-rule", f"{_where(panel)} target {target.get('refId')}",
                                        f"datasource is {target.get('datasource')!r}, not ${{datasource}}"))
    return findings


def _units(dashboard: dict[str, Any]) -> list[Finding]:
    findings = []
    for panel in _panels(dashboard):
        if panel.get("type") == "row":
            continue
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not isinstance(unit, str) or not unit_known(unit):
            findings.append(Finding("panel-units-rule", _where(panel), f"no or unknown unit: {unit!r}"))
    return findings


def _rate_intervals(dashboard: dict[str, Any]) -> list[Finding]:
    findings = []
    for where, expr in _queries(dashboard):
        problem = rate_interval_problem(expr)
        if problem:
            findings.append(Finding("target-rate-interval-rule", where, f"{problem}: {expr}"))
    return findings


def _uid(dashboard: dict[str, Any]) -> list[Finding]:
    uid = dashboard.get("uid")
    if not isinstance(uid, str) or not uid:
        return [Finding("uid-rule", "uid", "the dashboard has no uid")]
    if len(uid) > MAX_UID:
        return [Finding("uid-rule", "uid", f"{uid!r} is {len(uid)} characters; Grafana allows {MAX_UID}")]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", uid):
        return [Finding("uid-rule", "uid", f"{uid!r} has characters other than letters, digits, - and _")]
    return []


def _schema_version(dashboard: dict[str, Any]) -> list[Finding]:
    version = dashboard.get("schemaVersion")
    if not isinstance(version, int) or version < MIN_SCHEMA_VERSION:
        return [Finding("schema-version-rule", "schemaVersion", f"{version!r} is older than {MIN_SCHEMA_VERSION}")]
    return []


def _panel_ids(dashboard: dict[str, Any]) -> list[Finding]:
    ids = [p.get("id") for p in _panels(dashboard)]
    expected = list(range(1, len(ids) + 1))
    if ids != expected:
        return [Finding("panel-id-rule", "panels", f"ids are {ids}, not sequential from 1 ({len(set(ids))} unique)")]
    return []


def _grid(dashboard: dict[str, Any]) -> list[Finding]:
    findings = []
    boxes: list[tuple[dict[str, Any], tuple[int, int, int, int]]] = []
    for panel in _panels(dashboard):
        grid = panel.get("gridPos", {})
        try:
            x, y, w, h = (int(grid[k]) for k in ("x", "y", "w", "h"))
        except (KeyError, TypeError, ValueError):
            findings.append(Finding("grid-rule", _where(panel), f"gridPos is incomplete: {grid!r}"))
            continue
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            findings.append(Finding("grid-rule", _where(panel), f"{grid!r} is outside the {GRID_COLUMNS}-column grid"))
        for other, (ox, oy, ow, oh) in boxes:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                findings.append(Finding("grid-rule", _where(panel), f"overlaps {_where(other)}"))
        boxes.append((panel, (x, y, w, h)))
    return findings


def judge(dashboard: dict[str, Any]) -> list[Finding]:
    """Every finding about one dashboard: schema, PromQL, linter rules."""
    return [*schema_findings(dashboard), *promql_findings(dashboard), *lint(dashboard)]


# --- provisioning -------------------------------------------------------------------------

_DATASOURCE_FILE_KEYS = {"apiVersion", "datasources", "deleteDatasources", "prune"}
_DATASOURCE_KEYS = {"name", "type", "uid", "access", "url", "isDefault", "editable", "orgId", "version", "basicAuth",
                    "basicAuthUser", "withCredentials", "jsonData", "secureJsonData", "user", "database"}
_PROVIDER_FILE_KEYS = {"apiVersion", "providers"}
_PROVIDER_KEYS = {"name", "orgId", "folder", "folderUid", "type", "disableDeletion", "allowUiUpdates",
                  "updateIntervalSeconds", "options"}
ALERTMANAGER_IMPLEMENTATIONS = ("prometheus", "mimir", "cortex")


def datasource_findings(data: Any) -> list[Finding]:
    """Grafana datasource provisioning (provisioning/datasources/*.yml), as Grafana reads it."""
    findings = _file_findings(data, "datasources", _DATASOURCE_FILE_KEYS)
    if findings:
        return findings
    entries = data["datasources"]
    for i, entry in enumerate(entries):
        where = f"datasources[{i}]"
        if not isinstance(entry, dict):
            findings.append(Finding("provisioning", where, "is not a mapping"))
            continue
        findings += [Finding("provisioning", where, f"unknown key {k!r}") for k in sorted(set(entry) - _DATASOURCE_KEYS)]
        findings += [Finding("provisioning", where, f"missing {k!r}") for k in ("name", "type", "uid", "url") if not entry.get(k)]
        if entry.get("access", "proxy") not in ("proxy", "direct"):
            findings.append(Finding("provisioning", where, f"access {entry.get('access')!r} is neither proxy nor direct"))
        if "secureJsonData" in entry:
            findings.append(Finding("provisioning", where, "carries secureJsonData: secrets do not belong in generated files"))
        if entry.get("type") == "alertmanager":
            implementation = (entry.get("jsonData") or {}).get("implementation")
            if implementation not in ALERTMANAGER_IMPLEMENTATIONS:
                findings.append(Finding("provisioning", where, f"alertmanager implementation {implementation!r} is not one of {ALERTMANAGER_IMPLEMENTATIONS}"))
    dicts = [e for e in entries if isinstance(e, dict)]
    for key in ("name", "uid"):
        values = [e.get(key) for e in dicts]
        if len(values) != len(set(values)):
            findings.append(Finding("provisioning", "datasources", f"{key}s are not unique: {values}"))
    defaults = [e.get("name") for e in dicts if e.get("isDefault")]
    if len(defaults) != 1:
        findings.append(Finding("provisioning", "datasources", f"exactly one datasource must be the default, not {defaults}"))
    return findings


def provider_findings(data: Any) -> list[Finding]:
    """Grafana dashboard provider provisioning (provisioning/dashboards/*.yml)."""
    findings = _file_findings(data, "providers", _PROVIDER_FILE_KEYS)
    if findings:
        return findings
    for i, entry in enumerate(data["providers"]):
        where = f"providers[{i}]"
        if not isinstance(entry, dict):
            findings.append(Finding("provisioning", where, "is not a mapping"))
            continue
        findings += [Finding("provisioning", where, f"unknown key {k!r}") for k in sorted(set(entry) - _PROVIDER_KEYS)]
        if not entry.get("name"):
            findings.append(Finding("provisioning", where, "missing 'name'"))
        if entry.get("type", "file") != "file":
            findings.append(Finding("provisioning", where, f"type {entry.get('type')!r}: only file providers are generated"))
        path = (entry.get("options") or {}).get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            findings.append(Finding("provisioning", where, f"options.path {path!r} is not an absolute path"))
    names = [e.get("name") for e in data["providers"] if isinstance(e, dict)]
    if len(names) != len(set(names)):
        findings.append(Finding("provisioning", "providers", f"names are not unique: {names}"))
    return findings


def _file_findings(data: Any, key: str, allowed: set[str]) -> list[Finding]:
    if not isinstance(data, dict):
        return [Finding("provisioning", "/", "is not a mapping")]
    findings = [Finding("provisioning", "/", f"unknown key {k!r}") for k in sorted(set(data) - allowed)]
    if data.get("apiVersion") != 1:
        findings.append(Finding("provisioning", "apiVersion", f"is {data.get('apiVersion')!r}, not 1"))
    if not isinstance(data.get(key), list) or not data[key]:
        findings.append(Finding("provisioning", key, "is missing or empty"))
    return findings
