"""runbooks/<service>/<Alert>.md: a page for every alert of every service."""

from __future__ import annotations

from promgen.core.stack import Stack
from promgen.derive import runbooks
from promgen.produce.registry import Output
from promgen.produce.templates import render_template


def files(stack: Stack) -> Output:
    output = Output()
    for model in stack.services:
        header = model.header.replace("-->", "-- >")  # it goes in an HTML comment
        for page in runbooks.pages(model):
            output.files[page.path] = render_template("runbooks/runbook.md.j2", header=header, page=page)
    output.stats["pages"] = len(output.files)
    return output
