"""runbooks/<service>/<Alert>.md: a page for every alert of every service.

One part per service (a service's pages read that service only), so a render of a fleet derives
again only the pages of the services that changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promgen.core.stack import Stack
from promgen.derive import runbooks
from promgen.produce.grafana import prepare_dashboards
from promgen.produce.parts.keys import service_reads
from promgen.produce.registry import Output, service_weight
from promgen.produce.templates import render_template


@dataclass(frozen=True)
class Part:
    service: int


def files(stack: Stack) -> Output:
    return assemble(stack, [part(stack, p) for p in parts(stack)])


def parts(stack: Stack) -> list[Part]:
    return [Part(number) for number in range(len(stack.services))]


def reads(stack: Stack, which: Part, documents: list[Any]) -> Any:
    return service_reads(stack, which.service, documents)


def weight(stack: Stack, which: Part) -> int:
    return service_weight(stack, which.service)


def prepare(stack: Stack, which: Part) -> None:
    """A service's pages read its dashboards (grafana.prepare)."""
    prepare_dashboards(stack, which.service)


def part(stack: Stack, which: Part) -> Output:
    model = stack.services[which.service]
    output = Output()
    header = model.header.replace("-->", "-- >")  # it goes in an HTML comment
    for page in runbooks.pages(model):
        output.files[page.path] = render_template("runbooks/runbook.md.j2", header=header, page=page)
    return output


def assemble(stack: Stack, outputs: list[Output]) -> Output:
    assembled = Output()
    for output in outputs:
        assembled.files.update(output.files)
    assembled.stats["pages"] = len(assembled.files)
    return assembled
