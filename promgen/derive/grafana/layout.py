"""Automatic layout of dashboard panels on Grafana's 24-column grid, in rows.

Panels flow left to right and wrap to a new line when the next one does not fit; a line is as
tall as its tallest panel, so no two panels ever overlap. Panel ids are numbered in document
order, rows included, starting at 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GRID_COLUMNS = 24
ROW_HEIGHT = 1


@dataclass(frozen=True)
class Panel:
    """A finished panel body (everything but id and gridPos) and the room it wants."""

    body: dict[str, Any]
    w: int = 8
    h: int = 8
    new_line: bool = False  # start a new line even when it would fit on the current one

    def __post_init__(self) -> None:
        if not 1 <= self.w <= GRID_COLUMNS or self.h < 1:
            raise ValueError(f"panel {self.body.get('title')!r} has no valid size: w={self.w} h={self.h}")


@dataclass(frozen=True)
class Section:
    """A row of panels; `title=None` lays the panels out without a row header."""

    title: str | None
    panels: list[Panel] = field(default_factory=list)


def layout(sections: list[Section]) -> list[dict[str, Any]]:
    """The dashboard's `panels` list: rows and panels with ids and gridPos."""
    placed: list[dict[str, Any]] = []
    y = 0
    for section in sections:
        if not section.panels:
            continue
        if section.title is not None:
            placed.append(_row(len(placed) + 1, section.title, y))
            y += ROW_HEIGHT
        y = _flow(section.panels, y, placed)
    return placed


def _flow(panels: list[Panel], top: int, placed: list[dict[str, Any]]) -> int:
    """Place `panels` from line `top` on; returns the first free line below them."""
    x, y, line_height = 0, top, 0
    for panel in panels:
        if x > 0 and (x + panel.w > GRID_COLUMNS or panel.new_line):
            x, y, line_height = 0, y + line_height, 0
        placed.append(_positioned(len(placed) + 1, panel, {"h": panel.h, "w": panel.w, "x": x, "y": y}))
        x += panel.w
        line_height = max(line_height, panel.h)
    return y + line_height


def _positioned(panel_id: int, panel: Panel, grid: dict[str, int]) -> dict[str, Any]:
    body = dict(panel.body)
    head = {"id": panel_id, "type": body.pop("type"), "title": body.pop("title"), "gridPos": grid}
    return head | body


def _row(panel_id: int, title: str, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "row",
        "title": title,
        "gridPos": {"h": ROW_HEIGHT, "w": GRID_COLUMNS, "x": 0, "y": y},
        "collapsed": False,
        "panels": [],
    }
