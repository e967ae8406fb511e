"""The registry of outputs `render` can write. Each producer is pure: Model -> {relative path: text}."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from promgen.model import Model

Files = dict[str, str]
Producer = Callable[[Model], Files]

# output name -> "module:function"; imported only when that output is rendered.
PRODUCERS: dict[str, str] = {}


def names() -> list[str]:
    return list(PRODUCERS)


def produce(model: Model, only: list[str] | None = None) -> Files:
    """Every file of the selected outputs, in a stable order."""
    files: Files = {}
    for name, target in PRODUCERS.items():
        if only and name not in only:
            continue
        module_name, function_name = target.split(":")
        producer: Producer = getattr(import_module(module_name), function_name)
        for path, text in producer(model).items():
            if path in files:
                raise RuntimeError(f"two outputs write {path}")
            files[path] = text
    return dict(sorted(files.items()))
