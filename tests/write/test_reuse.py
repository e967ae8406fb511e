"""Part records outside DIR: a file of DIR is reused only with the recorded sha256; records are kept
to a bound, the newest first; a broken record reuses nothing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from promgen.write import cache, reuse

KEY = "a" * 64


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(tmp_path / "cache"))


def _dir(tmp_path: Path, text: str) -> Path:
    out = tmp_path / "out"
    (out / "prometheus").mkdir(parents=True, exist_ok=True)
    (out / "prometheus" / "a.yml").write_text(text, encoding="utf-8")
    return out


def test_a_file_with_the_recorded_digest_is_reused_with_its_notes(tmp_path: Path) -> None:
    assert not reuse.anything_recorded()
    reuse.remember(KEY, {"prometheus/a.yml": "rules\n"}, ["untested: X"], {"tests": 3})
    assert reuse.anything_recorded()
    [found] = reuse.recall(_dir(tmp_path, "rules\n"), [KEY])
    assert found is not None and found.files == {"prometheus/a.yml": "rules\n"}
    assert found.notes == ["untested: X"] and found.stats == {"tests": 3}


@pytest.mark.parametrize("content", ["rules, edited\n", None])
def test_other_content_or_no_file_reuses_nothing(tmp_path: Path, content: str | None) -> None:
    reuse.remember(KEY, {"prometheus/a.yml": "rules\n"}, [], {})
    out = _dir(tmp_path, content or "")
    if content is None:
        (out / "prometheus" / "a.yml").unlink()
    assert reuse.recall(out, [KEY, None, "b" * 64]) == [None, None, None]


def test_a_record_of_another_shape_reuses_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "parts"
    folder.mkdir(parents=True)
    digest = hashlib.sha256(b"rules\n").hexdigest()
    (folder / f"{KEY}.json").write_text(f'{{"key": "{KEY}", "files": {{"prometheus/a.yml": "{digest}"}}, "stats": []}}')
    assert reuse.recall(_dir(tmp_path, "rules\n"), [KEY]) == [None]


def test_records_past_the_bound_go_oldest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "PARTS_KEPT", 2)
    keys = [f"{n:064x}" for n in range(5)]
    for age, key in enumerate(keys):
        reuse.remember(key, {"x": "y"}, [], {})
        os.utime(tmp_path / "cache" / "parts" / f"{key}.json", (1000 + age, 1000 + age))
    cache.prune_parts()
    assert sorted(p.stem for p in (tmp_path / "cache" / "parts").glob("*.json")) == keys[3:]


@pytest.mark.parametrize("cut", [0, 1, 20, -1])
def test_a_torn_record_reuses_nothing(tmp_path: Path, cut: int) -> None:
    """Records are not synced to the disk (a large render writes hundreds): what a crash can leave of
    one, any prefix of it or nothing, never reads as a record."""
    reuse.remember(KEY, {"prometheus/a.yml": "rules\n"}, [], {})
    record = tmp_path / "cache" / "parts" / f"{KEY}.json"
    record.write_bytes(record.read_bytes()[:cut])
    assert reuse.recall(_dir(tmp_path, "rules\n"), [KEY]) == [None]


def test_what_a_rule_file_reads_is_recalled_as_recorded() -> None:
    reads = [("slo:sli_error:ratio_rate5m", [("slo", "=", "availability"), ("service", "=~", "a|b")]), ("up", [])]
    cache.remember_reads(KEY, reads)
    assert cache.recalled_reads(KEY) == reads
    assert cache.recalled_reads("b" * 64) is None


@pytest.mark.parametrize("reads", ['"x"', '[["x"]]', '[["x", [["slo", "="]]]]', '[[1, []]]', '[["x", [[1, "=", "a"]]]]'])
def test_a_reads_record_of_another_shape_is_not_recalled(tmp_path: Path, reads: str) -> None:
    folder = tmp_path / "cache" / "reads"
    folder.mkdir(parents=True)
    (folder / f"{KEY}.json").write_text(f'{{"key": "{KEY}", "reads": {reads}}}')
    assert cache.recalled_reads(KEY) is None
