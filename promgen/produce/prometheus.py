"""The Prometheus output: prometheus.yml for the stack, and each service's rule files and their
promtool unit tests.

It comes in parts a render may run on several cores: the config, each service's rule files, and
slices of each service's test files (synthesising the tests is most of a large render). The rule
files are derived once, before the parts run, and every part reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promgen.core import conventions
from promgen.core.memo import ByObject
from promgen.core.model import Model, per_model
from promgen.core.stack import Stack
from promgen.derive.prometheus import config as derive
from promgen.derive.prometheus.config import RuleFile
from promgen.produce.parts.keys import service_reads
from promgen.produce.registry import Output
from promgen.produce.templates import render_template
from promgen.testgen.layout import Reads, TestLayout, dependencies
from promgen.write import cache
from promgen.write.fingerprint import code_digest, digest

TESTS_PER_PART = 4  # test files a part synthesises: a changed SLO re-synthesises its part only; a task costs little
RULES_PER_PART = 32  # rule files a part writes out (each an SLO's, or a group of alerts): cheap, one by one


@dataclass(frozen=True)
class Part:
    kind: str  # "config", "rules" or "tests"
    service: int = 0  # index into the stack's services
    files: tuple[int, ...] = ()  # the rule files (by index) it writes ("rules"), or whose test files it writes


def files(stack: Stack) -> Output:
    return assemble(stack, [part(stack, p) for p in parts(stack)])


@per_model
def _rule_files(model: Model) -> list[RuleFile]:
    return derive.rule_files(model)


@per_model
def _layout(model: Model) -> TestLayout:
    return TestLayout(model, _rule_files(model))


def parts(stack: Stack) -> list[Part]:
    """The parts, in the order their files and notes are assembled; derives every rule file first."""
    found = [Part("config")]
    for number, model in enumerate(stack.services):
        layout = _layout(model)
        every = range(len(layout.files))
        found += [Part("rules", number, tuple(every[at:at + RULES_PER_PART]))
                  for at in range(0, max(len(every), 1), RULES_PER_PART)]
        tested = layout.tested()
        found += [Part("tests", number, tuple(tested[at:at + TESTS_PER_PART]))
                  for at in range(0, len(tested), TESTS_PER_PART)]
    return found


def reads(stack: Stack, which: Part, documents: list[Any]) -> Any:
    """What a part of a service reads, as plain data (its digest keys the part's reuse). A rules part:
    its rule files and how their groups are headed. A tests part: the service's spec without its SLOs
    and alerts (metrics, targets, versions, options reach every test), the latency thresholds of
    every SLO (a histogram without declared buckets gets them as bounds), and for each of its test
    files the rule files it loads and the SLOs whose burn alerts they hold. None for the config: it
    reads the whole stack."""
    if which.kind == "config":
        return None
    model = stack.services[which.service]
    digests = _read_digests(model, documents[which.service])
    layout = _layout(model)
    if which.kind == "rules":
        return {"header": model.header_for("prometheus"), "interval": derive.group_interval(model, stack),
                "files": [[layout.files[n].path, digests.rule_file(n)] for n in which.files]}
    files = []
    for number in which.files:
        needed = digests.needed(number)
        files.append({"paths": [layout.files[n].path for n in needed],
                      "groups": [digests.rule_file(n) for n in needed],
                      "slos": [digests.slo(index) for index in digests.burn_slos(needed)]})
    return {"context": digests.context, "files": files}


def coarse_reads(stack: Stack, which: Part, documents: list[Any]) -> Any:
    """A part of a service keyed by the whole service (its spec as loaded and which files the part
    writes): found without digesting rule files or looking for the rule files each test loads, so a
    fleet's unchanged services are recognised at once."""
    if which.kind == "config":
        return None
    return {"service": service_reads(stack, which.service, documents), "files": list(which.files)}


class _ReadDigests:
    """Digests of what a service's rule and test parts read, each made once per render."""

    def __init__(self, model: Model, document: dict[str, Any]) -> None:
        self.layout = _layout(model)
        self.slo_documents = document.get("slos") or []
        self.burn = model.slo_of_burn_alert
        self.context = digest({
            "source": model.source,
            "header": model.header_for("prometheus"),
            "spec": {key: value for key, value in document.items() if key not in ("slos", "alerts")},
            "latency": sorted((slo.sli.latency.metric, slo.sli.latency.threshold.seconds)
                              for slo in model.spec.slos if slo.sli.latency is not None),
            "options": repr(model.options),
        })
        self._files: dict[int, str] = {}
        self._slos: dict[int, str] = {}
        self._needed: dict[int, list[int]] = {}
        self._recorded = digest(self.layout.recorded_names())

    def rule_file(self, number: int) -> str:
        """The digest of rule file `number`'s groups and the comment above each."""
        if number not in self._files:
            self._files[number] = digest(self.layout.files[number].sections)
        return self._files[number]

    def needed(self, number: int) -> list[int]:
        """The rule files test file `number` loads (TestLayout.needed), from what each rule file reads
        as promgen's cache remembers it by the file's digest: a changed SLO's render asks this of
        every test file, and reading the selectors of every rule again is most of what that costs."""
        if number not in self._needed:
            self._needed[number] = dependencies(number, self.layout.files, self.layout.index, self._reads)
        return self._needed[number]

    def _reads(self, number: int) -> Reads:
        key = digest(["reads", code_digest(), self.rule_file(number), self._recorded])
        remembered = cache.recalled_reads(key)
        if remembered is not None:
            self.layout.recall_reads(number, remembered)  # a test part derived after this reads it too
            return remembered
        found = self.layout.reads(number)
        cache.remember_reads(key, found)
        return found

    def slo(self, index: int) -> str:
        if index not in self._slos:
            self._slos[index] = digest(self.slo_documents[index] if index < len(self.slo_documents) else None)
        return self._slos[index]

    def burn_slos(self, needed: list[int]) -> list[int]:
        return sorted({self.burn[rule["alert"]] for n in needed for group in self.layout.files[n].groups
                       for rule in group["rules"] if rule.get("alert") in self.burn})


_DIGESTS: ByObject[_ReadDigests] = ByObject(64)


def _read_digests(model: Model, document: dict[str, Any]) -> _ReadDigests:
    return _DIGESTS.get(model, lambda: _ReadDigests(model, document))


def weight(stack: Stack, which: Part) -> int:
    """A slice of tests weighs its test files (a few alerts each); writing out rule files costs a
    fraction of synthesising their tests."""
    if which.kind == "tests":
        return len(which.files)
    return max(1, len(which.files) // 8) if which.kind == "rules" else 1


def part(stack: Stack, which: Part) -> Output:
    if which.kind == "config":
        return Output(files={conventions.PROMETHEUS_CONFIG_FILE: render_template(
            "prometheus/prometheus.yml.j2", header=stack.header_for("prometheus"), config=derive.stack_config(stack))})
    model = stack.services[which.service]
    header = model.header_for("prometheus")
    output = Output()
    if which.kind == "rules":
        interval = derive.group_interval(model, stack)
        rule_files = [_rule_files(model)[n] for n in which.files]
        for rule_file in rule_files:
            sections = tuple((comment, {**group, "interval": interval} if interval else group)
                             for comment, group in rule_file.sections)
            output.files[rule_file.path] = render_template("prometheus/rules.yml.j2", header=header, sections=sections)
        groups = [group for rule_file in rule_files for group in rule_file.groups]
        output.stats.update(derive.counts(groups))
        output.notes += derive.label_notes(groups)
        return output
    cases = 0
    for test in _layout(model).test_files(which.files):
        output.files[test.path] = render_template("prometheus/tests.yml.j2", header=header, tests=test.data,
                                                  untested=test.untested)
        cases += test.cases
        output.notes += [f"untested: {entry}" for entry in test.untested]
    output.stats["tests"] = cases
    return output


def assemble(stack: Stack, outputs: list[Output]) -> Output:
    """The output of its parts (given in `parts` order): per service, the untested alerts are noted
    before the labels an aggregation drops, as a serial render notes them."""
    assembled = Output()
    service_parts: dict[int, list[tuple[Part, Output]]] = {}
    for which, output in zip(parts(stack), outputs, strict=True):
        assembled.files.update(output.files)
        if which.kind != "config":
            service_parts.setdefault(which.service, []).append((which, output))
    for number, model in enumerate(stack.services):
        prefix = f"{model.service}: " if stack.fleet else ""
        members = service_parts.get(number, [])
        rules = [output for which, output in members if which.kind == "rules"]
        tests = [output for which, output in members if which.kind == "tests"]
        stats = {key: sum(output.stats.get(key, 0) for output in rules) for key in ("rules", "alerts", "recording rules")}
        stats["tests"] = sum(output.stats["tests"] for output in tests)
        for key, count in stats.items():
            assembled.stats[key] = assembled.stats.get(key, 0) + count
        assembled.notes += [prefix + note for output in tests for note in output.notes]
        assembled.notes += [prefix + note for output in rules for note in output.notes]
    return assembled
