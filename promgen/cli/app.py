"""The typer app: thin commands, each a command module's `run` through `exits.exit_code`.

Imported only when a command needs typer (see `cli.main`): building the app and its option
adapters is a third of a cold `validate`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from promgen.cli.exits import exit_code as _exit_code

app = typer.Typer(
    name="promgen",
    help="One YAML spec per service in, a complete validated monitoring stack out.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from promgen import __version__

        print(f"promgen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", help="print promgen's version and exit", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """One YAML spec per service in, a complete validated monitoring stack out."""


class Format(str, Enum):
    text = "text"
    json = "json"


def _finish(code: int) -> None:
    raise typer.Exit(code)


@app.command()
def validate(
    specs: Annotated[list[Path], typer.Argument(help="spec files or directories of specs", show_default=False)],
    output_format: Annotated[Format, typer.Option("--format", help="text (file:line:col: message) or json")] = Format.text,
) -> None:
    """Check specs: schema, references, PromQL, and conflicts between them. Exit 0 when valid, 1 when not."""
    from promgen.cli import validate as command

    _finish(_exit_code(lambda: command.run(specs, output_format.value), ", ".join(map(str, specs))))


def _split_csv(values: Optional[list[str]]) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _option(name: str, parse: Callable[[Any], Any], value: Any) -> Any:
    """An option's value parsed; a malformed one is bad usage (exit 2)."""
    try:
        return parse(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=name) from None


@app.command()
def render(
    specs: Annotated[
        list[Path], typer.Argument(help="the services' specs (files or directories): one stack", show_default=False)
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="output directory")] = Path("monitoring"),
    check: Annotated[bool, typer.Option("--check", help="write nothing; exit 1 with a diff when OUT is stale")] = False,
    only: Annotated[
        Optional[list[str]], typer.Option("--only", help="comma-separated outputs, e.g. prometheus,alertmanager")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="overwrite files in OUT that promgen did not write")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print nothing but errors")] = False,
    keep: Annotated[
        Optional[list[str]],
        typer.Option("--keep", metavar="PATTERN",
                     help="your own files below OUT (shell pattern on the path, e.g. README.md or docs/); repeatable"),
    ] = None,
    target: Annotated[
        Optional[list[str]],
        typer.Option("--target", metavar="JOB=HOST:PORT", help="scrape JOB at HOST:PORT instead (repeatable)"),
    ] = None,
    receivers_to: Annotated[
        Optional[str], typer.Option("--receivers-to", metavar="URL", help="every receiver posts to this webhook")
    ] = None,
    alertmanager: Annotated[
        Optional[str], typer.Option("--alertmanager", metavar="HOST:PORT", help="where Prometheus sends its alerts")
    ] = None,
    compress_time: Annotated[
        int,
        typer.Option(
            "--compress-time", metavar="N", min=1,
            help="divide SLO windows, alert `for`, scrape/evaluation intervals and Alertmanager timings by N",
        ),
    ] = 1,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", "-j", metavar="N", min=1,
                     help="processes to render on (default: every core; the files are the same with any N)"),
    ] = None,
) -> None:
    """Render the monitoring stack of the SPECS (one service or many) into OUT."""
    from promgen.cli import render as command
    from promgen.core.model import RenderOptions

    options = RenderOptions(targets=_option("--target", command.parse_targets, target or []))
    if receivers_to is not None:
        options = replace(options, receivers_to=_option("--receivers-to", command.webhook_url, receivers_to))
    if alertmanager is not None:
        options = replace(options, alertmanager=_option("--alertmanager", command.host_port, alertmanager))
    if compress_time > 1:
        options = options.compress_time(compress_time)
    _finish(
        _exit_code(
            lambda: command.run(
                specs, out, check=check, only=_split_csv(only), options=options, force=force, quiet=quiet,
                keep=keep or (), jobs=jobs,
            ),
            ", ".join(map(str, specs)),
        )
    )


@app.command()
def init(
    path: Annotated[
        Optional[Path], typer.Argument(help="file (or directory) to create; default promgen.yaml", show_default=False)
    ] = None,
    service: Annotated[str, typer.Option("--service", help="the service's name")] = "my-service",
) -> None:
    """Write a commented starter spec; never overwrites an existing file."""
    from promgen.cli import init as command

    _finish(_exit_code(lambda: command.run(path, service)))


class ImportFormat(str, Enum):
    sloth = "sloth"
    openslo = "openslo"
    pyrra = "pyrra"


@app.command("import")
def import_(
    source_format: Annotated[ImportFormat, typer.Argument(metavar="FORMAT", help="sloth, openslo or pyrra", show_default=False)],
    files: Annotated[list[Path], typer.Argument(help="the other tool's files or directories of them (several documents each are fine)", show_default=False)],
    output: Annotated[
        Optional[Path], typer.Option("-o", "--out", "--output", help="spec file for one service, or directory for one spec per service; default stdout")
    ] = None,
    service: Annotated[Optional[str], typer.Option("--service", help="pyrra: the service (default: each object's namespace)")] = None,
) -> None:
    """Write a promgen spec from another tool's SLOs; what does not map is a warning and a comment in it."""
    from promgen.cli import import_ as command

    _finish(_exit_code(lambda: command.run(source_format.value, files, output, service), ", ".join(map(str, files))))


@app.command()
def routes(
    arguments: Annotated[
        list[str],
        typer.Argument(metavar="SPEC... [LABEL=VALUE...]",
                       help="the specs (files or directories) and the alert's labels, e.g. severity=critical",
                       show_default=False),
    ],
    tree: Annotated[bool, typer.Option("--tree", help="print the route tree, marking the routes LABELS reach")] = False,
) -> None:
    """Which receivers an alert with LABELS reaches, in tree order (as amtool config routes test)."""
    from promgen.cli import routes as command

    specs, labels = command.split_arguments(arguments)
    if not specs:
        raise typer.BadParameter("name at least one spec before the labels", param_hint="SPEC")
    try:
        parsed = command.parse_labels(labels)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="LABELS") from None
    _finish(_exit_code(lambda: command.run(specs, parsed, tree=tree), ", ".join(map(str, specs))))


@app.command()
def check(
    specs: Annotated[list[Path], typer.Argument(help="spec files or directories of specs", show_default=False)],
    prometheus: Annotated[str, typer.Option("--prometheus", help="URL of the Prometheus (HTTP API) the rules will run on",
                                            show_default=False)],
    since: Annotated[str, typer.Option("--since", help="how far back to look for series and to backtest alerts")] = "7d",
    output_format: Annotated[Format, typer.Option("--format", help="text (tables) or json")] = Format.text,
    bearer_token_file: Annotated[Optional[Path], typer.Option(
        "--bearer-token-file", help="file holding a bearer token (else $PROMGEN_PROMETHEUS_TOKEN)")] = None,
    username: Annotated[Optional[str], typer.Option("--basic-auth-username", help="basic auth user")] = None,
    password_file: Annotated[Optional[Path], typer.Option(
        "--basic-auth-password-file", help="file holding its password (else $PROMGEN_PROMETHEUS_PASSWORD)")] = None,
    ca_file: Annotated[Optional[Path], typer.Option("--ca-file", help="CA certificate(s) to verify the server")] = None,
    cert_file: Annotated[Optional[Path], typer.Option("--cert-file", help="client certificate (TLS)")] = None,
    key_file: Annotated[Optional[Path], typer.Option("--key-file", help="client certificate's key")] = None,
    insecure_skip_verify: Annotated[bool, typer.Option("--insecure-skip-verify",
                                                       help="do not verify the server's certificate")] = False,
    timeout: Annotated[str, typer.Option("--timeout", help="longest wait for one query")] = "2m",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="queries asked at once")] = 4,
    sample_budget: Annotated[int, typer.Option("--sample-budget", min=1,
                                               help="samples one evaluation of a rule group may read")] = 1_000_000,
) -> None:
    """The specs against a live Prometheus: selectors matching no series, label values that do not exist,
    how often each alert would have fired over --since, SLO budgets now, the samples each rule group reads.
    Exit 1 when a selector matches nothing or the server cannot answer."""
    from promgen.cli import check as command
    from promgen.live.client import Credentials, Tls
    from promgen.live.run import Settings
    from promgen.load.units import parse_duration

    since_ms = _option("--since", parse_duration, since)
    if since_ms <= 0:
        raise typer.BadParameter("must be longer than 0s", param_hint="--since")
    timeout_s = _option("--timeout", parse_duration, timeout) / 1000
    settings = Settings(since=since, concurrency=concurrency, sample_budget=sample_budget)
    tls = Tls(str(ca_file) if ca_file else None, str(cert_file) if cert_file else None,
              str(key_file) if key_file else None, insecure_skip_verify)

    def body() -> int:
        credentials = Credentials.read(str(bearer_token_file) if bearer_token_file else None, username,
                                       str(password_file) if password_file else None)
        return command.run(specs, prometheus, settings, output_format.value, credentials, tls, timeout_s or 120.0)

    _finish(_exit_code(body, ", ".join(map(str, specs))))


@app.command()
def schema() -> None:
    """Print the spec's JSON Schema (for editors; also in specs/promgen.schema.json)."""
    from promgen.cli import schema as command

    _finish(_exit_code(command.run))
