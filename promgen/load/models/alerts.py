"""Alerts on metrics (an expression or a template) and on logs."""

from typing import Annotated, Any

from pydantic import (
    Field,
    model_validator,
)

from promgen.load.models.base import (
    ALERT_NAME,
    ALERT_NAME_MAX,
    Checks,
    LabelName,
    Labels,
    Name,
    Strict,
    empty_dict,
)
from promgen.load.models.metrics import Runbook
from promgen.load.units import Duration
from promgen.load.urls import RunbookURL

# --- alerts ---------------------------------------------------------------------------------


class AlertBase(Strict):
    """What every alert says beside its condition: name, timing, severity, text and runbook."""

    name: Annotated[str, Field(pattern=ALERT_NAME, max_length=ALERT_NAME_MAX, description="CamelCase")]
    for_: Duration = Field(default=Duration("0s"), alias="for")
    keep_firing_for: Duration | None = Field(default=None, description="keep firing this long after the condition clears")
    severity: Name
    summary: str | None = Field(default=None, description="one-line summary; a Go template like the description")
    description: str | None = Field(default=None, description="may use {{ $value }} and {{ $labels.x }}")
    runbook_url: RunbookURL | None = None
    runbook: Runbook | None = None
    labels: Labels = Field(default_factory=empty_dict)
    annotations: dict[LabelName, str] = Field(default_factory=empty_dict)
    checks: Checks = Field(default_factory=Checks, description="validate's checks this alert switches off, each with a reason")


class Alert(AlertBase):
    expr: str | None = None
    template: str | None = None
    params: dict[str, Any] = Field(default_factory=empty_dict)

    @model_validator(mode="after")
    def _expr_or_template(self) -> "Alert":
        if (self.expr is None) == (self.template is None):
            raise ValueError("an alert needs exactly one of `expr` or `template`")
        if self.expr is not None and self.params:
            raise ValueError("`params` only goes with `template`")
        if self.expr is not None and not self.summary:
            raise ValueError("an alert with `expr` needs a `summary`")
        return self


class LogAlert(AlertBase):
    """An alert on the service's logs: a LogQL metric query that Loki's ruler evaluates."""

    expr: str = Field(description='a LogQL metric query, e.g. sum(count_over_time({service="api"} |= "ERROR" [5m])) > 0')
    summary: str = Field(description="one-line summary; a Go template like the description")
