"""Why a selector matches nothing, from the label values a server holds (the values are given
here; tests/live/test_check_live.py asks a real server for them)."""

from __future__ import annotations

from promgen.live.plan import Selector
from promgen.live.series import diagnosis


class Values:
    """Label values by (label, match), as Lookups answers them."""

    def __init__(self, values: dict[tuple[str, str], list[str]]) -> None:
        self._values = values

    def values(self, label: str, match: str) -> list[str]:
        return self._values.get((label, match), [])


def _selector(metric: str, *matchers: tuple[str, str, str]) -> Selector:
    return Selector(f"{metric}{{...}}", metric, matchers, pending=False, jobs=())


SERVER = Values({
    ("__name__", "http_requests_total"): ["http_requests_total"],
    ("__name__", '{__name__=~".+"}'): ["http_requests_total", "queue_depth"],
    ("status", "http_requests_total"): ["200", "500"],
    ("job", "http_requests_total"): ["api"],
})


def test_a_misspelt_metric_is_named_with_the_nearest_that_exists() -> None:
    assert diagnosis(_selector("http_request_total"), SERVER) == \
        'the server has no series of http_request_total at all; did you mean "http_requests_total"?'
    assert diagnosis(_selector("refunds_total"), SERVER) == "the server has no series of refunds_total at all"


def test_a_label_value_that_does_not_exist_is_listed_beside_those_that_do() -> None:
    found = diagnosis(_selector("http_requests_total", ("status", "=", "5000")), SERVER)
    assert found == 'status="5000" matches no series of http_requests_total (its status values are "200", "500"); ' \
                    'did you mean "500"?'
    assert diagnosis(_selector("http_requests_total", ("job", "=", "apii")), SERVER).startswith(
        'job="apii" matches no series of http_requests_total (found under job "api")')


def test_regex_and_negative_matchers_are_judged_on_the_values() -> None:
    assert diagnosis(_selector("http_requests_total", ("status", "=~", "4..")), SERVER).startswith('status=~"4.." matches no')
    assert diagnosis(_selector("http_requests_total", ("pod", "!=", "")), SERVER) == \
        "no series of http_requests_total has a label pod"
    assert diagnosis(_selector("http_requests_total", ("status", "!~", "200|500")), SERVER).startswith('status!~"200|500"')


def test_matchers_that_each_match_but_not_together_are_said_so() -> None:
    found = diagnosis(_selector("http_requests_total", ("status", "=", "500"), ("job", "=", "api")), SERVER)
    assert found == "each matcher alone matches series of http_requests_total, but no series has them all"
    # a negative matcher a series without its label passes is blamed only when no other matcher is
    assert diagnosis(_selector("http_requests_total", ("status", "=", "5000"), ("status", "!~", "200|500")), SERVER) \
        .startswith('status="5000" matches no series')
