"""`promgen import FORMAT FILE... [-o SPEC|DIR]`: promgen specs from sloth, OpenSLO or pyrra files.

Every source document is read with positions; the importer returns one service per service the
sources name. Each spec is checked as `promgen validate` would before anything is written, and
whatever the spec does not say exactly is a warning on stderr and a comment at the top of the spec.
A spec is never written over an existing file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from promgen.cli.init import write_new
from promgen.core.entry_points import resolve
from promgen.errors import Problem, PromgenError, SpecError, printable
from promgen.importers import FORMATS
from promgen.importers.common import ImportedService, Source
from promgen.yamlio.reader import load_documents, parse_document
from promgen.yamlio.writer import dump_yaml

Converter = Callable[..., list[ImportedService]]
TITLES = {"sloth": "sloth", "openslo": "OpenSLO", "pyrra": "pyrra"}


def converter(name: str) -> Converter:
    found: Converter = resolve(FORMATS[name])
    return found


def source_files(arguments: list[Path]) -> list[tuple[Path, bool]]:
    """The files the arguments name, each with whether a directory listed it: a directory stands
    for its *.yaml and *.yml files (as sloth reads a directory of specs), in name order."""
    files: list[tuple[Path, bool]] = []
    for argument in arguments:
        if argument.is_dir():
            entries = sorted(p for p in argument.iterdir() if p.suffix in (".yaml", ".yml"))
            links = [p for p in entries if p.is_symlink()]
            if links:  # a link may point anywhere (`../../secrets.yaml`); what it names is given by name
                raise PromgenError(
                    f"{printable(str(links[0]))} is a symbolic link; promgen import does not follow links in a "
                    "source directory: name the file it points at instead"
                )
            listed = [p for p in entries if p.is_file()]
            if not listed:
                raise PromgenError(f"{printable(str(argument))}: no *.yaml or *.yml file in this directory")
            files += [(p, True) for p in listed]
        else:
            files.append((argument, False))
    return files


def sources(arguments: list[Path], source_format: str) -> tuple[list[Source], list[str]]:
    """Every document of every file, in order, and a note for each file of a directory that holds
    no document of `source_format` (skipped); SpecError with each file's problem."""
    from promgen.importers import detect

    found: list[Source] = []
    skipped: list[str] = []
    problems: list[Problem] = []
    for path, listed in source_files(arguments):
        try:
            documents = load_documents(path, str(path))
        except SpecError as error:
            problems += error.problems
            continue
        if not documents:
            problems.append(Problem(str(path), 1, 1, "no YAML document in this file"))
        if listed and documents and not any(detect(d.data) == source_format for d in documents):
            formats = sorted({f for d in documents if (f := detect(d.data)) is not None})
            titles = " and ".join(TITLES[f] for f in formats)
            what = f"{'an' if titles[:1] in 'aeiouAEIOU' else 'a'} {titles} file" if formats else \
                f"not a {TITLES[source_format]} file"
            hint = f" (`promgen import {formats[0]}` reads it)" if len(formats) == 1 else ""
            skipped.append(f"{printable(str(path))}: skipped: {what}{hint}")
            continue
        found += [Source(document) for document in documents if not listed or detect(document.data) == source_format]
    if problems:
        raise SpecError(problems)
    return found, skipped


def spec_text(service: ImportedService, source_format: str) -> str:
    """The spec as YAML, with a header that names the sources and lists what was not carried over."""
    lines = [f"# Imported by `promgen import {source_format}` from {', '.join(service.sources)}."]
    if service.description:
        lines.append(f"# Service: {' '.join(service.description.split())}")
    if service.left:
        lines.append("# Not carried over exactly (each was also a warning):")
        lines += [f"#   {p.file}:{p.line}:{p.column}: {p.message}" for p in sorted(service.left)]
    lines.append("# Severities are routed nowhere yet: give them `notify` channels (see the README).")
    return "\n".join(printable(line) for line in lines) + "\n" + dump_yaml(service.spec())


def check(text: str, display: str) -> list[Problem]:
    """What `promgen validate` says about an imported spec (errors and warnings)."""
    from promgen.check import check as check_spec
    from promgen.load.loader import validate_document

    loaded = validate_document(parse_document(text, display))
    return check_spec(loaded)


def targets(services: list[ImportedService], output: Path | None) -> list[Path | None]:
    """Where each spec goes: stdout (None) for one spec and no -o; the file -o names for one
    service (a name ending in .yaml or .yml that is not a directory); DIR/<service>.yaml for a
    directory. -o naming a file while the sources hold several services is an error, never a
    directory made in its place."""
    names = ", ".join(s.name for s in services)
    if output is None:
        if len(services) > 1:
            raise PromgenError(f"the sources describe {len(services)} services ({names}): give -o DIR to write one spec each")
        return [None]
    as_file = output.suffix in (".yaml", ".yml") and not output.is_dir()
    if as_file and len(services) > 1:
        raise PromgenError(f"-o {printable(str(output))} names one spec file, but the sources describe {len(services)} "
                           f"services ({names}): give -o a directory to write one spec each")
    return [output] if as_file else [output / f"{service.name}.yaml" for service in services]


def at_sources(problems: list[Problem], text: str, imported: ImportedService) -> list[Problem]:
    """The errors `validate` finds in an imported spec, each at the source of the SLO it is in (the
    spec is never written, so its own positions would point nowhere)."""
    document = parse_document(text, "<imported>")
    starts = [document.positions.locate(("slos", index), "<imported>")[1] for index in range(len(imported.slos))]
    found = []
    for problem in problems:
        index = max((i for i, start in enumerate(starts) if start <= problem.line), default=None)
        if index is None:
            origin = imported.origins[0] if imported.origins else Problem(imported.sources[0], 1, 1, "")
            found.append(Problem(origin.file, origin.line, origin.column, f"the imported spec is not valid: {problem.message}"))
            continue
        origin = imported.origins[index]
        name = imported.slos[index].get("name")
        found.append(Problem(origin.file, origin.line, origin.column,
                             f"SLO {name}: promgen cannot express it as imported: {problem.message}"))
    return found


def run(source_format: str, paths: list[Path], output: Path | None, service: str | None = None) -> int:
    if service is not None and source_format != "pyrra":
        raise PromgenError("--service only applies to pyrra (its objects have no service; the others name theirs)")
    convert = converter(source_format)
    found, skipped = sources(paths, source_format)
    for note in skipped:
        print(note, file=sys.stderr)
    if not found:
        raise PromgenError(f"no {source_format} document in {', '.join(printable(str(p)) for p in paths)}: nothing to import")
    every = convert(found, service) if service is not None else convert(found)
    refused = [problem for imported in every for problem in imported.refused]
    services = [imported for imported in every if imported.slos]
    texts: list[tuple[Path | None, str]] = []
    for imported, target in zip(services, targets(services, output) if services else []):
        text = spec_text(imported, source_format)
        problems = [p for p in check(text, str(target or "<stdout>")) if p.level == "error"]
        refused += at_sources(problems, text, imported)
        texts.append((target, text))
    for imported in every:
        for problem in sorted(imported.left):
            print(problem.render(), file=sys.stderr)
    if refused:  # an SLO promgen cannot express: say which and why, write nothing
        raise SpecError(sorted(refused))
    if not services:
        raise PromgenError("the sources hold no SLO to import")
    for target, text in texts:
        if target is not None and target.exists():
            raise PromgenError(f"{printable(str(target))} already exists; promgen import never overwrites a file")
    for target, text in texts:
        if target is None:
            sys.stdout.write(text)
            continue
        write_new(target, text, "import")
        print(f"wrote {printable(str(target))}", file=sys.stderr)
    return 0
