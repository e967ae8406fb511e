"""promgen.write: manifest ownership, staged writes that survive interruption, and the --check diff."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promgen.core.conventions import MANIFEST_FILE
from promgen.errors import OutputError
from promgen.write import files as write
from promgen.write import journal
from promgen.write import manifest as write_manifest
from promgen.write.files import Plan
from promgen.write.safe_dir import OutputDir
from tests.support import judge

FIRST = {
    "prometheus": {"prometheus/prometheus.yml": "global: {}\n", "prometheus/rules/svc.rules.yml": "groups: []\n"},
    "grafana": {"grafana/dashboards/overview.json": '{"title": "Overview"}\n'},
}


def plan(produced: dict[str, dict[str, str]] | None = None, complete: bool = True) -> Plan:
    return Plan.of(produced if produced is not None else FIRST, complete=complete)


def tree(root: Path) -> dict[str, str]:
    """Every file below `root` (the manifest included), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()
    }


def manifest(root: Path) -> dict[str, dict[str, str]]:
    return json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))["files"]


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


# --- writing ------------------------------------------------------------------------------------


def test_first_write_creates_files_and_a_manifest_of_them(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    done = write.write(plan(), out)
    assert sorted(done.added) == sorted(plan().files) and not done.changed and not done.removed
    files = tree(out)
    assert {k: v for k, v in files.items() if k != MANIFEST_FILE} == plan().files
    listed = manifest(out)
    assert set(listed) == set(plan().files)
    assert listed["grafana/dashboards/overview.json"]["output"] == "grafana"
    assert listed["prometheus/prometheus.yml"] == {
        "output": "prometheus",
        "sha256": write_manifest.sha256(b"global: {}\n"),
    }
    assert stat.S_IMODE((out / "prometheus/prometheus.yml").stat().st_mode) == 0o644
    assert siblings(out) == ["monitoring"], "the staging directory is gone"


def test_manifest_is_deterministic(tmp_path: Path) -> None:
    write.write(plan(), tmp_path / "a")
    reversed_plan = Plan.of(dict(reversed(list(FIRST.items()))))
    write.write(reversed_plan, tmp_path / "b")
    assert (tmp_path / "a" / MANIFEST_FILE).read_bytes() == (tmp_path / "b" / MANIFEST_FILE).read_bytes()


def test_rewriting_the_same_plan_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    os.utime(out / "prometheus/prometheus.yml", ns=(1, 1))
    before[out / "prometheus/prometheus.yml"] = 1
    done = write.write(plan(), out)
    assert not done.stale and sorted(done.unchanged) == sorted(plan().files)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_changed_and_dropped_files_are_updated_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    (out / "prometheus" / "README.md").write_text("the team's own notes\n")
    (out / "notes.txt").write_text("also theirs\n")
    second = {"prometheus": {"prometheus/prometheus.yml": "global: {scrape_interval: 30s}\n"}, "grafana": {}}
    done = write.write(plan(second), out)
    assert done.changed == ["prometheus/prometheus.yml"]
    assert sorted(done.removed) == ["grafana/dashboards/overview.json", "prometheus/rules/svc.rules.yml"]
    assert tree(out).keys() == {MANIFEST_FILE, "notes.txt", "prometheus/README.md", "prometheus/prometheus.yml"}
    assert not (out / "grafana").exists() and not (out / "prometheus" / "rules").exists(), "emptied directories go too"
    assert set(manifest(out)) == {"prometheus/prometheus.yml"}


def test_a_file_promgen_did_not_write_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    (out / "prometheus").mkdir(parents=True)
    (out / "prometheus" / "prometheus.yml").write_text("# hand-written, precious\n")
    with pytest.raises(OutputError) as raised:
        write.write(plan(), out)
    message = str(raised.value)
    assert str(out / "prometheus" / "prometheus.yml") in message and "--force" in message
    assert tree(out) == {"prometheus/prometheus.yml": "# hand-written, precious\n"}, "nothing at all was written"
    assert siblings(out) == ["monitoring"]


def test_force_overwrites_a_foreign_file_and_takes_it_over(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    (out / "prometheus").mkdir(parents=True)
    (out / "prometheus" / "prometheus.yml").write_text("# hand-written\n")
    done = write.write(plan(), out, force=True)
    assert done.foreign == ["prometheus/prometheus.yml"]
    assert (out / "prometheus" / "prometheus.yml").read_text() == "global: {}\n"
    assert "prometheus/prometheus.yml" in manifest(out)


def test_a_foreign_file_that_already_matches_is_adopted(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    (out / "prometheus").mkdir(parents=True)
    (out / "prometheus" / "prometheus.yml").write_text("global: {}\n")
    done = write.write(plan(), out)
    assert "prometheus/prometheus.yml" in done.unchanged
    assert set(manifest(out)) == set(plan().files)


def test_a_hand_edited_generated_file_is_replaced_and_reported(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    (out / "prometheus" / "prometheus.yml").write_text("global: {edited: true}\n")
    done = write.write(plan(), out)
    assert done.edited == ["prometheus/prometheus.yml"] and done.changed == ["prometheus/prometheus.yml"]
    assert (out / "prometheus" / "prometheus.yml").read_text() == "global: {}\n"


def test_only_some_outputs_keeps_the_others_files_and_ownership(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    only_prometheus = plan({"prometheus": {"prometheus/prometheus.yml": "global: {}\n"}}, complete=False)
    done = write.write(only_prometheus, out)
    assert done.removed == ["prometheus/rules/svc.rules.yml"], "only prometheus's own stale file goes"
    assert (out / "grafana/dashboards/overview.json").exists()
    assert set(manifest(out)) == {"prometheus/prometheus.yml", "grafana/dashboards/overview.json"}


def test_a_directory_in_the_way_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    (out / "prometheus" / "prometheus.yml").mkdir(parents=True)
    with pytest.raises(OutputError, match="directory is in the way"):
        write.write(plan(), out)


def test_a_file_where_a_directory_belongs_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    out.mkdir()
    (out / "prometheus").write_text("not a directory\n")
    with pytest.raises(OutputError, match="prometheus"):
        write.write(plan(), out)
    assert (out / "prometheus").read_text() == "not a directory\n"


def test_the_output_directory_being_a_file_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    out.write_text("oops\n")
    with pytest.raises(OutputError, match="not a directory"):
        write.write(plan(), out)


def test_write_into_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write.write(plan(), Path("."))
    assert (tmp_path / "prometheus" / "prometheus.yml").read_text() == "global: {}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_FILE, "grafana", "prometheus"]


# --- the manifest is input too -------------------------------------------------------------------


@pytest.mark.parametrize("rel", ["../outside.txt", "/etc/passwd", "a/../../outside.txt", "a\\..\\b", ""])
def test_a_manifest_listing_paths_outside_dir_deletes_nothing(rel: str, tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    out.mkdir()
    victim = tmp_path / "outside.txt"
    victim.write_text("keep me\n")
    entry = {"output": "prometheus", "sha256": write_manifest.sha256(b"keep me\n")}
    (out / MANIFEST_FILE).write_text(json.dumps({"promgen_manifest": 1, "files": {rel: entry}}))
    with pytest.raises(OutputError) as raised:
        write.write(plan(), out)
    assert MANIFEST_FILE in str(raised.value)
    assert victim.read_text() == "keep me\n"
    with pytest.raises(OutputError):
        write.compare(plan(), out)


@pytest.mark.parametrize(
    "text", ["<<<<<<< HEAD\n{}", "[]", '{"promgen_manifest": 2, "files": {}}', '{"promgen_manifest": 1, "files": {"a": 1}}']
)
def test_an_unreadable_manifest_is_an_error_naming_it_unless_forced(text: str, tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    out.mkdir()
    (out / MANIFEST_FILE).write_text(text)
    with pytest.raises(OutputError) as raised:
        write.write(plan(), out)
    assert str(out / MANIFEST_FILE) in str(raised.value) and "--force" in str(raised.value)
    write.write(plan(), out, force=True)
    assert set(manifest(out)) == set(plan().files)


@pytest.mark.parametrize(
    "rel", ["../x.yml", "/abs.yml", "a/./b.yml", "a//b.yml", "a\\b.yml", "C:/x.yml", "", "x\0.yml", MANIFEST_FILE]
)
def test_unsafe_output_paths_are_refused(rel: str) -> None:
    with pytest.raises(OutputError):
        write_manifest.safe_relative(rel)


_PATH_CHARACTERS = st.sampled_from(list("ab_Z09.+-/\\: \0é\n") + [".promgen-", "..", "x" * 256])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PATH_CHARACTERS, max_size=12).map("".join))
def test_the_quick_path_check_accepts_only_what_the_full_one_accepts(rel: str) -> None:
    """safe_relative passes the paths promgen writes without a closer look: the same verdicts."""
    def verdict(check: Any) -> str | None:
        try:
            return str(check(rel))
        except OutputError:
            return None

    assert verdict(write_manifest.safe_relative) == verdict(write_manifest._checked_relative)


def test_a_path_past_the_length_limits_is_refused() -> None:
    for rel in ("a" * 256, "d/" + "a" * 256, "/".join(["a" * 200] * 21)):
        with pytest.raises(OutputError):
            write_manifest.safe_relative(rel)
    assert write_manifest.safe_relative("a" * 255) == "a" * 255


# --- interruption ----------------------------------------------------------------------------------


SECOND = {
    "prometheus": {"prometheus/prometheus.yml": "global: {scrape_interval: 1m}\n", "prometheus/rules/new.rules.yml": "groups: []\n"},
    "grafana": {"grafana/dashboards/overview.json": '{"title": "Overview v2"}\n'},
}


def test_a_failure_while_staging_leaves_dir_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    before = tree(out)
    real_create = OutputDir.create
    calls = []

    def flaky(self: OutputDir, rel: str, data: bytes) -> None:
        calls.append(rel)
        if len(calls) == 2:
            raise OutputError(f"cannot write {rel}: No space left on device")
        real_create(self, rel, data)

    monkeypatch.setattr(OutputDir, "create", flaky)
    with pytest.raises(OutputError, match="No space left"):
        write.write(plan(SECOND), out)
    assert tree(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(write_manifest.RESERVED_PREFIX) and p.name != MANIFEST_FILE], "no staging directory is left"
    assert siblings(out) == ["monitoring"]


def test_an_interrupted_swap_leaves_whole_files_and_the_next_render_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    old, new = plan().files, plan(SECOND).files
    real_rename = OutputDir.rename
    moves: list[str] = []

    def killed_after_one_move(self: OutputDir, source: str, target: str, *, missing_ok: bool = False) -> None:
        if target != journal.JOURNAL_FILE:
            if moves:
                raise KeyboardInterrupt  # stands in for SIGKILL: nothing after this runs
            moves.append(target)
        real_rename(self, source, target, missing_ok=missing_ok)

    monkeypatch.setattr(OutputDir, "rename", killed_after_one_move)
    with pytest.raises(KeyboardInterrupt):
        write.write(plan(SECOND), out)
    files = tree(out)
    assert journal.JOURNAL_FILE in files, "the committed swap is recorded"
    for rel, text in files.items():
        if not rel.startswith(".promgen"):
            assert text in (old.get(rel), new.get(rel)), f"{rel} is half-written"
    with pytest.raises(OutputError, match="interrupted"):
        write.compare(plan(SECOND), out)  # --check tells, and writes nothing

    monkeypatch.setattr(OutputDir, "rename", real_rename)
    done = write.write(plan(), out)  # the next render, even of another plan, first finishes the swap
    assert sorted(done.written) == sorted(old), "it started from the complete new stack"
    assert done.removed == ["prometheus/rules/new.rules.yml"]
    assert {k: v for k, v in tree(out).items() if k != MANIFEST_FILE} == old
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_FILE, "grafana", "prometheus"]


def test_sigterm_while_moving_waits_for_the_swap_then_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    out = tmp_path / "monitoring"
    write.write(plan(), out)
    real_rename = OutputDir.rename

    def terminated(self: OutputDir, source: str, target: str, *, missing_ok: bool = False) -> None:
        real_rename(self, source, target, missing_ok=missing_ok)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(OutputDir, "rename", terminated)
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as raised:
        write.write(plan(SECOND), out)
    assert raised.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == handler, "the previous handler is restored"
    assert {k: v for k, v in tree(out).items() if k != MANIFEST_FILE} == plan(SECOND).files, "the swap finished first"
    assert siblings(out) == ["monitoring"]


def test_sigterm_while_staging_leaves_the_old_stack_and_no_staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    out = tmp_path / "monitoring"
    write.write(plan(), out)
    before = tree(out)
    real_create = OutputDir.create

    def terminated(self: OutputDir, rel: str, data: bytes) -> None:
        real_create(self, rel, data)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(OutputDir, "create", terminated)
    with pytest.raises(SystemExit):
        write.write(plan(SECOND), out)
    assert tree(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(write_manifest.RESERVED_PREFIX) and p.name != MANIFEST_FILE]


def test_a_move_whose_source_is_gone_is_an_error_unless_the_journal_allows_it(tmp_path: Path) -> None:
    """A journal repeated after an interruption finds some moves made: those are skipped, and only
    there; the target is left alone either way."""
    out = tmp_path / "monitoring"
    with OutputDir.open(out, create=True) as directory:
        assert directory is not None
        directory.create("kept/target", b"old")
        directory.create("staged/other", b"x")
        for source in ("missing-dir/file", "staged/missing"):  # its directory gone, or only the file
            with pytest.raises(OutputError, match="it is gone"):
                directory.rename(source, "kept/target")
            directory.rename(source, "kept/target", missing_ok=True)
        assert (out / "kept" / "target").read_bytes() == b"old"
        directory.create("staged/new", b"new")
        directory.rename("staged/new", "kept/target", missing_ok=True)
    assert (out / "kept" / "target").read_bytes() == b"new"


# --- --check --------------------------------------------------------------------------------------


def test_compare_of_an_up_to_date_dir_is_clean(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    drift = write.compare(plan(), out)
    assert not drift.stale and drift.diff == ""


def test_compare_of_a_missing_dir_adds_everything(tmp_path: Path) -> None:
    drift = write.compare(plan(), tmp_path / "nowhere")
    assert sorted(drift.changes.added) == sorted(plan().files)
    assert "--- /dev/null\n+++ b/prometheus/prometheus.yml\n" in drift.diff
    assert not (tmp_path / "nowhere").exists()


def test_compare_diff_covers_added_changed_and_removed_and_applies_with_git(tmp_path: Path) -> None:
    git = judge("git")
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    (out / "grafana/dashboards/overview.json").write_text('{"title": "Overview"}')  # lost its newline
    before = tree(out)
    drift = write.compare(plan(SECOND), out)
    changes = drift.changes
    assert changes.added == ["prometheus/rules/new.rules.yml"]
    assert sorted(changes.changed) == ["grafana/dashboards/overview.json", "prometheus/prometheus.yml"]
    assert changes.removed == ["prometheus/rules/svc.rules.yml"]
    assert "--- a/prometheus/rules/svc.rules.yml\n+++ /dev/null\n" in drift.diff
    assert "--- /dev/null\n+++ b/prometheus/rules/new.rules.yml\n" in drift.diff
    assert "\\ No newline at end of file\n" in drift.diff
    assert tree(out) == before, "compare writes nothing"
    (tmp_path / "drift.patch").write_text(drift.diff)
    done = subprocess.run([git, "apply", str(tmp_path / "drift.patch")], cwd=out, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    applied = {k: v for k, v in tree(out).items() if k != MANIFEST_FILE}
    assert applied == plan(SECOND).files, "applying the diff yields exactly what render would write"


def test_compare_with_only_reports_removals_of_that_output_alone(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    drift = write.compare(plan({"grafana": {}}, complete=False), out)
    assert drift.changes.removed == ["grafana/dashboards/overview.json"]
    assert not drift.changes.added and not drift.changes.changed


# --- journals: honoured only when this user's promgen wrote them ----------------------------------


def committed_journal(out: Path, moves: dict[str, bytes], *, before: dict[str, str | None] | None = None,
                      mac: str | None = None) -> None:
    """A journal and its staging directory in DIR, as a pull request can commit them (`mac`
    defaults to one under this user's key: what a killed render on this machine leaves)."""
    from promgen.write import cache

    staging = journal.STAGING_PREFIX + "0123456789abcdef"
    for rel, data in moves.items():
        (out / staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / staging / rel).write_bytes(data)
    recorded = before if before is not None else {
        rel: write_manifest.sha256((out / rel).read_bytes()) if (out / rel).exists() else None for rel in moves}
    committed = journal.Journal(staging, tuple(moves), recorded, {})
    signed = mac if mac is not None else cache.sign(committed.body())
    assert signed is not None
    (out / journal.JOURNAL_FILE).write_text(committed.text(signed))


def test_a_journal_from_elsewhere_moves_nothing_over_the_users_files(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    (out / "secrets").mkdir()
    (out / "secrets" / "slack").write_text("the local webhook\n")
    (out / "NOTES.md").write_text("ours\n")
    committed_journal(out, {"secrets/slack": b"https://attacker.example/hook\n", "NOTES.md": b"theirs\n"},
                      mac="0" * 64)
    before = tree(out)
    with pytest.raises(OutputError, match="not a journal promgen can honour .promgen did not write it on this machine"):
        write.write(plan(), out)
    assert tree(out) == before
    drift_error = pytest.raises(OutputError, match="a render was interrupted")
    with drift_error:
        write.compare(plan(), out)


def test_a_journal_under_another_users_key_is_not_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(tmp_path / "their-cache"))
    committed_journal(out, {"prometheus/prometheus.yml": b"global: {scrape_interval: 1s}\n"})
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(tmp_path / "our-cache"))
    with pytest.raises(OutputError, match="did not write it on this machine"):
        write.write(plan(), out)
    assert (out / "prometheus" / "prometheus.yml").read_text() == "global: {}\n"


def test_a_signed_journal_replaces_only_targets_that_still_hold_what_it_recorded(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    (out / "NOTES.md").write_text("ours\n")
    committed_journal(out, {"NOTES.md": b"theirs\n"}, before={"NOTES.md": write_manifest.sha256(b"what it held then\n")})
    with pytest.raises(OutputError, match="NOTES.md changed since the interrupted render"):
        write.write(plan(), out)
    assert (out / "NOTES.md").read_text() == "ours\n"


def test_a_signed_journal_of_a_killed_render_is_finished(tmp_path: Path) -> None:
    out = tmp_path / "monitoring"
    write.write(plan(), out)
    committed_journal(out, {"prometheus/prometheus.yml": b"global: {scrape_interval: 1s}\n"})
    write.write(Plan.of({}, complete=False), out)
    assert (out / "prometheus" / "prometheus.yml").read_text() == "global: {scrape_interval: 1s}\n"
    assert not (out / journal.JOURNAL_FILE).exists()
