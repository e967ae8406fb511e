"""Does each selector of the spec match series in the live Prometheus, now and over `--since`?

A selector matching nothing is diagnosed: the metric is missing (with the names that exist, as a
"did you mean"), or a matcher's label value is (with the values that exist), or only the matchers
together match nothing. A metric found under another job than the spec expects is a warning; a
metric declared `deployed: false` is pending, not an error, until it has series.
"""

from __future__ import annotations

import difflib
import re
import threading

from promgen.live.client import PrometheusAPI
from promgen.live.plan import Selector
from promgen.live.results import Finding, SelectorResult
from promgen.load.suggest import did_you_mean

SHOWN_VALUES = 8
# metric names share long suffixes (_total, _seconds_bucket): only a near spelling is a likely typo
METRIC_NAME_CUTOFF = 0.85


class Lookups:
    """Label values the diagnoses share, asked once per run (thread-safe)."""

    def __init__(self, api: PrometheusAPI, start: float, end: float) -> None:
        self.api, self.start, self.end = api, start, end
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], list[str]] = {}

    def values(self, label: str, match: str) -> list[str]:
        key = (label, match)
        with self._lock:
            if key in self._values:
                return self._values[key]
        found = self.api.label_values(label, match, self.start, self.end)
        with self._lock:
            self._values[key] = found
        return found


def count(api: PrometheusAPI, expr: str, at: float) -> int:
    result, _stats = api.query(f"count({expr})", at)
    return int(float(result[0]["value"][1])) if result else 0


def check_selector(api: PrometheusAPI, selector: Selector, since: str, end: float,
                   lookups: Lookups) -> tuple[SelectorResult, list[Finding]]:
    result = SelectorResult(selector)
    result.now = count(api, selector.text, end)
    result.since = result.now or count(api, f"last_over_time({selector.text}[{since}])", end)
    place = selector.readers[0].place
    readers = _readers(selector)
    findings: list[Finding] = []
    if result.since == 0:
        if selector.pending:
            findings.append(Finding("note", place, f"{selector.text} ({readers}) has no series yet: its metric is "
                                                   f"declared `deployed: false`"))
        else:
            why = diagnosis(selector, lookups)
            findings.append(Finding("error", place, f"{selector.text} ({readers}) matches no series over the last "
                                                    f"{since}: {why}"))
        return result, findings
    if selector.pending:
        findings.append(Finding("note", place, f"{selector.metric} has series now: remove `deployed: false` from "
                                               f"its declaration so a selector that stops matching is an error"))
    if result.now == 0:
        findings.append(Finding("warning", place, f"{selector.text} ({readers}) matched {result.since} series over "
                                                  f"the last {since} but none now: is the target down, or the metric "
                                                  f"gone?"))
    job = _other_job(selector, lookups)
    if job:
        findings.append(Finding("warning", place, job))
    return result, findings


def diagnosis(selector: Selector, lookups: Lookups) -> str:
    """Why `selector` matches nothing, in the words of what does exist."""
    metric = selector.metric
    if not lookups.values("__name__", metric):
        names = lookups.values("__name__", '{__name__=~".+"}')
        close = difflib.get_close_matches(metric, names, n=1, cutoff=METRIC_NAME_CUTOFF)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        return f"the server has no series of {metric} at all{hint}"
    reasons: list[str] = []
    maybe: list[str] = []
    for label, op, value in selector.matchers:
        values = lookups.values(label, metric)
        passes = _passes(op, value, values)
        if passes is not True:
            (reasons if passes is False else maybe).append(_missing_value(metric, label, op, value, values))
    if reasons or maybe:  # a matcher only a series without its label passes is to blame when no other is
        return "; ".join(reasons or maybe)
    return f"each matcher alone matches series of {metric}, but no series has them all"


def _missing_value(metric: str, label: str, op: str, value: str, values: list[str]) -> str:
    shown = ", ".join(f'"{v}"' for v in values[:SHOWN_VALUES]) + (", ..." if len(values) > SHOWN_VALUES else "")
    if not values:
        return f"no series of {metric} has a label {label}"
    hint = did_you_mean(value, values) if op == "=" else ""
    where = f"found under {label} {shown}" if label == "job" else f"its {label} values are {shown}"
    return f'{label}{op}"{value}" matches no series of {metric} ({where}){hint}'


def _passes(op: str, pattern: str, values: list[str]) -> bool | None:
    """Whether some series of the metric passes the matcher, from the label's values among them;
    None when only a series without the label would (label values do not tell whether one exists)."""
    base = "=" if op in ("=", "!=") else "=~"
    if op in ("=", "=~"):
        return _matches(base, pattern, "") or any(_matches(base, pattern, v) for v in values)
    if any(not _matches(base, pattern, v) for v in values):
        return True
    return None if not _matches(base, pattern, "") else False


def _matches(op: str, pattern: str, value: str) -> bool:
    if op == "=":
        return value == pattern
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:  # RE2 syntax Python does not read: assume it matches, the count decides
        return True


def _other_job(selector: Selector, lookups: Lookups) -> str | None:
    """A warning when the metric is scraped here only by jobs other than those the spec expects."""
    if not selector.jobs or any(label == "job" for label, _op, _value in selector.matchers):
        return None
    live = lookups.values("job", selector.metric)
    if not live or set(live) & set(selector.jobs):
        return None
    expected = ", ".join(selector.jobs)
    return (f"{selector.metric} is found under job {', '.join(live[:SHOWN_VALUES])} here, but the spec expects it from "
            f"{expected}: a Prometheus scraping only the rendered jobs has none (set `job:` in the metric's "
            f"declaration, or name the scrape target's job as this server does)")


def _readers(selector: Selector) -> str:
    names = [reader.what for reader in selector.readers]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
