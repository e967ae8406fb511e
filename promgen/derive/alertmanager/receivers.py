"""Receivers: one per channel, each integration with promgen's notification texts (Go templates
Alertmanager evaluates, data here, never Jinja source); secrets only through `*_file` fields.
Channel types newer than the floor are refused by `validate` unless `versions.alertmanager` has
them (CHANNEL_FEATURES)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from promgen.core import conventions
from promgen.errors import OutputError
from promgen.load.go_template import literal

if TYPE_CHECKING:
    from promgen.core.model import Model
    from promgen.load.models import Channel


# The feature (promgen.versions.FEATURES) a channel needs beyond the floor: its type, or, for a
# webhook, reading its URL from a file.
CHANNEL_FEATURES: dict[str, str] = {
    "msteams": "msteams", "msteamsv2": "msteamsv2", "discord": "discord", "telegram": "telegram",
    "rocketchat": "rocketchat", "jira": "jira",
}

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
