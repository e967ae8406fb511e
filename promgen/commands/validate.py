"""`promgen validate SPEC...`: structure, semantics and PromQL of each spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from promgen.errors import Problem, SpecError
from promgen.spec.checks import check
from promgen.spec.loader import LoadedSpec, load_spec


def collect(path: Path) -> tuple[LoadedSpec | None, list[Problem]]:
    """The loaded spec (None when it does not load) and every problem found in it."""
    try:
        loaded = load_spec(path, str(path))
    except SpecError as error:
        return None, error.problems
    return loaded, check(loaded)


def load_valid(path: Path) -> tuple[LoadedSpec, list[Problem]]:
    """A spec with no errors (warnings returned), or SpecError -- what render and routes start from."""
    loaded, problems = collect(path)
    errors = [p for p in problems if p.level == "error"]
    if loaded is None or errors:
        raise SpecError(problems)
    return loaded, problems


def run(paths: list[Path], output_format: str = "text") -> int:
    results: list[dict[str, object]] = []
    all_problems: list[Problem] = []
    for path in paths:
        loaded, problems = collect(path)
        all_problems.extend(problems)
        errors = sum(p.level == "error" for p in problems)
        results.append(
            {
                "file": str(path),
                "valid": loaded is not None and errors == 0,
                "problems": [p.as_dict() for p in problems],
            }
        )
        if output_format == "text":
            for problem in problems:
                print(problem.render())
            if loaded is not None and errors == 0:
                spec = loaded.spec
                print(
                    f"{path}: ok ({len(spec.metrics)} metrics, {len(spec.slos)} SLOs, {len(spec.alerts)} alerts, "
                    f"{len(spec.severities)} severities, {len(spec.channels)} channels)"
                )
    invalid = sum(not r["valid"] for r in results)
    if output_format == "json":
        json.dump({"valid": invalid == 0, "files": results}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif invalid:
        errors = sum(p.level == "error" for p in all_problems)
        print(f"{errors} problem{'s' if errors != 1 else ''} in {invalid} of {len(paths)} spec{'s' if len(paths) != 1 else ''}", file=sys.stderr)
    return 1 if invalid else 0
