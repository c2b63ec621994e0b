"""A fan-out wider than max_active_tasks starts its tasks through the run's slot counter and waiting list
(store/slots.py, services/slot_gate.py): never more active tasks than slots, no read of the whole run per try,
and a counter left wrong by a dead worker is corrected by the tick."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.functional.harness import Stack, states, utcnow, write_dag

FAN = """
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks={slots}):
    root = EmptyOperator(task_id="root")
    end = EmptyOperator(task_id="end")
    root >> [EmptyOperator(task_id=f"m{{i:02d}}") for i in range({width})] >> end
"""


@pytest.fixture
def stack(backend, tmp_path: Path) -> Stack:
    return Stack(backend, tmp_path)


def fan(stack: Stack, dag_id: str, *, width: int = 12, slots: int = 3) -> None:
    write_dag(stack.folder_path, dag_id, FAN.format(dag_id=dag_id, width=width, slots=slots))
    stack.sync()


def slots_of(stack: Stack, dag_id: str, run):
    from chalicelib.store.slots import RunSlots

    stored = stack.backend.runs.get(dag_id, run.run_id)
    return RunSlots(stack.backend.models, dag_id, run.run_id, stored.created_at, 3)


def active(stack: Stack, dag_id: str, run_id: str) -> int:
    return sum(1 for state, _ in states(stack.backend, dag_id, run_id).values() if state in ("queued", "running"))


def handle_one_by_one(stack: Stack, on_each) -> int:
    from chalicelib.services.queue_poller import handle_sqs_record

    handled = 0
    while messages := stack.queue.receive(max_messages=1, wait_seconds=0):
        handle_sqs_record(stack.backend, stack.dags, stack.queue, messages[0])
        handled += 1
        on_each()
    return handled


@pytest.mark.usefixtures("queue_only")  # one message at a time: the active count is checked between tries
def test_a_fan_out_wider_than_its_slots_never_has_more_active_tasks_than_slots(stack, monkeypatch):
    fan(stack, "fan_slots")
    reads: list[str] = []
    snapshot = stack.backend.runs.snapshot
    monkeypatch.setattr(stack.backend.runs, "snapshot", lambda spec, run: reads.append(run.run_id) or snapshot(spec, run))
    run = stack.trigger("fan_slots")
    seen: list[int] = []
    handled = handle_one_by_one(stack, lambda: seen.append(active(stack, "fan_slots", run.run_id)))
    got = states(stack.backend, "fan_slots", run.run_id)
    assert set(got.values()) == {("success", 1)} and len(got) == 14
    assert stack.backend.runs.get("fan_slots", run.run_id).state.value == "success"
    assert handled == 14 and max(seen) == 3  # the 12 middle tasks ran three at a time, never four
    slots = slots_of(stack, "fan_slots", run)
    assert slots.held() == 0 and slots.waiting() == []
    # the trigger plans the roots, the last leaf checks completion: no try in between reads the whole run
    assert len(reads) == 2


def test_the_whole_stack_runs_a_wide_fan_out_with_hand_offs(stack):
    fan(stack, "fan_handoff", width=40, slots=4)
    run = stack.trigger("fan_handoff")
    stack.drain()
    got = states(stack.backend, "fan_handoff", run.run_id)
    assert set(got.values()) == {("success", 1)} and len(got) == 42
    slots = slots_of(stack, "fan_handoff", run)
    assert slots.held() == 0 and slots.waiting() == []


@pytest.mark.usefixtures("queue_only")
def test_the_tick_recounts_slots_a_dead_worker_left_held(stack):
    fan(stack, "fan_drift")
    run = stack.trigger("fan_drift")
    slots = slots_of(stack, "fan_drift", run)
    # Two workers died after taking a slot and before queueing their task: the count says 3, one is held (root).
    assert slots.held() == 1 and slots.reconcile(1, 3, utcnow())
    message = stack.queue.receive(max_messages=1, wait_seconds=0)[0]
    from chalicelib.services.queue_poller import handle_sqs_record

    handle_sqs_record(stack.backend, stack.dags, stack.queue, message)  # root: its slot goes to one task
    assert active(stack, "fan_drift", run.run_id) == 1 and len(slots.waiting()) == 11
    stack.tick()
    assert slots.held() == 3 and active(stack, "fan_drift", run.run_id) == 3 and len(slots.waiting()) == 9
    stack.drain()
    assert stack.backend.runs.get("fan_drift", run.run_id).state.value == "success"
    assert slots.held() == 0


def test_a_slot_given_back_while_a_task_is_listed_starts_that_task(stack):
    """The race the protocol is built for: the giver finds the list empty, a starter finds no slot and lists
    its task, then the giver gives its slot back. The giver's second look starts the task."""
    from chalicelib.services.slot_gate import SlotGate, Start

    fan(stack, "fan_race")
    run = stack.backend.runs.get("fan_race", stack.trigger("fan_race").run_id)
    spec = stack.backend.dags.get("fan_race").spec
    now = utcnow()
    slots = slots_of(stack, "fan_race", run)
    slots.reconcile(1, 3, now)  # every slot held: the giver's own, and two more
    giver = SlotGate(stack.backend, spec, run, now, held=1)
    release = giver.slots.release

    def starter_lists_then_release(count, when):
        starter = SlotGate(stack.backend, spec, run, now)
        starter.start([Start("m05")])  # no slot: listed
        starter.close()  # its own second look finds no slot either
        assert slots.waiting() != [] and active(stack, "fan_race", run.run_id) == 1  # only root so far
        release(count, when)

    giver.slots.release = starter_lists_then_release
    giver.close()
    assert states(stack.backend, "fan_race", run.run_id)["m05"] == ("queued", 1)
    assert slots.waiting() == [] and slots.held() == 3


def test_a_paused_dag_gives_its_slot_back_and_starts_nothing_until_unpaused(stack):
    fan(stack, "fan_paused")
    run = stack.trigger("fan_paused")
    stack.backend.dags.set_paused("fan_paused", True, utcnow())
    stack.drain()  # root runs (it was queued before the pause); nothing it readied starts
    got = states(stack.backend, "fan_paused", run.run_id)
    assert got["root"] == ("success", 1) and got["m00"] == ("none", 0)
    assert slots_of(stack, "fan_paused", run).held() == 0
    stack.backend.dags.set_paused("fan_paused", False, utcnow())
    stack.tick()
    stack.drain()
    assert stack.backend.runs.get("fan_paused", run.run_id).state.value == "success"


FLAKY = """
import pendulum
from pathlib import Path
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator

MARK = Path({mark!r})


def flaky():
    if not MARK.exists():
        MARK.write_text("failed once")
        raise RuntimeError("first try fails")


with DAG("fan_retry", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=2):
    root = EmptyOperator(task_id="root")
    last = PythonOperator(task_id="last", python_callable=flaky, retries=1, retry_delay=0, priority_weight=-5)
    root >> [EmptyOperator(task_id=f"m{{i}}") for i in range(4)] + [last]
"""


def test_a_run_whose_last_task_finishes_on_a_retry_without_a_slot_is_finished_by_that_retry(stack, tmp_path):
    # The retry holds no slot (store/slots.py), so no slot given back tells the run it may be done: the retry's
    # own worker checks, as the leaf counter would have.
    write_dag(stack.folder_path, "fan_retry", FLAKY.format(mark=str(tmp_path / "mark")))
    stack.sync()
    run = stack.trigger("fan_retry")
    stack.drain()
    got = states(stack.backend, "fan_retry", run.run_id)
    assert got["last"] == ("success", 2) and all(got[f"m{i}"] == ("success", 1) for i in range(4))
    assert stack.backend.runs.get("fan_retry", run.run_id).state.value == "success"


@pytest.mark.usefixtures("queue_only")
def test_clearing_the_root_while_tasks_wait_for_a_slot_starts_none_of_them_before_the_root_runs_again(stack):
    from chalicelib.services.clearing import clear_task_instances
    from chalicelib.services.queue_poller import handle_sqs_record
    from chalicelib.store.slots import task_of

    fan(stack, "fan_clear")
    run = stack.trigger("fan_clear")
    handle_sqs_record(stack.backend, stack.dags, stack.queue, stack.queue.receive(max_messages=1, wait_seconds=0)[0])
    slots = slots_of(stack, "fan_clear", run)
    assert len(slots.waiting()) == 9  # root done: three started, nine wait
    clear_task_instances(stack.backend, "fan_clear", run.run_id, task_ids=["root"], include_downstream=True,
                         only_failed=False, dry_run=False, now=utcnow())
    # The three queued ones were left alone (in flight) and hold the slots: root waits for one, and none of the
    # nine that waited before may start before root succeeds again.
    assert [task_of(key) for key in slots.waiting()] == ["root"]
    got = states(stack.backend, "fan_clear", run.run_id)
    assert got["root"] == ("none", 1) and sum(1 for s, _ in got.values() if s == "queued") == 3
    nine = [t for t, (state, _) in got.items() if t not in ("root", "end") and state == "none"]
    assert len(nine) == 9

    def none_before_root() -> None:
        now = states(stack.backend, "fan_clear", run.run_id)
        assert now["root"] == ("success", 2) or all(now[t] == ("none", 0) for t in nine)

    handle_one_by_one(stack, none_before_root)
    assert stack.backend.runs.get("fan_clear", run.run_id).state.value == "success"
    assert set(states(stack.backend, "fan_clear", run.run_id).values()) <= {("success", 1), ("success", 2)}
