"""The judge fetcher reads the Debian archive from the machine's own apt sources (no host is written
in the code), and says what to install when it cannot fetch."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import judges


def sources(tmp_path: Path, one_line: str = "", deb822: str = "") -> Path:
    folder = tmp_path / "apt"
    (folder / "sources.list.d").mkdir(parents=True)
    (folder / "sources.list").write_text(one_line)
    if deb822:
        (folder / "sources.list.d" / "debian.sources").write_text(deb822)
    return folder


def test_the_archive_comes_from_a_deb822_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMGEN_DEBIAN_MIRROR", raising=False)
    folder = sources(tmp_path, deb822=(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n"))
    assert judges.debian_mirror(folder) == "http://mirror.example/debian"


def test_the_archive_comes_from_a_one_line_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMGEN_DEBIAN_MIRROR", raising=False)
    folder = sources(tmp_path, one_line=(
        "# deb http://old.example/debian bookworm main\n"
        "deb https://packages.other.example/apt cloud-sdk main\n"
        "deb [signed-by=/k.gpg] http://mirror.example/debian trixie main\n"))
    assert judges.debian_mirror(folder) == "http://mirror.example/debian"


def test_the_environment_overrides_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMGEN_DEBIAN_MIRROR", "http://override.example/debian")
    assert judges.debian_mirror(sources(tmp_path)) == "http://override.example/debian"


def test_no_debian_source_says_how_to_name_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMGEN_DEBIAN_MIRROR", raising=False)
    with pytest.raises(judges.Unavailable, match="set PROMGEN_DEBIAN_MIRROR"):
        judges.debian_mirror(sources(tmp_path, one_line="deb https://deb.nodesource.example/node nodistro main\n"))


def test_a_failed_fetch_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judges.shutil, "which", lambda tool: None)
    with pytest.raises(judges.Unavailable) as raised:
        judges._fetch(judges.RELEASES["newest"])
    message = str(raised.value)
    assert "apt-get is not installed" in message
    assert "install Debian's apt and dpkg" in message and "prometheus-alertmanager" in message
