"""blackbox/blackbox.yml: the probe modules the spec's external probes use."""

from __future__ import annotations

from promgen.core import conventions
from promgen.core.stack import Stack
from promgen.derive import blackbox
from promgen.produce.registry import Output
from promgen.produce.templates import render_template


def files(stack: Stack) -> Output:
    config = blackbox.config(*stack.services)
    if config is None:
        return Output()
    text = render_template("blackbox/blackbox.yml.j2", header=stack.header, config=config)
    return Output(files={conventions.BLACKBOX_CONFIG_FILE: text}, stats={"modules": len(config["modules"])})
