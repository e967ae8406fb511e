"""The blackbox exporter's probe modules: which ones the spec's external probes use, and their config.

Pure data in, plain data out. `MODULES` is also read by the semantic checks (an unknown module
is a spec error), so this module imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promgen.model import Model

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


def modules_used(model: Model) -> list[str]:
    """The modules the spec's external probes use, in first-use order."""
    probes = model.spec.probes
    if probes is None:
        return []
    return list(dict.fromkeys(probe.module for probe in probes.external_probes))


def targets_by_module(model: Model) -> dict[str, list[str]]:
    """module -> the URLs probed with it, in spec order."""
    probes = model.spec.probes
    grouped: dict[str, list[str]] = {}
    for probe in probes.external_probes if probes else []:
        grouped.setdefault(probe.module, []).append(probe.url)
    return grouped


def config(*models: Model) -> dict[str, Any] | None:
    """blackbox.yml as data: the modules the services use, only; None when none probes externally."""
    used = list(dict.fromkeys(name for model in models for name in modules_used(model)))
    if not used:
        return None
    return {"modules": {name: MODULES[name] for name in used}}
