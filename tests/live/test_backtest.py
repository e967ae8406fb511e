"""The backtest's alerting state machine against Prometheus' own: promtool test rules evaluates an
alert rule over a flag series and says, at every evaluation, whether the alert fires; the backtest
must say the same from the same series, for every `for` and `keep_firing_for` tried."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
import yaml

from promgen.live.backtest import _steps, evaluation_steps, firing_states, simulate
from tests.support import RELEASES, in_ci, judge

STEPS = 24  # evaluations a minute apart
TIMINGS = [(for_, keep) for for_ in (0, 1, 2, 3, 90) for keep in (0, 1, 2, 150)]  # (for, keep_firing_for), seconds x 60 ...
RANDOM_PATTERNS = 300 if in_ci() else 60


def _patterns() -> list[list[int]]:
    chosen = [
        [0] * STEPS,
        [1] * STEPS,
        [0, 1] * (STEPS // 2),
        [1, 1, 0] * (STEPS // 3),
        [0] * 5 + [1] * 4 + [0] + [1] * 6 + [0] * 8,  # a blip inside an episode
        [1] * 3 + [0] * 2 + [1] * 3 + [0] * 16,
    ]
    generator = random.Random(20261207)
    for _ in range(RANDOM_PATTERNS):
        share = generator.choice((0.2, 0.5, 0.8))
        chosen.append([int(generator.random() < share) for _ in range(STEPS)])
    return chosen


def _seconds(value: int) -> int:
    return value * 60 if value < 60 else value  # small numbers are whole minutes; 90 and 150 seconds


def _rule_name(for_: int, keep: int) -> str:
    return f"Flag_for{_seconds(for_)}s_keep{_seconds(keep)}s"


def _files(patterns: list[list[int]], work: Path) -> Path:
    rules = [{"alert": _rule_name(f, k), "expr": "flag > 0", "for": f"{_seconds(f)}s",
              **({"keep_firing_for": f"{_seconds(k)}s"} if k else {})} for f, k in TIMINGS]
    (work / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "flags", "rules": rules}]}), encoding="utf-8")
    tests = []
    for index, pattern in enumerate(patterns):
        values = {step for step, flag in enumerate(pattern) if flag}
        checks = []
        for f, k in TIMINGS:
            states = firing_states(dict.fromkeys(values, 1.0), STEPS, _steps(_seconds(f), 60), _steps(_seconds(k), 60))
            for step, firing in enumerate(states):
                checks.append({"eval_time": f"{step}m", "alertname": _rule_name(f, k),
                               "exp_alerts": [{"exp_labels": {"case": str(index)}}] if firing else []})
        tests.append({"interval": "1m", "name": f"pattern {index}: {''.join(map(str, pattern))}",
                      "input_series": [{"series": f'flag{{case="{index}"}}', "values": " ".join(map(str, pattern))}],
                      "alert_rule_test": checks})
    test_file = work / "flags.test.yml"
    test_file.write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests}),
                         encoding="utf-8")
    return test_file


@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
def test_the_backtest_fires_when_prometheus_does(release: str, tmp_path: Path) -> None:
    promtool = judge("promtool", release)
    test_file = _files(_patterns(), tmp_path)
    done = subprocess.run([promtool, "test", "rules", test_file.name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]


def test_a_firing_is_counted_once_with_its_length() -> None:
    # the flag holds at steps 2..9, then 12..13: with for=2 evaluations it fires at 4..9 and never
    # again (12..13 is too short); keep_firing_for=3 bridges the gap at 10..11 instead
    values = dict.fromkeys([*range(2, 10), 12, 13], 1.0)
    plain = simulate({(): values}, 20, 30, for_s=60, keep_firing_for_s=0)
    assert (plain.fired, plain.firing_s, plain.longest_s, plain.series) == (1, 6 * 30, 6 * 30, 1)
    kept = simulate({(): values}, 20, 30, for_s=60, keep_firing_for_s=90)
    assert (kept.fired, kept.firing_s) == (1, (16 - 4 + 1) * 30)  # fires 4..13, then 3 more evaluations
    never = simulate({(): {}}, 20, 30, for_s=0, keep_firing_for_s=0)
    assert (never.fired, never.firing_s, never.series) == (0, 0, 0)


def test_firings_of_several_series_add_up() -> None:
    found = simulate({(("i", "a"),): dict.fromkeys(range(0, 3), 1.0), (("i", "b"),): dict.fromkeys(range(5, 6), 1.0)},
                     10, 60, for_s=0, keep_firing_for_s=0)
    assert (found.fired, found.firing_s, found.longest_s, found.series) == (2, 4 * 60, 3 * 60, 2)


def test_evaluations_are_aligned_to_the_interval() -> None:
    first, steps = evaluation_steps(1000.0, 1000.0 + 3600, 30)
    assert first % 30 == 0 and 1000 < first <= 1030
    assert first + (steps - 1) * 30 <= 4600 < first + steps * 30
