"""The stack: every service rendered into one output directory, and what they share.

One level above the per-service `Model`: the few outputs that are global to a stack (prometheus.yml,
alertmanager.yml, the Grafana provisioning and the fleet dashboard, blackbox.yml, the compose stack)
read a `Stack`; every per-service deriver keeps reading its `Model` and stays unaware of the fleet.
A stack of one service renders exactly what that service renders alone.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model, RenderOptions
from promgen.core.versions import TITLES, Targets


@dataclass(frozen=True)
class Stack:
    services: tuple[Model, ...]

    def __post_init__(self) -> None:
        if not self.services:
            raise ValueError("a stack needs at least one service")

    @property
    def fleet(self) -> bool:
        """Several services: the shared outputs route, group and label by service."""
        return len(self.services) > 1

    @property
    def first(self) -> Model:
        return self.services[0]

    @property
    def options(self) -> RenderOptions:
        return self.first.options

    @property
    def targets(self) -> Targets:
        """The versions every service targets (the cross-spec checks make them agree)."""
        return self.first.targets

    @property
    def names(self) -> list[str]:
        return [model.service for model in self.services]

    @property
    def source(self) -> str:
        """How headers of shared files name the specs: one spec as given; several by count and range."""
        sources = [model.source for model in self.services]
        if len(sources) == 1:
            return sources[0]
        folders = {posixpath.dirname(source) for source in sources}
        where = f" in {folders.pop() or '.'}/" if len(folders) == 1 else ""
        return f"{len(sources)} specs{where} ({', '.join(self.names)})"

    @property
    def header(self) -> str:
        return self.first.header if not self.fleet else conventions.GENERATED_HEADER.format(spec=self.source)

    def header_for(self, *tools: str) -> str:
        if not self.fleet:
            return self.first.header_for(*tools)
        targets = " and ".join(f"{TITLES[tool]} {getattr(self.targets, tool)}" for tool in tools)  # type: ignore[index]
        return conventions.GENERATED_FOR_HEADER.format(spec=self.source, targets=targets)

    def channels(self) -> list[Any]:
        """Every channel of every service once, by name, in first-use order (the cross-spec checks
        make channels of one name equal)."""
        found: dict[str, Any] = {}
        for model in self.services:
            for channel in model.spec.channels:
                found.setdefault(channel.name, channel)
        return list(found.values())
