"""`promgen render SPEC... -o DIR`: the whole stack of one or many services, or `--check` that DIR is up to date."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promgen.core.model import Model, RenderOptions, build_model
from promgen.core.stack import Stack
from promgen.errors import Problem, PromgenError, printable
from promgen.produce import registry as outputs
from promgen.write import files as write

if TYPE_CHECKING:
    from promgen.load.judging import Judging
    from promgen.load.loader import LoadedSpec


def source_name(spec_path: Path) -> str:
    """How generated headers name the spec: the path as given on the command line (so one command
    renders the same bytes from any working directory), control characters escaped so a file name
    can never add a line to a generated file."""
    return printable(spec_path.as_posix())


SpecPaths = Path | Sequence[Path]


def load_stack(spec_paths: SpecPaths, options: RenderOptions | None = None) -> tuple[Stack, list[Problem]]:
    """The stack of every spec the paths name (files, directories), and the specs' warnings."""
    stack, warnings, _documents = _load(spec_paths, options)
    return stack, warnings


def _load(spec_paths: SpecPaths, options: RenderOptions | None) -> tuple[Stack, list[Problem], list[Any]]:
    """load_stack's stack and warnings, and each service's spec as read (merged with its bases)."""
    from promgen.load.inputs import load_all

    specs, warnings = load_all(_arguments(spec_paths))
    stack = _stack(specs, options)
    return stack, warnings, [loaded.document.data for _path, loaded in specs]


def _arguments(spec_paths: SpecPaths) -> list[Path]:
    return [spec_paths] if isinstance(spec_paths, Path) else list(spec_paths)


def _stack(specs: list[tuple[Path, LoadedSpec]], options: RenderOptions | None) -> Stack:
    stack = Stack(tuple(build_model(loaded.spec, source_name(path), options) for path, loaded in specs))
    check_targets(stack)
    for model in stack.services:
        check_compression(model)
    return stack


def _load_judging(spec_paths: SpecPaths, options: RenderOptions | None, jobs: int) -> tuple[Stack, Judging, list[Any]]:
    """The stack of the specs as loaded, their checks under way beside it (promgen.load.judging) when
    the render forks workers, and each service's spec as read. A spec that does not load, or an error
    of the options, stops here with every problem of every spec first, as `load_all` says them."""
    from promgen.load.inputs import judge_all, read_all, valid_specs
    from promgen.load.inputs import spec_paths as named_specs
    from promgen.load.judging import Judging

    results = read_all(named_specs(_arguments(spec_paths)))
    specs = [(result.path, result.loaded) for result in results if result.loaded is not None]
    if len(specs) < len(results):
        valid_specs(judge_all(results))  # raises SpecError, with every problem of every spec
    try:
        stack = _stack(specs, options)
    except Exception:  # the problems of a spec come first (and explain what its model could not hold)
        valid_specs(judge_all(results))
        raise
    judging = Judging(results, beside=outputs.runs_workers(stack, jobs))
    return stack, judging, [loaded.document.data for _path, loaded in specs]


def _inputs(stack: Stack, documents: list[Any], selected: list[str]) -> str | None:
    """The digest of what a complete render of `stack` into the `selected` outputs reads
    (promgen.fingerprint); None when a spec holds a value the digest cannot name."""
    from promgen.write.fingerprint import inputs_digest

    try:
        return inputs_digest([(model.source, data) for model, data in zip(stack.services, documents)],
                             (stack.options, tuple(selected)))
    except (TypeError, ValueError):
        return None


def complete_selection(out_dir: Path) -> list[str]:
    """The outputs a complete render writes into `out_dir`: every output but the opt-in ones, and those
    whose folder is there already (an earlier `--only` made it; a complete render keeps it current)."""
    import os
    import stat

    def present(rel: str) -> bool:
        try:
            return stat.S_ISDIR(os.lstat(out_dir / rel).st_mode)
        except OSError:
            return False

    return [name for name in outputs.PRODUCERS
            if name not in outputs.OPT_IN or present(outputs.OPT_IN_DIRS[name])]


def produce(
    spec_paths: SpecPaths, only: list[str] | None = None, options: RenderOptions | None = None
) -> tuple[Stack, dict[str, outputs.Output], list[Problem]]:
    """The stack, each selected output, and the specs' warnings."""
    stack, warnings = load_stack(spec_paths, options)
    return stack, outputs.produce_all(stack, only), warnings


def plan(spec_paths: SpecPaths, only: list[str] | None = None, options: RenderOptions | None = None) -> dict[str, str]:
    """Every output file's text, keyed by its path below the output directory."""
    _stack, produced, _warnings = produce(spec_paths, only, options)
    return write.Plan.of({name: output.files for name, output in produced.items()}).files


# --- render options for local dry runs (--target, --receivers-to, --alertmanager, --compress-time) ---

_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})$")


def host_port(text: str) -> str:
    """`text` when it is HOST:PORT (an IPv6 host in brackets); ValueError when it is not."""
    found = _HOST_PORT.match(text.strip())
    if found is None or not 0 < int(found.group(2)) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT, e.g. 127.0.0.1:8000")
    return text.strip()


def parse_targets(items: list[str]) -> dict[str, tuple[str, ...]]:
    """`JOB=HOST:PORT` items; a job given several times is scraped at every address."""
    targets: dict[str, tuple[str, ...]] = {}
    for item in items:
        job, equals, address = item.partition("=")
        if not equals or not job.strip():
            raise ValueError(f"{item!r} is not JOB=HOST:PORT, e.g. api=127.0.0.1:8000")
        targets[job.strip()] = (*targets.get(job.strip(), ()), host_port(address))
    return targets


def webhook_url(text: str) -> str:
    from promgen.load.urls import problem

    reason = problem(text)
    if reason is not None:
        raise ValueError(f"{reason}; give an http(s) URL without credentials, e.g. http://127.0.0.1:5001/hook")
    return text


def check_targets(stack: Stack) -> None:
    """Every job of RenderOptions.targets is a scrape job of a spec."""
    jobs = [job for model in stack.services for job in model.jobs]
    for job in stack.options.targets:
        if job not in jobs:
            from promgen.load.suggest import did_you_mean

            whose = "the spec has" if not stack.fleet else "no spec has"
            raise PromgenError(
                f"--target {job}: {whose} no scrape job {job!r} (jobs: {', '.join(jobs)})" + did_you_mean(job, jobs)
            )


def _compression_fits(model: Model, factor: int) -> bool:
    """Every SLO window, divided by `factor`, stays longer than each of its burn-rate windows."""
    from promgen.core import burn_rates
    from promgen.derive.prometheus.slo import scaled_window_ms
    from promgen.load.units import format_duration

    for slo in model.spec.slos:
        window = scaled_window_ms(slo.window.ms, 1 / factor)
        if format_duration(window) in burn_rates.slo_recorded_windows(slo, window):
            return False
    return True


def check_compression(model: Model) -> None:
    """`--compress-time N` must leave every SLO window longer than its own burn-rate windows."""
    factor = model.options.time_compression
    if factor == 1 or _compression_fits(model, factor):
        return
    low, high = 1, factor  # the largest factor that fits: low fits, high does not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _compression_fits(model, middle) else (low, middle)
    raise PromgenError(
        f"--compress-time {factor} shrinks an SLO window to its own burn-rate windows (every window is "
        f"at least 1s); use --compress-time {low} or less"
    )


def check_only(only: list[str] | None) -> list[str] | None:
    if not only:
        return None
    unknown = [name for name in only if name not in outputs.PRODUCERS]
    if unknown:
        from promgen.load.suggest import did_you_mean

        name = unknown[0]
        raise PromgenError(
            f"unknown output {name!r}{did_you_mean(name, outputs.names())}; outputs: {', '.join(outputs.names())}"
        )
    return only


def run(
    spec_paths: SpecPaths,
    out_dir: Path,
    *,
    check: bool = False,
    only: list[str] | None = None,
    options: RenderOptions | None = None,
    force: bool = False,
    quiet: bool = False,
    keep: Sequence[str] = (),
    jobs: int | None = None,
) -> int:
    from promgen.produce.parts import workers

    only_these = check_only(only)
    jobs = jobs or workers.default_jobs()
    stack, judging, documents = _load_judging(spec_paths, options, jobs)
    selected = only_these if only_these is not None else complete_selection(out_dir)
    inputs = _inputs(stack, documents, selected) if only_these is None else None  # a partial render records none
    recorded = inputs if check else None  # promgen's own record of these inputs may spare deriving
    if recorded is not None:
        _show(judging.warnings(), quiet)
        files = write.up_to_date(out_dir, recorded, tuple(keep))
        if files is not None:  # the record's files are DIR's: nothing to derive
            if not quiet:
                print(f"{printable(str(out_dir))} is up to date ({files} files)")
            return 0
    try:
        from promgen.produce.parts.recall import DirReuse

        reuse = DirReuse(stack, documents, inputs, out_dir)
        produced = outputs.produce_all(stack, selected, jobs, reuse, judging.gate)
    except Exception:  # workers.Stopped among them: when a spec is not valid, its problems are what to say
        judging.warnings()
        raise
    if recorded is None:
        _show(judging.warnings(), quiet)
    from promgen.write import cache

    cache.prune_parts()
    planned = write.Plan.of({name: output.files for name, output in produced.items()}, complete=only_these is None,
                            opt_in=outputs.OPT_IN - set(selected), keep=tuple(keep))
    if check:
        return _check(planned, out_dir, quiet, inputs)
    done = write.write(planned, out_dir, force=force, inputs=inputs)
    if done.unlisted:
        print(f"warning: {_unlisted(out_dir, done.unlisted)}", file=sys.stderr)
    if not quiet:
        from promgen.cli import summary

        title = stack.first.service if not stack.fleet else f"{len(stack.services)} services"
        summary.show(summary.Rendered(title, stack.source, out_dir, produced, done))
    return 0


def _show(warnings: list[Problem], quiet: bool) -> None:
    if not quiet:
        for warning in warnings:
            print(warning.render(), file=sys.stderr)


def _unlisted(out_dir: Path, rels: list[str]) -> str:
    shown = ", ".join(printable(str(out_dir / rel)) for rel in rels[:5])
    more = f" and {len(rels) - 5} more" if len(rels) > 5 else ""
    return (f"{len(rels)} file{'s' if len(rels) != 1 else ''} below {printable(str(out_dir))} that promgen does not "
            f"write: {shown}{more}; `render --check` reports them: remove them, or keep them with --keep PATTERN")


def _check(planned: write.Plan, out_dir: Path, quiet: bool, inputs: str | None) -> int:
    drift = write.compare(planned, out_dir)
    found = drift.changes
    if not drift.stale:
        if inputs is not None:
            from promgen.write import cache

            cache.remember_render(inputs, planned.digests())
        if not quiet:
            print(f"{printable(str(out_dir))} is up to date ({len(planned.files)} files)")
        return 0
    if not quiet and not drift.existed:
        print(f"{printable(str(out_dir))} is stale: it does not exist, and all {len(found.added)} files are to be "
              "added; run `promgen render` to write them", file=sys.stderr)
        return 1
    if not quiet:
        sys.stdout.write(drift.diff)
        sys.stdout.flush()
        marks = (("add", found.added), ("change", found.changed), ("remove", found.removed), ("keep", found.kept))
        for mark, paths in marks:
            for rel in paths:
                why = " (not written by promgen: render needs --force)" if rel in found.foreign else ""
                if rel in found.kept:
                    why = " (edited since promgen wrote it, no longer produced: render refuses until it is moved away)"
                print(f"  {mark:<7}{printable(str(out_dir / rel))}{why}", file=sys.stderr)
        for rel in found.unlisted:
            print(f"  {'extra':<7}{printable(str(out_dir / rel))} (not written by promgen: remove it, or "
                  "keep it with --keep PATTERN)", file=sys.stderr)
    extra = f", {len(found.unlisted)} not promgen's" if found.unlisted else ""
    print(
        f"{printable(str(out_dir))} is stale: {len(found.added)} to add, {len(found.changed)} to change, "
        f"{len(found.removed)} to remove{extra}; run `promgen render` to update it",
        file=sys.stderr,
    )
    return 1
