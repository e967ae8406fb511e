"""The Prometheus API client against a small HTTP server on 127.0.0.1 that answers as a Prometheus
does (and as a broken one does): credentials sent, errors said clearly, long ranges cut."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from promgen.live.client import MAX_POINTS, Credentials, LiveError, PrometheusAPI
from tests.e2e.harness import free_port
from tests.support import ROOT

Answer = Callable[[str, dict[str, list[str]], dict[str, str]], tuple[int, bytes]]


@contextmanager
def serving(answer: Answer) -> Iterator[tuple[str, list[tuple[str, dict[str, list[str]], dict[str, str]]]]]:
    seen: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            headers = dict(self.headers.items())
            seen.append((parts.path, query, headers))
            code, body = answer(parts.path, query, headers)
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.shutdown()
        server.server_close()


def _ok(data: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"status": "success", "data": data}).encode()


def test_a_bearer_token_is_read_from_its_file_and_sent(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("s3cret\n", encoding="utf-8")
    with serving(lambda path, query, headers: _ok({"resultType": "vector", "result": []})) as (url, seen):
        api = PrometheusAPI(url, Credentials.read(str(tmp_path / "token"), None, None))
        api.query("up", 0)
    assert seen[0][2]["Authorization"] == "Bearer s3cret"


def test_basic_auth_takes_its_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMGEN_PROMETHEUS_PASSWORD", "pw")
    monkeypatch.delenv("PROMGEN_PROMETHEUS_TOKEN", raising=False)
    with serving(lambda path, query, headers: _ok({"resultType": "vector", "result": []})) as (url, seen):
        PrometheusAPI(url, Credentials.read(None, "ci", None)).query("up", 0)
    assert seen[0][2]["Authorization"] == "Basic Y2k6cHc="  # ci:pw


def test_basic_auth_without_a_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMGEN_PROMETHEUS_PASSWORD", raising=False)
    with pytest.raises(LiveError, match="basic auth needs a password"):
        Credentials.read(None, "ci", None)


def test_a_url_with_a_password_in_it_is_refused() -> None:
    with pytest.raises(LiveError, match="must not carry a user or password"):
        PrometheusAPI("http://ci:secret@prometheus:9090")
    with pytest.raises(LiveError, match="takes an http"):
        PrometheusAPI("prometheus:9090")


def test_an_error_answer_is_said_in_the_servers_words() -> None:
    def answer(path: str, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, bytes]:
        return 400, json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}).encode()

    with serving(answer) as (url, _seen), pytest.raises(LiveError, match="answered 400 to /api/v1/query: parse error at char 3"):
        PrometheusAPI(url).query("up{", 0)


def test_something_that_is_not_a_prometheus_is_named() -> None:
    with serving(lambda path, query, headers: (200, b"<html>hello</html>")) as (url, _seen), \
            pytest.raises(LiveError, match="did not answer with JSON: is it a Prometheus API"):
        PrometheusAPI(url).query("up", 0)


def test_a_server_that_is_down_is_said_so() -> None:
    with pytest.raises(LiveError, match=r"cannot reach Prometheus at http://127\.0\.0\.1:\d+: Connection refused"):
        PrometheusAPI(f"http://127.0.0.1:{free_port()}").query("up", 0)


def test_a_query_slower_than_the_timeout_is_said_so() -> None:
    def slow(path: str, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, bytes]:
        threading.Event().wait(2)
        return _ok({"resultType": "vector", "result": []})

    with serving(slow) as (url, seen), pytest.raises(LiveError, match="did not answer /api/v1/query within 0.3s"):
        PrometheusAPI(url, timeout_s=0.3).query("up", 0)
    assert seen[0][1]["timeout"] == ["0.3s"]  # and the server is told the same, so it stops too


def test_a_long_range_is_asked_in_pieces_the_server_accepts() -> None:
    def answer(path: str, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, bytes]:
        start, end, step = (float(query[key][0]) for key in ("start", "end", "step"))
        assert (end - start) / step + 1 <= MAX_POINTS
        values = [[start + i * step, "1"] for i in range(int((end - start) / step) + 1)]
        return _ok({"resultType": "matrix", "result": [{"metric": {"job": "a"}, "values": values}]})

    with serving(answer) as (url, seen):
        found = PrometheusAPI(url).query_range("up", 0, 30 * (2 * MAX_POINTS + 5), 30)
    assert len(seen) == 3
    assert sorted(found[(("job", "a"),)]) == list(range(2 * MAX_POINTS + 6))


def test_the_command_reports_a_server_that_is_down_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "check", "tests/live/shop.promgen.yaml", "--prometheus",
                           f"http://127.0.0.1:{free_port()}"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot reach Prometheus at http://127.0.0.1:") and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_command_checks_the_spec_first(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\nservice: {name: shop}\nalerts:\n  - {name: A, expr: 'up ==', severity: critical}\n",
                    encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "promgen", "check", str(spec), "--prometheus", "http://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"{spec}:4:" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("option", [["--since", "a week"], ["--timeout", "soon"], ["--concurrency", "0"]])
def test_bad_options_are_usage_errors(option: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "check", "tests/live/shop.promgen.yaml", "--prometheus",
                           "http://127.0.0.1:9", *option], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and option[0] in done.stderr
