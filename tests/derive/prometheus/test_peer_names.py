"""`rules.naming: pyrra`: pyrra's series recorded beside promgen's, from them, with pyrra's labels;
validate knows them as recorded series (an alert may read them; a window that is not recorded is an
error). That their values equal pyrra's own rules' is shown in tests/importers/test_same_decisions.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from promgen.cli.render import plan
from promgen.cli.validate import collect
from tests.support import shop_spec

SPEC = shop_spec("""\
rules: {slo: MODE, naming: pyrra}
metrics:
  - {name: http_requests_total, type: counter, labels: [code]}
  - {name: http_request_duration_seconds, type: histogram, buckets: [0.1, 0.5, 1]}
slos:
  - name: availability
    objective: 99
    sli:
      errors: sum(rate(http_requests_total{job="shop", code=~"5.."}[{{window}}]))
      total: sum(rate(http_requests_total{job="shop"}[{{window}}]))
  - name: latency
    objective: 95
    sli:
      latency: {metric: http_request_duration_seconds, threshold: 500ms}
alerts:
  - name: PyrraStyleBurn
    expr: http_requests:burnrate1h{slo="availability", job="shop"} > 0.1
    severity: warning
    summary: The availability error ratio is above 10% over an hour.
""")


def _spec(tmp_path: Path, mode: str = "chained", text: str = SPEC) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(text.replace("MODE", mode), encoding="utf-8")
    return path


def _recorded(files: dict[str, str], slo: str) -> dict[str, dict[str, object]]:
    groups = yaml.safe_load(files[f"prometheus/rules/shop/slo-{slo}.rules.yml"])["groups"]
    return {r["record"]: r for g in groups for r in g["rules"] if "record" in r}


@pytest.mark.parametrize("mode", ["chained", "exact"])
def test_pyrras_series_are_recorded_from_promgens_with_pyrras_labels(tmp_path: Path, mode: str) -> None:
    files = plan(_spec(tmp_path, mode))
    ratio = _recorded(files, "availability")
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d"):
        rule = ratio[f"http_requests:burnrate{window}"]
        assert rule["expr"] == f'slo:sli_error:ratio_rate{window}{{service="shop", slo="availability"}}'
        assert rule["labels"] == {"job": "shop", "service": "shop", "slo": "availability"}
    assert ratio["pyrra_objective"]["expr"] == "vector(0.99)"
    assert ratio["pyrra_window"]["expr"] == "vector(2592000)"
    assert ratio["pyrra_availability"]["expr"] == '1 - slo:sli_error:ratio_rate30d{service="shop", slo="availability"}'
    assert ratio["pyrra_requests:rate5m"]["expr"] == 'slo:sli_total:rate5m{service="shop", slo="availability"}'
    assert ratio["pyrra_errors:rate5m"]["expr"].endswith(' or (slo:sli_total:rate5m{service="shop", slo="availability"}) * 0')
    # a latency SLO is named after its histogram, as pyrra names it
    assert "http_request_duration_seconds:burnrate5m" in _recorded(files, "latency")


def test_validate_knows_pyrras_series_and_their_windows(tmp_path: Path) -> None:
    _loaded, problems = collect(_spec(tmp_path))
    assert [p for p in problems if p.level == "error"] == []
    _loaded, problems = collect(_spec(tmp_path, text=SPEC.replace("burnrate1h", "burnrate7h")))
    errors = [p.message for p in problems if p.level == "error"]
    assert len(errors) == 1 and "http_requests:burnrate7h" in errors[0], errors
    _loaded, problems = collect(_spec(tmp_path, text=SPEC.replace("naming: pyrra", "naming: promgen")))
    assert any("http_requests:burnrate1h" in p.message for p in problems if p.level == "error")
