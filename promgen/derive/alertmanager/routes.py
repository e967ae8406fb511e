"""The route tree as a `Route` dataclass rather than a dict: `promgen routes` walks the very same tree
(with Alertmanager's matching algorithm, `matching_routes`) that is written to alertmanager.yml, so
what the command prints and what the file does cannot drift apart. Also inhibit rules and time
intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promgen.core import conventions

if TYPE_CHECKING:
    from promgen.core.model import Model
    from promgen.load.units import Duration
from promgen.derive.alertmanager.matchers import (
    Matcher,
    parse_matcher,
    severity_matcher,
)

# Alertmanager's own retention default (--data.retention): repeats longer than this are not honoured.
DEFAULT_RETENTION_MS = 120 * 3_600_000


@dataclass(frozen=True)
class Route:
    """A node of Alertmanager's routing tree; None / empty means inherited from the parent."""

    receiver: str | None = None
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    group_by: tuple[str, ...] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    active_time_intervals: tuple[str, ...] = ()  # not inherited: Alertmanager reads it per node
    routes: tuple[Route, ...] = ()
    origin: str = ""  # where in the spec the route comes from (not written to the file)

    def as_config(self) -> dict[str, Any]:
        """The route as alertmanager.yml spells it."""
        config: dict[str, Any] = {}
        if self.matchers:
            config["matchers"] = [str(m) for m in self.matchers]
        if self.receiver is not None:
            config["receiver"] = self.receiver
        if self.continue_:
            config["continue"] = True
        if self.group_by is not None:
            config["group_by"] = list(self.group_by)
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        if self.active_time_intervals:
            config["active_time_intervals"] = list(self.active_time_intervals)
        if self.routes:
            config["routes"] = [child.as_config() for child in self.routes]
        return config

    def count(self) -> int:
        """Routes below this one (this one excluded)."""
        return sum(1 + child.count() for child in self.routes)


def default_receiver(model: Model) -> str:
    return model.spec.alertmanager.default_channel or conventions.UNROUTED_RECEIVER


def _fan_out(channels: Sequence[str], during: tuple[str, ...], origin: str) -> dict[str, Any]:
    """Receiver fields of a route notifying `channels`: itself for one, a child per channel for several.

    Children carry no matchers, so each catches every alert of its parent; all but the last
    continue, so every channel is told, in the order the spec lists them.
    """
    if len(channels) == 1:
        return {"receiver": channels[0], "active_time_intervals": during}
    children = tuple(
        Route(receiver=name, continue_=index < len(channels) - 1, active_time_intervals=during, origin=origin)
        for index, name in enumerate(channels)
    )
    return {"receiver": channels[0], "routes": children}


def route_tree(model: Model) -> Route:
    """The whole tree: extra routes (spec order), then a route per severity that notifies a channel."""
    spec = model.spec
    settings = spec.alertmanager
    routes: list[Route] = []
    for index, extra in enumerate(settings.routes):
        origin = f"alertmanager.routes[{index}]"
        routes.append(
            Route(
                matchers=tuple(parse_matcher(m) for m in extra.matchers),
                continue_=extra.continue_,
                group_by=tuple(extra.group_by) if extra.group_by is not None else None,
                origin=origin,
                **_fan_out(extra.notify, (), origin),
            )
        )
    for severity in spec.severities:
        matcher = severity_matcher([severity.name, *severity.aliases])
        if severity.escalate is not None:  # first: the severity's own route would catch the copies too
            origin = f"severity {severity.name} escalation"
            escalated = parse_matcher(f'{conventions.ESCALATED_LABEL}="{conventions.ESCALATED_VALUE}"')
            routes.append(Route(matchers=(matcher, escalated), origin=origin,
                                **_fan_out(severity.escalate.notify, (), origin)))
        if not severity.notify:
            continue  # its alerts reach the default receiver (the routing lint warns)
        origin = f"severity {severity.name}"
        routes.append(
            Route(
                matchers=(matcher,),
                group_by=tuple(severity.group_by) if severity.group_by is not None else None,
                group_wait=_timing(model, severity.group_wait),
                group_interval=_timing(model, severity.group_interval),
                repeat_interval=_timing(model, severity.repeat_interval),
                origin=origin,
                **_fan_out(severity.notify, tuple(severity.during), origin),
            )
        )
    return Route(
        receiver=default_receiver(model),
        group_by=tuple(settings.group_by),
        group_wait=_timing(model, settings.group_wait),
        group_interval=_timing(model, settings.group_interval),
        repeat_interval=_timing(model, settings.repeat_interval),
        routes=tuple(routes),
        origin="default",
    )


def beyond_retention(model: Model) -> list[str]:
    """Routes whose repeat_interval Alertmanager's default --data.retention (120h) cuts short: it
    forgets a notification after the retention and sends it again."""
    found: list[str] = []
    settings = model.spec.alertmanager
    if settings.repeat_interval.ms > DEFAULT_RETENTION_MS:
        found.append(f"alertmanager.repeat_interval {settings.repeat_interval}")
    for severity in model.spec.severities:
        repeat = severity.repeat_interval
        if repeat is not None and repeat.ms > DEFAULT_RETENTION_MS:
            found.append(f"severity {severity.name} repeat_interval {repeat}")
    return found


def _timing(model: Model, value: Duration | None) -> str | None:
    """A route timing as written, divided by `--compress-time` (RenderOptions.time_compression)."""
    return None if value is None else str(model.options.compressed(value))


@dataclass(frozen=True)
class Match:
    route: Route
    receiver: str  # the receiver in effect at that route (inherited when the route names none)


def matching_routes(route: Route, labels: Mapping[str, str], inherited: str = "") -> list[Match]:
    """Alertmanager's dispatch algorithm (dispatch/route.go `Match`): depth first, left to right;
    a child that matches without `continue` ends the search on its level; a node is itself a match
    only when none of its children is."""
    if not all(m.matches(labels) for m in route.matchers):
        return []
    receiver = route.receiver if route.receiver is not None else inherited
    found: list[Match] = []
    for child in route.routes:
        matches = matching_routes(child, labels, receiver)
        found.extend(matches)
        if matches and not child.continue_:
            break
    return found or [Match(route, receiver)]


def receivers_for(tree: Route, labels: Mapping[str, str]) -> list[str]:
    """The receivers an alert with `labels` is sent to, in tree order (as `amtool config routes test`)."""
    return [m.receiver for m in matching_routes(tree, labels)]


# --- inhibition and time intervals -----------------------------------------------------------


def inhibit_rules(model: Model) -> list[dict[str, Any]]:
    """A firing alert of one severity mutes the same alert (alertname, service) of every less urgent one."""
    ladder = [[s.name, *s.aliases] for s in model.spec.severities]
    rules: list[dict[str, Any]] = []
    for index in range(len(ladder) - 1):
        below = [name for names in ladder[index + 1 :] for name in names]
        rules.append(
            {
                "source_matchers": [str(severity_matcher(ladder[index]))],
                "target_matchers": [str(severity_matcher(below))],
                "equal": list(conventions.INHIBIT_EQUAL),
            }
        )
    return rules


def time_intervals(model: Model) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for name, interval in model.spec.time_intervals.items():
        spec: dict[str, Any] = {}
        if interval.times:
            spec["times"] = [dict(zip(("start_time", "end_time"), span.split("-"))) for span in interval.times]
        for key in ("weekdays", "days_of_month", "months", "years"):
            if getattr(interval, key):
                spec[key] = list(getattr(interval, key))
        if interval.location is not None:
            spec["location"] = interval.location
        result.append({"name": name, "time_intervals": [spec]})
    return result
