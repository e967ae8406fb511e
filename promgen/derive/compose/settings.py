"""What the services' `stack` sections ask of the one local stack (each extra is there when any
service wants it)."""

from __future__ import annotations

from dataclasses import dataclass

from promgen.core.stack import Stack

# --- the stack -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackSettings:
    """What the services' `stack` sections ask of the one local stack: each extra is there when any
    service wants it."""

    exporters: frozenset[str]
    logs: bool  # Loki, and Alloy shipping the containers' logs to it
    tracing: bool  # Jaeger
    blackbox: bool  # external probes need the exporter even when stack.exporters does not list it
    log_files: tuple[tuple[str, str], ...] = ()  # (service, path) of the files Alloy ships as well
    retention_ms: int | None = None  # the longest any service asks
    retention_bytes: int | None = None  # the largest any service asks
    log_rules: bool = False  # some service has log alerts for Loki's ruler
    log_retention: str | None = None  # the longest any service asks

    @classmethod
    def of(cls, stack: Stack) -> StackSettings:
        specs = [model.spec for model in stack.services]
        retentions = [spec.stack.retention for spec in specs if spec.stack.retention]
        log_retentions = [spec.stack.log_retention for spec in specs if spec.stack.log_retention]
        return cls(
            exporters=frozenset(name for spec in specs for name in spec.stack.exporters),
            logs=any(spec.stack.logs == "loki" for spec in specs),
            tracing=any(spec.stack.tracing == "jaeger" for spec in specs),
            blackbox=any("blackbox" in spec.stack.exporters or model.blackbox_job is not None
                         for spec, model in zip(specs, stack.services)),
            log_files=tuple(dict.fromkeys((model.service, path) for model in stack.services
                                          for path in model.spec.stack.log_files)),
            log_rules=any(model.log_alerts for model in stack.services),
            log_retention=str(max(log_retentions, key=lambda d: d.ms)) if log_retentions else None,
            retention_ms=max((r.time.ms for r in retentions if r.time), default=None),
            retention_bytes=max((int(r.size.bytes) for r in retentions if r.size), default=None),
        )
