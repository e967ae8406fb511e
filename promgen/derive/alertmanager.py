"""Alertmanager's configuration as plain data: route tree, inhibit rules, receivers, time intervals.

The route tree is a `Route` dataclass rather than a dict because `promgen routes` walks the very
same tree (with Alertmanager's matching algorithm, `matching_routes`) that is written to
alertmanager.yml: what the command prints and what the file does cannot drift apart.

Readable by Alertmanager 0.25 (the floor) and later: `matchers` only, no `match`/`match_re`;
secrets only through `*_file` fields. Channel types newer than the floor are refused by `validate`
unless `versions.alertmanager` has them (CHANNEL_FEATURES).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from promgen.core import conventions
from promgen.errors import OutputError
from promgen.load.go_template import literal

if TYPE_CHECKING:
    from promgen.core.model import Model
    from promgen.core.stack import Stack
    from promgen.load.models import Channel
    from promgen.load.units import Duration

# The feature (promgen.versions.FEATURES) a channel needs beyond the floor: its type, or, for a
# webhook, reading its URL from a file.
CHANNEL_FEATURES: dict[str, str] = {
    "msteams": "msteams", "msteamsv2": "msteamsv2", "discord": "discord", "telegram": "telegram",
    "rocketchat": "rocketchat", "jira": "jira",
}

# Alertmanager's own retention default (--data.retention): repeats longer than this are not honoured.
DEFAULT_RETENTION_MS = 120 * 3_600_000

# Notification texts are Go templates evaluated by Alertmanager; they are data here, never Jinja source.
TITLE = (
    '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
    "{{ .CommonLabels.alertname }}"
    "{{ with .CommonLabels.severity }} ({{ . }}){{ end }}"
    "{{ with .CommonLabels.service }} - {{ . }}{{ end }}"
)
TEXT = (
    "{{ range .Alerts }}"
    "[{{ .Status | toUpper }}] {{ .Labels.alertname }} ({{ .Labels.severity }}): {{ .Annotations.summary }}\n"
    "{{ with .Annotations.description }}{{ . }}\n{{ end }}"
    "{{ with .Annotations.runbook_url }}Runbook: {{ . }}\n{{ end }}"
    "{{ end }}"
)
SLACK_COLOR = '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'


# --- matchers ---------------------------------------------------------------------------------

# Alertmanager's pkg/labels ParseMatcher, as in 0.25.
_MATCHER = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$', re.DOTALL)
_REGEX_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


@dataclass(frozen=True)
class Matcher:
    """One Alertmanager matcher: `name op "value"`; regexes are anchored at both ends."""

    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")  # a missing label matches as the empty string
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        from promgen.judge.go_regex import fullmatch

        found = fullmatch(self.value, actual)
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def parse_matcher(text: str, *, angle_groups: bool = True) -> Matcher:
    """A matcher as Alertmanager parses it (quoted or bare value); ValueError when it is not one."""
    found = _MATCHER.match(text)
    if found is None:
        raise ValueError(f'{text!r} is not a matcher like team="database" or env=~"prod|staging"')
    name, op, raw = found.groups()
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    value: list[str] = []
    escaped = False
    for index, char in enumerate(raw):
        if escaped:
            escaped = False
            value.append({"n": "\n", '"': '"', "\\": "\\"}.get(char, "\\" + char))
        elif char == "\\" and index < len(raw) - 1:
            escaped = True
        elif char == '"':
            if not quoted or index < len(raw) - 1:
                raise ValueError(f"{text!r}: the value has an unescaped double quote")
            quoted = False
        else:
            value.append(char)
    if quoted:
        raise ValueError(f"{text!r}: the value's closing double quote is missing")
    matcher = Matcher(name, op, "".join(value))
    if op in ("=~", "!~"):
        from promgen.judge.go_regex import problem

        reason = problem(matcher.value, angle_groups=angle_groups)
        if reason is not None:
            raise ValueError(f"{text!r}: not a Go regular expression ({reason})")
    return matcher


def contradiction(matchers: Sequence[Matcher]) -> str | None:
    """Why no alert can satisfy all `matchers` at once (an equality the others exclude), else None."""
    for fixed in matchers:
        if fixed.op != "=":
            continue
        for other in matchers:
            if other is not fixed and other.name == fixed.name and not other.matches({fixed.name: fixed.value}):
                return f"{fixed} and {other} exclude each other"
    return None


def severity_matcher(names: Sequence[str]) -> Matcher:
    """Matches a severity by its canonical name or any alias (other tools may send an alias)."""
    if len(names) == 1:
        return Matcher("severity", "=", names[0])
    return Matcher("severity", "=~", "|".join(_REGEX_META.sub(r"\\\1", n) for n in names))


# --- the route tree ---------------------------------------------------------------------------


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


# --- receivers --------------------------------------------------------------------------------


def _bearer(path: str) -> dict[str, Any]:
    return {"authorization": {"type": "Bearer", "credentials_file": path}}


def _integration(channel: Channel) -> tuple[str, dict[str, Any]]:
    """(Alertmanager config key, one config) for a channel; secrets only as *_file paths."""
    sent = {"send_resolved": channel.send_resolved}
    if channel.type == "email":
        config: dict[str, Any] = {"to": literal(channel.to), **({"from": literal(channel.from_)} if channel.from_ else {})}
        return "email_configs", {**sent, **config, "headers": {"Subject": TITLE}, "text": TEXT}
    if channel.type == "slack":
        config = {"api_url_file": channel.api_url_file, "channel": literal(channel.channel)}
        if channel.username:
            config["username"] = literal(channel.username)
        return "slack_configs", {**sent, **config, "color": SLACK_COLOR, "title": TITLE, "text": TEXT}
    if channel.type == "pagerduty":
        key = {"routing_key_file": channel.routing_key_file} if channel.routing_key_file else {
            "service_key_file": channel.service_key_file}
        details = {"summary": "{{ .CommonAnnotations.summary }}", "runbook": "{{ .CommonAnnotations.runbook_url }}"}
        return "pagerduty_configs", {**sent, **key, "description": TITLE, "details": details}
    if channel.type == "webhook":
        config = {"url": channel.url} if channel.url is not None else {"url_file": channel.url_file}
        config["max_alerts"] = channel.max_alerts
        if channel.bearer_token_file:
            config["http_config"] = _bearer(channel.bearer_token_file)
        return "webhook_configs", {**sent, **config}
    if channel.type == "opsgenie":
        config = {"api_key_file": channel.api_key_file}
        if channel.api_url:
            config["api_url"] = channel.api_url
        if channel.team:
            config["responders"] = [{"name": literal(channel.team), "type": "team"}]
        return "opsgenie_configs", {**sent, **config, "message": TITLE, "description": TEXT}
    if channel.type == "webex":
        config = {"room_id": literal(channel.room_id), "http_config": _bearer(channel.bot_token_file)}
        return "webex_configs", {**sent, **config, "message": TITLE + "\n" + TEXT}
    if channel.type in ("msteams", "msteamsv2"):
        return f"{channel.type}_configs", {**sent, "webhook_url_file": channel.webhook_url_file, "title": TITLE, "text": TEXT}
    if channel.type == "discord":
        return "discord_configs", {**sent, "webhook_url_file": channel.webhook_url_file, "title": TITLE, "message": TEXT}
    if channel.type == "telegram":
        config = {"bot_token_file": channel.bot_token_file, "chat_id": channel.chat_id, "parse_mode": channel.parse_mode}
        return "telegram_configs", {**sent, **config, "message": TITLE + "\n" + TEXT}
    if channel.type == "rocketchat":
        config = {"token_id_file": channel.token_id_file, "token_file": channel.token_file,
                  "channel": literal(channel.channel)}
        if channel.api_url:
            config["api_url"] = channel.api_url
        return "rocketchat_configs", {**sent, **config, "title": TITLE, "text": TEXT}
    if channel.type == "jira":
        config = {"api_url": channel.api_url, "project": channel.project, "issue_type": literal(channel.issue_type)}
        auth = {"basic_auth": {"username": channel.username, "password_file": channel.password_file}}
        return "jira_configs", {**sent, **config, "summary": TITLE, "description": TEXT, "http_config": auth}
    raise OutputError(f"channel {channel.name}: promgen cannot render a {channel.type} channel")


def receivers(model: Model) -> list[dict[str, Any]]:
    """One receiver per channel, named after it, plus the empty default receiver when it is used.

    With RenderOptions.receivers_to, every receiver keeps its name but posts to that webhook URL
    (for local dry runs and the end-to-end test).
    """
    redirect = model.options.receivers_to
    result: list[dict[str, Any]] = []
    if model.spec.alertmanager.default_channel is None:
        result.append({"name": conventions.UNROUTED_RECEIVER})
    for channel in model.spec.channels:
        key, config = _integration(channel)
        result.append({"name": channel.name, key: [config]})
    if redirect is not None:
        hook = {"webhook_configs": [{"send_resolved": True, "url": redirect}]}
        result = [{"name": r["name"], **hook} for r in result]
    return result


def global_config(model: Model, receivers: list[dict[str, Any]]) -> dict[str, Any]:
    settings = model.spec.alertmanager
    config: dict[str, Any] = {"resolve_timeout": str(settings.resolve_timeout)}
    smtp = settings.smtp
    if smtp is not None and any("email_configs" in r for r in receivers):
        config["smtp_smarthost"] = smtp.smarthost
        config["smtp_from"] = smtp.from_
        if smtp.auth_username is not None:
            config["smtp_auth_username"] = smtp.auth_username
        if smtp.auth_password_file is not None:
            config["smtp_auth_password_file"] = smtp.auth_password_file
        config["smtp_require_tls"] = smtp.require_tls
    return config


@dataclass(frozen=True)
class AlertmanagerConfig:
    """Every section of alertmanager.yml, finished; the template only lays them out."""

    global_: dict[str, Any]
    tree: Route
    inhibit_rules: list[dict[str, Any]]
    time_intervals: list[dict[str, Any]]
    receivers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def route(self) -> dict[str, Any]:
        return self.tree.as_config()


def stack_route_tree(stack: Stack) -> Route:
    """The tree of a stack: a service's own tree, or below the root a route per service (matching
    `service="<svc>"`) holding that service's routes, with its grouping and timings where they
    differ from the root's (the first service's)."""
    trees = [route_tree(model) for model in stack.services]
    if not stack.fleet:
        return trees[0]
    # The root catches alerts of no service: it notifies the default most services share (the
    # first service's among equals), and groups and times as the first service does.
    defaults = [tree.receiver for tree in trees]
    root = replace(trees[0], receiver=max(dict.fromkeys(defaults), key=defaults.count))
    timings = ("group_by", "group_wait", "group_interval", "repeat_interval")
    children = tuple(
        Route(
            matchers=(Matcher("service", "=", model.service),),
            receiver=tree.receiver if tree.receiver != root.receiver else None,
            routes=tree.routes,
            origin=f"service {model.service}",
            **{key: getattr(tree, key) for key in timings if getattr(tree, key) != getattr(root, key)},
        )
        for model, tree in zip(stack.services, trees)
    )
    return replace(root, routes=children)


def stack_inhibit_rules(stack: Stack) -> list[dict[str, Any]]:
    """The severity ladders' inhibit rules; when the services' ladders differ, each service's rules
    carry its `service` matcher, so one service's ladder never mutes another's alerts."""
    per_service = [inhibit_rules(model) for model in stack.services]
    if all(rules == per_service[0] for rules in per_service):
        return per_service[0]
    found: list[dict[str, Any]] = []
    for model, rules in zip(stack.services, per_service):
        only = str(Matcher("service", "=", model.service))
        for rule in rules:
            found.append({**rule, "source_matchers": [only, *rule["source_matchers"]],
                          "target_matchers": [only, *rule["target_matchers"]]})
    return found


def derive_stack(stack: Stack) -> AlertmanagerConfig:
    """alertmanager.yml of a stack: one service's, or the services' trees under one root, every
    channel once, one list of time intervals."""
    if not stack.fleet:
        return derive(stack.first)
    found: list[dict[str, Any]] = []
    for model in stack.services:
        found += [receiver for receiver in receivers(model) if receiver["name"] not in {r["name"] for r in found}]
    intervals: list[dict[str, Any]] = []
    for model in stack.services:
        intervals += [entry for entry in time_intervals(model) if entry["name"] not in {i["name"] for i in intervals}]
    mailing = next((model for model in stack.services if model.spec.alertmanager.smtp is not None), stack.first)
    return AlertmanagerConfig(
        global_=global_config(mailing, found),
        tree=stack_route_tree(stack),
        inhibit_rules=stack_inhibit_rules(stack),
        time_intervals=intervals,
        receivers=found,
    )


def derive(model: Model) -> AlertmanagerConfig:
    found = receivers(model)
    return AlertmanagerConfig(
        global_=global_config(model, found),
        tree=route_tree(model),
        inhibit_rules=inhibit_rules(model),
        time_intervals=time_intervals(model),
        receivers=found,
    )
