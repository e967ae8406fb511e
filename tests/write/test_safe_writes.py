"""What a CI job can trust (issue: safe output directory): a hostile pull request controls the spec
and everything committed below DIR, and still cannot make `render` or `render --check` read,
write or delete anything outside DIR, leak a file into the log, or lose a user's edits."""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from promgen.core.conventions import MANIFEST_FILE
from promgen.errors import OutputError
from promgen.write import files as write
from promgen.write import journal, manifest
from tests.conftest import promgen_in_process, run_promgen
from tests.support import ROOT, in_ci

SPEC = "examples/promptforge/promgen.yaml"


def rendered_stack(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    done = promgen_in_process("render", SPEC, "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    return out


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry below `root`: regular files by content, links by target, others by kind."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path))
        elif path.is_file():
            found[rel] = ("file", path.read_bytes())
        elif path.is_dir():
            found[rel] = ("dir", "")
        else:
            found[rel] = ("other", "")
    return found


def victim(tmp_path: Path) -> Path:
    outside = tmp_path / "victim"
    outside.mkdir()
    (outside / "prometheus.yml").write_text("precious\n")
    (outside / "rules").mkdir()
    return outside


def assert_clean_refusal(result: subprocess.CompletedProcess[str], *names: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for name in names:
        assert name in result.stderr, result.stderr


# --- links, pipes and devices below DIR ------------------------------------------------------


@pytest.mark.parametrize("check", [False, True], ids=["render", "check"])
@pytest.mark.parametrize(
    "where",
    ["prometheus", "prometheus/rules", "prometheus/prometheus.yml", "grafana/dashboards", MANIFEST_FILE],
)
def test_a_link_anywhere_below_dir_is_refused_and_nothing_goes_through_it(
    where: str, check: bool, tmp_path: Path
) -> None:
    out = rendered_stack(tmp_path)
    outside = victim(tmp_path)
    target = out / where
    if target.is_dir():
        for child in sorted(target.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
        target.rmdir()
    else:
        target.unlink()
    link_to = outside / ("prometheus.yml" if where.endswith((".yml", ".json")) else "rules")
    target.symlink_to(link_to)
    before_out, before_victim = snapshot(out), snapshot(outside)
    args = ["render", SPEC, "-o", str(out), "--force"] + (["--check"] if check else [])
    result = promgen_in_process(*args)
    assert_clean_refusal(result, "symbolic link", str(target))
    assert "precious" not in result.stdout + result.stderr
    assert snapshot(outside) == before_victim, "nothing outside DIR changed"
    assert snapshot(out) == before_out, "nothing in DIR changed"


def test_the_output_directory_itself_being_a_link_is_refused(tmp_path: Path) -> None:
    outside = victim(tmp_path)
    link = tmp_path / "out"
    link.symlink_to(outside)
    for args in (["render", SPEC, "-o", str(link)], ["render", SPEC, "-o", str(link), "--check"]):
        assert_clean_refusal(promgen_in_process(*args), "is a symbolic link")
    assert snapshot(outside) == {"prometheus.yml": ("file", b"precious\n"), "rules": ("dir", "")}


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc")
def test_check_never_prints_a_linked_file_such_as_the_environment(tmp_path: Path) -> None:
    out = rendered_stack(tmp_path)
    config = out / "prometheus" / "prometheus.yml"
    config.unlink()
    config.symlink_to("/proc/self/environ")
    env = {**os.environ, "CI_SECRET_TOKEN": "tok-9f8e7d6c5b4a"}
    result = subprocess.run(
        [sys.executable, "-m", "promgen", "render", SPEC, "-o", str(out), "--check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert_clean_refusal(result, "symbolic link")
    assert "tok-9f8e7d6c5b4a" not in result.stdout + result.stderr


@pytest.mark.parametrize("check", [False, True], ids=["render", "check"])
@pytest.mark.parametrize("where", ["prometheus/prometheus.yml", MANIFEST_FILE])
def test_a_fifo_where_a_file_belongs_is_refused_without_hanging(where: str, check: bool, tmp_path: Path) -> None:
    out = rendered_stack(tmp_path)
    (out / where).unlink()
    os.mkfifo(out / where)
    result = run_promgen("render", SPEC, "-o", str(out), "--force", *(["--check"] if check else []))
    assert_clean_refusal(result, "named pipe", where)


def test_a_fifo_as_the_spec_is_read_as_empty_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    result = run_promgen("render", str(fifo), "-o", str(out))
    assert result.returncode == 1 and "the spec is empty" in result.stderr + result.stdout
    assert not out.exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_linked_into_dir_is_never_read(tmp_path: Path) -> None:
    out = rendered_stack(tmp_path)
    (out / "docker-compose.yml").unlink()
    (out / "docker-compose.yml").symlink_to("/dev/zero")
    start = time.monotonic()
    result = run_promgen("render", SPEC, "-o", str(out), "--check")
    assert_clean_refusal(result, "symbolic link")
    assert time.monotonic() - start < 30


def test_a_file_where_dir_belongs_is_an_error_for_check_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a directory\n")
    result = promgen_in_process("render", SPEC, "-o", str(out), "--check")
    assert_clean_refusal(result, "not a directory")
    assert "stale" not in result.stderr


# --- the manifest is input too ----------------------------------------------------------------


def tamper(out: Path, rel: str, sha: str) -> None:
    path = out / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["files"][rel] = {"output": "grafana", "sha256": sha}
    path.write_text(json.dumps(data))


def test_a_manifest_entry_never_deletes_a_file_whose_content_it_does_not_know(tmp_path: Path) -> None:
    out = rendered_stack(tmp_path)
    (out / "README.md").write_text("the team's notes\n")
    tamper(out, "README.md", "0" * 64)
    result = promgen_in_process("render", SPEC, "-o", str(out))
    assert_clean_refusal(result, "README.md", "changed since promgen wrote it")
    assert (out / "README.md").read_text() == "the team's notes\n"
    forced = promgen_in_process("render", SPEC, "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "README.md").read_text() == "the team's notes\n", "--force keeps it too"
    assert "README.md" not in json.loads((out / MANIFEST_FILE).read_text())["files"], "and forgets it"


def test_a_generated_file_edited_after_the_spec_stopped_producing_it_is_kept(tmp_path: Path) -> None:
    out = rendered_stack(tmp_path)
    spec = yaml.safe_load((ROOT / SPEC).read_text())
    edited = out / "grafana" / "dashboards" / "promptforge-gemini-api.json"
    assert edited.exists()
    edited.write_text(edited.read_text().replace("Gemini", "Gemini (tuned by hand)"))
    spec["dashboards"]["custom"] = []
    smaller = tmp_path / "promgen.yaml"
    smaller.write_text(yaml.safe_dump(spec, sort_keys=False))
    check = promgen_in_process("render", str(smaller), "-o", str(out), "--check")
    assert check.returncode == 1 and "keep" in check.stderr and edited.name in check.stderr
    result = promgen_in_process("render", str(smaller), "-o", str(out))
    assert_clean_refusal(result, edited.name)
    assert "tuned by hand" in edited.read_text()


def test_entries_of_vanished_files_are_pruned_so_a_later_file_there_survives(tmp_path: Path) -> None:
    out = rendered_stack(tmp_path)
    gone = out / "grafana" / "dashboards" / "promptforge-gemini-api.json"
    gone.unlink()
    spec = yaml.safe_load((ROOT / SPEC).read_text())
    spec["dashboards"]["custom"] = []
    smaller = tmp_path / "promgen.yaml"
    smaller.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert promgen_in_process("render", str(smaller), "-o", str(out)).returncode == 0
    assert gone.relative_to(out).as_posix() not in json.loads((out / MANIFEST_FILE).read_text())["files"]
    gone.write_text('{"mine": true}\n')
    assert promgen_in_process("render", str(smaller), "-o", str(out)).returncode == 0
    assert gone.read_text() == '{"mine": true}\n'


def test_a_manifest_nested_very_deep_is_a_clean_error(tmp_path: Path) -> None:
    out = rendered_stack(tmp_path)
    (out / MANIFEST_FILE).write_text("[" * 200_000 + "]" * 200_000)
    for extra in ([], ["--check"]):
        assert_clean_refusal(promgen_in_process("render", SPEC, "-o", str(out), *extra), "not a valid promgen manifest")


# --- file systems and permissions -------------------------------------------------------------


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path("/tmp") / f"promgen-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(probe)], capture_output=True)
        if done.returncode == 0:
            subprocess.run(["umount", str(probe)], capture_output=True)
        return done.returncode == 0
    finally:
        probe.rmdir()


@pytest.fixture
def mounted(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not can_mount():
        if in_ci():
            pytest.fail("CI runs as root and must be able to mount a tmpfs for this test")
        pytest.skip("needs root to mount a tmpfs")
    point = tmp_path / "mnt"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(point)], check=True)
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_dir_as_a_mount_point_renders_and_rerenders(mounted: Path) -> None:
    for _ in range(2):
        result = promgen_in_process("render", SPEC, "-o", str(mounted))
        assert result.returncode == 0, result.stderr
    assert (mounted / "prometheus" / "prometheus.yml").is_file()
    assert not [p for p in mounted.iterdir() if p.name.startswith(manifest.RESERVED_PREFIX) and p.name != MANIFEST_FILE]
    assert promgen_in_process("render", SPEC, "-o", str(mounted), "--check").returncode == 0


def test_a_read_only_dir_is_a_clean_error_and_keeps_the_stack(mounted: Path) -> None:
    assert promgen_in_process("render", SPEC, "-o", str(mounted)).returncode == 0
    (mounted / "prometheus" / "prometheus.yml").write_text("# drift\n")
    before = snapshot(mounted)
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    result = promgen_in_process("render", SPEC, "-o", str(mounted), "--force")
    assert_clean_refusal(result, "Read-only")
    assert snapshot(mounted) == before


def test_a_subdirectory_on_another_file_system_is_refused_before_anything_moves(tmp_path: Path, mounted: Path) -> None:
    out = mounted / "out"
    assert promgen_in_process("render", SPEC, "-o", str(out)).returncode == 0
    inner = out / "grafana"
    saved = tmp_path / "grafana-files"
    subprocess.run(["cp", "-a", str(inner), str(saved)], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(inner)], check=True)
    try:
        subprocess.run(["cp", "-a", f"{saved}/.", str(inner)], check=True)
        (out / "prometheus" / "prometheus.yml").write_text("# drift\n")
        (inner / "dashboards" / "promptforge-overview.json").write_text("{}\n")
        before = snapshot(out)
        result = promgen_in_process("render", SPEC, "-o", str(out), "--force")
        assert_clean_refusal(result, "another file system")
        assert snapshot(out) == before
    finally:
        subprocess.run(["umount", "-l", str(inner)], check=False)


# --- one render at a time ---------------------------------------------------------------------


def test_a_render_waits_for_the_lock_and_gives_up_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    monkeypatch.setattr(write, "LOCK_TIMEOUT_S", 0.3)
    try:
        with pytest.raises(OutputError, match="another promgen render"):
            write.write(write.Plan.of({"prometheus": {"a.yml": "a\n"}}), out)
        with pytest.raises(OutputError, match="another promgen render"):
            write.compare(write.Plan.of({"prometheus": {"a.yml": "a\n"}}), out)
    finally:
        os.close(holder)
    assert sorted(p.name for p in out.iterdir()) == []
    write.write(write.Plan.of({"prometheus": {"a.yml": "a\n"}}), out)


def test_concurrent_renders_of_two_specs_each_leave_one_complete_stack(tmp_path: Path) -> None:
    spec = yaml.safe_load((ROOT / SPEC).read_text())
    spec["scrape"]["interval"] = "30s"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(spec, sort_keys=False))
    stacks = {}
    for name, path in (("a", str(ROOT / SPEC)), ("b", str(other))):
        alone = tmp_path / f"alone-{name}"
        assert run_promgen("render", path, "-o", str(alone), "-q").returncode == 0
        stacks[name] = {k: v for k, v in snapshot(alone).items()}
    out = tmp_path / "out"
    for _ in range(6):
        processes = [
            subprocess.Popen([sys.executable, "-m", "promgen", "render", path, "-o", str(out), "-q"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for path in (str(ROOT / SPEC), str(other))
        ]
        for process in processes:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
        assert snapshot(out) in stacks.values(), "one complete stack, never a mix"


# --- interruptions ----------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from promgen.write import files as write
    plan = write.Plan.of(json.loads(Path(sys.argv[1]).read_text()))
    print("ready", flush=True)
    write.write(plan, Path(sys.argv[2]))
    """
)


def big_plan(version: str, files: int = 90) -> dict[str, dict[str, str]]:
    """A stack of `files` files across outputs and directories, each a few kilobytes."""
    produced: dict[str, dict[str, str]] = {}
    for index in range(files):
        output = ("prometheus", "grafana", "kubernetes")[index % 3]
        produced.setdefault(output, {})[f"{output}/part{index % 7}/file{index}.yml"] = f"# {version}\n" + "x: 1\n" * 600
    if version == "new":  # the new stack also drops some files and adds others
        for index in range(0, files, 10):
            produced[("prometheus", "grafana", "kubernetes")[index % 3]].pop(
                f"{('prometheus', 'grafana', 'kubernetes')[index % 3]}/part{index % 7}/file{index}.yml")
        produced["prometheus"]["prometheus/extra/added.yml"] = "# new\n"
    return produced


def contents(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(manifest.RESERVED_PREFIX)
        and not any(part.startswith(manifest.RESERVED_PREFIX) for part in p.relative_to(root).parts)
    }


def swap_duration(plans: Path, out: Path, env: dict[str, str]) -> float:
    """Seconds from a writer's "ready" to its exit when it replaces the old stack by the new one."""
    subprocess.run([sys.executable, "-c", WRITER, str(plans / "old.json"), str(out)], check=True, env=env,
                   cwd=ROOT, capture_output=True)
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(plans / "new.json"), str(out)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    start = time.monotonic()
    process.wait(timeout=60)
    return time.monotonic() - start


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_random_kills_leave_the_old_or_the_new_stack(signum: int, tmp_path: Path) -> None:
    rounds = int(os.environ.get("PROMGEN_KILL_ROUNDS", "200" if signum == signal.SIGKILL else "60"))
    old_plan, new_plan = big_plan("old"), big_plan("new")
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "old.json").write_text(json.dumps(old_plan))
    (plans / "new.json").write_text(json.dumps(new_plan))
    old = {rel: text for files in old_plan.values() for rel, text in files.items()}
    new = {rel: text for files in new_plan.values() for rel, text in files.items()}
    rng = random.Random(20261127)
    outcomes = {"old": 0, "new": 0, "finished by the next run": 0}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    duration = swap_duration(plans, tmp_path / "calibrate", env)
    for round_ in range(rounds):
        out = tmp_path / f"out{round_ % 4}"
        write.write(write.Plan.of(old_plan), out)
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(plans / "new.json"), str(out)], env=env,
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, duration * 1.2))
        process.send_signal(signum)
        _, errors = process.communicate(timeout=60)
        now = contents(out)
        files = {k: v for k, v in now.items() if k != MANIFEST_FILE}
        for rel, text in files.items():
            assert text in (old.get(rel), new.get(rel)), f"round {round_}: {rel} is neither old nor new"
        pending = (out / journal.JOURNAL_FILE).exists()
        if files == old:
            outcomes["old"] += 1
        elif files == new and not pending:
            outcomes["new"] += 1
        else:
            assert pending, f"round {round_}: a mixed stack without a journal to finish it"
            outcomes["finished by the next run"] += 1
        write.write(write.Plan.of({}, complete=False), out)  # the next run: it finishes a committed swap first
        after = {k: v for k, v in contents(out).items() if k != MANIFEST_FILE}
        assert after in (old, new), f"round {round_}: after the next run the stack is neither old nor new"
        assert not [p for p in out.iterdir() if p.name.startswith(manifest.RESERVED_PREFIX) and p.name != MANIFEST_FILE]
        listed = set(json.loads((out / MANIFEST_FILE).read_text())["files"])
        assert listed == set(after), f"round {round_}: the manifest lists exactly the stack"
        if signum == signal.SIGTERM:
            assert process.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM), errors
    print(f"outcomes over {rounds} kills: {outcomes}")
    assert outcomes["old"] and outcomes["new"] or rounds < 20, outcomes


# --- what the CLI prints and writes about the spec's name -------------------------------------


def test_a_newline_in_the_spec_name_cannot_add_lines_to_any_output(tmp_path: Path) -> None:
    hostile = tmp_path / "x\nmalicious: true\n#.yaml"
    hostile.write_text((ROOT / SPEC).read_text())
    out = tmp_path / "out"
    result = promgen_in_process("render", str(hostile), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    for path in out.rglob("*.y*ml"):
        text = path.read_text()
        assert "\nmalicious: true" not in text, path
        documents = list(yaml.safe_load_all(text))
        assert all(not isinstance(d, dict) or "malicious" not in d for d in documents)
    assert "x\\nmalicious: true\\n#.yaml" in (out / "prometheus" / "prometheus.yml").read_text()


def test_control_characters_in_names_are_escaped_in_messages(tmp_path: Path) -> None:
    hostile = tmp_path / "spec\x1b[2K\r::error::forged.yaml"
    hostile.write_text("version: 1\n")
    result = promgen_in_process("validate", str(hostile))
    assert result.returncode == 1
    assert "\x1b" not in result.stdout + result.stderr and "\r" not in result.stdout + result.stderr
    assert "\\x1b[2K\\r::error::forged.yaml" in result.stdout


def test_a_valid_spec_named_with_a_newline_cannot_forge_a_line_on_the_ok_line(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "promptforge" / "promgen.yaml", folder / "a\n::error file=a::pwned.yaml")
    for arguments in ([str(folder)], [str(folder / "a\n::error file=a::pwned.yaml")]):
        result = promgen_in_process("validate", *arguments)
        assert result.returncode == 0, result.stderr
        assert not any(line.startswith("::error") for line in result.stdout.splitlines())
        assert "a\\n::error file=a::pwned.yaml: ok (" in result.stdout


def test_the_header_does_not_depend_on_the_working_directory(tmp_path: Path) -> None:
    outputs = []
    for cwd in (ROOT, tmp_path):
        out = tmp_path / f"out-{len(outputs)}"
        assert promgen_in_process("render", str(ROOT / SPEC), "-o", str(out), "-q", cwd=cwd).returncode == 0
        outputs.append(contents(out))
    assert outputs[0] == outputs[1]


# --- credentials in URLs --------------------------------------------------------------------------

SECRET = "s3cr3t-Zq9"
URL_CASES = {
    "webhook userinfo": ("channels", {"name": "hook", "type": "webhook", "url": f"https://bot:{SECRET}@hooks.example.com/x"}, "url_file"),
    "webhook token": ("channels", {"name": "hook", "type": "webhook", "url": f"https://hooks.example.com/x?token={SECRET}"}, "url_file"),
    "webhook sig": ("channels", {"name": "hook", "type": "webhook", "url": f"https://hooks.example.com/x?sig={SECRET}&a=1"}, "url_file"),
    "opsgenie userinfo": ("channels", {"name": "hook", "type": "opsgenie", "api_key_file": "/k", "api_url": f"https://u:{SECRET}@api.opsgenie.com/"}, "api_key_file"),
    "remote_write key": ("remote_write", {"url": f"https://mimir.example.com/push?api_key={SECRET}"}, "bearer_token_file"),
    "remote_write userinfo": ("remote_write", {"url": f"https://user:{SECRET}@mimir.example.com/push"}, "password_file"),
    "remote_write signature": ("remote_write", {"url": f"https://s3.example.com/p?X-Amz-Signature={SECRET}"}, "bearer_token_file"),
    "probe password": ("probes", {"external": [f"https://api.example.com/health?password={SECRET}"]}, None),
    "probe userinfo": ("probes", {"external": [{"url": f"https://admin:{SECRET}@api.example.com/"}]}, None),
    "runbook auth": ("service", {"runbook_url": f"https://wiki.example.com/{{alert}}?auth={SECRET}"}, None),
    "alert runbook userinfo": ("alerts", {"runbook_url": f"https://me:{SECRET}@wiki.example.com/x"}, None),
    "scrape path query": ("scrape", {"path": f"/metrics?secret={SECRET}"}, None),
}


def spec_with(section: str, value: dict[str, object]) -> dict[str, object]:
    spec: dict[str, object] = {
        "version": 1,
        "service": {"name": "svc"},
        "scrape": {"targets": [{"job": "svc", "static": ["svc:8000"]}]},
        "severities": [{"name": "critical", "notify": ["hook"]}],
        "channels": [{"name": "hook", "type": "webhook", "url": "https://hooks.example.com/x"}],
        "alerts": [{"name": "Down", "expr": "up == 0", "severity": "critical", "summary": "down"}],
    }
    if section == "channels":
        spec["channels"] = [value]
    elif section == "remote_write":
        spec["remote_write"] = [value]
    elif section == "service":
        spec["service"] = {"name": "svc", **value}
    elif section == "alerts":
        spec["alerts"] = [{"name": "Down", "expr": "up == 0", "severity": "critical", "summary": "down", **value}]
    elif section == "scrape":
        spec["scrape"] = {"targets": [{"job": "svc", "static": ["svc:8000"], **value}]}
    else:
        spec[section] = value
    return spec


@pytest.mark.parametrize("case", sorted(URL_CASES))
def test_credentials_in_urls_are_refused_and_never_echoed(case: str, tmp_path: Path) -> None:
    section, value, alternative = URL_CASES[case]
    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(spec_with(section, value), sort_keys=False))
    out = tmp_path / "out"
    for args in (["validate", str(path)], ["validate", "--format", "json", str(path)],
                 ["render", str(path), "-o", str(out)], ["routes", str(path), "severity=critical"]):
        result = promgen_in_process(*args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        printed = result.stdout + result.stderr
        assert SECRET not in printed, (args, printed)
        assert "Traceback" not in printed
        if alternative is not None and args[0] == "validate" and "json" not in args:
            assert alternative in printed, printed
    assert not out.exists()
