"""blackbox/blackbox.yml: the probe modules the spec's external probes use."""

from __future__ import annotations

from promgen import conventions
from promgen.derive import blackbox
from promgen.outputs import Output
from promgen.render import render_template
from promgen.stack import Stack


def files(stack: Stack) -> Output:
    config = blackbox.config(*stack.services)
    if config is None:
        return Output()
    text = render_template("blackbox/blackbox.yml.j2", header=stack.header, config=config)
    return Output(files={conventions.BLACKBOX_CONFIG_FILE: text}, stats={"modules": len(config["modules"])})
