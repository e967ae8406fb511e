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
