"""The real tools that judge promgen's output, at the oldest and the newest version promgen supports.

Both come from Debian without a system install: `apt-get download` with a private apt state (so
no root is needed), from the Debian archive the machine's own apt sources name, from Debian 12 (`bookworm`: Prometheus 2.42, Alertmanager 0.25, the floor) and
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
APT_SOURCES = Path("/etc/apt")
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


def _source_entries(folder: Path) -> list[tuple[str, list[str]]]:
    """(URI, suites) of every `deb` source of the machine's apt configuration: one-line `.list`
    files and deb822 `.sources` files."""
    entries: list[tuple[str, list[str]]] = []
    files = [folder / "sources.list", *sorted((folder / "sources.list.d").glob("*.list"))]
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            words = [w for w in line.split("#", 1)[0].split() if not w.startswith("[")]
            if len(words) >= 3 and words[0] == "deb":
                entries.append((words[1], [words[2]]))
    for path in sorted((folder / "sources.list.d").glob("*.sources")):
        try:
            stanzas = path.read_text(encoding="utf-8", errors="replace").split("\n\n")
        except OSError:
            continue
        for stanza in stanzas:
            fields = {}
            for line in stanza.splitlines():
                key, colon, value = line.partition(":")
                if colon and not line.startswith(("#", " ")):
                    fields[key.strip().lower()] = value.split()
            if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
                entries += [(uri, fields.get("suites", [])) for uri in fields.get("uris", [])]
    return entries


def debian_mirror(folder: Path = APT_SOURCES) -> str:
    """The Debian archive this machine's apt uses (PROMGEN_DEBIAN_MIRROR overrides it): the first
    source of a Debian release's own suite (not its -security or -updates), so the judges come from
    wherever the machine is allowed to fetch packages."""
    configured = os.environ.get("PROMGEN_DEBIAN_MIRROR")
    if configured:
        return configured
    for uri, suites in _source_entries(folder):
        if any(suite in DEBIAN_SUITES for suite in suites):
            return uri
    raise Unavailable(
        f"no Debian archive in {folder}/sources.list or sources.list.d/ (the judges are Debian packages); "
        "set PROMGEN_DEBIAN_MIRROR to the archive's URL"
    )


DEBIAN_SUITES = frozenset({"bullseye", "bookworm", "trixie", "forky", "duke", "sid", "unstable", "testing", "stable",
                           "oldstable"})


def bin_dir(release: str) -> Path:
    return CACHE / release / "usr" / "bin"


def versions_file(release: str) -> Path:
    return CACHE / release / "VERSIONS.json"


def present(release: str) -> bool:
    """Fetched, by this version of the fetcher (one that relocated Alertmanager's data folder)."""
    if not (versions_file(release).is_file() and all((bin_dir(release) / b).is_file() for b in BINARIES)):
        return False
    try:
        return "alertmanager_data" in json.loads(versions_file(release).read_text())
    except ValueError:
        return False


def ensure(release: str) -> Path:
    """The bin directory of `release`, fetched first when it is not there yet."""
    if not present(release):
        CACHE.mkdir(parents=True, exist_ok=True)
        with open(CACHE / ".lock", "w") as lock:  # one fetch at a time (pytest-xdist, parallel CI steps)
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not present(release):
                _fetch(RELEASES[release])
    _link_alertmanager_data(release)
    return bin_dir(release)


# Debian's Alertmanager reads its default notification templates from this folder, compiled in. A
# fetched (not installed) Alertmanager finds them through a link of the same length that the fetch
# writes into its binary instead, so no file outside .judges/ and /tmp is needed.
ALERTMANAGER_DATA = b"/usr/share/prometheus/alertmanager"


def _alertmanager_link(release: str) -> str:
    import hashlib

    tag = hashlib.sha256(f"{CACHE.resolve()}:{release}".encode()).hexdigest()
    prefix = "/tmp/.promgen-am-"
    return prefix + tag[: len(ALERTMANAGER_DATA) - len(prefix)]


def _link_alertmanager_data(release: str) -> None:
    link = Path(_alertmanager_link(release))
    target = CACHE.resolve() / release / "usr" / "share" / "prometheus" / "alertmanager"
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    temp = link.with_name(f"{link.name}.{os.getpid()}")
    temp.unlink(missing_ok=True)
    temp.symlink_to(target)
    temp.replace(link)


def _relocate_alertmanager_data(tree: Path, release: str) -> None:
    binary = tree / "usr" / "bin" / "prometheus-alertmanager"
    link = _alertmanager_link(release).encode()
    assert len(link) == len(ALERTMANAGER_DATA)
    binary.write_bytes(binary.read_bytes().replace(ALERTMANAGER_DATA, link))


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
    try:
        _download(release)
    except Unavailable as error:
        raise Unavailable(
            f"{error}. The {release.name} judges are the Debian {release.suite} packages {', '.join(release.packages)}, "
            "fetched with apt-get and dpkg-deb (install Debian's apt and dpkg) from the Debian archive the machine's "
            "apt sources name (or PROMGEN_DEBIAN_MIRROR)"
        ) from None


def _download(release: Release) -> None:
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
        (state / "sources.list").write_text(f"deb {signed}{debian_mirror()} {release.suite} main\n")
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
        _relocate_alertmanager_data(tree, release.name)
        recorded = {"suite": release.suite, "packages": versions, "alertmanager_data": _alertmanager_link(release.name)}
        (tree / "VERSIONS.json").write_text(json.dumps(recorded, indent=2) + "\n")
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
