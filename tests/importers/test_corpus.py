"""Every example file of sloth, pyrra and OpenSLO (tests/imports/corpus, copied from their
repositories) through `promgen import`: each imports into specs that validate, render and pass
promtool, or is refused with one line per SLO that says what promgen cannot express and why."""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from promgen.importers import detect
from tests.support import FLOOR_VERSIONS, RELEASES, ROOT, judge, plan_spec, write_tree

CORPUS = ROOT / "tests" / "imports" / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and "generated" not in p.parts)

# file (below the corpus) -> why promgen refuses it; every other file imports
REFUSED = {
    "sloth/examples/plugin-getting-started.yml": "builds its queries in the plugin's code",
    "sloth/examples/plugin-k8s-getting-started.yml": "builds its queries in the plugin's code",
    "sloth/examples/victoria-metrics.yml": "unknown function with name 'histogram_share'",  # VictoriaMetrics' own
    "sloth/examples/windows/7d.yaml": "an AlertWindows object holds no SLO",
    "sloth/examples/windows/custom-30d.yaml": "an AlertWindows object holds no SLO",
    "openslo/examples/budgeting-method/occurences-slo.yaml": "threshold metrics have no promgen SLI",
    "openslo/examples/budgeting-method/ratio-timeslices.yaml": "a metric source of type 'Any' cannot be imported",
    "openslo/examples/budgeting-method/timeslices-slo.yaml": "in OpenSLO 1m is a minute; a month is 1M",
    "openslo/examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml": "a metric source of type 'Any'",
}


def _name(path: Path) -> str:
    return str(path.relative_to(CORPUS))


def _format(path: Path) -> str:
    """The format a file's own header names (sloth's examples folder holds OpenSLO files too)."""
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    found = {detect(d) for d in documents}
    assert len(found) == 1 and None not in found, (path, found)
    return found.pop()  # type: ignore[return-value]


@lru_cache(maxsize=None)
def _import(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "promgen", "import", _format(path), str(path.relative_to(ROOT)),
                           "-o", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_corpus_is_the_three_example_folders() -> None:
    counts = {tool: sum(1 for p in FILES if _name(p).startswith(tool + "/")) for tool in ("sloth", "pyrra", "openslo")}
    assert counts == {"sloth": 20, "pyrra": 27, "openslo": 4}
    assert all((CORPUS / tool / "LICENSE").is_file() for tool in counts)


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_each_file_imports_or_is_refused_saying_why(path: Path, tmp_path: Path) -> None:
    done = _import(path, tmp_path / "specs")
    errors = [line for line in done.stderr.splitlines() if line and ": warning: " not in line]
    if _name(path) in REFUSED:
        assert done.returncode == 1 and not (tmp_path / "specs").exists(), done.stderr
        assert errors and all(line.startswith(str(path.relative_to(ROOT)) + ":") for line in errors), done.stderr
        assert any(REFUSED[_name(path)] in line for line in errors), done.stderr
        assert "Traceback" not in done.stderr
        return
    assert done.returncode == 0, done.stderr
    specs = sorted((tmp_path / "specs").iterdir())
    assert specs and all(yaml.safe_load(p.read_text(encoding="utf-8"))["slos"] for p in specs)
    for spec in specs:  # what import wrote validates as it stands
        checked = subprocess.run([sys.executable, "-m", "promgen", "validate", str(spec)], capture_output=True, text=True,
                                 timeout=120)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def _imported_specs(source: str, work: Path) -> dict[str, list[dict[str, object]]]:
    """Every spec of every importable file below CORPUS/source, as data (imported in this process: the
    command's own exit codes and messages are held by the test above)."""
    from contextlib import redirect_stderr
    from io import StringIO

    from promgen.cli import import_

    found: dict[str, list[dict[str, object]]] = {}
    for number, path in enumerate(FILES):
        if _name(path) in REFUSED or not _name(path).startswith(source + "/"):
            continue
        out = work / f"imported-{number}"
        with redirect_stderr(StringIO()) as said:
            assert import_.run(_format(path), [path], out) == 0, said.getvalue()
        found[_name(path)] = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(out.iterdir())]
    return found


@pytest.mark.judge
@pytest.mark.parametrize("source", ["sloth", "pyrra"])  # apart, so that the two run side by side
@pytest.mark.parametrize("release", RELEASES)
def test_every_imported_spec_renders_rules_promtool_accepts(release: str, source: str, tmp_path: Path) -> None:
    promtool = judge("promtool", release)
    rule_files: list[str] = []
    test_files: list[Path] = []
    not_at_floor = []
    imported = _imported_specs(source, tmp_path / "imported")
    assert imported, source
    for name, specs in imported.items():
        for index, spec in enumerate(specs):
            if release == "oldest":
                spec = {**spec, "versions": FLOOR_VERSIONS}
            work = tmp_path / name.replace("/", "_") / str(index)
            work.mkdir(parents=True)
            try:
                files = plan_spec(spec, work, ["prometheus"])
            except Exception as error:  # noqa: BLE001 - the floor refuses what it lacks, saying so
                not_at_floor.append((name, str(error)))
                continue
            tree = write_tree(files, work / "out")
            rule_files += sorted(str(p) for p in (tree / "prometheus" / "rules").rglob("*.yml"))
            test_files += sorted((tree / "prometheus" / "tests").rglob("*.yml"))
    assert not_at_floor == []  # native histograms' histogram_count and histogram_fraction came in 2.40
    done = subprocess.run([promtool, "check", "rules", *rule_files], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for test_file in test_files:
        ran = subprocess.run([promtool, "test", "rules", test_file.name], capture_output=True, text=True,
                             cwd=test_file.parent, timeout=600)
        assert ran.returncode == 0, f"{test_file}:\n{ran.stdout[-2000:]}{ran.stderr[-2000:]}"


def test_a_directory_of_several_formats_imports_its_own_and_names_what_it_skips(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "import", "sloth", "tests/imports/corpus/sloth/examples",
                           "-o", str(tmp_path / "specs")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    # the folder's plugin files are refused: nothing written, each refusal said
    assert done.returncode == 1 and not (tmp_path / "specs").exists()
    assert "openslo-getting-started.yml: skipped: an OpenSLO file (`promgen import openslo` reads it)" in done.stderr
    assert "plugin-getting-started.yml:14:9: SLO requests-availability: SLI plugin" in done.stderr


def test_sloth_alert_windows_set_the_alerts_of_the_specs_imported_with_them(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "import", "sloth", "tests/imports/corpus/sloth/examples/getting-started.yml",
                           "tests/imports/corpus/sloth/examples/windows/custom-30d.yaml"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    [slo] = yaml.safe_load(done.stdout)["slos"]
    windows = [(w["severity"], w["budget_percent"], w["long"], w["short"]) for w in slo["alerting"]["windows"]]
    assert windows == [("pageteam", 1, "30m", "2m"), ("pageteam", 2, "3h", "15m"),
                       ("slack", 5, "12h", "1h"), ("slack", 5, "36h", "3h")]
    # the page and ticket alerts' own labels stay on them
    assert slo["alerting"]["by_severity"] == {"pageteam": {"labels": {"routing_key": "myteam"}},
                                              "slack": {"labels": {"slack_channel": "#alerts-myteam"}}}


def test_a_disabled_sloth_alert_stays_disabled() -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "import", "sloth", "tests/imports/corpus/sloth/examples/no-alerts.yml"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    for slo in yaml.safe_load(done.stdout)["slos"]:
        alerting = slo.get("alerting", {})
        kinds = {w["severity"] for w in alerting.get("windows", [])}
        assert alerting.get("enabled") is False or len(kinds) <= 1, slo


def test_pyrra_keeps_its_four_alerts_with_their_for() -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "import", "pyrra", "tests/imports/corpus/pyrra/examples/caddy-response-latency.yaml"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    [slo] = yaml.safe_load(done.stdout)["slos"]
    table = [(w["severity"], w["factor"], w["long"], w["short"], w.get("for")) for w in slo["alerting"]["windows"]]
    # pyrra's slo.Windows for a 4-week window: 14x 1h/5m for 2m, 7x 6h/30m for 15m, 2x 1d/2h for 1h, 1x 4d/6h for 3h
    assert slo["window"] == "4w"
    assert table == [("critical", 14, "1h", "5m", "2m"), ("critical", 7, "6h", "30m", "15m"),
                     ("warning", 2, "1d", "2h", "1h"), ("warning", 1, "4d", "6h", "3h")]


@pytest.mark.parametrize(("path", "tool"), [("sloth/examples/getting-started.yml", "sloth"),
                                            ("pyrra/examples/nginx.yaml", "pyrra"),
                                            ("openslo/examples/budgeting-method/occurences-slo.yaml", "openslo")])
def test_validate_on_another_tools_file_names_the_import_command(path: str, tool: str) -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "validate", f"tests/imports/corpus/{path}"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    lines = [line for line in done.stdout.splitlines() + done.stderr.splitlines() if line.startswith("tests/")]
    assert done.returncode == 1 and len(lines) == 1, done.stdout + done.stderr
    assert f"not a promgen spec: `promgen import {tool} tests/imports/corpus/{path}`" in lines[0]
