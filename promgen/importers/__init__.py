"""Importers of other tools' SLO documents into promgen specs (`promgen import`).

FORMATS maps a format name to "module:function"; each function takes the source documents and
returns the services they describe (imported only when that format is asked for).
"""

from __future__ import annotations

FORMATS: dict[str, str] = {
    "sloth": "promgen.importers.sloth:convert",
    "openslo": "promgen.importers.openslo:convert",
    "pyrra": "promgen.importers.pyrra:convert",
}


def detect(data: object) -> str | None:
    """The format a source document is written in (sloth, openslo, pyrra), by its header; None
    when it is none of them."""
    if not isinstance(data, dict):
        return None
    api = str(data.get("apiVersion") or "")
    if data.get("version") == "prometheus/v1" or api.startswith("sloth.slok.dev/"):
        return "sloth"
    if api.startswith("openslo/"):
        return "openslo"
    if api.startswith("pyrra.dev/"):
        return "pyrra"
    return None
