"""The run's waiting list in pages (store/slots.py): one immutable page per batch of waiting tasks and a cursor
whose conditional ADD hands out the next entry. Each entry goes to one taker; a worker with a page in hand takes
without reading the list; a forgotten list hands out nothing, even to a process that still holds its page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.store import slots as slots_module
from chalicelib.store.slots import RunSlots

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def slots(backend) -> RunSlots:
    slots_module._CURRENT.clear()  # a fresh process: no page in hand
    return RunSlots(backend.models, "fan", "manual__1", "2024-06-01T12:00:00.000000Z", 3)


def _count_reads(slots: RunSlots, monkeypatch) -> list[str]:
    reads: list[str] = []
    Meta = slots.m.Meta
    query = Meta.query

    def counted(*args, **kwargs):
        reads.append(args[0])
        return query(*args, **kwargs)

    monkeypatch.setattr(Meta, "query", counted)
    return reads


def test_entries_go_out_once_each_highest_priority_first_reading_the_list_once(slots, monkeypatch):
    slots.wait([(1, "low"), (10, "high"), (5, "mid"), (5, "also_mid")], NOW)
    reads = _count_reads(slots, monkeypatch)

    taken = [slots.take() for _ in range(5)]

    assert taken == ["high", "also_mid", "mid", "low", None]
    assert len(reads) == 2  # the first take, and the one that found the page used up; none in between
    assert slots.waiting() == []
    assert list(slots.m.Meta.query(slots.waiting_pk)) == []  # the used-up page and its cursor are deleted


def test_two_takers_on_one_page_never_take_the_same_task(slots, backend):
    slots.wait([(1, f"t{i}") for i in range(7)], NOW)
    other = RunSlots(backend.models, "fan", "manual__1", "2024-06-01T12:00:00.000000Z", 3)

    taken = []
    for taker in [slots, other] * 4:
        task = taker.take()
        if task is not None:
            taken.append(task)

    assert sorted(taken) == [f"t{i}" for i in range(7)]


def test_a_process_holding_a_forgotten_page_takes_nothing_from_it(slots):
    slots.wait([(1, "a"), (1, "b")], NOW)
    assert slots.take() == "a"
    in_hand = dict(slots_module._CURRENT)

    slots.forget_waiting()  # a clear, in another process: this one still holds the page
    slots_module._CURRENT.update(in_hand)

    assert slots.take() is None
    assert slots.waiting() == []


def test_the_next_read_takes_from_the_page_whose_next_task_comes_first(slots):
    slots.wait([(1, "early_low")], NOW)
    slots.wait([(9, "late_high"), (2, "late_mid")], NOW)

    assert slots.waiting() == sorted(slots.waiting())
    assert [slots.take() for _ in range(4)] == ["late_high", "late_mid", "early_low", None]


def test_a_page_whose_cursor_was_never_written_lists_nothing(slots):
    slots.wait([(1, "a")], NOW)
    Meta = slots.m.Meta
    cursor = next(i for i in Meta.query(slots.waiting_pk) if i.sk.startswith("c#"))
    cursor.delete()  # a crash part-way through `wait`: the tick's plan finds the task ready and unlisted

    assert slots.waiting() == [] and not slots.has_waiting() and slots.take() is None
