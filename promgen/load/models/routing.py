"""Who is told and how: the severity ladder, channels, time intervals and Alertmanager settings."""

from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from promgen.load import time_ranges
from promgen.load.models.base import (
    INT32_MAX,
    HostPort,
    LabelName,
    Name,
    SecretFile,
    Strict,
    empty_list,
)
from promgen.load.models.metrics import Response, Runbook
from promgen.load.units import Duration
from promgen.load.urls import OpsgenieURL, WebhookURL

# --- routing --------------------------------------------------------------------------------


class Escalation(Strict):
    """Who else hears of an alert of the severity that is still firing `after` it started firing."""

    after: Duration = Field(description="how long the alert has fired before the escalation channels hear of it")
    notify: list[Name] = Field(min_length=1, description="channel names")


class Severity(Strict):
    name: Name
    aliases: list[Name] = Field(default_factory=empty_list)
    notify: list[Name] = Field(default_factory=empty_list, description="channel names")
    during: Annotated[
        list[Name],
        WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
    ] = Field(default_factory=empty_list, description="time intervals when it notifies")
    group_by: list[LabelName] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    response: Response | None = Field(default=None, description="what the people it reaches have agreed to")
    runbook: Runbook | None = Field(default=None, description="what every alert of this severity asks, after its own runbook")
    escalate: Escalation | None = Field(
        default=None, description="still firing after this long, its alerts also notify these channels")

    @field_validator("during", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ChannelBase(Strict):
    name: Name
    send_resolved: bool = True


class EmailChannel(ChannelBase):
    type: Literal["email"]
    to: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    from_: str | None = Field(default=None, alias="from")


class SlackChannel(ChannelBase):
    type: Literal["slack"]
    channel: Annotated[str, Field(pattern=r"^[#@]?[A-Za-z0-9._-]+$")]
    api_url_file: SecretFile
    username: str | None = None


class PagerDutyChannel(ChannelBase):
    type: Literal["pagerduty"]
    routing_key_file: SecretFile | None = Field(default=None, description="Events API v2 integration key")
    service_key_file: SecretFile | None = Field(default=None, description="Events API v1 integration key")

    @model_validator(mode="after")
    def _one_key(self) -> "PagerDutyChannel":
        if (self.routing_key_file is None) == (self.service_key_file is None):
            raise ValueError("a pagerduty channel needs exactly one of routing_key_file or service_key_file")
        return self


class WebhookChannel(ChannelBase):
    type: Literal["webhook"]
    url: WebhookURL | None = None
    url_file: SecretFile | None = None
    bearer_token_file: SecretFile | None = None
    max_alerts: int = Field(default=0, ge=0, le=INT32_MAX)

    @model_validator(mode="after")
    def _one_url(self) -> "WebhookChannel":
        if (self.url is None) == (self.url_file is None):
            raise ValueError("a webhook channel needs exactly one of url or url_file")
        return self


class OpsgenieChannel(ChannelBase):
    type: Literal["opsgenie"]
    api_key_file: SecretFile
    api_url: OpsgenieURL | None = None
    team: str | None = None


class MSTeamsChannel(ChannelBase):
    """Microsoft Teams through an incoming-webhook connector (Alertmanager 0.26 or later)."""

    type: Literal["msteams"]
    webhook_url_file: SecretFile


class MSTeamsV2Channel(ChannelBase):
    """Microsoft Teams through a Power Automate workflow webhook (Alertmanager 0.28 or later)."""

    type: Literal["msteamsv2"]
    webhook_url_file: SecretFile


class DiscordChannel(ChannelBase):
    type: Literal["discord"]
    webhook_url_file: SecretFile


class TelegramChannel(ChannelBase):
    type: Literal["telegram"]
    bot_token_file: SecretFile
    chat_id: int = Field(ge=-(2**63), le=2**63 - 1, description="not 0: Alertmanager refuses a missing chat")

    @field_validator("chat_id")
    @classmethod
    def _chat_given(cls, value: int) -> int:
        if value == 0:
            raise ValueError("chat_id 0 names no chat (Alertmanager refuses it): give the chat's or channel's id")
        return value
    parse_mode: Literal["HTML", "Markdown", "MarkdownV2"] = "HTML"


class WebexChannel(ChannelBase):
    type: Literal["webex"]
    room_id: str
    bot_token_file: SecretFile


class RocketChatChannel(ChannelBase):
    """Rocket.Chat (Alertmanager 0.28 or later): a personal access token and its user id, both files."""

    type: Literal["rocketchat"]
    channel: Annotated[str, Field(pattern=r"^[#@]?[A-Za-z0-9._-]+$")]
    api_url: OpsgenieURL | None = Field(default=None, description="the Rocket.Chat server (default open.rocket.chat)")
    token_id_file: SecretFile
    token_file: SecretFile


class JiraChannel(ChannelBase):
    """An issue per alert group in Jira (Alertmanager 0.28 or later), with basic auth."""

    type: Literal["jira"]
    api_url: OpsgenieURL = Field(description="the Jira REST API, e.g. https://example.atlassian.net/rest/api/2")
    project: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
    issue_type: str = Field(default="Bug", min_length=1)
    username: str = Field(min_length=1)
    password_file: SecretFile = Field(description="the API token or password")


Channel = Annotated[
    Union[
        EmailChannel,
        SlackChannel,
        PagerDutyChannel,
        WebhookChannel,
        OpsgenieChannel,
        MSTeamsChannel,
        MSTeamsV2Channel,
        DiscordChannel,
        TelegramChannel,
        WebexChannel,
        RocketChatChannel,
        JiraChannel,
    ],
    Field(discriminator="type"),
]
CHANNEL_TYPES = ("email", "slack", "pagerduty", "webhook", "opsgenie", "msteams", "msteamsv2", "discord", "telegram",
                 "webex", "rocketchat", "jira")

# Inline secrets users are tempted to write, and the field that references a file instead.
INLINE_SECRET_FIELDS: dict[str, str] = {
    "api_url": "api_url_file",
    "routing_key": "routing_key_file",
    "service_key": "service_key_file",
    "api_key": "api_key_file",
    "webhook_url": "webhook_url_file",
    "bot_token": "bot_token_file",
    "auth_password": "auth_password_file",
    "password": "password_file",
    "bearer_token": "bearer_token_file",
    "token": "bearer_token_file",
    "token_id": "token_id_file",
    "url_secret": "url_file",
}
# Where a channel type names its file field differently.
INLINE_SECRET_BY_TYPE: dict[str, dict[str, str]] = {"rocketchat": {"token": "token_file"}}


class TimeInterval(Strict):
    weekdays: list[Annotated[str, Field(pattern=r"^[a-z]+(:[a-z]+)?$")]] = Field(default_factory=empty_list)
    times: list[Annotated[str, Field(pattern=r"^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$")]] = Field(
        default_factory=empty_list
    )
    days_of_month: list[Annotated[str, BeforeValidator(time_ranges._as_text), AfterValidator(time_ranges.day_of_month)]] = Field(
        default_factory=empty_list, description="1 to 31, or -1 to -31 from the end of the month; ranges start:end"
    )
    months: list[Annotated[str, BeforeValidator(time_ranges._as_text), AfterValidator(time_ranges.month)]] = Field(
        default_factory=empty_list, description="names or 1 to 12; ranges start:end"
    )
    years: list[Annotated[str, BeforeValidator(time_ranges._as_text), AfterValidator(time_ranges.year)]] = Field(
        default_factory=empty_list
    )
    location: str | None = Field(default=None, description="IANA time zone, e.g. Europe/Berlin")


class Smtp(Strict):
    smarthost: HostPort
    from_: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(alias="from")
    auth_username: str | None = None
    auth_password_file: SecretFile | None = None
    require_tls: bool = True


class ExtraRoute(Strict):
    matchers: list[str] = Field(min_length=1, description='Alertmanager matchers, e.g. team="database"')
    notify: list[Name] = Field(min_length=1)
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[LabelName] | None = None


class AlertmanagerSettings(Strict):
    smtp: Smtp | None = None
    resolve_timeout: Duration = Duration("5m")
    group_by: list[LabelName] = Field(default_factory=lambda: ["alertname", "service"])
    group_wait: Duration = Duration("30s")
    group_interval: Duration = Duration("5m")
    repeat_interval: Duration = Duration("4h")
    default_channel: Name | None = Field(default=None, description="receives alerts that match no severity")
    routes: list[ExtraRoute] = Field(default_factory=empty_list, description="routes by other labels, before severities")
