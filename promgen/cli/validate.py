"""`promgen validate SPEC...`: structure, semantics and PromQL of each spec, and, for several, the
conflicts between them (they render into one stack)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from promgen.errors import Problem, printable
from promgen.load.inputs import check_all, load_all, spec_paths
from promgen.load.loader import LoadedSpec


def collect(path: Path) -> tuple[LoadedSpec | None, list[Problem]]:
    """One spec: loaded (None when it does not load) and every problem found in it."""
    result = check_all([path])[0]
    return result.loaded, result.problems


def load_valid(path: Path) -> tuple[LoadedSpec, list[Problem]]:
    """One spec with no errors (its warnings returned), or SpecError."""
    specs, warnings = load_all([path])
    return specs[0][1], warnings


def run(paths: list[Path], output_format: str = "text") -> int:
    results = check_all(spec_paths(paths))
    if output_format == "json":
        files = [{"file": str(r.path), "valid": r.valid, "problems": [p.as_dict() for p in r.problems]} for r in results]
        json.dump({"valid": all(r.valid for r in results), "files": files}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for result in results:
            for problem in result.problems:
                print(problem.render())
            if result.conflicted and not any(p.level == "error" for p in result.problems):
                print(f"{printable(str(result.path))}: not valid: another spec of this stack conflicts with it (the problem is listed with that spec)")
            if result.valid and result.loaded is not None:
                spec = result.loaded.spec
                log_alerts = f"{len(spec.log_alerts)} log alerts, " if spec.log_alerts else ""
                print(
                    f"{printable(str(result.path))}: ok ({len(spec.metrics)} metrics, {len(spec.slos)} SLOs, {len(spec.alerts)} alerts, "
                    f"{log_alerts}{len(spec.severities)} severities, {len(spec.channels)} channels)"
                )
    invalid = sum(not r.valid for r in results)
    if invalid and output_format == "text":
        errors = sum(p.level == "error" for r in results for p in r.problems)
        print(f"{errors} problem{'s' if errors != 1 else ''} in {invalid} of {len(results)} "
              f"spec{'s' if len(results) != 1 else ''}", file=sys.stderr)
    return 1 if invalid else 0
