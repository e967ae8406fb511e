"""`promgen render` as users run it: writes, --check (drift, removals, --only), ownership, --force,
--quiet, and the summary table (colour only on a terminal, never with NO_COLOR)."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from promgen.cli.render import plan
from promgen.cli.summary import Rendered, rows, show
from promgen.core.conventions import MANIFEST_FILE
from promgen.produce import registry as outputs
from promgen.produce.registry import Output
from promgen.write.files import Changes, sha256
from tests.conftest import promgen_in_process
from tests.support import EXAMPLE_NAMES, ROOT, judge, rendered

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def spec_of(example: str) -> str:
    return f"examples/{example}/promgen.yaml"  # relative to ROOT, as `rendered()` names it in headers


def files_in(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }


def largest_example() -> str:
    return max(EXAMPLE_NAMES, key=lambda name: (ROOT / spec_of(name)).stat().st_size)


@pytest.fixture
def stack(tmp_path: Path) -> tuple[str, Path]:
    """The largest example rendered into tmp/out by the CLI."""
    example = largest_example()
    out = tmp_path / "out"
    result = promgen_in_process("render", spec_of(example), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return example, out


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_render_writes_the_plan_then_check_is_clean(example: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = promgen_in_process("render", spec_of(example), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    expected = rendered(example)
    assert expected, "no output is registered"
    assert files_in(out) == expected
    manifest = json.loads((out / MANIFEST_FILE).read_text())["files"]
    assert {rel: entry["sha256"] for rel, entry in manifest.items()} == {
        rel: sha256(text.encode()) for rel, text in expected.items()
    }
    for rel in expected:
        assert f"created  {out / rel}" in result.stdout
    check = promgen_in_process("render", spec_of(example), "-o", str(out), "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == f"{out} is up to date ({len(expected)} files)\n"


def test_render_twice_changes_nothing(stack: tuple[str, Path]) -> None:
    example, out = stack
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    again = promgen_in_process("render", spec_of(example), "-o", str(out))
    assert again.returncode == 0
    assert not [line for line in again.stdout.splitlines() if line.startswith(("created ", "updated "))]
    assert f"0 created, 0 updated, {len(rendered(example))} unchanged, 0 removed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_check_reports_every_kind_of_drift_and_writes_nothing(stack: tuple[str, Path]) -> None:
    example, out = stack
    paths = sorted(rendered(example))
    edited, deleted = paths[0], paths[-1]
    (out / edited).write_text((out / edited).read_text() + "# a hand edit\n")
    (out / deleted).unlink()
    stale = out / "old" / "gone.yml"  # a file an earlier render wrote that the spec no longer produces
    stale.parent.mkdir()
    stale.write_text("old: true\n")
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    manifest["files"]["old/gone.yml"] = {"output": "prometheus", "sha256": sha256(b"old: true\n")}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    check = promgen_in_process("render", spec_of(example), "-o", str(out), "--check")
    assert check.returncode == 1
    assert f"--- a/{edited}\n+++ b/{edited}\n" in check.stdout and "-# a hand edit\n" in check.stdout
    assert f"--- /dev/null\n+++ b/{deleted}\n" in check.stdout
    assert "--- a/old/gone.yml\n+++ /dev/null\n" in check.stdout and "-old: true\n" in check.stdout
    assert f"  add    {out / deleted}" in check.stderr
    assert f"  change {out / edited}" in check.stderr
    assert f"  remove {out / 'old/gone.yml'}" in check.stderr
    assert "is stale: 1 to add, 1 to change, 1 to remove" in check.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before, "--check wrote something"

    fix = promgen_in_process("render", spec_of(example), "-o", str(out))
    assert fix.returncode == 0, fix.stderr
    assert f"removed  {out / 'old/gone.yml'}" in fix.stdout
    assert not (out / "old").exists()
    assert files_in(out) == rendered(example)
    assert promgen_in_process("render", spec_of(example), "-o", str(out), "--check").returncode == 0


def test_renaming_the_service_moves_its_files(stack: tuple[str, Path], tmp_path: Path) -> None:
    """Files named after the service: the old ones are removed, by render and in --check's report."""
    example, out = stack
    text = (ROOT / spec_of(example)).read_text()
    service = yaml.safe_load(text)["service"]["name"]
    renamed = tmp_path / "renamed.yaml"
    text = re.sub(rf"(?m)^(  name:\s*){re.escape(service)}\s*$", r"\1renamed-svc", text, count=1)
    renamed.write_text(text.replace(f'service="{service}"', 'service="renamed-svc"'))  # panels read its series
    after = plan(renamed)  # headers name the spec as the command line gives it
    gone = sorted(set(rendered(example)) - set(after))
    new = sorted(set(after) - set(rendered(example)))
    assert gone, "no rendered file is named after the service"
    check = promgen_in_process("render", str(renamed), "-o", str(out), "--check")
    assert check.returncode == 1
    for rel in gone:
        assert f"--- a/{rel}\n+++ /dev/null\n" in check.stdout
    for rel in new:
        assert f"--- /dev/null\n+++ b/{rel}\n" in check.stdout
    assert f"{len(new)} to add" in check.stderr and f"{len(gone)} to remove" in check.stderr
    done = promgen_in_process("render", str(renamed), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert files_in(out) == after


def test_check_of_a_missing_directory_is_stale(tmp_path: Path) -> None:
    example = largest_example()
    check = promgen_in_process("render", spec_of(example), "-o", str(tmp_path / "none"), "--check")
    assert check.returncode == 1
    assert check.stderr == (f"{tmp_path / 'none'} is stale: it does not exist, and all {len(rendered(example))} "
                            "files are to be added; run `promgen render` to write them\n")
    assert check.stdout == ""  # a summary, not a diff of every file
    assert not (tmp_path / "none").exists()


def test_only_renders_and_checks_a_subset(tmp_path: Path) -> None:
    example = largest_example()
    name = outputs.names()[0]
    subset = rendered(example, (name,))
    assert subset and set(subset) < set(rendered(example)) or len(outputs.names()) == 1
    out = tmp_path / "out"
    done = promgen_in_process("render", spec_of(example), "-o", str(out), "--only", name)
    assert done.returncode == 0, done.stderr
    assert files_in(out) == subset
    check = promgen_in_process("render", spec_of(example), "-o", str(out), "--check", "--only", name)
    assert check.returncode == 0, check.stdout + check.stderr
    if len(outputs.names()) > 1:
        assert promgen_in_process("render", spec_of(example), "-o", str(out), "--check").returncode == 1
        full = promgen_in_process("render", spec_of(example), "-o", str(out))
        assert full.returncode == 0 and files_in(out) == rendered(example)
        # rendering the subset again removes nothing that belongs to the other outputs
        again = promgen_in_process("render", spec_of(example), "-o", str(out), "--only", name)
        assert again.returncode == 0 and files_in(out) == rendered(example)


def test_unknown_only_is_a_clean_error(tmp_path: Path) -> None:
    result = promgen_in_process("render", spec_of(largest_example()), "-o", str(tmp_path / "o"), "--only", "prometheuss")
    assert result.returncode == 1
    assert result.stderr.startswith("error: unknown output 'prometheuss'")
    assert not (tmp_path / "o").exists()


def test_a_foreign_file_blocks_the_render_until_forced(tmp_path: Path) -> None:
    example = largest_example()
    victim = sorted(rendered(example))[0]
    out = tmp_path / "out"
    (out / victim).parent.mkdir(parents=True)
    (out / victim).write_text("# written by hand\n")
    check = promgen_in_process("render", spec_of(example), "-o", str(out), "--check")
    assert check.returncode == 1
    assert f"  change {out / victim} (not written by promgen: render needs --force)" in check.stderr
    result = promgen_in_process("render", spec_of(example), "-o", str(out))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: refusing to overwrite {out / victim}")
    assert "--force" in result.stderr and "Traceback" not in result.stderr
    assert files_in(out) == {victim: "# written by hand\n"} and not (out / MANIFEST_FILE).exists()
    forced = promgen_in_process("render", spec_of(example), "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "--force overwrote files promgen had not written" in forced.stdout
    assert files_in(out) == rendered(example)


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    example = largest_example()
    out = tmp_path / "out"
    done = promgen_in_process("render", spec_of(example), "-o", str(out), "--quiet")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    assert files_in(out) == rendered(example)
    check = promgen_in_process("render", spec_of(example), "-o", str(out), "--check", "-q")
    assert check.returncode == 0 and check.stdout == "" and check.stderr == ""
    (out / sorted(rendered(example))[0]).write_text("stale\n")
    stale = promgen_in_process("render", spec_of(example), "-o", str(out), "--check", "-q")
    assert stale.returncode == 1 and stale.stdout == ""
    assert stale.stderr.count("\n") == 1 and "is stale" in stale.stderr


def test_summary_table_counts_files_and_stats_of_every_output(tmp_path: Path) -> None:
    example = largest_example()
    done = promgen_in_process("render", spec_of(example), "-o", str(tmp_path / "out"))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert any(line.split() == ["output", "files", "rules", "alerts", "dashboards", "more"] for line in lines)
    for name in (n for n in outputs.names() if n not in outputs.OPT_IN):  # opt-in outputs: only with --only
        count = len(rendered(example, (name,)))
        assert any(line.split()[:2] == [name, str(count)] for line in lines), (name, done.stdout)
    assert any(line.split()[:2] == ["total", str(len(rendered(example)))] for line in lines)
    assert not ANSI.search(done.stdout), "no colour when stdout is not a terminal"


# --- colour -----------------------------------------------------------------------------------------


def run_in_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a pseudo-terminal; everything it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "promgen", *args], stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
        cwd=ROOT, env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


@pytest.mark.parametrize("no_color", [False, True])
def test_colour_only_on_a_terminal_and_never_with_no_color(no_color: bool, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(TERM="xterm-256color", COLUMNS="120")
    if no_color:
        env["NO_COLOR"] = "1"
    printed = run_in_terminal(["render", spec_of(largest_example()), "-o", str(tmp_path / "out")], env)
    assert "created" in printed
    assert bool(ANSI.search(printed)) is not no_color, printed[:500]


# --- the table, in-process --------------------------------------------------------------------------


def fake_outputs() -> dict[str, Output]:
    return {
        "prometheus": Output(files={"a": "", "b": ""}, notes=["2 alerts have no generated test"], stats={"alerts": 3, "rules": 7, "groups": 2}),
        "grafana": Output(files={"c": ""}, stats={"dashboards": 2, "panels": 11}),
        "compose": Output(files={"d": ""}),
    }


def test_rows_count_files_rules_alerts_dashboards_then_the_rest_and_total_them() -> None:
    assert rows(fake_outputs()) == [
        ["prometheus", "2", "7", "3", "-", "2 groups"],
        ["grafana", "1", "-", "-", "2", "11 panels"],
        ["compose", "1", "-", "-", "-", ""],
        ["total", "4", "7", "3", "2", ""],
    ]


def test_show_lists_changes_table_and_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    changes = Changes(added=["a"], changed=["b"], unchanged=["c"], removed=["old"], edited=["b"])
    stream = io.StringIO()
    show(Rendered("svc", "promgen.yaml", Path("out"), fake_outputs(), changes), stream)
    text = stream.getvalue()
    assert not ANSI.search(text)
    assert "created  out/a\nupdated  out/b\nremoved  out/old\n" in text
    assert "warning: out/b had been edited by hand; promgen replaced it" in text
    assert "svc (promgen.yaml) -> out" in text
    assert "1 created, 1 updated, 1 unchanged, 1 removed" in text
    assert "note (prometheus): 2 alerts have no generated test" in text
    table = [line.split() for line in text.splitlines()]
    assert ["output", "files", "rules", "alerts", "dashboards", "more"] in table
    assert ["prometheus", "2", "7", "3", "-", "2", "groups"] in table
    assert ["total", "4", "7", "3", "2"] in table


def test_render_help_documents_the_options() -> None:
    result = promgen_in_process("render", "--help")
    assert result.returncode == 0
    for option in ("--check", "--only", "--force", "--quiet"):
        assert option in result.stdout


def test_check_diff_applies_with_git(stack: tuple[str, Path]) -> None:
    """The --check diff is a real patch: applied to the stale directory it yields the rendered stack."""
    example, out = stack
    paths = sorted(rendered(example))
    (out / paths[0]).write_text("edited\n")
    (out / paths[-1]).unlink()
    check = promgen_in_process("render", spec_of(example), "-o", str(out), "--check")
    assert check.returncode == 1
    patch = out.parent / "drift.patch"
    patch.write_text(check.stdout)
    applied = subprocess.run([judge("git"), "apply", str(patch)], cwd=out, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    assert files_in(out) == rendered(example)
