"""The blackbox exporter's probe modules: which ones the spec's external probes use, and their config.

Pure data in, plain data out. `MODULES` is also read by the semantic checks (an unknown module
is a spec error), so this module imports nothing heavy.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promgen.core.model import Model
    from promgen.load.models import ExternalProbe

# Probe modules promgen can write, as blackbox_exporter config (https://github.com/prometheus/
# blackbox_exporter/blob/master/CONFIGURATION.md). External probes are URLs, so only http modules.
# ip4 first: the local stack and most clusters resolve both families, and a v6 miss reads as "down".
MODULES: dict[str, dict[str, Any]] = {
    "http_2xx": {
        "prober": "http",
        "timeout": "5s",
        "http": {"method": "GET", "preferred_ip_protocol": "ip4", "follow_redirects": True},
    },
    "http_post_2xx": {
        "prober": "http",
        "timeout": "5s",
        "http": {"method": "POST", "preferred_ip_protocol": "ip4", "follow_redirects": True},
    },
    "http_2xx_insecure": {
        "prober": "http",
        "timeout": "5s",
        "http": {
            "method": "GET",
            "preferred_ip_protocol": "ip4",
            "follow_redirects": True,
            "tls_config": {"insecure_skip_verify": True},
        },
    },
}


def module_of(probe: ExternalProbe) -> tuple[str, dict[str, Any]]:
    """The name and config of the module that probes `probe`: its module as written, or, when it
    checks status codes or the body, that module with those checks, named after their digest (so
    probes asking the same share one module, and the name never changes with the spec's order)."""
    base = MODULES[probe.module]
    if not probe.checks:
        return probe.module, base
    config = copy.deepcopy(base)
    if probe.status_codes:
        config["http"]["valid_status_codes"] = sorted(set(probe.status_codes))
    if probe.body:
        config["http"]["fail_if_body_not_matches_regexp"] = [probe.body]
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode("utf-8")).hexdigest()[:8]
    return f"{probe.module}_{digest}", config


def modules_used(model: Model) -> list[str]:
    """The modules the spec's external probes use, in first-use order."""
    probes = model.spec.probes
    if probes is None:
        return []
    return list(dict.fromkeys(module_of(probe)[0] for probe in probes.external_probes))


def targets_by_module(model: Model) -> dict[str, list[str]]:
    """module -> the URLs probed with it, in spec order."""
    probes = model.spec.probes
    grouped: dict[str, list[str]] = {}
    for probe in probes.external_probes if probes else []:
        grouped.setdefault(module_of(probe)[0], []).append(probe.url)
    return grouped


def config(*models: Model) -> dict[str, Any] | None:
    """blackbox.yml as data: the modules the services use, only; None when none probes externally."""
    used: dict[str, dict[str, Any]] = {}
    for model in models:
        for probe in model.spec.probes.external_probes if model.spec.probes else []:
            name, module = module_of(probe)
            used.setdefault(name, module)
    if not used:
        return None
    return {"modules": used}
