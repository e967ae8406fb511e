"""Which promtool test file tests which rule file, and which rule files each test file loads.

One test file per rule file that holds alerts: it loads that rule file and the rule files that
record the series its alerts read (an explicit alert on an SLO's recorded error ratio loads that
SLO's file too), never the others, so `promtool test rules` evaluates only the rules a test needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import promql_parser as pq

from promgen.core import conventions
from promgen.core.model import Model
from promgen.derive.prometheus.config import RuleFile
from promgen.judge.promql import NAME_WORDS, parsed
from promgen.testgen import rule_tests
from promgen.testgen.arithmetic import walk
from promgen.testgen.selectors import Unsupported, matcher_ok, read_selector


@dataclass(frozen=True)
class TestFile:
    path: str
    data: dict[str, Any]
    untested: list[str]
    cases: int


@dataclass(frozen=True)
class _Recorded:
    file: int  # index of the rule file
    labels: Mapping[str, str]


class _RecordedIndex:
    """Recording rules by the series they write: by name, and by name and one label's value (every
    SLO records the same names, told apart by their `slo` label), so a lookup never scans them all."""

    def __init__(self, files: list[RuleFile]) -> None:
        self.by_name: dict[str, list[_Recorded]] = {}
        for number, rule_file in enumerate(files):
            for group in rule_file.groups:
                for rule in group["rules"]:
                    if "record" in rule:
                        labels = {**group.get("labels", {}), **rule.get("labels", {})}
                        self.by_name.setdefault(rule["record"], []).append(_Recorded(number, labels))
        self.recorded_names = frozenset(self.by_name) | {"__name__"}
        self.by_value: dict[tuple[str, str, str], list[_Recorded]] = {}
        self.everywhere: dict[str, set[str]] = {}  # name -> labels every rule writing it sets
        for name, entries in self.by_name.items():
            self.everywhere[name] = set.intersection(*(set(e.labels) for e in entries))
            for entry in entries:
                for label in self.everywhere[name]:
                    self.by_value.setdefault((name, label, entry.labels[label]), []).append(entry)

    def writing(self, name: str, matchers: list[tuple[str, str, str]]) -> list[_Recorded]:
        """The recording rules whose series `name{matchers}` can select."""
        candidates = self.by_name.get(name, [])
        for label, op, value in matchers:  # the narrowest equality matcher the index knows
            if op == "=" and label in self.everywhere.get(name, ()):
                narrowed = self.by_value.get((name, label, value), [])
                if len(narrowed) < len(candidates):
                    candidates = narrowed
        return [entry for entry in candidates
                if all(matcher_ok(entry.labels.get(label, ""), op, value)
                       for label, op, value in matchers if label in entry.labels)]


Reads = list[tuple[str, list[tuple[str, str, str]]]]


def _parsed_reads(expr: str) -> Reads:
    """(metric name, matchers) of every selector in `expr`, from its parse (`_scanned_reads` keeps
    the answer)."""
    found = []
    for node in walk(parsed(expr)):
        if isinstance(node, pq.VectorSelector):
            try:
                found.append(read_selector(node))
            except Unsupported:
                continue
    return found


@lru_cache(maxsize=65536)
def _scanned_reads(expr: str) -> Reads:
    """`_parsed_reads`, read off the text where it can be: cheaper than a parse and a walk of its tree
    (a quarter less for an SLO's long rules, a third of it for short ones), for a question asked of
    thousands of rules, most of which neither the keys of a render's parts nor the synthesis of a test
    evaluates (a test parses only what its alerts read)."""
    from promgen.judge.promql_syntax import selectors

    scanned = selectors(expr)
    return scanned if scanned is not None else _parsed_reads(expr)


def file_reads(rule_file: RuleFile, index: _RecordedIndex) -> Reads:
    """The selectors of recorded series the rules of `rule_file` read, each once, in rule order."""
    found: dict[str, tuple[str, list[tuple[str, str, str]]]] = {}
    for group in rule_file.groups:
        for rule in group["rules"]:
            if not index.recorded_names.intersection(NAME_WORDS(rule["expr"])):
                continue  # most expressions name no recorded series (nor select by __name__)
            for name, matchers in _scanned_reads(rule["expr"]):
                found.setdefault(repr((name, matchers)), (name, matchers))
    return list(found.values())


FileReads = Callable[[int], Reads]  # the recorded series a rule file (by index) reads


def dependencies(number: int, files: list[RuleFile], index: _RecordedIndex, reads: FileReads) -> list[int]:
    """The rule files file `number` needs, itself included, in file order."""
    needed = {number}
    pending = [number]
    while pending:
        for name, matchers in reads(pending.pop()):
            for recorded in index.writing(name, matchers):
                if recorded.file not in needed:
                    needed.add(recorded.file)
                    pending.append(recorded.file)
    return sorted(needed)


class TestLayout:
    """A service's test files: which rule file each tests and which it loads. The layout is built once
    (in a parallel render, before the workers fork); each test file is then synthesised on its own."""

    def __init__(self, model: Model, files: list[RuleFile]) -> None:
        self.model = model
        self.files = files
        self.index = _RecordedIndex(files)
        self._needed: dict[int, list[int]] = {}
        self._reads: dict[int, Reads] = {}

    def needed(self, number: int) -> list[int]:
        """The rule files test file `number` loads (memoised: the test synthesis asks again)."""
        if number not in self._needed:
            self._needed[number] = dependencies(number, self.files, self.index, self.reads)
        return self._needed[number]

    def reads(self, number: int) -> Reads:
        """The recorded series rule file `number` reads (file_reads; memoised: in a worker, the keys of
        the part ask after its synthesis did)."""
        if number not in self._reads:
            self._reads[number] = file_reads(self.files[number], self.index)
        return self._reads[number]

    def recall_reads(self, number: int, reads: Reads) -> None:
        """What rule file `number` reads, as promgen's cache remembers it by the file's digest (the same
        answer as `reads`, which then does not read the file again)."""
        self._reads.setdefault(number, reads)

    def recorded_names(self) -> list[str]:
        """The series the service's recording rules write: what `reads` looks for."""
        return sorted(self.index.recorded_names)

    def tested(self) -> list[int]:
        """The rule files (by index) that hold alerts, so have a test file."""
        return [number for number, rule_file in enumerate(self.files)
                if any("alert" in rule for group in rule_file.groups for rule in group["rules"])]

    def test_files(self, numbers: Iterable[int] | None = None) -> Iterator[TestFile]:
        """The test files of rule files `numbers` (default: every tested one), one at a time: a fleet's
        cases are large, and each file is written out (and its data dropped) before the next."""
        for number in self.tested() if numbers is None else numbers:
            rule_file = self.files[number]
            alerts = [rule["alert"] for group in rule_file.groups for rule in group["rules"] if "alert" in rule]
            needed = [self.files[n] for n in self.needed(number)]
            groups = [group for loaded in needed for group in loaded.groups]
            synthesis = rule_tests.synthesise(self.model, groups, only=set(alerts))
            path = conventions.tests_file(rule_file.path)
            data = rule_tests.test_file(path, [loaded.path for loaded in needed], groups, synthesis)
            yield TestFile(path, data, synthesis.untested, len(synthesis.cases))
