"""A client of the Prometheus HTTP API (`/api/v1/...`), as `promgen check` reads it: instant and
range queries (ranges cut into pieces the server accepts), series, label values, the server's
retention. Credentials come from files or the environment, never from the command line; TLS takes
the options Prometheus' own HTTP client config names (ca_file, cert_file, key_file,
insecure_skip_verify). A server that is down, slow or answers an error is a `LiveError` saying so.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from promgen.errors import PromgenError, printable, shortened

MAX_POINTS = 10_000  # Prometheus refuses a range query of more than 11,000 points per series
TOKEN_ENV = "PROMGEN_PROMETHEUS_TOKEN"
PASSWORD_ENV = "PROMGEN_PROMETHEUS_PASSWORD"


class LiveError(PromgenError):
    """The Prometheus could not be asked, or answered with an error."""


@dataclass(frozen=True)
class Tls:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False


@dataclass(frozen=True)
class Credentials:
    """A bearer token, or a basic-auth user and password; read once from their files or variables."""

    bearer_token: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def read(cls, bearer_token_file: str | None, username: str | None, password_file: str | None) -> Credentials:
        token = _secret(bearer_token_file) if bearer_token_file else os.environ.get(TOKEN_ENV)
        password = _secret(password_file) if password_file else os.environ.get(PASSWORD_ENV)
        if username is not None and password is None:
            raise LiveError(f"basic auth needs a password: --basic-auth-password-file FILE, or ${PASSWORD_ENV}")
        return cls(token or None, username, password if username is not None else None)

    def header(self) -> str | None:
        if self.bearer_token:
            return f"Bearer {self.bearer_token}"
        if self.username is not None:
            raw = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        return None


def _secret(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as error:
        raise LiveError(f"cannot read {printable(path)}: {error.strerror or error}") from None


class PrometheusAPI:
    def __init__(self, url: str, credentials: Credentials = Credentials(), tls: Tls = Tls(),
                 timeout_s: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LiveError(f"--prometheus takes an http(s) URL, e.g. http://prometheus:9090, not {printable(url)!r}")
        if parts.username or parts.password:
            raise LiveError("--prometheus must not carry a user or password: give --basic-auth-username and a "
                            "password file (or $" + PASSWORD_ENV + ")")
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.timeout_s = timeout_s
        self.context = _context(tls) if parts.scheme == "https" else None

    def get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]]) -> Any:
        """The `data` of an API answer; LiveError when the server cannot be reached or says no."""
        query = urllib.parse.urlencode(params, doseq=True)
        request = urllib.request.Request(f"{self.url}{path}?{query}")
        header = self.credentials.header()
        if header:
            request.add_header("Authorization", header)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s, context=self.context) as answer:
                body = answer.read()
        except urllib.error.HTTPError as error:
            detail = _error_text(error.read())
            raise LiveError(f"{self.url} answered {error.code} to {path}: {detail}") from None
        except TimeoutError:
            raise LiveError(f"{self.url} did not answer {path} within {self.timeout_s:g}s (--timeout)") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise LiveError(f"{self.url} did not answer {path} within {self.timeout_s:g}s (--timeout)") from None
            text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
            raise LiveError(f"cannot reach Prometheus at {self.url}: {printable(text)}") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise LiveError(f"{self.url}{path} did not answer with JSON: is it a Prometheus API?") from None
        if data.get("status") != "success":
            raise LiveError(f"{self.url} refused a query: {printable(shortened(str(data.get('error')), 400))}")
        return data.get("data")

    def query(self, expr: str, at: float, *, stats: bool = False) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """(result vector, stats) of an instant query at `at` (unix seconds)."""
        params = {"query": expr, "time": f"{at:.3f}", "timeout": f"{self.timeout_s:g}s"}
        if stats:
            params["stats"] = "all"
        data = self.get("/api/v1/query", params)
        result = data.get("result", []) if data.get("resultType") == "vector" else []
        if data.get("resultType") == "scalar":
            result = [{"metric": {}, "value": data["result"]}]
        return result, data.get("stats") or {}

    def query_range(self, expr: str, start: float, end: float, step_s: float) -> dict[tuple[tuple[str, str], ...], dict[int, float]]:
        """Per series (its labels), the value at each step index from `start`; cut into pieces of at
        most MAX_POINTS steps."""
        found: dict[tuple[tuple[str, str], ...], dict[int, float]] = {}
        steps = int((end - start) // step_s) + 1
        for first in range(0, steps, MAX_POINTS):
            last = min(first + MAX_POINTS, steps) - 1
            data = self.get("/api/v1/query_range", {
                "query": expr, "start": f"{start + first * step_s:.3f}", "end": f"{start + last * step_s:.3f}",
                "step": f"{step_s:g}", "timeout": f"{self.timeout_s:g}s"})
            for series in data.get("result", []):
                labels = tuple(sorted(series["metric"].items()))
                values = found.setdefault(labels, {})
                for t, value in series["values"]:
                    values[round((float(t) - start) / step_s)] = float(value)
        return found

    def label_values(self, label: str, match: str, start: float, end: float) -> list[str]:
        data = self.get(f"/api/v1/label/{urllib.parse.quote(label, safe='')}/values",
                        [("match[]", match), ("start", f"{start:.3f}"), ("end", f"{end:.3f}")])
        return sorted(str(value) for value in data or [])

    def retention_s(self) -> float | None:
        """How far back the server keeps samples (its time-based retention), when it says."""
        from promgen.load.units import parse_duration

        try:
            info = self.get("/api/v1/status/runtimeinfo", {})
        except LiveError:
            return None
        text = str((info or {}).get("storageRetention", "")).split(" or ")[0].strip()
        try:
            return parse_duration(text) / 1000 if text else None
        except ValueError:
            return None

    def now(self) -> float:
        """The server's clock: `time()` there, so backtests end where its data does."""
        result, _stats = self.query("time()", at=_local_now())
        return float(result[0]["value"][1]) if result else _local_now()


def _local_now() -> float:
    import time

    return time.time()


def _error_text(body: bytes) -> str:
    try:
        return printable(shortened(str(json.loads(body).get("error")), 400))
    except ValueError:
        return printable(shortened(body.decode("utf-8", "replace"), 400))


def _context(tls: Tls) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=tls.ca_file) if tls.ca_file else ssl.create_default_context()
    if tls.cert_file:
        try:
            context.load_cert_chain(tls.cert_file, tls.key_file)
        except (OSError, ssl.SSLError) as error:
            raise LiveError(f"cannot load the client certificate {printable(tls.cert_file)}: {error}") from None
    if tls.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
