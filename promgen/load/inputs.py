"""The specs a command reads: files and directories on the command line, loaded and checked together.

A directory stands for every `*.yaml`/`*.yml` directly in it whose top level has a `service:` key
(bases, and other YAML such as a CI config, are skipped), in name order. A base named on its own
(pre-commit passes the files a commit changes) stands for the specs beside it that extend it,
directly or through other bases; a file without `service:` that nothing extends is checked as a spec. A file named twice is read once. Every spec is checked on its own and then against the others (`cross_checks`): render and
routes need all of them valid, validate reports each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from promgen.errors import Problem, PromgenError, SpecError, printable
from promgen.load.bases import extended_file, is_base, read_document
from promgen.load.loader import LoadedSpec, load_spec
from promgen.yamlio.reader import Document

SPEC_SUFFIXES = (".yaml", ".yml")


def _document(path: Path) -> Document | None:
    """The file as read; None when it cannot be (it then counts as a spec, so that its error is
    shown instead of the file being skipped)."""
    try:
        return read_document(path, str(path))
    except SpecError:
        return None


def _declares_service(path: Path) -> bool:
    """A spec, not a base: its top level has `service:` (or it does not read as a mapping)."""
    document = _document(path)
    return document is None or not is_base(document)


SIBLINGS_READ_MAX = 10_000  # files beside a base that `_extended_by` looks at; more is refused


def _mentions(path: Path, names: set[str]) -> bool:
    """Whether the file's text holds `extends` and one of `names`: a spec that extends a base names it
    there, so only such files are parsed (a base beside thousands of files reads each once, cheaply)."""
    from promgen.yamlio.reader import MAX_SPEC_BYTES

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
    except OSError:
        return False
    return b"extends" in raw and any(name.encode("utf-8", "surrogateescape") in raw for name in names)


def _extended_by(base: Path) -> list[Path]:
    """The specs in the base's directory that extend it, directly or through other bases there."""
    listed = sorted(p for p in base.parent.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())
    if len(listed) > SIBLINGS_READ_MAX:
        raise PromgenError(
            f"{printable(str(base))} is a base beside {len(listed)} YAML files, more than the "
            f"{SIBLINGS_READ_MAX} promgen reads to find the specs that extend it; name the specs instead"
        )
    target = base.resolve()
    reaching: dict[Path, Path] = {}  # file -> the file it extends, for files whose chain reaches the base
    names = {base.name}
    unread = [p for p in listed if p.resolve() != target]
    while True:
        found = []
        for path in unread:
            if not _mentions(path, names):
                continue
            document = _document(path)
            extended = extended_file(document, path) if document else None
            if extended is not None and (extended.resolve() == target or extended.resolve() in reaching):
                found.append(path)
                reaching[path.resolve()] = extended.resolve()
        if not found:
            break
        names |= {p.name for p in found}
        unread = [p for p in unread if p not in found]
    return [p for p in listed if p.resolve() in reaching and _declares_service(p)]


def spec_paths(arguments: list[Path]) -> list[Path]:
    """The spec files the arguments name, in order, each once."""
    found: list[Path] = []
    seen: set[Path] = set()
    for argument in arguments:
        if argument.is_dir():
            listed = sorted(p for p in argument.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())
            specs = [p for p in listed if _declares_service(p)]
            if not specs:
                raise PromgenError(
                    f"{printable(str(argument))}: no spec in this directory (no *.yaml or *.yml with a `service:` key)"
                )
        elif argument.is_file() and not _declares_service(argument):
            # a file nothing extends is checked as the spec it was named as (and says what it lacks)
            specs = _extended_by(argument) or [argument]
        else:
            specs = [argument]
        for path in specs:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                found.append(path)
    return found


@dataclass
class Checked:
    """One spec as read: loaded (None when it does not load) and its own problems."""

    path: Path
    loaded: LoadedSpec | None
    problems: list[Problem]
    conflicted: bool = False  # an error of another spec's list is about this one too

    @property
    def valid(self) -> bool:
        return self.loaded is not None and not self.conflicted and not any(p.level == "error" for p in self.problems)


def check_all(paths: list[Path]) -> list[Checked]:
    """Every spec loaded and checked, then checked against the others; a problem two specs share (one
    in the base both extend) is listed with the first only."""
    return judge_all(read_all(paths))


def read_all(paths: list[Path]) -> list[Checked]:
    """Every spec loaded (its structure validated), not yet checked: the problems are load errors."""
    results: list[Checked] = []
    for path in paths:
        try:
            results.append(Checked(path, load_spec(path, str(path)), []))
        except SpecError as error:
            results.append(Checked(path, None, list(error.problems)))
    return results


def judge_all(results: list[Checked]) -> list[Checked]:
    """`results` (from read_all) with each loaded spec's checks and the checks of the specs against
    each other added (in place)."""
    from promgen.check import check_remembered
    from promgen.check.stack import check_stack

    for result in results:
        if result.loaded is not None:
            result.problems = check_remembered(result.loaded)
    owner = {id(r.loaded): r for r in results if r.loaded is not None}
    by_file = {r.loaded.file: r for r in results if r.loaded is not None}
    for loaded, problem in check_stack([r.loaded for r in results if r.loaded is not None]):
        owner[id(loaded)].problems.append(problem)
        if problem.level == "error":
            for file in problem.related:
                if file in by_file:
                    by_file[file].conflicted = True
    seen: set[Problem] = set()
    for result in results:
        kept = []
        for problem in sorted(result.problems):
            if problem in seen:
                result.conflicted |= problem.level == "error"  # listed with an earlier spec (a shared base)
                continue
            seen.add(problem)
            kept.append(problem)
        result.problems = kept
    return results


def valid_specs(results: list[Checked]) -> tuple[list[tuple[Path, LoadedSpec]], list[Problem]]:
    """The specs of judged `results` and their warnings; SpecError with every problem when one is not valid."""
    problems = [p for r in results for p in r.problems]
    if not all(r.valid for r in results):
        raise SpecError(problems)
    return [(r.path, r.loaded) for r in results if r.loaded is not None], problems


def load_all(arguments: list[Path]) -> tuple[list[tuple[Path, LoadedSpec]], list[Problem]]:
    """Every spec the arguments name, valid and consistent with the others, and their warnings;
    SpecError with every error of every spec otherwise."""
    return valid_specs(check_all(spec_paths(arguments)))
