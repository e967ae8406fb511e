"""What DIR's manifest records (every file promgen wrote there, with its output and sha256), and
the paths promgen may write: plain relative paths below DIR, never its own bookkeeping names."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from promgen.core.conventions import MANIFEST_FILE
from promgen.errors import OutputError, printable, shortened
from promgen.write.safe_dir import OutputDir

MANIFEST_VERSION = 1
# Names in DIR that only promgen's own bookkeeping may use (output paths may not start with it).
RESERVED_PREFIX = ".promgen-"
READ_LIMIT = 64 * 1024 * 1024  # promgen never writes a file this large; anything bigger is not its own
NAME_MAX, PATH_MAX = 255, 4095  # bytes of one path component and of a whole path (Linux); promgen's are far shorter
@dataclass(frozen=True)
class Entry:
    output: str
    sha256: str


# --- paths and the manifest -----------------------------------------------------------------


# The paths promgen writes: components of letters, digits and `_.+-`, none starting with a dot or a
# dash, none longer than NAME_MAX. Such a path needs no closer look (a render checks thousands).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}(?:/[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254})*")


def safe_relative(rel: str) -> str:
    """`rel` as a clean relative POSIX path inside DIR; OutputError for anything that could escape it."""
    if len(rel) <= PATH_MAX and _PLAIN_PATH.fullmatch(rel):  # never promgen's own: those start with a dot
        return rel
    return _checked_relative(rel)


def _checked_relative(rel: str) -> str:
    path = PurePosixPath(rel)
    if (
        not rel
        or len(rel.encode("utf-8", "surrogatepass")) > PATH_MAX
        or any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX for part in rel.split("/"))
        or "\\" in rel
        or "\0" in rel
        or not rel.isprintable()
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in rel.split("/"))
        or (len(rel) > 1 and rel[1] == ":")
    ):
        raise OutputError(f"refusing to write {printable(shortened(repr(rel)))}: not a plain relative path inside "
                          "the output directory")
    if rel == MANIFEST_FILE or rel.startswith(RESERVED_PREFIX):
        raise OutputError(f"refusing to write {printable(repr(rel))}: promgen keeps its own bookkeeping there")
    return rel


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_json(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


@dataclass(frozen=True)
class Manifest:
    """What DIR's manifest records: the files promgen wrote, and the digest of the complete render's
    inputs when the last render was one (promgen.fingerprint)."""

    entries: dict[str, Entry] = field(default_factory=dict)
    inputs: str | None = None


def read_manifest(directory: OutputDir | None, *, force: bool = False) -> Manifest:
    """DIR's manifest (empty when there is none)."""
    if directory is None:
        return Manifest()
    raw = directory.read(MANIFEST_FILE, READ_LIMIT)
    if raw is None:
        return Manifest()
    try:
        data = load_json(raw)
        if not isinstance(data, dict) or data.get("promgen_manifest") != MANIFEST_VERSION or not isinstance(data.get("files"), dict):
            raise ValueError(f"not a version {MANIFEST_VERSION} promgen manifest")
        entries: dict[str, Entry] = {}
        for rel, entry in data["files"].items():
            if not (isinstance(entry, dict) and isinstance(entry.get("output"), str) and isinstance(entry.get("sha256"), str)):
                raise ValueError(f"entry {printable(repr(rel))} needs `output` and `sha256`")
            entries[safe_relative(rel)] = Entry(entry["output"], entry["sha256"])
        inputs = data.get("inputs")
        return Manifest(entries, inputs if isinstance(inputs, str) else None)
    except (ValueError, AttributeError, OutputError) as error:
        if force:
            return Manifest()
        reason = str(error).replace("refusing to write", "it lists")
        raise OutputError(
            f"{directory.shown(MANIFEST_FILE)} is not a valid promgen manifest ({reason}); promgen cannot tell which "
            "files it owns: delete it and rerun with --force"
        ) from None


def manifest_text(entries: Mapping[str, Entry], inputs: str | None = None) -> str:
    files = {rel: {"output": e.output, "sha256": e.sha256} for rel, e in sorted(entries.items())}
    document: dict[str, object] = {
        "promgen_manifest": MANIFEST_VERSION,
        "comment": "files promgen render wrote in this directory; it overwrites and removes only these",
        "files": files,
    }
    if inputs is not None:  # what a complete render of these files read (promgen.fingerprint)
        document["inputs"] = inputs
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def listing(directory: OutputDir, rels: list[str]) -> str:
    shown = ", ".join(directory.shown(rel) for rel in rels[:3])
    return shown + (f" and {len(rels) - 3} more" if len(rels) > 3 else "")
