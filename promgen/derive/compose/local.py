"""What differs on a developer's machine: every job scraped at `stack.target_host:<port>` (the
Prometheus output rendered a second time from that spec), and the secret files mounted from ./secrets."""

from __future__ import annotations

import dataclasses
import posixpath
from typing import Any

from promgen.core import conventions
from promgen.core.model import Model, RenderOptions
from promgen.core.stack import Stack
from promgen.load.models import ScrapeTarget, Spec

# --- where the stack's Prometheus finds the application ----------------------------------------


def _ports(target: ScrapeTarget) -> list[str]:
    if target.local_port is not None:
        return [str(target.local_port)]
    return list(dict.fromkeys(address.rsplit(":", 1)[1] for address in target.static))


def local_addresses(spec: Spec) -> dict[str, list[str]]:
    """Per job the compose stack scrapes from the spec's targets, the addresses it scrapes."""
    host = spec.stack.target_host
    return {t.job: [f"{host}:{port}" for port in _ports(t)] for t in spec.scrape.targets
            if t.exporter not in conventions.LEFT_OUT_LOCALLY}


def local_options(model: Model) -> RenderOptions:
    """Render options for the stack's Prometheus: every job of the spec at stack.target_host, same ports.

    Targets the caller already overrides (RenderOptions.targets) stay as they are.
    """
    host = model.spec.stack.target_host
    targets = {t.job: tuple(f"{host}:{port}" for port in _ports(t)) for t in model.spec.scrape.targets}
    for exporter, address in conventions.DATABASE_EXPORTERS.items():  # jobs the stack's exporters stand in for
        settings = getattr(model.spec.stack, exporter)
        if exporter in model.spec.stack.exporters and settings is not None and settings.job is not None:
            targets[settings.job] = (address,)
    targets.update(model.options.targets)
    # a probe of a scrape target's own address (http://app:8000/health) goes where that target went
    probe_hosts = {address: f"{host}:{address.rsplit(':', 1)[1]}"
                   for t in model.spec.scrape.targets for address in t.static}
    probe_hosts.update(model.options.probe_hosts)
    return dataclasses.replace(model.options, targets=targets, probe_hosts=probe_hosts)


def local_spec(model: Model, scrapes: frozenset[str]) -> Spec:
    """The spec as the stack's Prometheus sees it: plus a job for each of the stack's exporters in
    `scrapes` (node, postgres, redis), without the jobs of the hosts' node exporters and a cluster's
    kubelet (the stack runs its own node exporter; a laptop has no kubelet), and no remote_write --
    a laptop's experiments must not reach the team's long-term store."""
    spec = model.spec
    targets = [target for target in spec.scrape.targets if target.exporter not in conventions.LEFT_OUT_LOCALLY]
    addresses = {conventions.NODE_EXPORTER_JOB: conventions.NODE_EXPORTER_ADDRESS, **conventions.DATABASE_EXPORTERS}
    for job, address in addresses.items():
        if job in scrapes:
            targets.append(ScrapeTarget(job=job, static=[address], exporter=job))  # type: ignore[arg-type]
    scrape = spec.scrape.model_copy(update={"targets": targets})
    return spec.model_copy(update={"scrape": scrape, "remote_write": []})


# --- secrets ---------------------------------------------------------------------------------


def _secret_paths(value: Any) -> list[str]:
    """Every `*_file` path in a spec section (channels, smtp)."""
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            if key.endswith("_file") and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_secret_paths(item))
        return found
    if isinstance(value, list):
        return [path for item in value for path in _secret_paths(item)]
    return []


def _in_container(path: str, config_dir: str) -> str:
    """Where a process reading `path` finds it: relative paths are relative to its config file."""
    return posixpath.normpath(posixpath.join(config_dir, path))


def alertmanager_secrets(stack: Stack) -> list[str]:
    sections = [c.model_dump() for c in stack.channels()]
    smtp = next((m.spec.alertmanager.smtp for m in stack.services if m.spec.alertmanager.smtp is not None), None)
    if smtp is not None:
        sections.append(smtp.model_dump())
    return list(dict.fromkeys(_secret_paths(sections)))


def secret_mounts(paths: list[str], config_dir: str) -> list[str]:
    """The secrets directory, read-only, on every directory the service reads secret files from.

    A directory that holds the service's config (or is `/`) cannot be covered by a read-only mount
    without hiding the config; its secret files are mounted one by one instead.
    """
    files = sorted({_in_container(path, config_dir) for path in paths})
    mounts: list[str] = []
    for directory in sorted({posixpath.dirname(f) for f in files}):
        if f"{config_dir}/".startswith(f"{directory.rstrip('/')}/"):
            mounts.extend(f"./{conventions.SECRETS_DIR}/{conventions.secret_key(f)}:{f}:ro"
                          for f in files if posixpath.dirname(f) == directory)
        else:
            mounts.append(f"./{conventions.SECRETS_DIR}:{directory}:ro")
    return mounts
