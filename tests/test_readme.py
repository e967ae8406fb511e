"""The README keeps up with the code: the test command CI runs, every template and parameter."""

from __future__ import annotations

import re

from promgen.core.alert_templates import TEMPLATES
from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_test_command_is_what_ci_runs() -> None:
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    assert commands[:2] == [
        "pip install . && promgen render examples/promptforge/promgen.yaml -o monitoring/",
        "pip install '.[test]' && python -m pytest -q",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_every_alert_template_and_parameter_is_documented() -> None:
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_]+)` \|.*$", README, re.MULTILINE)}
    for name, template in TEMPLATES.items():
        assert name in rows, f"README lacks template {name}"
        for param in template.params:
            assert f"`{param.name}`" in rows[name], f"README lacks parameter {param.name} of {name}"
