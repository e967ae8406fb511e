"""The quick block-YAML reader (promgen.yamlio.block) against libyaml: whatever it reads, it reads
as the composed path does (data, types, the position of every key and value); whatever libyaml
refuses, it declines. On every YAML file of the repository, the synthetic specs, and random
documents written in and around the subset it reads."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promgen.errors import SpecError
from promgen.yamlio import block
from promgen.yamlio.reader import compose_document, parse_document
from tests.support import in_ci

ROOT = Path(__file__).resolve().parents[2]


def _composed(text: str) -> tuple[str, dict[Any, Any], dict[Any, Any]] | None:
    try:
        document = compose_document(text, "f.yaml")
    except SpecError:
        return None
    return repr(document.data), document.positions.values, document.positions.keys


def _quick(text: str) -> tuple[str, dict[Any, Any], dict[Any, Any]] | None:
    found = block.read(text)
    if found is None:
        return None
    data, positions = found
    positions.values[()] = (1, 1)
    return repr(data), positions.values, positions.keys


def _agree(text: str) -> bool:
    """Asserts the quick reader agrees with libyaml on `text`; whether it read it."""
    quick = _quick(text)
    if quick is None:
        return False
    composed = _composed(text)
    assert composed is not None, f"read what libyaml refuses:\n{text}"
    assert quick[0] == composed[0], text  # repr: 1, 1.0 and True stay apart
    assert quick[1] == composed[1], text
    assert quick[2] == composed[2], text
    return True


def _repository_yaml() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.yaml", "*.yml"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    return [ROOT / name for name in listed]


def test_every_yaml_file_of_the_repository_reads_as_libyaml_reads_it() -> None:
    files = _repository_yaml()
    assert len(files) > 100
    read = sum(_agree(path.read_text(encoding="utf-8", errors="replace")) for path in files)
    assert read > 100  # tests/valid and tests/invalid are mostly plain block YAML


@pytest.mark.parametrize("size", [10, 100])
def test_the_synthetic_specs_are_read_quickly_and_alike(size: int, tmp_path: Path) -> None:
    """What the quick reader is for: a large generated spec, block YAML from end to end."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import synthetic
    finally:
        sys.path.remove(str(ROOT / "bench"))
    path = tmp_path / "spec.yaml"
    synthetic.write(size, path)
    assert _agree(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    "a: 'it''s'\nb: '' # empty\n",  # single quotes, doubled inside
    'a: "say: hi" # a comment\nb: "#not a comment"\n',
    "a: x#y\nb: x #y\nc: no\nd: 0o17\ne: -1\nf: .inf\ng: ~\nh: 1e9\n",  # YAML 1.2 scalars
    "a:\n- \n- x\n-\n  k: v\n- k:\n  j: 1\n",  # empty items, a mapping under a dash, compact ones
    "a:\n  b:\n  - 1\n  c:   # a comment\n    d: 2\n",  # a list at its key's indentation
    "# a comment first\n\na: 1   \n   # an indented comment\nb: sum(rate(x{code=~\"5..\"}[5m])) > 1\n",
])
def test_what_it_reads_it_reads_as_libyaml_does(text: str) -> None:
    assert _agree(text), text


@pytest.mark.parametrize("text", [
    "a: [1, 2]\n",  # flow collections
    "a: {b: 1}\n",
    "a: |\n  text\n",  # block scalars
    "a: >\n  text\n",
    "a: &x 1\nb: *x\n",  # anchors and aliases
    "a: !!str 1\n",  # tags
    'a: "x\\ty"\n',  # escapes
    "a: b\n  c\n",  # a plain scalar over two lines
    "'a': 1\n",  # quoted keys
    "a: 1\na: 2\n",  # duplicate keys (libyaml's path reports them)
    "a:\n\tb: 1\n",  # tabs
    "---\na: 1\n",  # document markers
    "a: 1\r\nb: 2\r\n",  # other line breaks
    "a: b: c\n",
    "- a\n",  # not a mapping
    "a:\n  - b\n c: 1\n",  # misaligned
])
def test_what_it_does_not_read_goes_to_libyaml(text: str) -> None:
    assert block.read(text) is None
    composed = _composed(text)
    if composed is None:  # libyaml refuses it: so does the loader, with libyaml's problem
        with pytest.raises(SpecError):
            parse_document(text, "f.yaml")
    else:  # libyaml reads it: the loader gives libyaml's reading
        document = parse_document(text, "f.yaml")
        assert (repr(document.data), document.positions.values, document.positions.keys) == composed


def test_a_spec_too_deep_or_too_large_is_left_to_the_walker_to_report() -> None:
    from promgen.yamlio.reader import MAX_DEPTH

    deep = "".join(f"{' ' * (2 * level)}k{level}:\n" for level in range(MAX_DEPTH + 2)) + " " * (2 * MAX_DEPTH + 4) + "x: 1\n"
    assert block.read(deep) is None
    with pytest.raises(SpecError, match="nesting deeper"):
        parse_document(deep, "f.yaml")


# --- random documents ------------------------------------------------------------------------

_SCALARS = st.sampled_from([
    "x", "no", "on", "1", "-1", "0o17", "0x1F", "1e9", ".5", "1.", "+.inf", ".NaN", "~", "null", "NULL", "true",
    "False", "", "a b", "a#b", "2024-01-01", 'sum(rate(x{code=~"5.."}[5m])) > 1', "https://x/{alert}", "it's",
    "a: b", "a:", "- x", "-x", "?x", ":x", "x #c", "[a]", "{a}", "&a", "*a", "!t", "|", ">", "%x", "@x", "`x`",
    "#x", "1" * 120, 'say "hi"', "a\\b", "é", "\u2028", "x\t", "  padded  ",
])
_KEYS = st.sampled_from(["a", "b", "name", "le", "x.y", "a/b", "1", "true", "k-1", "<<", '"q"', "a b", "é", "-k"])

_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(st.tuples(_KEYS, inner), min_size=1, max_size=4).map(lambda pairs: ("map", pairs)),
        st.lists(inner, min_size=1, max_size=4).map(lambda items: ("seq", items)),
    ),
    max_leaves=12,
)


def _scalar_text(value: str, rng: random.Random) -> str:
    style = rng.choice(["plain", "plain", "single", "double"])
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    if style == "double":
        return '"' + value + '"'
    return value


def _comment(rng: random.Random) -> str:
    return rng.choice(["", "", "", " # note", "  #x", "#glued"])


def _write(node: Any, indent: int, rng: random.Random, out: list[str], step: int) -> None:
    """`node` (a mapping or list) as block lines at `indent`."""
    kind, body = node
    pad = " " * indent
    for entry in body:
        if rng.random() < 0.1:
            out.append(" " * rng.randrange(0, indent + 3) + rng.choice(["", "# comment"]))
        key, child = entry if kind == "map" else (None, entry)
        lead = f"{pad}{key}:" if kind == "map" else f"{pad}-"
        if isinstance(child, str):
            out.append(f"{lead} {_scalar_text(child, rng)}{_comment(rng)}")
        elif kind == "seq" and child[0] == "map" and rng.random() < 0.6:
            inner: list[str] = []
            _write(child, indent + 2, rng, inner, step)  # `- key: value`, the rest lined up below it
            out.append(f"{pad}- {inner[0].lstrip(' ')}" if inner[0].strip() and not inner[0].lstrip().startswith("#")
                       else f"{lead}")
            out.extend(inner[1:] if inner[0].strip() and not inner[0].lstrip().startswith("#") else inner)
        else:
            out.append(lead + _comment(rng))
            deeper = indent if kind == "map" and child[0] == "seq" and rng.random() < 0.5 else indent + step
            _write(child, deeper, rng, out, step)


@settings(max_examples=3000 if in_ci() else 150, derandomize=in_ci(), deadline=None)
@given(st.lists(st.tuples(_KEYS, _TREES), min_size=1, max_size=4), st.randoms(use_true_random=False),
       st.sampled_from([1, 2, 4]))
def test_random_documents_read_as_libyaml_reads_them(pairs: list[tuple[str, Any]], rng: random.Random,
                                                      step: int) -> None:
    lines: list[str] = []
    _write(("map", pairs), 0, rng, lines, step)
    text = "\n".join(lines) + rng.choice(["\n", "", "\n\n"])
    _agree(text)
    if rng.random() < 0.5:  # and the same text broken at one place
        at = rng.randrange(len(text) + 1)
        _agree(text[:at] + rng.choice([" ", "\n", "-", ":", "#", "'", '"', "  ", "- ", ": "]) + text[at:])


def test_random_documents_are_mostly_read() -> None:
    """Of the generator's documents libyaml reads, the quick reader reads most: else the agreement
    above says little. (It declines a few libyaml reads, such as `"x"#comment`.)"""
    rng = random.Random(7)
    valid = read = 0
    for _ in range(300):
        pairs = [(f"k{i}", ("seq", ["x", ("map", [("a", "1"), ("b", "no")])])) for i in range(rng.randrange(1, 4))]
        lines: list[str] = []
        _write(("map", pairs), 0, rng, lines, rng.choice([1, 2, 4]))
        text = "\n".join(lines) + "\n"
        if _composed(text) is not None:
            valid += 1
            read += _agree(text)
    assert valid > 150 and read > 0.6 * valid
