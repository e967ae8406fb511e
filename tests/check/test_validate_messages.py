"""validate messages: warnings never fail the run; errors name the fix."""

from __future__ import annotations

from pathlib import Path

SPEC = """\
version: 1
service: {name: shop, runbook_url: "https://wiki.example.com/{alert}"}
scrape:
  targets: [{job: shop-db, static: ["db:9187"], exporter: postgres}]
metrics:
  - {name: pg_up, type: gauge}
alerts:
  - name: DatabaseDown
    expr: max(pg_up) == 0
    severity: critical
    summary: Database down.
    description: 'exporter {{ $labels.instance }} of {{ $labels.service }} lost the database.'
severities:
  - {name: critical, notify: [hook]}
channels:
  - {name: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
"""


def test_annotation_label_dropped_by_aggregation_is_a_warning(tmp_path: Path, promgen_cli) -> None:
    spec = tmp_path / "promgen.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = promgen_cli("validate", str(spec))
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if ": warning: " in line]
    # `service` is a label promgen sets on the rule, so only `instance` is lost
    assert warnings == [
        f"{spec}:12:18: warning: {{{{ $labels.instance }}}} renders empty: the expression does not keep "
        "`instance` (aggregate with `by (instance)`) [alerts/template]"
    ]


def test_keeping_the_label_silences_the_warning(tmp_path: Path, promgen_cli) -> None:
    spec = tmp_path / "promgen.yaml"
    spec.write_text(SPEC.replace("max(pg_up)", "max by (instance) (pg_up)"), encoding="utf-8")
    result = promgen_cli("validate", str(spec))
    assert result.returncode == 0
    assert "warning" not in result.stdout


def test_inline_email_password_points_at_the_shared_smtp_settings(tmp_path: Path, promgen_cli) -> None:
    spec = tmp_path / "promgen.yaml"
    spec.write_text(
        "version: 1\nservice: {name: shop}\nseverities: [{name: critical, notify: [mail]}]\n"
        "channels:\n  - {name: mail, type: email, to: ops@example.com, auth_password: hunter2}\n"
        "alertmanager:\n  smtp: {smarthost: 'smtp:587', from: a@example.com}\n",
        encoding="utf-8",
    )
    result = promgen_cli("validate", str(spec))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        f"{spec}:5:52: channels[0]: `auth_password` would put a secret in the rendered files; "
        "write it to a file and reference it with `auth_password_file` in `alertmanager.smtp`"
    )
    assert "hunter2" not in result.stdout + result.stderr


def test_version(promgen_cli) -> None:
    from promgen import __version__

    result = promgen_cli("--version")
    assert result.returncode == 0
    assert result.stdout == f"promgen {__version__}\n"


def test_bad_usage_exits_2_without_traceback(promgen_cli) -> None:
    result = promgen_cli("validate", "--format", "xml", "examples/promptforge/promgen.yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "xml" in result.stderr


def test_a_ladder_the_merge_with_a_base_reorders_is_a_warning(tmp_path: Path, promgen_cli) -> None:
    (tmp_path / "base.yaml").write_text("severities:\n  - {name: critical}\n  - {name: warning}\n")
    spec = tmp_path / "shop.yaml"
    spec.write_text('extends: base.yaml\nversion: 1\nservice: {name: shop, runbook_url: "https://w.example/{alert}"}\n'
                    "severities:\n  - {name: warning}\n  - {name: critical}\n  - {name: fatal}\n")
    result = promgen_cli("validate", str(spec))
    assert result.returncode == 0
    assert (f"{spec}:5:3: warning: this spec writes its severities as warning > critical > fatal, but merged with its "
            "base the ladder is critical > warning > fatal") in result.stdout
    spec.write_text(spec.read_text().replace("  - {name: warning}\n  - {name: critical}\n", "  - {name: critical}\n  - {name: warning}\n"))
    assert "merged with its base the ladder" not in promgen_cli("validate", str(spec)).stdout
