"""Edge planning (#17): a finished try decides its downstream from its edges, so a wide fan-out/fan-in run is
never read whole per task, and every outcome matches the whole-run plan's (failures, skips, clears, duplicates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.functional.harness import Stack, states, write_dag

WIDE = """
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator
from airflow.providers.standard.operators.empty import EmptyOperator


def work(i):
    if i in {failing}:
        raise ValueError("middle task failed")
    return i


with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=64):
    root = EmptyOperator(task_id="root")
    join = EmptyOperator(task_id="join"{join_rule})
    after = EmptyOperator(task_id="after")
    root >> [PythonOperator(task_id=f"m{{i:02d}}", python_callable=work, op_args=[i]) for i in range(8)] >> join >> after
"""


@pytest.fixture
def stack(backend, tmp_path: Path) -> Stack:
    stack = Stack(backend, tmp_path)
    return stack


def wide(stack: Stack, dag_id: str, *, failing: set[int] = frozenset(), join_rule: str = "") -> None:
    write_dag(stack.folder_path, dag_id, WIDE.format(dag_id=dag_id, failing=set(failing) or "set()", join_rule=join_rule))
    stack.sync()


def count_whole_run_reads(backend, monkeypatch) -> list[str]:
    reads: list[str] = []
    snapshot = backend.runs.snapshot

    def counted(spec, run):
        reads.append(run.run_id)
        return snapshot(spec, run)

    monkeypatch.setattr(backend.runs, "snapshot", counted)
    return reads


def test_a_wide_fan_in_runs_once_every_upstream_succeeded_without_reading_the_run_per_task(stack, monkeypatch):
    wide(stack, "wide_ok")
    reads = count_whole_run_reads(stack.backend, monkeypatch)
    run = stack.trigger("wide_ok")
    stack.drain()
    got = states(stack.backend, "wide_ok", run.run_id)
    assert set(got.values()) == {("success", 1)} and len(got) == 11
    assert stack.backend.runs.get("wide_ok", run.run_id).state.value == "success"
    # the trigger plans the roots, the last leaf checks completion: nothing in between reads the whole run
    assert len(reads) == 2


def test_a_failed_upstream_fails_the_join_and_the_run_as_the_whole_run_plan_does(stack):
    wide(stack, "wide_fail", failing={3})
    run = stack.trigger("wide_fail")
    stack.drain()
    got = states(stack.backend, "wide_fail", run.run_id)
    assert got["m03"] == ("failed", 1)
    assert got["join"] == ("upstream_failed", 0) and got["after"] == ("upstream_failed", 0)
    assert stack.backend.runs.get("wide_fail", run.run_id).state.value == "failed"


def test_an_all_done_join_waits_for_every_upstream_then_runs(stack):
    wide(stack, "wide_done", failing={0, 7}, join_rule=', trigger_rule="all_done"')
    run = stack.trigger("wide_done")
    stack.drain()
    got = states(stack.backend, "wide_done", run.run_id)
    assert got["join"] == ("success", 1) and got["after"] == ("success", 1)
    # the leaves decide: `after` succeeded, so the run did (Airflow's rule)
    assert stack.backend.runs.get("wide_done", run.run_id).state.value == "success"


def test_clearing_a_middle_task_reruns_it_and_its_downstream_with_counters_already_full(stack):
    from chalicelib.services.clearing import clear_task_instances
    from chalicelib.services.task_consumer import utcnow

    wide(stack, "wide_clear")
    run = stack.trigger("wide_clear")
    stack.drain()
    clear_task_instances(stack.backend, "wide_clear", run.run_id, task_ids=["m05"], include_downstream=True,
                         only_failed=False, dry_run=False, now=utcnow())
    stack.drain()
    got = states(stack.backend, "wide_clear", run.run_id)
    assert got["m05"] == ("success", 2) and got["join"] == ("success", 2) and got["after"] == ("success", 2)
    assert got["m04"] == ("success", 1)
    assert stack.backend.runs.get("wide_clear", run.run_id).state.value == "success"


@pytest.mark.usefixtures("queue_only")  # the scenario is about this task's message
def test_a_duplicate_delivery_of_the_last_upstream_queues_the_join_once(stack):
    from chalicelib.services.queue_poller import handle_sqs_record

    wide(stack, "wide_dup")
    run = stack.trigger("wide_dup")
    sent: list[str] = []
    send = stack.backend.queue.send

    def recording(messages):
        sent.extend(m.task_id for m, _ in messages)
        return send(messages)

    stack.backend.queue.send = recording
    while True:
        messages = stack.queue.receive(max_messages=1, wait_seconds=0)
        if not messages:
            break
        handle_sqs_record(stack.backend, stack.dags, stack.queue, messages[0])
        if messages[0]["Body"].find('"m07"') >= 0:  # the last middle task's message, delivered again
            handle_sqs_record(stack.backend, stack.dags, stack.queue, messages[0])
    assert sent.count("join") == 1 and sent.count("after") == 1
    assert set(states(stack.backend, "wide_dup", run.run_id).values()) == {("success", 1)}
