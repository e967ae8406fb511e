"""Registries name their implementations as "module:function" and import a module only when it is
used (a `validate` never imports the renderers, an import never imports the other importers)."""

from __future__ import annotations

from importlib import import_module
from typing import Any


def resolve(target: str) -> Any:
    """The function `target` ("package.module:function") names."""
    module_name, function_name = target.split(":")
    return getattr(import_module(module_name), function_name)
