"""A value remembered by object is made once per living object, never handed to another object that
got the same id, and everything is dropped at the limit."""

from __future__ import annotations

from promgen.core.memo import ByObject


def test_a_value_is_made_once_per_object_and_part() -> None:
    memo: ByObject[int] = ByObject(8)
    made: list[str] = []
    owner = {"a": 1}
    assert memo.get(owner, lambda: made.append("whole") or 1) == 1
    assert memo.get(owner, lambda: made.append("again") or 2) == 1
    assert memo.get(owner, lambda: made.append("part") or 3, part=0) == 3
    assert made == ["whole", "part"]


def test_another_object_with_the_same_id_gets_its_own_value() -> None:
    memo: ByObject[str] = ByObject(8)
    first = {"name": "first"}
    memo.get(first, lambda: "first")
    key = (id(first), None)
    stranger = {"name": "stranger"}
    memo._entries[(id(stranger), None)] = memo._entries.pop(key)  # as if the id had been given to it
    assert memo.get(stranger, lambda: "stranger") == "stranger"


def test_the_limit_drops_every_value() -> None:
    memo: ByObject[int] = ByObject(2)
    owners = [[n] for n in range(3)]
    for number, owner in enumerate(owners):
        memo.get(owner, lambda number=number: number)
    made: list[int] = []
    assert memo.get(owners[0], lambda: made.append(0) or 10) == 10  # dropped when the third came
    assert made == [0]
