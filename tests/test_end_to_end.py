"""The rendered stack works: real Prometheus and Alertmanager, fed by a fake service, notify a webhook.

First the render options a local dry run needs (--target, --receivers-to, --alertmanager,
--compress-time): what they put in the files, that the judges accept the result, and their
errors. Then, for two examples, the whole stack on 127.0.0.1: healthy, failing, recovered.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.routes import answer
from promgen.cli.validate import load_valid
from promgen.core import conventions
from promgen.core.model import Model, RenderOptions, build_model
from promgen.derive.alertmanager.routes import route_tree
from promgen.load.units import Duration
from tests.conftest import run_promgen
from tests.e2e.harness import (
    MetricsService,
    Receiver,
    RequestMetrics,
    Traffic,
    free_port,
    start_alertmanager,
    start_prometheus,
    wait_until,
)
from tests.support import (
    RELEASES,
    checkable_config,
    example_path,
    judge,
    release_cases,
    snapshot_extension,
    spec_for,
)

PROMETHEUS_CONFIG = conventions.PROMETHEUS_CONFIG_FILE
AM_CONFIG = conventions.ALERTMANAGER_FILE
COMPRESSION = 60  # 30d -> 12h, so 5m -> 5s and 1h -> 1m: burn-rate windows of at least 5 one-second scrapes


def spec_of(example: str) -> str:
    return f"examples/{example}/promgen.yaml"  # relative to ROOT, where run_promgen runs


def render_cli(example: str, out: Path, *options: str, release: str = "newest") -> dict[str, str]:
    spec = spec_of(example) if release == "newest" else str(spec_for(example, release))
    result = run_promgen("render", spec, "-o", str(out), "--only", "prometheus,alertmanager", *options)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != conventions.MANIFEST_FILE
    }


def promtool(*args: str, cwd: Path, release: str = "newest") -> subprocess.CompletedProcess[str]:
    return subprocess.run([judge("promtool", release), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def rules_of(files: dict[str, str], service: str) -> dict[str, dict[str, Any]]:
    """alert/record name (+ severity for alerts) -> rule, from the service's rendered rule files."""
    prefix = conventions.rules_dir(service) + "/"
    groups = [group for path, text in sorted(files.items()) if path.startswith(prefix)
              for group in yaml.safe_load(text)["groups"]]
    found: dict[str, dict[str, Any]] = {}
    for group in groups:
        for rule in group["rules"]:
            key = rule.get("record") or f"{rule['alert']}/{rule['labels']['severity']}"
            found[key] = rule
    return found


# --- render options: what the files contain -----------------------------------------------------

DRY_RUN = (
    "--target", "promptforge=127.0.0.1:18000",
    "--receivers-to", "http://127.0.0.1:15001/hook",
    "--alertmanager", "127.0.0.1:19093",
    "--compress-time", str(COMPRESSION),
)


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return render_cli("promptforge", tmp_path_factory.mktemp("dry-run"), *DRY_RUN)


def test_target_and_alertmanager_point_prometheus_at_loopback(dry_run: dict[str, str]) -> None:
    config = yaml.safe_load(dry_run[PROMETHEUS_CONFIG])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["promptforge"]["static_configs"] == [{"targets": ["127.0.0.1:18000"]}]
    assert config["alerting"]["alertmanagers"] == [{"static_configs": [{"targets": ["127.0.0.1:19093"]}]}]
    # the blackbox job keeps its probe URLs: --target names scrape jobs of the spec only
    probed = [target for group in jobs["promptforge-blackbox"]["static_configs"] for target in group["targets"]]
    assert probed == ["http://backend:8000/health", "http://backend:8000/health/detailed"]


def test_receivers_to_keeps_every_receiver_name(dry_run: dict[str, str]) -> None:
    config = yaml.safe_load(dry_run[AM_CONFIG])
    hook = [{"send_resolved": True, "url": "http://127.0.0.1:15001/hook"}]
    assert config["receivers"] == [
        {"name": name, "webhook_configs": hook}
        for name in ("email-oncall",)  # the default channel: no `unrouted` receiver is needed
    ]
    assert "smtp_smarthost" not in config["global"]  # no email receiver is left to need it


def test_compress_time_divides_clocks_and_windows(dry_run: dict[str, str]) -> None:
    config = yaml.safe_load(dry_run[PROMETHEUS_CONFIG])
    clocks = (config["global"]["scrape_interval"], config["global"]["evaluation_interval"])
    assert clocks == ("1s", "1s")  # 15s / 60, at least 1s
    rules = rules_of(dry_run, "promptforge")
    # alert `for`: 5m -> 5s, 1m -> 1s, 10m -> 10s
    assert {name: rules[name].get("for") for name in (
        "HighErrorRate/critical", "SlowRequests/warning", "DatabaseDown/critical", "HighMemoryUsage/warning")} == {
        "HighErrorRate/critical": "5s", "SlowRequests/warning": "5s", "DatabaseDown/critical": "1s",
        "HighMemoryUsage/warning": "10s"}
    # rate windows written in an explicit expression stay as written
    assert "[5m]" in rules["HighErrorRate/critical"]["expr"]
    # SLO window 30d -> 12h: burn-rate windows 5m/1h -> 5s/1m, 30m/6h -> 30s/6m, 2h/1d -> 2m/24m, 6h/3d -> 6m/1h12m
    recorded = sorted((name for name in rules if name.startswith("slo:sli_error:ratio_rate")), key=len)
    windows = {name.removeprefix("slo:sli_error:ratio_rate") for name in recorded}
    assert windows == {"5s", "30s", "1m", "2m", "6m", "24m", "1h12m", "12h"}
    page = rules["AvailabilityErrorBudgetBurn/critical"]["expr"]
    assert "slo:sli_error:ratio_rate1m{" in page and "slo:sli_error:ratio_rate5s{" in page and "> 0.0144" in page
    assert "[5s]" in rules["slo:sli_error:rate5s"]["expr"] and "[5s]" in rules["slo:sli_total:rate5s"]["expr"]
    assert "[1m])" in rules["slo:sli_error:ratio_rate1m"]["expr"] and "offset 1m" in rules["slo:sli_error:ratio_rate1m"]["expr"]
    route = yaml.safe_load(dry_run[AM_CONFIG])["route"]
    # the guide's group_wait 10s -> 1s (floor), group_interval 10s -> 1s, repeat_interval 1h -> 1m
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("1s", "1s", "1m")


def test_compress_time_keeps_scrape_timeouts_within_intervals(tmp_path: Path) -> None:
    files = render_cli("pynomaly", tmp_path, "--compress-time", str(COMPRESSION))
    config = yaml.safe_load(files[PROMETHEUS_CONFIG])
    assert (config["global"]["scrape_interval"], config["global"]["scrape_timeout"]) == ("1s", "1s")
    cadvisor = next(job for job in config["scrape_configs"] if job["job_name"] == "kubelet-cadvisor")
    assert (cadvisor["scrape_interval"], cadvisor["scrape_timeout"]) == ("1s", "1s")  # 30s / 10s
    rules = rules_of(files, "pynomaly")
    assert rules["AvailabilitySLINoData/warning"]["for"] == "10s"  # the SLO no-data alert's 10m too
    route = yaml.safe_load(files[AM_CONFIG])["route"]
    critical = next(r for r in route["routes"] if r.get("matchers") == ['severity=~"critical|P0"'])
    assert (critical["group_wait"], critical["repeat_interval"]) == ("1s", "30s")  # 10s, 30m


@pytest.mark.parametrize(
    ("factor", "written", "expected"),
    [(60, "5m", "5s"), (60, "1h", "1m"), (60, "10s", "1s"), (60, "90s", "1s"), (7, "1m", "8s"), (60, "0s", "0s"),
     (1, "1h30m", "1h30m")],
)
def test_compressed_durations_are_whole_seconds_at_least_one(factor: int, written: str, expected: str) -> None:
    options = RenderOptions().compress_time(factor) if factor > 1 else RenderOptions()
    assert str(options.compressed(Duration(written))) == expected


def test_compress_time_also_scales_slo_windows() -> None:
    options = RenderOptions().compress_time(COMPRESSION)
    assert (options.time_compression, options.slo_time_scale) == (COMPRESSION, 1 / COMPRESSION)


def test_repeated_target_scrapes_every_address(tmp_path: Path) -> None:
    files = render_cli("promptforge", tmp_path, "--target", "promptforge=127.0.0.1:1",
                       "--target", "promptforge=[::1]:2")
    config = yaml.safe_load(files[PROMETHEUS_CONFIG])
    assert config["scrape_configs"][0]["static_configs"] == [{"targets": ["127.0.0.1:1", "[::1]:2"]}]


def test_without_options_the_output_is_unchanged(tmp_path: Path) -> None:
    plain = render_cli("promptforge", tmp_path / "plain")
    assert render_cli("promptforge", tmp_path / "one", "--compress-time", "1") == plain
    result = run_promgen("render", spec_of("promptforge"), "-o", str(tmp_path / "plain"), "--only",
                         "prometheus,alertmanager", "--check", "--compress-time", "2")
    assert result.returncode == 1  # --check compares with what these options would write
    result = run_promgen("render", spec_of("promptforge"), "-o", str(tmp_path / "one"), "--only",
                         "prometheus,alertmanager", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--target", "promptforg=127.0.0.1:8000"), 1,
         "the spec has no scrape job 'promptforg' (jobs: promptforge);"
         " did you mean \"promptforge\"?"),
        (("--target", "nope=127.0.0.1:8000"), 1, "the spec has no scrape job 'nope'"),
        (("--target", "127.0.0.1:8000"), 2, "is not JOB=HOST:PORT"),
        (("--target", "promptforge=backend"), 2, "'backend' is not HOST:PORT"),
        (("--target", "promptforge=backend:99999"), 2, "is not HOST:PORT"),
        (("--receivers-to", "127.0.0.1:5001"), 2, "must be an http:// or https:// URL"),
        (("--receivers-to", "http://me:pw@127.0.0.1:5001/"), 2, "carries a user name or password"),
        (("--alertmanager", "http://127.0.0.1:9093"), 2, "is not HOST:PORT"),
        (("--compress-time", "0"), 2, "--compress-time"),
        (("--compress-time", "1.5"), 2, "--compress-time"),
    ],
)
def test_bad_render_options(args: tuple[str, ...], code: int, message: str, tmp_path: Path) -> None:
    result = run_promgen("render", spec_of("promptforge"), "-o", str(tmp_path / "out"), *args)
    outcome = (result.returncode, message in result.stderr, "Traceback" in result.stderr)
    assert outcome == (code, True, False), result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.judge
@pytest.mark.parametrize(("example", "release"), release_cases())
def test_judges_accept_a_compressed_dry_run(example: str, release: str, tmp_path: Path) -> None:
    model = model_of(example)
    targets = [arg for job in model.jobs for arg in ("--target", f"{job}=127.0.0.1:18000")]
    render_cli(example, tmp_path, *targets, "--receivers-to", "http://127.0.0.1:15001/hook",
               "--alertmanager", "127.0.0.1:19093", "--compress-time", str(COMPRESSION), release=release)
    prometheus = tmp_path / "prometheus"
    rules = sorted(p.relative_to(prometheus).as_posix() for p in (prometheus / "rules").rglob("*.yml"))
    tests = sorted(p.relative_to(prometheus).as_posix() for p in (prometheus / "tests").rglob("*.yml"))
    config = checkable_config(prometheus / "prometheus.yml").name
    for args in (("check", "config", config), ("check", "rules", "--lint-fatal", *rules),
                 ("test", "rules", *tests)):
        result = promtool(*args, cwd=prometheus, release=release)
        assert result.returncode == 0, (args, result.stdout + result.stderr)
    result = subprocess.run([judge("amtool", release), "check-config", str(tmp_path / AM_CONFIG)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [PROMETHEUS_CONFIG, conventions.slo_rules_file("promptforge", "availability"), AM_CONFIG],
                         ids=lambda path: path.rsplit(".", 1)[0].replace("/", "__"))
def test_dry_run_snapshot(path: str, dry_run: dict[str, str], snapshot: Any) -> None:
    assert dry_run[path] == snapshot(extension_class=snapshot_extension(path))


# --- the whole stack ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """What the fake service of one example exposes, and the alerts its failure must raise."""

    example: str
    jobs: tuple[str, ...]  # scrape jobs pointed at the fake service
    status_label: str  # the request counter's status-code label
    explicit: str  # an explicit alert on the request counter's errors
    slo: str  # a ratio SLO whose SLI is http_requests_total's 5xx share
    also: tuple[str, ...] = ()  # other declared counters it serves (keeps absent() alerts quiet)
    # the explicit alert resolves within the test: a ratio does (a healthy burst dilutes it); errors per
    # second over the guide's 5m window (PromptForge) keep firing 5 real minutes, so only fire and delivery count
    explicit_resolves: bool = True


SCENARIOS = [
    Scenario("promptforge", ("promptforge",), "status_code", "HighErrorRate", "availability", explicit_resolves=False),
    # pynomaly-worker scrapes the same service, or its target_down alert would fire
    Scenario("pynomaly", ("pynomaly-api", "pynomaly-worker"), "status", "HighErrorRate", "error-rate",
             also=("ml_predictions_total",)),
]

# Requests per scrape. A failure burst dwarfs the healthy trickle before it, so the first failing
# scrape already lifts every burn-rate window's error ratio over the page threshold: the page fires
# no later than the ticket, as when an outage starts. Recovery is a large healthy burst: explicit
# alerts keep their 5m rate windows (--compress-time rewrites no PromQL), and the burst brings
# their 5-minute error ratio under the threshold in seconds rather than minutes.
HEALTHY = Traffic(requests=10)
FAILING = Traffic(requests=100, error_share=0.5)
RECOVERED = Traffic(requests=1000)
BUDGET_SECONDS = 120  # per example, processes included


def model_of(example: str) -> Model:
    loaded, _warnings = load_valid(example_path(example))
    return build_model(loaded.spec, spec_of(example))


def fake_service(model: Model, scenario: Scenario) -> MetricsService:
    def build(registry: Any) -> RequestMetrics:
        counter, histogram = model.metric("http_requests_total"), model.metric("http_request_duration_seconds")
        assert counter is not None and scenario.status_label in counter.labels
        others = tuple(m for m in (model.metric(name) for name in scenario.also) if m is not None)
        return RequestMetrics(registry, counter, scenario.status_label, histogram, others)

    return MetricsService(build, HEALTHY)


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every server process the test starts; after the test each must have exited."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    assert [proc.args for proc in started if proc.poll() is None] == []


@pytest.mark.slow
@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.example)
def test_stack_alerts_routes_inhibits_and_resolves(
    scenario: Scenario, release: str, tmp_path: Path, servers: list[subprocess.Popen[bytes]]
) -> None:
    prometheus_bin, alertmanager_bin = judge("prometheus", release), judge("prometheus-alertmanager", release)
    began = time.monotonic()
    model = model_of(scenario.example)
    explicit = next(a for a in model.alerts if a.name == scenario.explicit)
    slo_index = next(i for i, s in enumerate(model.spec.slos) if s.name == scenario.slo)
    burn = conventions.slo_page_alert(scenario.slo)  # page and ticket share it: the severity tells them apart
    page, ticket = model.slo_page_severity(slo_index), model.slo_ticket_severity(slo_index)
    assert page != ticket
    tree = route_tree(model)
    am_port, prometheus_port = free_port(), free_port()

    with ExitStack() as stack:
        service = stack.enter_context(fake_service(model, scenario))
        receiver = stack.enter_context(Receiver().running())
        out = tmp_path / "out"
        render_cli(
            scenario.example, out,
            *[arg for job in scenario.jobs for arg in ("--target", f"{job}={service.address}")],
            "--receivers-to", receiver.url,
            "--alertmanager", f"127.0.0.1:{am_port}",
            "--compress-time", str(COMPRESSION),
            release=release,
        )
        am, am_proc = start_alertmanager(stack, alertmanager_bin, out, tmp_path, am_port)
        prometheus, prometheus_proc = start_prometheus(stack, prometheus_bin, out, tmp_path, prometheus_port)
        servers += [am_proc, prometheus_proc]
        logs = f"(logs: {tmp_path})"
        marks = {"started": time.monotonic() - began}

        # Healthy: once every rule group has evaluated on scraped data, nothing is pending or firing.
        ratio = f'{conventions.slo_error_ratio_series("1m")}{{slo="{scenario.slo}"}}'
        wait_until(lambda: [s for s in prometheus.query(ratio) if s["value"][1] == "0"], 60,
                   f"{ratio} recorded as 0 {logs}")
        for _ in range(2):
            moment = time.time()
            wait_until(lambda: prometheus.evaluated_since(moment), 30, f"every rule group to evaluate {logs}")
        assert prometheus.alerts() == []
        assert am.alerts() == [] and receiver.notifications() == []
        marks["healthy"] = time.monotonic() - began

        # Failing: half of the requests fail with a 500.
        service.traffic = FAILING
        wait_until(lambda: prometheus.firing(explicit.name, explicit.severity), 60,
                   f"{explicit.name} ({explicit.severity}) to fire in Prometheus {logs}")
        wait_until(lambda: prometheus.firing(burn, page), 60, f"{burn} ({page}) to fire in Prometheus {logs}")
        wait_until(lambda: prometheus.firing(burn, ticket), 60, f"{burn} ({ticket}) to fire in Prometheus {logs}")

        expected: dict[tuple[str, str], set[str]] = {}
        for name, severity in ((explicit.name, explicit.severity), (burn, page)):
            alert = wait_until(lambda: am.alert(name, severity), 30, f"{name} ({severity}) in Alertmanager {logs}")
            expected[name, severity] = set(answer(tree, alert["labels"], tree=False))  # what `promgen routes` says
            assert {r["name"] for r in alert["receivers"]} == expected[name, severity]
            wait_until(lambda: receiver.seen(name, severity, "firing") >= expected[name, severity], 30,
                       f"{name} ({severity}) delivered to {sorted(expected[name, severity])} {logs}")

        marks["delivered"] = time.monotonic() - began

        # Inhibition: the ticket (same alertname, less urgent severity) is muted by the page.
        def inhibited() -> dict[str, Any] | None:
            found = am.alert(burn, ticket)
            return found if found and found["status"]["inhibitedBy"] else None

        muted = wait_until(inhibited, 30, f"{burn} ({ticket}) to be inhibited {logs}")
        page_alert = am.alert(burn, page)
        assert page_alert is not None and muted["status"]["inhibitedBy"] == [page_alert["fingerprint"]]
        assert muted["status"]["state"] == "suppressed"
        assert answer(tree, muted["labels"], tree=False)  # unmuted, it would reach someone
        time.sleep(2 * Duration(yaml.safe_load((out / AM_CONFIG).read_text())["route"]["group_wait"]).seconds)
        for name, severity in expected:
            assert receiver.seen(name, severity, "firing") == expected[name, severity]  # nobody else was told
        assert prometheus.firing(burn, ticket)  # still firing, still muted
        assert receiver.seen(burn, ticket, "firing") == set()

        # Recovered: the explicit alert and the page resolve, and their receivers hear so.
        marks["inhibited"] = time.monotonic() - began
        service.traffic = RECOVERED
        for name, severity in expected:
            if name == explicit.name and not scenario.explicit_resolves:
                continue
            wait_until(lambda: not prometheus.firing(name, severity), 90, f"{name} ({severity}) to resolve {logs}")
            wait_until(lambda: receiver.seen(name, severity, "resolved") == expected[name, severity], 30,
                       f"{name} ({severity}) resolved notifications to {sorted(expected[name, severity])} {logs}")

    elapsed = time.monotonic() - began
    phases = ", ".join(f"{name} {at:.1f}s" for name, at in marks.items())
    print(f"{scenario.example}: end to end in {elapsed:.1f}s ({phases}, resolved), {service.scrapes} scrapes")
    assert elapsed < BUDGET_SECONDS
