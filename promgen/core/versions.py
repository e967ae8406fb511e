"""The Prometheus and Alertmanager versions promgen's output must work on, and what each one has.

A spec's `versions: {prometheus: "3.5", alertmanager: "0.28"}` names the oldest version the
output is read by; the defaults are the newest versions promgen is judged against. Features a
chosen version lacks are refused by `validate`, naming the version that has them. The floor is
Debian 12's Prometheus 2.42 and Alertmanager 0.25.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Tool = Literal["prometheus", "alertmanager"]
TITLES: dict[Tool, str] = {"prometheus": "Prometheus", "alertmanager": "Alertmanager"}


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Version:
        found = re.fullmatch(r"([0-9]{1,3})\.([0-9]{1,3})", text.strip())
        if found is None:
            raise ValueError(f"{text!r} is not a version: write MAJOR.MINOR, e.g. 3.5")
        return cls(int(found.group(1)), int(found.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


# The oldest versions promgen supports (Debian 12) and the newest it is judged against (Debian
# unstable's at the time of writing): the test suite runs every judge at both.
FLOOR: dict[Tool, Version] = {"prometheus": Version(2, 42), "alertmanager": Version(0, 25)}
NEWEST: dict[Tool, Version] = {"prometheus": Version(3, 5), "alertmanager": Version(0, 33)}


@dataclass(frozen=True)
class Targets:
    """The versions one render is for."""

    prometheus: Version = NEWEST["prometheus"]
    alertmanager: Version = NEWEST["alertmanager"]

    def has(self, feature: str) -> bool:
        tool, since, until = FEATURES[feature]
        version = getattr(self, tool)
        return since <= version and (until is None or version < until)

    def lacks(self, feature: str) -> str | None:
        """Why the target versions cannot take `feature` ("needs Alertmanager 0.26 or later"), else None."""
        if self.has(feature):
            return None
        tool, since, until = FEATURES[feature]
        version = getattr(self, tool)
        if version < since:
            return f"needs {TITLES[tool]} {since} or later (versions.{tool} is {version})"
        return f"was removed in {TITLES[tool]} {until} (versions.{tool} is {version})"


def _v(text: str) -> Version:
    return Version.parse(text)


# feature -> (tool, first version that has it, first version that no longer has it)
FEATURES: dict[str, tuple[Tool, Version, Version | None]] = {
    # Alertmanager receivers and secrets read from files
    "msteams": ("alertmanager", _v("0.26"), None),
    "msteamsv2": ("alertmanager", _v("0.28"), None),
    "discord": ("alertmanager", _v("0.26"), None),  # webhook_url_file
    "telegram": ("alertmanager", _v("0.26"), None),  # bot_token_file
    "webhook url_file": ("alertmanager", _v("0.26"), None),
    "rocketchat": ("alertmanager", _v("0.28"), None),  # token_id_file, token_file
    "jira": ("alertmanager", _v("0.28"), None),
    "angle named groups": ("alertmanager", _v("0.27"), None),  # built with Go 1.22
    # Prometheus rules and PromQL
    "keep_firing_for": ("prometheus", _v("2.42"), None),
    "rule group labels": ("prometheus", _v("3.0"), None),
    "query_offset": ("prometheus", _v("2.53"), None),
    "utf-8 names": ("prometheus", _v("3.0"), None),
    "durations as numbers": ("prometheus", _v("3.0"), None),  # `up > 1m` reads 1m as 60
    "left-open ranges": ("prometheus", _v("3.0"), None),  # a range [5m] at t holds samples in (t-5m, t]
    "angle named groups in PromQL": ("prometheus", _v("3.0"), None),
    "histogram_stddev": ("prometheus", _v("2.46"), None),
    "histogram_stdvar": ("prometheus", _v("2.46"), None),
    "histogram_avg": ("prometheus", _v("2.51"), None),
}
