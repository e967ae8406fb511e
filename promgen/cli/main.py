"""The command line's entry point.

Exit codes: 0 success, 1 the spec or the output is wrong (user error), 2 bad usage (`cli.exits`). The commands
themselves are the typer app in `promgen.cli.app`; a plain `promgen validate SPEC...` (what a
pre-commit hook runs) is dispatched here without it.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from promgen.cli.exits import exit_code

VALIDATE_FORMATS = ("text", "json")


def plain_validate(arguments: list[str]) -> tuple[list[Path], str] | None:
    """(specs, format) of `validate SPEC... [--format text|json]` with nothing else in it, else None.

    Such a call skips typer's start-up; help, bad usage and every other command go to typer, which
    parses them (and writes their usage errors) as it always has."""
    if not arguments or arguments[0] != "validate":
        return None
    specs: list[str] = []
    output_format = "text"
    rest = arguments[1:]
    while rest:
        argument = rest.pop(0)
        if argument == "--":
            specs += rest
            break
        if argument == "--format" and rest and rest[0] in VALIDATE_FORMATS:
            output_format = rest.pop(0)
        elif argument.startswith("--format=") and argument.partition("=")[2] in VALIDATE_FORMATS:
            output_format = argument.partition("=")[2]
        elif argument.startswith("-"):
            return None
        else:
            specs.append(argument)
    return ([Path(spec) for spec in specs], output_format) if specs else None


def main() -> None:
    """Console-script entry point."""
    _hard_exit(run(sys.argv[1:]))


def run(argv: list[str], prog_name: str | None = None) -> int:
    """promgen with the arguments `argv`, to its exit code (what `main` runs before it leaves; the
    tests call it in-process)."""
    # pydantic looks for plugins among every installed distribution's entry points the first time a
    # model validates: a fifth of a cold `validate` in a full environment, and promgen uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _skip_pydantic_plugin_loader()
    # A render builds many small, long-lived objects (rules, test cases, dashboards): with the default
    # thresholds the cyclic collector rescans them all hundreds of times, a third of a large render.
    gc.set_threshold(50_000, 20, 100)
    try:
        plain = plain_validate(argv)
        if plain is not None:
            code: int | str | None = run_validate(*plain)
        else:
            from promgen.cli.app import app

            app(args=argv, prog_name=prog_name)
            code = 0
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    if isinstance(code, str):
        print(code, file=sys.stderr)
        return 1
    return code or 0


PYDANTIC_PLUGIN_LOADER = "pydantic.plugin._loader"


def _skip_pydantic_plugin_loader() -> None:
    """With plugins disabled, pydantic's loader finds none, yet importing it imports
    importlib.metadata: 60-80 ms of a cold validate on the test machine. A stand-in answers
    `get_plugins()` as the loader would (no plugins); any other name loads the real module."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in ("__all__", "1", "true") or PYDANTIC_PLUGIN_LOADER in sys.modules:
        return
    import types

    stand_in = types.ModuleType(PYDANTIC_PLUGIN_LOADER)
    stand_in.get_plugins = lambda: ()  # type: ignore[attr-defined]

    def real(name: str) -> object:
        if name.startswith("__"):  # the import system asks modules for __path__ and the like
            raise AttributeError(name)
        import importlib

        sys.modules.pop(PYDANTIC_PLUGIN_LOADER, None)
        return getattr(importlib.import_module(PYDANTIC_PLUGIN_LOADER), name)

    stand_in.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[PYDANTIC_PLUGIN_LOADER] = stand_in


def run_validate(specs: list[Path], output_format: str) -> int:
    """`promgen validate SPEC... [--format F]` as `main` runs it, to its exit code (the tests call it in-process)."""
    from promgen.cli import validate as command

    return exit_code(lambda: command.run(specs, output_format), ", ".join(map(str, specs)))


def _hard_exit(code: int) -> None:
    """Flush and leave without tearing the interpreter down.

    Freeing every pydantic, typer and Jinja object at exit costs a cold `promgen validate` about
    a sixth of its run time, and promgen has nothing left to clean up once a command returned
    (writes are complete and closed). mypy exits the same way.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`promgen ... | head`) or stream
            pass
    os._exit(code)
