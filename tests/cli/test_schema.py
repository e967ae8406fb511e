"""The committed JSON Schema matches the spec models, and the CLI prints the same schema."""

from __future__ import annotations

import json

from promgen.cli.schema import schema_text
from tests.support import ROOT


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "specs" / "promgen.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "specs/promgen.schema.json is stale: run `promgen schema > specs/promgen.schema.json`"


def test_cli_prints_the_schema(promgen_cli) -> None:
    result = promgen_cli("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["title"] == "promgen spec"
    assert set(schema["required"]) == {"version", "service", "severities"}
    assert "channels" in schema["properties"]


def test_examples_conform_to_the_json_schema() -> None:
    """Editors validate with the JSON Schema; every example must satisfy it too."""
    import jsonschema
    import yaml

    schema = json.loads(schema_text())
    for spec in sorted((ROOT / "examples").glob("*/promgen.yaml")):
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
        assert not errors, f"{spec}: {errors[0].message}"
