"""Who is told and how: severity, channel and time-interval references, channels the target
Alertmanager has, route matchers, and routing that is likely a mistake."""

from __future__ import annotations

import re
from typing import Any

from promgen.check.context import Context
from promgen.load import time_ranges
from promgen.load.suggest import did_you_mean
from promgen.yamlio.reader import PathKey

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(".*"|[^"\s]*)\s*$')


def severity_references(ctx: Context) -> None:
    channels = [c.name for c in ctx.spec.channels]
    intervals = list(ctx.spec.time_intervals)
    for index, severity in enumerate(ctx.spec.severities):
        for n, name in enumerate(severity.notify):
            ctx.reference(("severities", index, "notify", n), name, channels, "channel")
        if severity.escalate is not None:
            for n, name in enumerate(severity.escalate.notify):
                ctx.reference(("severities", index, "escalate", "notify", n), name, channels, "channel")
            if severity.escalate.after.ms <= 0:
                ctx.error(("severities", index, "escalate", "after"), "an escalation comes after some time: give a duration above 0")
        for n, name in enumerate(severity.during):
            ctx.reference(("severities", index, "during", n), name, intervals, "time interval")
    default = ctx.spec.alertmanager.default_channel
    if default is not None:
        ctx.reference(("alertmanager", "default_channel"), default, channels, "channel")


def channels(ctx: Context) -> None:
    for index, channel in enumerate(ctx.spec.channels):
        if channel.type == "email" and ctx.spec.alertmanager.smtp is None:
            ctx.error(
                ("channels", index, "type"),
                "an email channel needs `alertmanager.smtp` (smarthost and from) to send through",
            )


def time_intervals(ctx: Context) -> None:
    for name, interval in ctx.spec.time_intervals.items():
        for i, weekday in enumerate(interval.weekdays):
            unknown = [day for day in weekday.split(":") if day not in WEEKDAYS]
            for day in unknown:
                ctx.error(
                    ("time_intervals", name, "weekdays", i),
                    f"unknown weekday {day!r}{did_you_mean(day, WEEKDAYS)}",
                )
            empty = None if unknown else time_ranges.weekday_order(weekday)
            if empty is not None:
                ctx.error(("time_intervals", name, "weekdays", i), empty)
        for i, span in enumerate(interval.times):
            start, end = span.split("-")
            if not (_valid_clock(start) and _valid_clock(end)) or start >= end:
                ctx.error(("time_intervals", name, "times", i), f"{span!r} is not a range HH:MM-HH:MM with start before end (end may be 24:00)")
        if interval.location is not None and not _valid_zone(interval.location):
            ctx.error(("time_intervals", name, "location"), f"unknown time zone {interval.location!r}")


def routes(ctx: Context) -> None:
    channels = [c.name for c in ctx.spec.channels]
    for r, route in enumerate(ctx.spec.alertmanager.routes):
        for m, matcher in enumerate(route.matchers):
            if not MATCHER.match(matcher):
                ctx.error(("alertmanager", "routes", r, "matchers", m), f'{matcher!r} is not a matcher like team="database" or env=~"prod|staging"')
        for n, name in enumerate(route.notify):
            ctx.reference(("alertmanager", "routes", r, "notify", n), name, channels, "channel")
        ctx.group_by(("alertmanager", "routes", r, "group_by"), route.group_by)
    ctx.group_by(("alertmanager", "group_by"), ctx.spec.alertmanager.group_by)
    for index, severity in enumerate(ctx.spec.severities):
        ctx.group_by(("severities", index, "group_by"), severity.group_by)


def routing(ctx: Context) -> None:
    """The routing lint: what Alertmanager 0.25 cannot express, and routing that is likely a mistake."""
    from promgen.core import conventions
    from promgen.derive.alertmanager import matchers as am
    from promgen.derive.alertmanager.receivers import CHANNEL_FEATURES

    spec, settings = ctx.spec, ctx.spec.alertmanager
    used = ({n for s in spec.severities for n in s.notify} | {n for r in settings.routes for n in r.notify}
            | {n for s in spec.severities if s.escalate for n in s.escalate.notify})
    used |= {settings.default_channel} if settings.default_channel else set()
    default = settings.default_channel or conventions.UNROUTED_RECEIVER
    for index, channel in enumerate(spec.channels):
        here: PathKey = ("channels", index)
        feature = CHANNEL_FEATURES.get(channel.type)
        missing = ctx.targets.lacks(feature) if feature else None
        if missing is not None:
            ctx.error(here + ("type",), f"a {channel.type} channel {missing}")
        if channel.type == "webhook" and channel.url_file is not None:
            missing = ctx.targets.lacks("webhook url_file")
            if missing is not None:
                ctx.error(here + ("url_file",), f"a webhook's url_file {missing}; use `url` (with "
                           "`bearer_token_file` for the credential) when the URL itself holds no secret")
        if channel.name == conventions.UNROUTED_RECEIVER and settings.default_channel is None:
            ctx.error(here + ("name",), f"{channel.name!r} names the receiver of alerts no route matches; rename the channel or set alertmanager.default_channel")
        if channel.name not in used:
            ctx.warn_if_own(here + ("name",), f"channel {channel.name!r} is notified by no severity, route or alertmanager.default_channel")
    during = {n for s in spec.severities for n in s.during}
    for name in spec.time_intervals:
        if name not in during:
            ctx.warn_if_own(("time_intervals", name), f"time interval {name!r} is in no severity's `during`")
    timed: list[tuple[PathKey, Any]] = [(("alertmanager",), settings)]
    for index, severity in enumerate(spec.severities):
        timed.append((("severities", index), severity))
        if not severity.notify:
            ctx.warn(("severities", index, "notify"), f"severity {severity.name!r} notifies no channel: its alerts go to the default receiver {default!r}")
    for here, owner in timed:
        for field in ("group_interval", "repeat_interval"):
            value = getattr(owner, field)
            if value is not None and value.ms == 0:
                ctx.error(here + (field,), f"{field} must be longer than 0 (Alertmanager rejects 0)")
    extra_routes(ctx, am)


def extra_routes(ctx: Context, am: Any) -> None:
    """alertmanager.routes that can never match, are never reached, or starve the severity routes."""
    service = ctx.spec.service.name
    severities = list(ctx.severity_names)
    canonical = [s.name for s in ctx.spec.severities]
    final: list[tuple[int, set[Any]]] = []  # earlier routes without `continue`: they end the search
    for r, route in enumerate(ctx.spec.alertmanager.routes):
        here = ("alertmanager", "routes", r)
        parsed = []
        for m, text in enumerate(route.matchers):
            if MATCHER.match(text):  # else routes() reported it
                try:
                    parsed.append(am.parse_matcher(text, angle_groups=ctx.targets.has("angle named groups")))
                except ValueError as error:
                    ctx.error(here + ("matchers", m), str(error))
        if len(parsed) < len(route.matchers):
            continue
        reason = am.contradiction(parsed)
        if reason is not None:
            ctx.error(here + ("matchers",), f"this route can never match: {reason}")
            continue
        for m, matcher in enumerate(parsed):
            foreign = (matcher.name == "service" and not matcher.matches({"service": service})) or (
                matcher.name == "severity" and not any(matcher.matches({"severity": s}) for s in severities))
            if foreign:
                ctx.warn(here + ("matchers", m), f"no alert of this spec matches {matcher}; the route only catches alerts other tools send")
        shadow = next((i for i, earlier in final if earlier <= set(parsed)), None)
        if shadow is not None:
            ctx.warn(here, f"this route is never reached: alertmanager.routes[{shadow}] matches every alert it would and has no `continue`")
        if route.continue_:
            continue
        final.append((r, set(parsed)))
        catch_all = all(m.name in ("service", "severity") for m in parsed) and all(
            m.matches({"service": service, "severity": s}) for m in parsed for s in canonical)
        if catch_all:
            ctx.warn(here, "this route catches every alert of the service and has no `continue`: the severity routes never see one")


def _valid_clock(text: str) -> bool:
    hours, minutes = text.split(":")
    return (0 <= int(hours) < 24 and 0 <= int(minutes) < 60) or text == "24:00"


def _valid_zone(name: str) -> bool:
    if name in ("UTC", "Local"):
        return True
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(name)
    except Exception:
        return False
    return True


def severity_order(ctx: Context) -> None:
    """A base's ladder keeps its order and a service's new severities come after it: a service that
    writes them in another order gets the merged order, which it should see."""
    positions = ctx.doc.positions
    own = [(positions.locate(("severities", i, "name"), ctx.doc.file), s.name) for i, s in enumerate(ctx.spec.severities)]
    mine = [(line, name) for (file, line, _column), name in own if file == ctx.doc.file]
    if [line for line, _ in mine] != sorted(line for line, _ in mine):
        ladder = " > ".join(s.name for s in ctx.spec.severities)
        written = " > ".join(name for _, name in sorted(mine))
        ctx.warn(("severities",), f"this spec writes its severities as {written}, but merged with its base the ladder "
                                  f"is {ladder} (a base's severities keep their order; a service's new ones follow): "
                                  "write them in the base's order, or change the base")
