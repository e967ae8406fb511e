"""`promgen init [PATH]`: a commented starter spec that validates; never overwrites a file."""

from __future__ import annotations

import re
from pathlib import Path

from promgen.errors import PromgenError, printable
from promgen.load.models import SERVICE_NAME

DEFAULT_FILE = "promgen.yaml"


def starter_spec(service: str, spec_name: str = DEFAULT_FILE) -> str:
    from promgen.produce.templates import render_template

    if not re.match(SERVICE_NAME, service) or len(service) > 40:
        raise PromgenError(
            f"service name {service!r} is not valid: lowercase letters, digits and '-', starting with a letter"
        )
    return render_template("init/promgen.yaml.j2", service=service, spec_name=spec_name)


def target_path(path: Path | None) -> Path:
    if path is None:
        return Path(DEFAULT_FILE)
    return path / DEFAULT_FILE if path.is_dir() else path


def write_new(target: Path, text: str, command: str) -> None:
    """Create `target` with `text`; a spec someone already has is never overwritten (`init`, `import`)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8", newline="\n") as stream:  # "x": fails if it exists
            stream.write(text)
    except FileExistsError:
        raise PromgenError(f"{printable(str(target))} already exists; promgen {command} never overwrites a file") from None
    except OSError as error:
        raise PromgenError(f"cannot write {printable(str(target))}: {error.strerror or error}") from None


def run(path: Path | None, service: str) -> int:
    target = target_path(path)
    text = starter_spec(service, target.name)
    write_new(target, text, "init")
    shown = printable(str(target))
    print(f"wrote {shown}: edit it, then run `promgen validate {shown}` and `promgen render {shown} -o monitoring`")
    return 0
