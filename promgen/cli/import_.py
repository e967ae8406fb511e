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


def converter(name: str) -> Converter:
    found: Converter = resolve(FORMATS[name])
    return found


def source_files(arguments: list[Path]) -> list[Path]:
    """The files the arguments name: a directory stands for its *.yaml and *.yml files (as sloth
    reads a directory of specs), in name order."""
    files: list[Path] = []
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
            files += listed
        else:
            files.append(argument)
    return files


def sources(arguments: list[Path]) -> list[Source]:
    """Every document of every file, in order; SpecError with each file's problem."""
    found: list[Source] = []
    problems: list[Problem] = []
    for path in source_files(arguments):
        try:
            documents = load_documents(path, str(path))
        except SpecError as error:
            problems += error.problems
            continue
        if not documents:
            problems.append(Problem(str(path), 1, 1, "no YAML document in this file"))
        found += [Source(document) for document in documents]
    if problems:
        raise SpecError(problems)
    return found


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
    """Where each spec goes: stdout (None) for one spec and no -o; the file -o names (*.yaml, *.yml);
    or DIR/<service>.yaml for a directory (an existing one, any other name, or several services)."""
    if output is None:
        if len(services) > 1:
            names = ", ".join(s.name for s in services)
            raise PromgenError(f"the sources describe {len(services)} services ({names}): give -o DIR to write one spec each")
        return [None]
    if len(services) > 1 or output.is_dir() or output.suffix not in (".yaml", ".yml"):
        return [output / f"{service.name}.yaml" for service in services]
    return [output]


def run(source_format: str, paths: list[Path], output: Path | None, service: str | None = None) -> int:
    if service is not None and source_format != "pyrra":
        raise PromgenError("--service only applies to pyrra (its objects have no service; the others name theirs)")
    convert = converter(source_format)
    found = sources(paths)
    services = convert(found, service) if service is not None else convert(found)
    if not services:
        raise PromgenError("the sources hold no SLO to import")
    texts: list[tuple[Path | None, str]] = []
    for imported, target in zip(services, targets(services, output)):
        text = spec_text(imported, source_format)
        problems = [p for p in check(text, str(target or "<stdout>")) if p.level == "error"]
        if problems:  # an importer bug or an input promgen refuses: say so, write nothing
            raise SpecError(problems)
        texts.append((target, text))
    for imported in services:
        for problem in sorted(imported.left):
            print(problem.render(), file=sys.stderr)
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
