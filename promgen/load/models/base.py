"""What every section of the spec shares: the name patterns, label and path types, `Strict`."""

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

SERVICE_NAME = r"^[a-z][a-z0-9-]*$"
NAME = r"^[A-Za-z][A-Za-z0-9_-]*$"
METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
ALERT_NAME = r"^[A-Z][A-Za-z0-9]*$"
# Prometheus and Alertmanager take an alert name of any length; each alert's runbook page is a file
# named after it (`<Alert>.md`), and a file name has at most 255 bytes.
ALERT_NAME_MAX = 250
HOST_PORT = r"^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$"  # an IPv6 host goes in brackets

ServiceName = Annotated[str, Field(pattern=SERVICE_NAME, min_length=1, max_length=40)]
Name = Annotated[str, Field(pattern=NAME, min_length=1, max_length=63)]
MetricName = Annotated[str, Field(pattern=METRIC_NAME)]
INT32_MAX = 2**31 - 1


def _not_reserved(name: str) -> str:
    if name.startswith("__"):
        raise ValueError(f"label names starting with __ are reserved for Prometheus' own use, not {name!r}")
    return name


_UNSAFE_IN_PATHS = frozenset(':$"\'`\\')


def _secret_path(path: str) -> str:
    """A secret file's path goes into Alertmanager's config, Prometheus' and the compose stack's
    volume list (`host:container:ro`, where `$` interpolates): keep it to plain path characters."""
    if not path.isprintable() or any(char in path for char in _UNSAFE_IN_PATHS):
        raise ValueError("a secret file path cannot hold control characters, `:`, `$`, quotes or backslashes")
    if path.endswith("/"):
        raise ValueError("a secret file path names a file, not a directory")
    return path


def _port_in_range(address: str) -> str:
    port = int(address.rsplit(":", 1)[1])
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is not between 1 and 65535")
    return address


HostPort = Annotated[str, Field(pattern=HOST_PORT), AfterValidator(_port_in_range)]
LabelName = Annotated[str, Field(pattern=LABEL_NAME), AfterValidator(_not_reserved)]
LabelValue = Annotated[str, Field(min_length=1, description="Prometheus drops labels with empty values")]
Labels = dict[LabelName, LabelValue]
SecretFile = Annotated[str, Field(min_length=1, description="path of a file holding the secret"), AfterValidator(_secret_path)]


def empty_list() -> list[Any]:
    """A default factory written in Python: pydantic reads every factory's signature, and a builtin's
    (`list`, `dict`) is parsed from its text, which costs a cold `validate` about 12 ms."""
    return []


def empty_dict() -> dict[Any, Any]:
    """See empty_list."""
    return {}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True, allow_inf_nan=False)


CHECK_NAME = r"^[a-z]+/[a-z_]+$"


class DisabledCheck(Strict):
    name: Annotated[str, Field(pattern=CHECK_NAME, description="e.g. promql/rate (docs/checks.md lists them)")]
    reason: Annotated[str, Field(min_length=1, description="why this rule is right although the check says otherwise")]


class Checks(Strict):
    disable: list[DisabledCheck] = Field(default_factory=empty_list)
