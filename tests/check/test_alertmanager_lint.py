"""`validate` on routing and receivers: inline secrets rejected for every channel type, channel
types Alertmanager 0.25 cannot express without an inline secret rejected with the version that
can, and the routing lint (warnings exit 0, errors only where it is surely a mistake)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.validate import collect
from promgen.errors import Problem


def base_spec() -> dict[str, Any]:
    return {
        "version": 1,
        "service": {"name": "shop"},
        "severities": [
            {"name": "critical", "aliases": ["P0"], "notify": ["pager"]},
            {"name": "warning", "notify": ["chat"]},
        ],
        "channels": [
            {"name": "pager", "type": "pagerduty", "routing_key_file": "/s/pd"},
            {"name": "chat", "type": "slack", "channel": "#alerts", "api_url_file": "/s/slack"},
        ],
    }


def write(spec: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def problems(spec: dict[str, Any], tmp_path: Path) -> list[Problem]:
    return collect(write(spec, tmp_path))[1]


def position(path: Path, needle: str) -> tuple[int, int]:
    """1-based line and column where `needle` first occurs in the written spec."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {path}")


def messages(found: list[Problem], level: str) -> list[str]:
    return [p.message for p in found if p.level == level]


def test_base_spec_is_clean(tmp_path: Path) -> None:
    assert problems(base_spec(), tmp_path) == []


# --- inline secrets ---------------------------------------------------------------------------

INLINE = [
    ({"type": "slack", "channel": "#a", "api_url": "https://hooks.slack.com/services/T/B/X"}, "api_url", "api_url_file"),
    ({"type": "pagerduty", "routing_key": "0123456789abcdef"}, "routing_key", "routing_key_file"),
    ({"type": "pagerduty", "service_key": "0123456789abcdef"}, "service_key", "service_key_file"),
    ({"type": "opsgenie", "api_key": "0123-4567"}, "api_key", "api_key_file"),
    ({"type": "webhook", "url": "https://hooks.example.com/", "bearer_token": "s3cret"}, "bearer_token", "bearer_token_file"),
    ({"type": "webhook", "url": "https://hooks.example.com/", "token": "s3cret"}, "token", "bearer_token_file"),
    ({"type": "msteams", "webhook_url": "https://outlook.office.com/webhook/x"}, "webhook_url", "webhook_url_file"),
    ({"type": "discord", "webhook_url": "https://discord.com/api/webhooks/1/x"}, "webhook_url", "webhook_url_file"),
    ({"type": "telegram", "chat_id": 1, "bot_token": "123:abc"}, "bot_token", "bot_token_file"),
    ({"type": "webex", "room_id": "r", "bot_token": "abc"}, "bot_token", "bot_token_file"),
]


@pytest.mark.parametrize(("channel", "field", "replacement"), INLINE, ids=[f"{c['type']}-{f}" for c, f, _ in INLINE])
def test_inline_secret_in_a_channel_is_rejected(channel: dict[str, Any], field: str, replacement: str, tmp_path: Path) -> None:
    spec = base_spec()
    spec["channels"].append({"name": "leaky", **channel})
    spec["severities"][1]["notify"].append("leaky")
    found = problems(spec, tmp_path)
    errors = [p for p in found if p.level == "error" and f"`{field}`" in p.message]
    assert len(errors) == 1, found
    assert f"reference it with `{replacement}`" in errors[0].message
    assert (errors[0].line, errors[0].column) == position(tmp_path / "promgen.yaml", f"{field}:")
    assert str(channel[field]) not in errors[0].message  # the secret is not echoed back


def test_inline_smtp_password_is_rejected(tmp_path: Path) -> None:
    spec = base_spec()
    spec["alertmanager"] = {"smtp": {"smarthost": "smtp.example.com:587", "from": "a@example.com",
                                     "auth_username": "a", "auth_password": "hunter2"}}
    errors = messages(problems(spec, tmp_path), "error")
    assert len(errors) == 1 and "`auth_password_file`" in errors[0] and "hunter2" not in errors[0]


def test_cli_rejects_an_inline_secret_with_exit_1(promgen_cli, tmp_path: Path) -> None:
    spec = base_spec()
    spec["channels"][1] = {"name": "chat", "type": "slack", "channel": "#a", "api_url": "https://hooks.slack.com/x"}
    path = write(spec, tmp_path)
    result = promgen_cli("validate", str(path))
    assert result.returncode == 1
    line, column = position(path, "api_url:")
    assert f"{path}:{line}:{column}: channels[1]: `api_url` would put a secret" in result.stdout
    assert "api_url_file" in result.stdout and "hooks.slack.com" not in result.stdout + result.stderr


# --- what Alertmanager 0.25 cannot express ------------------------------------------------------

NEWER = [
    ({"type": "msteams", "webhook_url_file": "/s/teams"}, "0.26"),
    ({"type": "discord", "webhook_url_file": "/s/discord"}, "0.26"),
    ({"type": "telegram", "chat_id": 42, "bot_token_file": "/s/telegram"}, "0.26"),
]


@pytest.mark.parametrize(("channel", "version"), NEWER, ids=[c["type"] for c, _ in NEWER])
def test_channel_types_needing_a_newer_alertmanager_are_rejected_for_the_floor(
    channel: dict[str, Any], version: str, tmp_path: Path
) -> None:
    spec = base_spec()
    spec["versions"] = {"alertmanager": "0.25"}
    spec["channels"].append({"name": "newer", **channel})
    spec["severities"][1]["notify"].append("newer")
    errors = [p for p in problems(spec, tmp_path) if p.level == "error"]
    assert len(errors) == 1, errors
    assert errors[0].message == (
        f"a {channel['type']} channel needs Alertmanager {version} or later (versions.alertmanager is 0.25)")
    line, column = position(tmp_path / "promgen.yaml", f"type: {channel['type']}")
    assert (errors[0].line, errors[0].column) == (line, column + len("type: "))
    spec.pop("versions")  # the default target, the newest Alertmanager promgen is judged against, has them
    assert not [p for p in problems(spec, tmp_path) if p.level == "error"]


def test_webhook_url_file_is_rejected_for_the_floor(tmp_path: Path) -> None:
    spec = base_spec()
    spec["versions"] = {"alertmanager": "0.25"}
    spec["channels"].append({"name": "hook", "type": "webhook", "url_file": "/s/hook"})
    spec["severities"][1]["notify"].append("hook")
    errors = messages(problems(spec, tmp_path), "error")
    assert errors == [
        "a webhook's url_file needs Alertmanager 0.26 or later (versions.alertmanager is 0.25); use `url` "
        "(with `bearer_token_file` for the credential) when the URL itself holds no secret"
    ]


# --- the routing lint -----------------------------------------------------------------------------


def test_unused_channel_is_a_warning(promgen_cli, tmp_path: Path) -> None:
    spec = base_spec()
    spec["channels"].append({"name": "spare", "type": "slack", "channel": "#spare", "api_url_file": "/s/slack"})
    path = write(spec, tmp_path)
    result = promgen_cli("validate", "--format", "json", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert [(p["level"], p["message"]) for p in report["files"][0]["problems"]] == [
        ("warning", "channel 'spare' is notified by no severity, route or alertmanager.default_channel")
    ]


def test_channel_used_only_by_a_route_or_the_default_is_used(tmp_path: Path) -> None:
    spec = base_spec()
    spec["channels"] += [
        {"name": "dba", "type": "pagerduty", "routing_key_file": "/s/dba"},
        {"name": "catch", "type": "slack", "channel": "#catch", "api_url_file": "/s/slack"},
    ]
    spec["alertmanager"] = {"default_channel": "catch", "routes": [{"matchers": ['team="db"'], "notify": ["dba"]}]}
    assert problems(spec, tmp_path) == []


def test_severity_without_channel_is_a_warning(tmp_path: Path) -> None:
    spec = base_spec()
    spec["severities"].append({"name": "info", "notify": []})
    found = problems(spec, tmp_path)
    assert messages(found, "error") == []
    assert messages(found, "warning") == [
        "severity 'info' notifies no channel: its alerts go to the default receiver 'unrouted'"
    ]


def test_unused_time_interval_is_a_warning(tmp_path: Path) -> None:
    spec = base_spec()
    spec["time_intervals"] = {"office": {"weekdays": ["monday:friday"]}}
    assert messages(problems(spec, tmp_path), "warning") == ["time interval 'office' is in no severity's `during`"]


def test_channel_named_like_the_unrouted_receiver_is_an_error(tmp_path: Path) -> None:
    spec = base_spec()
    spec["channels"][1]["name"] = "unrouted"
    spec["severities"][1]["notify"] = ["unrouted"]
    assert messages(problems(spec, tmp_path), "error") == [
        "'unrouted' names the receiver of alerts no route matches; rename the channel or set alertmanager.default_channel"
    ]
    spec["alertmanager"] = {"default_channel": "pager"}
    assert messages(problems(spec, tmp_path), "error") == []


@pytest.mark.parametrize("field", ["group_interval", "repeat_interval"])
def test_zero_interval_is_an_error(field: str, tmp_path: Path) -> None:
    spec = base_spec()
    spec["severities"][0][field] = "0s"
    assert messages(problems(spec, tmp_path), "error") == [f"{field} must be longer than 0 (Alertmanager rejects 0)"]


def with_routes(*routes: dict[str, Any]) -> dict[str, Any]:
    spec = base_spec()
    spec["channels"].append({"name": "dba", "type": "pagerduty", "routing_key_file": "/s/dba"})
    spec["alertmanager"] = {"routes": [{"notify": ["dba"], **route} for route in routes]}
    return spec


@pytest.mark.parametrize(
    "matchers",
    [
        ['team="db"', 'team="web"'],
        ['team="db"', 'team!="db"'],
        ['team="db"', 'team=~"web|api"'],
        ['team="db"', 'team!~"d.*"'],
    ],
)
def test_route_that_can_never_match_is_an_error(matchers: list[str], tmp_path: Path) -> None:
    errors = messages(problems(with_routes({"matchers": matchers}), tmp_path), "error")
    assert len(errors) == 1 and errors[0].startswith("this route can never match: "), errors


def test_compatible_matchers_are_fine(tmp_path: Path) -> None:
    spec = with_routes({"matchers": ['team="db"', 'team=~"d.*"', 'team!="web"']})
    assert problems(spec, tmp_path) == []


def test_route_shadowed_by_an_earlier_final_route_is_a_warning(tmp_path: Path) -> None:
    spec = with_routes({"matchers": ['team="db"']}, {"matchers": ['team="db"', 'env="prod"']})
    found = problems(spec, tmp_path)
    assert messages(found, "warning") == [
        "this route is never reached: alertmanager.routes[0] matches every alert it would and has no `continue`"
    ]
    spec["alertmanager"]["routes"][0]["continue"] = True
    assert problems(spec, tmp_path) == []


def test_route_catching_every_alert_is_a_warning(tmp_path: Path) -> None:
    found = problems(with_routes({"matchers": ['service="shop"']}), tmp_path)
    assert messages(found, "warning") == [
        "this route catches every alert of the service and has no `continue`: the severity routes never see one"
    ]
    continued = with_routes({"matchers": ['service="shop"'], "continue": True})
    assert problems(continued, tmp_path) == []


@pytest.mark.parametrize("matcher", ['severity="P9"', 'service="other"', 'severity=~"sev[0-9]"'])
def test_route_no_alert_of_the_spec_matches_is_a_warning(matcher: str, tmp_path: Path) -> None:
    found = problems(with_routes({"matchers": [matcher]}), tmp_path)
    assert messages(found, "error") == []
    warnings = messages(found, "warning")
    assert len(warnings) == 1 and warnings[0].endswith("the route only catches alerts other tools send")


def test_matcher_alertmanager_cannot_parse_is_an_error(tmp_path: Path) -> None:
    found = problems(with_routes({"matchers": ['team="a"b"']}), tmp_path)
    assert messages(found, "error") == ["'team=\"a\"b\"': the value has an unescaped double quote"]


def test_invalid_regex_is_an_error(tmp_path: Path) -> None:
    errors = messages(problems(with_routes({"matchers": ['team=~"(db"']}), tmp_path), "error")
    assert len(errors) == 1 and "not a Go regular expression" in errors[0]


def test_lint_warnings_do_not_fail_validate(promgen_cli, tmp_path: Path) -> None:
    spec = copy.deepcopy(with_routes({"matchers": ['service="shop"']}))
    spec["severities"].append({"name": "info"})
    path = write(spec, tmp_path)
    result = promgen_cli("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("warning: ") == 2
    assert f"{path}: ok (" in result.stdout
