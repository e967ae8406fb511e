"""Spec file -> validated `Spec`, with every structural problem mapped to file:line:col."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from promgen.errors import Problem, SpecError
from promgen.load import models
from promgen.load.suggest import did_you_mean
from promgen.load.urls import quoted
from promgen.yamlio.reader import Document, PathKey

PATTERN_HINTS: dict[str, str] = {
    models.SERVICE_NAME: "lowercase letters, digits and '-', starting with a letter (it names files and jobs)",
    models.NAME: "letters, digits, '-' and '_', starting with a letter",
    models.METRIC_NAME: "a Prometheus metric name: letters, digits, '_' and ':'",
    models.LABEL_NAME: "a Prometheus label name: letters, digits and '_', not starting with a digit",
    models.ALERT_NAME: "CamelCase: letters and digits, starting with an upper-case letter (e.g. HighErrorRate)",
    models.HOST_PORT: "host:port, e.g. backend:8000",
}


@dataclass(frozen=True)
class LoadedSpec:
    document: Document
    spec: models.Spec

    @property
    def file(self) -> str:
        return self.document.file


def load_spec(path: Path, display: str | None = None) -> LoadedSpec:
    """Load one spec, merged with the bases it extends, and validate its structure; raises SpecError
    listing every problem, each in the file (spec or base) that wrote the value."""
    from promgen.load.bases import load_with_bases

    try:
        document = load_with_bases(path, display or str(path))
    except SpecError as error:
        raise SpecError(_several_documents(path, display or str(path)) or error.problems) from None
    return validate_document(document)


def _several_documents(path: Path, display: str) -> list[Problem]:
    """A file of several documents is no promgen spec, but is often another tool's (pyrra and OpenSLO
    files hold several objects): say which import reads it."""
    from promgen.yamlio.reader import load_documents

    try:
        documents = load_documents(path, display)
    except (SpecError, OSError):
        return []
    other = _other_tool(documents[0]) if len(documents) > 1 else None
    return [other] if other is not None else []


def validate_document(document: Document) -> LoadedSpec:
    try:
        spec = models.Spec.model_validate(document.data)
    except ValidationError as error:
        other = _other_tool(document)
        if other is not None:  # one line that says what to run, not the schema's every complaint
            raise SpecError([other]) from None
        details = _without_implied_missing(error.errors(include_url=False))
        problems = [_problem(document, detail) for detail in details]
        raise SpecError(_dedupe(problems)) from None
    return LoadedSpec(document, spec)


TOOL_TITLES = {"sloth": "a sloth spec", "openslo": "an OpenSLO object", "pyrra": "a pyrra object"}


def _other_tool(document: Document) -> Problem | None:
    """The problem of a file another SLO tool reads, naming the command that imports it."""
    from promgen.importers import detect

    tool = detect(document.data)
    if tool is None:
        return None
    data = document.data
    return document.problem(("apiVersion",) if "apiVersion" in data else ("version",), f"this is {TOOL_TITLES[tool]}, not a promgen spec: `promgen import {tool} "
                                f"{document.file}` writes the promgen spec that says the same")


def _without_implied_missing(details: list[Any]) -> list[Any]:
    """Drop "missing `x_file`" where the same mapping has an inline `x`: one problem, one message."""
    inline = {
        (tuple(d["loc"][:-1]), field)
        for d in details
        if d["type"] == "extra_forbidden" and str(d["loc"][-1]) in models.INLINE_SECRET_FIELDS
        for field in _file_fields(str(d["loc"][-1]))
    }
    return [
        d for d in details
        if not (d["type"] == "missing" and (tuple(d["loc"][:-1]), str(d["loc"][-1])) in inline)
    ]


def _file_fields(key: str) -> set[str]:
    """Every `*_file` field an inline secret `key` stands for, whatever the channel type."""
    fields = {models.INLINE_SECRET_FIELDS[key]}
    fields.update(by_type[key] for by_type in models.INLINE_SECRET_BY_TYPE.values() if key in by_type)
    return fields


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[int, int, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.line, problem.column, problem.message), problem)
    return list(seen.values())


def _real_path(data: Any, loc: tuple[Any, ...]) -> tuple[PathKey, bool]:
    """Map a pydantic `loc` onto the document, dropping union tags; (path, last element found)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif index == len(loc) - 1:
            return tuple(path), False
        # else: a union tag or a validator name that is not part of the document
    return tuple(path), True


def _dotted(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "spec"


def _problem(document: Document, detail: Any) -> Problem:
    loc = tuple(detail["loc"])
    path, found = _real_path(document.data, loc)
    kind = detail["type"]
    where = _dotted(path)
    value = detail.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = path[:-1] if found else path
        if key in models.INLINE_SECRET_FIELDS:
            node = _node_at(document.data, parent)
            kind = node.get("type") if isinstance(node, dict) else None
            field = models.INLINE_SECRET_BY_TYPE.get(str(kind), {}).get(key, models.INLINE_SECRET_FIELDS[key])
            replacement = f"`{field}`"
            if key in ("auth_password", "password") and "to" in _fields_at(document.data, parent):
                replacement += " in `alertmanager.smtp`"  # email channels share the one SMTP login
            message = (
                f"{_dotted(parent)}: `{key}` would put a secret in the rendered files; "
                f"write it to a file and reference it with {replacement}"
            )
        else:
            known = _fields_at(document.data, parent)
            message = f"{_dotted(parent)}: unknown field `{key}`{did_you_mean(key, known)}"
        return document.problem(path if found else parent, message, at_key=True)
    if kind == "missing":
        field_name = str(loc[-1])
        return document.problem(path, f"{where}: missing required field `{field_name}`", at_key=True)
    if kind == "literal_error":
        expected = detail.get("ctx", {}).get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",") if o.strip()]
        hint = did_you_mean(str(value), options) if isinstance(value, str) else ""
        return document.problem(path, f"{where}: {quoted(value)} is not one of {expected}{hint}")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = detail.get("ctx", {}).get("tag", value)
        types_here = models.CHANNEL_TYPES if "channels" in path else ()
        if kind == "union_tag_not_found":
            return document.problem(path, f"{where}: missing `type` (one of {', '.join(types_here)})")
        return document.problem(
            path + ("type",),
            f"{where}.type: unknown channel type {quoted(tag)}{did_you_mean(str(tag), types_here)} "
            f"(types: {', '.join(types_here)})",
        )
    if kind == "string_pattern_mismatch":
        pattern = detail.get("ctx", {}).get("pattern", "")
        hint = PATTERN_HINTS.get(pattern, f"it must match {pattern}")
        return document.problem(path, f"{where}: {quoted(value)} is not valid: {hint}")
    message = str(detail["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return document.problem(path, f"{where}: {message[0].lower() + message[1:] if message else message}")


def _node_at(data: Any, path: PathKey) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _fields_at(data: Any, path: PathKey) -> list[str]:
    """Field names (aliases) the spec model allows at `path`, to suggest a near miss."""
    model: Any = models.Spec
    node = data
    for part in path:
        if isinstance(node, list):
            node = node[part] if isinstance(part, int) else None
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = None
        model = _step(model, part, node)
        if model is None:
            return []
    model = _pick_model(model, node)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [info.alias or name for name, info in model.model_fields.items()]
    return []


def _step(model: Any, part: str | int, node: Any) -> Any:
    model = _pick_model(model, node)
    if isinstance(part, int):
        args = typing.get_args(_unwrap(model))
        return args[0] if args else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, info in model.model_fields.items():
            if (info.alias or name) == part:
                return info.annotation
        return None
    origin = typing.get_origin(_unwrap(model))
    if origin is dict:
        return typing.get_args(_unwrap(model))[1]
    return None


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _pick_model(annotation: Any, node: Any) -> Any:
    """Resolve Optional / Annotated / discriminated unions to the model that `node` is meant to be."""
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and isinstance(node, dict):
        for option in typing.get_args(annotation):
            option = _unwrap(option)
            type_field = getattr(option, "model_fields", {}).get("type")
            if type_field is not None and node.get("type") in typing.get_args(type_field.annotation):
                return option
    return annotation
