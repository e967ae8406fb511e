"""URLs in a spec: well-formed http(s) addresses that carry no credential.

A URL is copied into prometheus.yml, alertmanager.yml, rule annotations, Kubernetes objects and
the compose stack, and from there into every notification and CI log. So a password in its user
part (`https://user:pass@host`) or a query parameter that looks like a secret (`?token=...`) is
refused, naming the `*_file` field to use instead where the receiver has one. The messages never
repeat the URL: it may hold the very secret they are about.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import AfterValidator, WithJsonSchema

from promgen.errors import printable, shortened

# Query parameter names (split into words) that carry credentials.
SECRET_WORDS = frozenset({
    "token", "key", "secret", "password", "passwd", "pwd", "pw", "pass", "signature", "sig", "auth",
    "authorization", "apikey", "credential", "credentials", "session", "jwt", "hmac", "code",
})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# Webhooks whose address is itself the credential: (host, or a suffix of it after a dot; path prefix).
SECRET_PATHS: tuple[tuple[str, str, str], ...] = (
    ("hooks.slack.com", "/services/", "a Slack incoming webhook"),
    ("hooks.slack.com", "/workflows/", "a Slack workflow webhook"),
    ("hooks.slack.com", "/triggers/", "a Slack workflow webhook"),
    ("discord.com", "/api/webhooks/", "a Discord webhook"),
    ("discordapp.com", "/api/webhooks/", "a Discord webhook"),
    ("webhook.office.com", "/webhookb2/", "a Microsoft Teams webhook"),
    ("outlook.office.com", "/webhook/", "a Microsoft Teams webhook"),
    ("outlook.office365.com", "/webhook/", "a Microsoft Teams webhook"),
    ("logic.azure.com", "/workflows/", "a Power Automate (Teams workflow) webhook"),
    ("api.telegram.org", "/bot", "a Telegram bot address"),
    ("events.pagerduty.com", "/integration/", "a PagerDuty integration address"),
    ("chat.googleapis.com", "/v1/spaces/", "a Google Chat webhook"),
)


def secret_parameter(name: str) -> bool:
    """Whether a query parameter name says it holds a secret: `token`, `api_key`, `X-Amz-Signature`,
    `accessToken`, `auth`..."""
    words = [w.lower() for w in _WORD.findall(name)]
    joined = "".join(words)
    return any(w in SECRET_WORDS for w in words) or joined.endswith(("token", "secret", "password", "apikey"))


def problem(url: str, *, path_only: bool = False) -> str | None:
    """Why `url` is not a well-formed, credential-free http(s) URL (or, with `path_only`, an
    absolute URL path); None when it is fine. Never quotes the URL."""
    if any(not char.isprintable() or char.isspace() for char in url):
        return "a URL cannot contain spaces or control characters (percent-encode them)"
    if path_only:
        if not url.startswith("/"):
            return "a path starts with /"
        if "?" in url or "#" in url:
            return "a scrape path cannot hold a query string or fragment (Prometheus would escape the `?`)"
        return None
    if not re.match(r"^https?://", url):
        return "must be an http:// or https:// URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
    except ValueError:
        return "is not a valid URL (its host or port cannot be read)"
    if "@" in parts.netloc:
        return "the URL carries a user name or password (`user:...@`)"
    if not parts.hostname:
        return "the URL has no host"
    host = parts.hostname.rstrip(".").lower()
    for known, prefix, what in SECRET_PATHS:
        if (host == known or host.endswith("." + known)) and parts.path.startswith(prefix):
            return f"the URL is {what}, whose address is itself the credential"
    for where, text in (("query parameter", parts.query), ("fragment parameter", parts.fragment),
                        ("path parameter", ";".join(segment.partition(";")[2] for segment in parts.path.split("/")))):
        for name, _value in parse_qsl(text.replace(";", "&"), keep_blank_values=True):
            if secret_parameter(name):
                return f"the URL's {where} `{printable(shortened(name, 40))}` looks like a credential"
    return None


def may_hold_secret(value: object) -> bool:
    """Whether a value a message would quote may carry a credential (a URL, `user:secret@host`, a
    `name=value` pair): such a value is described, never repeated."""
    return isinstance(value, str) and any(mark in value for mark in ("@", "://", "=", ":/"))


def quoted(value: object) -> str:
    """`value` as a message shows it: its repr, unless it may hold a credential."""
    if may_hold_secret(value):
        return "a value that may hold a credential (not shown)"
    return shortened(repr(value))


def _checked(advice: str, *, path_only: bool = False) -> Any:
    def check(value: str) -> str:
        reason = problem(value, path_only=path_only)
        if reason is None:
            return value
        if "credential" in reason or "password" in reason:
            reason += f"; {advice}"
        raise ValueError(reason)

    return AfterValidator(check)


def _schema(path_only: bool = False) -> Any:
    return WithJsonSchema({"type": "string", "pattern": "^/" if path_only else "^https?://"})


WebhookURL = Annotated[str, _checked(
    "put the whole URL in a file and reference it with `url_file` (Alertmanager 0.26 or later), or send the "
    "token with `bearer_token_file`"), _schema()]
OpsgenieURL = Annotated[str, _checked("the API key belongs in `api_key_file`"), _schema()]
RemoteWriteURL = Annotated[str, _checked(
    "use `bearer_token_file` or `basic_auth: {username, password_file}` for the credential"), _schema()]
ProbeURL = Annotated[str, _checked(
    "the blackbox exporter receives the URL as a parameter and Prometheus stores it as the `instance` label: "
    "probe an address that needs no credential in it"), _schema()]
RunbookURL = Annotated[str, _checked(
    "runbook links are written into every alert and notification: link to a page that needs no credential "
    "in its address"), _schema()]
ScrapePath = Annotated[str, _checked("", path_only=True), _schema(path_only=True)]
