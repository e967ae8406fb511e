"""`promgen schema`: the JSON Schema of the spec (committed as specs/promgen.schema.json)."""

from __future__ import annotations

import json
from typing import Any


def spec_schema() -> dict[str, Any]:
    from promgen.load.models import Spec

    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    schema["$id"] = "https://promgen.dev/schemas/promgen.schema.json"
    return schema


def schema_text() -> str:
    return json.dumps(spec_schema(), indent=2, sort_keys=True) + "\n"


def run() -> int:
    print(schema_text(), end="")
    return 0
