"""The real tools that judge promgen's output, at the oldest and the newest version promgen supports.

Both come from Debian without a system install: `apt-get download` with a private apt state (so
no root is needed) from Debian 12 (`bookworm`: Prometheus 2.42, Alertmanager 0.25, the floor) and
from Debian unstable (`sid`: Prometheus 3.5, Alertmanager 0.33, the newest), then `dpkg-deb -x`
into `.judges/<release>/`. The test suite fetches them on first use; `.ci/run` fetches them
up front with

    python -m tests.judges fetch

and `python -m tests.judges versions` prints what is there. Fetching takes a few seconds on a
machine that reaches the Debian archive; a release that is already there is not fetched again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("PROMGEN_JUDGES", ROOT / ".judges"))
MIRROR = os.environ.get("PROMGEN_DEBIAN_MIRROR", "http://deb.debian.org/debian")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
FETCH_COMMAND = "python -m tests.judges fetch"


@dataclass(frozen=True)
class Release:
    name: str  # oldest | newest
    suite: str  # the Debian suite it comes from
    packages: tuple[str, ...]


RELEASES: dict[str, Release] = {
    "oldest": Release("oldest", "bookworm", ("prometheus", "prometheus-alertmanager", "prometheus-blackbox-exporter",
                                             "victoria-metrics")),
    "newest": Release(
        "newest", "unstable", ("prometheus", "promtool", "prometheus-alertmanager", "prometheus-blackbox-exporter",
                               "victoria-metrics")
    ),
}
NAMES = tuple(RELEASES)
BINARIES = ("promtool", "prometheus", "amtool", "prometheus-alertmanager", "prometheus-blackbox-exporter", "vmalert")


class Unavailable(Exception):
    """A judge could not be fetched (no network, no apt); the message says why."""


def bin_dir(release: str) -> Path:
    return CACHE / release / "usr" / "bin"


def versions_file(release: str) -> Path:
    return CACHE / release / "VERSIONS.json"


def present(release: str) -> bool:
    return versions_file(release).is_file() and all((bin_dir(release) / b).is_file() for b in BINARIES)


def ensure(release: str) -> Path:
    """The bin directory of `release`, fetched first when it is not there yet."""
    if present(release):
        return bin_dir(release)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:  # one fetch at a time (pytest-xdist, parallel CI steps)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not present(release):
            _fetch(RELEASES[release])
    return bin_dir(release)


def _apt_options(state: Path) -> list[str]:
    return [
        "-o", f"Dir::Etc::SourceList={state / 'sources.list'}",
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={state / 'lists'}",
        "-o", f"Dir::Cache={state / 'cache'}",
        "-o", "Dir::State::Status=/dev/null",
        "-o", "Debug::NoLocking=1",
        "-o", "APT::Sandbox::User=root" if os.geteuid() == 0 else "APT::Sandbox::User=" + _user(),
        "-q",
    ]


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _run(command: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Unavailable(f"{command[0]}: {error}") from None
    if done.returncode != 0:
        raise Unavailable(f"{' '.join(command[:2])} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout


def _fetch(release: Release) -> None:
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not installed (the judges come from Debian packages)")
    target = CACHE / release.name
    with tempfile.TemporaryDirectory(prefix=f"judges-{release.name}-", dir=CACHE) as temp:
        work = Path(temp)
        state = work / "apt"
        for sub in ("lists/partial", "cache/archives/partial"):
            (state / sub).mkdir(parents=True)
        signed = f"[signed-by={KEYRING}] " if Path(KEYRING).is_file() else "[trusted=yes] "
        (state / "sources.list").write_text(f"deb {signed}{MIRROR} {release.suite} main\n")
        options = _apt_options(state)
        _run(["apt-get", *options, "update"])
        downloads = work / "debs"
        downloads.mkdir()
        _run(["apt-get", *options, "download", *release.packages], cwd=downloads)
        tree = work / "tree"
        versions: dict[str, str] = {}
        for deb in sorted(downloads.glob("*.deb")):
            _run(["dpkg-deb", "-x", str(deb), str(tree)])
            package, version = deb.name.split("_")[:2]
            versions[package] = version.replace("%3a", ":")
        missing = [b for b in BINARIES if not (tree / "usr" / "bin" / b).is_file()]
        if missing:
            raise Unavailable(f"{release.suite}'s packages have no {', '.join(missing)}")
        (tree / "VERSIONS.json").write_text(json.dumps({"suite": release.suite, "packages": versions}, indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        tree.rename(target)


def describe(release: str) -> str:
    data = json.loads(versions_file(release).read_text())
    packages = ", ".join(f"{name} {version}" for name, version in sorted(data["packages"].items()))
    return f"{release} (Debian {data['suite']}): {packages}"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "fetch"
    if command == "fetch":
        for name in argv[1:] or list(NAMES):
            try:
                ensure(name)
            except Unavailable as error:
                print(f"cannot fetch the {name} judges: {error}", file=sys.stderr)
                return 1
            print(describe(name))
        return 0
    if command == "versions":
        for name in NAMES:
            print(describe(name) if present(name) else f"{name}: not fetched ({FETCH_COMMAND})")
        return 0
    print(f"usage: python -m tests.judges [fetch [oldest|newest]...|versions]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
