"""`promgen routes` answers as `amtool config routes test` does on the rendered alertmanager.yml.

The oracle is the real amtool (0.25 and 0.33, on the file rendered for each) run on the very file
`promgen render` writes, for every example x every severity and alias x a label set without a
severity, plus label sets that reach each extra route; and for a spec built to exercise every
matcher operator, escaping, `continue` and shadowing, over a product of label values.
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.routes import answer, parse_labels
from promgen.cli.validate import load_valid
from promgen.core import conventions
from promgen.core.model import build_model
from promgen.derive.alertmanager import matchers as am_matchers
from promgen.derive.alertmanager import routes
from tests.support import (
    EXAMPLE_NAMES,
    ROOT,
    example_path,
    judge,
    release_cases,
    rendered,
)


def amtool_receivers(config: Path, args: list[str], release: str = "newest") -> list[str]:
    """Receivers `amtool config routes test` prints (comma-separated, on its last line)."""
    result = subprocess.run(
        [judge("amtool", release), "config", "routes", "test", f"--config.file={config}", *args],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return lines[-1].strip().split(",")


def promgen_receivers(spec: Path, args: list[str]) -> list[str]:
    loaded, _ = load_valid(spec)
    tree = routes.route_tree(build_model(loaded.spec, "x"))
    return answer(tree, parse_labels(args), tree=False)


def label_sets(spec_path: Path) -> list[list[str]]:
    """Every severity name and alias, none, and each with the labels that reach each extra route."""
    loaded, _ = load_valid(spec_path)
    spec = loaded.spec
    service = [f"service={spec.service.name}", "alertname=SomethingBroke"]
    severities = [[f"severity={n}"] for s in spec.severities for n in [s.name, *s.aliases]]
    severities += [[], ["severity=unknown"]]
    extras: list[list[str]] = [[]]
    for route in spec.alertmanager.routes:
        matchers = [am_matchers.parse_matcher(m) for m in route.matchers]
        extras.append([f"{m.name}={m.value}" for m in matchers if m.op == "="])
    return [service + extra + severity for extra in extras for severity in severities]


def example_cases() -> list[Any]:
    return [
        pytest.param(case.values[0], case.values[1], labels, id=f"{case.id}-{' '.join(labels[2:]) or '-'}")
        for case in release_cases()
        for labels in label_sets(example_path(case.values[0]))
    ]


@pytest.fixture(scope="module")
def example_configs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("alertmanager")
    paths = {}
    for case in release_cases():
        name, release = case.values
        paths[name, release] = out / f"{name}-{release}.yml"
        paths[name, release].write_text(rendered(name, release=release)[conventions.ALERTMANAGER_FILE], encoding="utf-8")
    return paths


@pytest.mark.judge
@pytest.mark.parametrize(("example", "release", "labels"), example_cases())
def test_examples_agree_with_amtool(
    example: str, release: str, labels: list[str], example_configs: dict[tuple[str, str], Path]
) -> None:
    expected = amtool_receivers(example_configs[example, release], labels, release)
    assert promgen_receivers(example_path(example), labels) == expected


@pytest.mark.judge
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_cli_agrees_with_amtool(example: str, example_configs: dict[tuple[str, str], Path], promgen_cli) -> None:
    """The command as a user runs it, for the most urgent severity by its last alias."""
    loaded, _ = load_valid(example_path(example))
    top = loaded.spec.severities[0]
    labels = [f"severity={[top.name, *top.aliases][-1]}", f"service={loaded.spec.service.name}"]
    result = promgen_cli("routes", f"examples/{example}/promgen.yaml", *labels)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == amtool_receivers(example_configs[example, "newest"], labels)
    assert result.stdout.splitlines() == list(top.notify)


def test_examples_cover_every_channel_a_severity_notifies() -> None:
    """The oracle cases are not vacuous: together they reach every channel the severities notify."""
    for name in EXAMPLE_NAMES:
        loaded, _ = load_valid(example_path(name))
        reached = {r for labels in label_sets(example_path(name)) for r in promgen_receivers(example_path(name), labels)}
        notified = {c for s in loaded.spec.severities for c in s.notify}
        assert notified <= reached, (name, notified - reached)


# --- a spec that exercises every matcher operator, escaping, continue and shadowing ---------

TRICKY: dict[str, Any] = {
    "version": 1,
    "service": {"name": "shop"},
    "severities": [
        {"name": "critical", "aliases": ["P0", "sev-1"], "notify": ["pager", "chat", "mail"]},
        {"name": "warning", "aliases": ["P1"], "notify": ["chat"]},
        {"name": "quiet", "notify": []},
        {"name": "info", "aliases": ["P2"], "notify": ["mail"]},
    ],
    "channels": [
        {"name": "pager", "type": "pagerduty", "routing_key_file": "/s/pd"},
        {"name": "dba", "type": "pagerduty", "routing_key_file": "/s/dba"},
        {"name": "chat", "type": "slack", "channel": "#alerts", "api_url_file": "/s/slack"},
        {"name": "audit", "type": "webhook", "url": "http://audit:8080/"},
        {"name": "mail", "type": "email", "to": "ops@example.com"},
    ],
    "alertmanager": {
        "smtp": {"smarthost": "smtp.example.com:25", "from": "am@example.com"},
        "routes": [
            {"matchers": ['team=~"db|data.*"', 'env!="dev"'], "notify": ["dba", "audit"], "continue": True},
            {"matchers": ['team="say \\"hi\\""'], "notify": ["audit"]},
            {"matchers": ["env=staging"], "notify": ["chat"]},
            {"matchers": ['env!~"prod|staging"', 'team!=""'], "notify": ["audit"], "continue": True},
        ],
    },
}
TEAMS = [None, "db", "data-lake", 'say "hi"', "web"]
ENVS = [None, "prod", "staging", "dev"]
SEVERITIES = [None, "critical", "P0", "sev-1", "warning", "P1", "quiet", "info", "P2", "other"]


def tricky_cases() -> list[list[str]]:
    cases = []
    for team, env, severity in itertools.product(TEAMS, ENVS, SEVERITIES):
        labels = [f"{k}={v}" if '"' not in v else f'{k}="{v.replace(chr(34), chr(92) + chr(34))}"'
                  for k, v in (("team", team), ("env", env), ("severity", severity)) if v is not None]
        cases.append(labels)
    return cases


@pytest.mark.judge
def test_tricky_spec_agrees_with_amtool(tmp_path: Path) -> None:
    spec = tmp_path / "promgen.yaml"
    spec.write_text(yaml.safe_dump(TRICKY, sort_keys=False), encoding="utf-8")
    config = tmp_path / "alertmanager.yml"
    from promgen.cli.render import plan

    config.write_text(plan(spec, ["alertmanager"])[conventions.ALERTMANAGER_FILE], encoding="utf-8")
    disagreements = []
    seen: set[tuple[str, ...]] = set()
    for labels in tricky_cases():
        ours = promgen_receivers(spec, labels)
        seen.add(tuple(ours))
        theirs = amtool_receivers(config, labels)
        if ours != theirs:
            disagreements.append(f"{' '.join(labels)}: promgen {ours} amtool {theirs}")
    assert not disagreements, "\n".join(disagreements)
    assert len(seen) >= 8, seen  # the cases reach many different receiver lists


# --- the command line ---------------------------------------------------------------------------


def test_cli_prints_one_receiver_per_line(promgen_cli) -> None:
    result = promgen_cli("routes", "examples/pynomaly/promgen.yaml", "severity=P0", "service=pynomaly")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "pagerduty-oncall\nslack-incident-response\n"


def test_cli_without_severity_reaches_the_default_receiver(promgen_cli) -> None:
    result = promgen_cli("routes", "examples/promethium/promgen.yaml", "team=platform")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{conventions.UNROUTED_RECEIVER}\n"


def test_cli_tree_marks_the_routes_reached(promgen_cli) -> None:
    result = promgen_cli("routes", "examples/pynomaly/promgen.yaml", "--tree", "severity=P1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("root  -> slack-monitoring  group_by=[alertname, service, severity]  group_wait=30s  "
                        "group_interval=5m  repeat_interval=4h")
    reached = [line for line in lines if line.endswith("<- reached")]
    assert reached == ["│   ├── *  -> slack-alerts  continue  <- reached", "│   └── *  -> pagerduty-oncall-low  <- reached"]


def test_cli_tree_shows_each_severitys_response_expectations(promgen_cli) -> None:
    result = promgen_cli("routes", "examples/automation-orchestrator/promgen.yaml", "--tree")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert ('├── {severity="critical"}  -> pagerduty-critical  group_wait=10s  repeat_interval=1h  '
            "(respond within 5m; resolve within 1h)") in lines
    assert ('└── {severity="low"}  -> email-ops  repeat_interval=2d  during=business-hours  '
            "(resolve within 48h; respond by the next business day)") in lines
    fleet = promgen_cli("routes", "examples/platform", "--tree").stdout.splitlines()
    # in a stack, only the service that states them: image-jobs' critical route says nothing
    assert any("{severity=\"critical\"}" in line and "(respond within 5m; resolve within 1h)" in line for line in fleet)
    image_jobs = fleet.index('├── {service="image-jobs"}')
    assert "respond" not in fleet[image_jobs + 1]


def test_cli_tree_without_labels_marks_nothing(promgen_cli) -> None:
    result = promgen_cli("routes", "examples/pynomaly/promgen.yaml", "--tree")
    assert result.returncode == 0, result.stderr
    assert "reached" not in result.stdout
    assert result.stdout.count("\n") == 1 + routes.route_tree(
        build_model(load_valid(example_path("pynomaly"))[0].spec, "x")).count()


@pytest.mark.parametrize("bad", ["severity", "severity=~P0", "severity!=P0", "=P0", 'severity="P0', "9x=1"])
def test_cli_bad_label_syntax_is_a_usage_error(promgen_cli, bad: str) -> None:
    result = promgen_cli("routes", "examples/promptforge/promgen.yaml", bad)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "LABELS" in result.stderr and "Traceback" not in result.stderr


def test_cli_label_given_twice_is_a_usage_error(promgen_cli) -> None:
    result = promgen_cli("routes", "examples/promptforge/promgen.yaml", "severity=P0", "severity=P1")
    assert result.returncode == 2
    assert "given twice" in result.stderr


def test_cli_bad_spec_exits_1_with_position(promgen_cli, tmp_path: Path) -> None:
    spec = tmp_path / "promgen.yaml"
    spec.write_text(
        "version: 1\nservice: {name: shop}\nseverities:\n  - {name: critical, notify: [pager]}\n",
        encoding="utf-8",
    )
    result = promgen_cli("routes", str(spec), "severity=critical")
    assert result.returncode == 1
    assert f"{spec}:4:31: unknown channel 'pager'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_missing_spec_exits_1(promgen_cli) -> None:
    result = promgen_cli("routes", "examples/does-not-exist.yaml", "severity=P0")
    assert result.returncode == 1
    assert "examples/does-not-exist.yaml:1:1: no such file" in result.stderr


# --- matchers, as Alertmanager parses them ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ('team="database"', "team", "=", "database"),
        ("team=database", "team", "=", "database"),
        ('  env =~ "prod|staging" ', "env", "=~", "prod|staging"),
        ('msg="say \\"hi\\""', "msg", "=", 'say "hi"'),
        ('path="a\\\\b"', "path", "=", "a\\b"),
        ('x="line\\nbreak"', "x", "=", "line\nbreak"),
        ('re=~"\\d+"', "re", "=~", "\\d+"),
        ('a!=""', "a", "!=", ""),
        ("a!~b.*", "a", "!~", "b.*"),
    ],
)
def test_parse_matcher(text: str, name: str, op: str, value: str) -> None:
    matcher = am_matchers.parse_matcher(text)
    assert (matcher.name, matcher.op, matcher.value) == (name, op, value)
    assert am_matchers.parse_matcher(str(matcher)) == matcher  # the written form reads back the same


@pytest.mark.parametrize("text", ['a="b', 'a="b"c"', "a", "=b", 'a=~"("'])
def test_parse_matcher_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        am_matchers.parse_matcher(text)


def test_matchers_are_anchored_and_missing_labels_are_empty() -> None:
    regex = am_matchers.parse_matcher('env=~"prod"')
    assert regex.matches({"env": "prod"}) and not regex.matches({"env": "production"})
    assert am_matchers.parse_matcher('team=""').matches({})
    assert am_matchers.parse_matcher('team!~".+"').matches({"other": "x"})


def test_example_extra_routes_come_first() -> None:
    tree = routes.route_tree(build_model(load_valid(ROOT / "examples/pynomaly/promgen.yaml")[0].spec, "x"))
    origins = [route.origin for route in tree.routes]
    assert origins[:3] == ["alertmanager.routes[0]", "alertmanager.routes[1]", "alertmanager.routes[2]"]
    assert all(o.startswith("severity ") for o in origins[3:])


def test_a_label_spelt_like_a_routed_one_gets_a_hint(tmp_path: Path) -> None:
    from tests.conftest import run_promgen

    result = run_promgen("routes", "examples/promptforge/promgen.yaml", "sevrity=critical", "alertname=X")
    assert result.returncode == 0
    assert result.stderr == ("hint: no route matches on label 'sevrity' (routes match on: severity), so it does not "
                             "change where the alert goes; did you mean \"severity\"?\n")
