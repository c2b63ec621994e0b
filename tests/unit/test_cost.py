"""The cost model: Lambda GB-seconds at the deployed memory plus the measured requests per try, by how the try
came: through SQS, or handed off by its upstream's worker (services/handoff.py)."""

from __future__ import annotations

import pytest

from chalicelib.core.cost import (
    HANDED_OFF_TRY,
    PRICES,
    QUEUED_TRY,
    TaskTries,
    TryRequests,
    cpu_slowdown,
    forecast,
    handed_off,
    run_cost,
    task_cost,
    try_cost,
)


def test_a_try_is_its_requests_plus_gb_seconds() -> None:
    requests = (1 * 0.20 + 2.1 * 0.40 + 4.16 * 0.625 + 0.30 * 0.125) / 1e6  # no S3 PUT: small texts are inline
    # at 1,024 MB Lambda gives 1024/1769 of a vCPU: the worker's own work takes 1769/1024 as long as on one
    handler = QUEUED_TRY.handler_seconds + QUEUED_TRY.cpu_seconds * 1769 / 1024
    assert try_cost(0.0, 1024) == pytest.approx(requests + handler * PRICES.lambda_gb_second)
    # at 2,048 MB (more than one vCPU's worth) it takes as long as on one: ten seconds cost twice the compute
    at_2048 = (10 + QUEUED_TRY.handler_seconds + QUEUED_TRY.cpu_seconds) * 2
    assert try_cost(10, 2048) - try_cost(10, 1024) == pytest.approx((at_2048 - 10 - handler) * PRICES.lambda_gb_second)


def test_the_workers_own_work_slows_with_less_than_one_vcpu_of_memory() -> None:
    assert (cpu_slowdown(512), cpu_slowdown(1769), cpu_slowdown(2048), cpu_slowdown(10240)) == pytest.approx(
        (1769 / 512, 1.0, 1.0, 1.0))
    own = TryRequests(0.0, 0.0, 0.0, 0.0, handler_seconds=0.0, cpu_seconds=1.0)
    assert try_cost(0.0, 1769, per_try=own) == pytest.approx(try_cost(0.0, 884, per_try=own))  # half the GB, twice the s


def test_a_handed_off_try_pays_no_message_and_no_invocation() -> None:
    requests = (3.17 * 0.625 + 0.32 * 0.125) / 1e6
    handler = HANDED_OFF_TRY.handler_seconds + HANDED_OFF_TRY.cpu_seconds * 1769 / 1024
    assert try_cost(0.0, 1024, per_try=HANDED_OFF_TRY) == pytest.approx(requests + handler * PRICES.lambda_gb_second)
    # docs/costs.md: under $6 per million short tasks at both stages' memory when handed off
    assert try_cost(0.0, 2048, per_try=HANDED_OFF_TRY) * 1e6 < 6
    assert try_cost(0.0, 1024, per_try=HANDED_OFF_TRY) < try_cost(0.0, 1024)
    # and a try through SQS under $6 too, now that no index entry follows it (docs/costs.md, session 8)
    assert try_cost(0.0, 1024) * 1e6 < 6


def test_a_try_was_handed_off_when_it_was_queued_the_instant_it_started() -> None:
    assert handed_off("2024-01-01T00:00:00.000001+00:00", "2024-01-01T00:00:00.000001+00:00")
    assert not handed_off("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.020000+00:00")
    assert not handed_off(None, None)


def test_every_try_counts_retries_came_through_sqs_and_a_task_that_never_ran_costs_nothing() -> None:
    assert task_cost(TaskTries(3, 2.0), 1024) == pytest.approx(3 * try_cost(2.0, 1024))
    assert task_cost(TaskTries(2, 2.0, handed_off=True), 1024) == pytest.approx(
        try_cost(2.0, 1024, per_try=HANDED_OFF_TRY) + try_cost(2.0, 1024))
    assert task_cost(TaskTries(0, None), 1024) == 0.0
    assert run_cost([TaskTries(1, 1.0), TaskTries(2, 1.0), TaskTries(0, None)], 1024) == pytest.approx(
        3 * try_cost(1.0, 1024))


def test_forecast_of_a_backfill() -> None:
    f = forecast(730, 20, 1.0, 1024)
    assert (f.runs, f.tasks) == (730, 14_600)
    assert f.usd == pytest.approx(14_600 * try_cost(1.0, 1024))
    assert 0.1 < f.usd < 1.0


def test_a_whole_run_plan_reads_every_item_of_the_run_and_grows_with_it() -> None:
    from chalicelib.core.cost import AWS_CALL_SECONDS, TI_ITEM_BYTES, whole_run_plan

    assert whole_run_plan(0).dynamodb_rru == 0 and whole_run_plan(0).handler_seconds == 0
    # one strongly consistent Query, billed per 4 KB of whole items (the run is the one the try already has)
    assert whole_run_plan(7).dynamodb_rru == 1
    assert whole_run_plan(100).dynamodb_rru == -(-100 * TI_ITEM_BYTES // 4096)
    # a try's plan read grows with its run: twenty times the run, twenty times the read (4 KB rounding apart)
    assert abs(whole_run_plan(2000).dynamodb_rru - 20 * whole_run_plan(100).dynamodb_rru) <= 20
    assert whole_run_plan(100).handler_seconds == pytest.approx(AWS_CALL_SECONDS)
    plain, planned = task_cost(TaskTries(1, 0.0), 1024), task_cost(TaskTries(1, 0.0), 1024, plan_items=100)
    assert planned - plain == pytest.approx(try_cost(0.0, 1024, per_try=QUEUED_TRY.plus(whole_run_plan(100)))
                                            - try_cost(0.0, 1024))
    assert run_cost([TaskTries(1, 0.0)] * 3, 1024, plan_items=100) == pytest.approx(3 * planned)


def test_a_slotted_try_adds_its_hand_over_and_no_read_of_the_run() -> None:
    from chalicelib.core.cost import SLOT_HANDOVER

    plain, slotted = task_cost(TaskTries(1, 0.0), 1024), task_cost(TaskTries(1, 0.0), 1024, slotted=True)
    assert slotted - plain == pytest.approx(try_cost(0.0, 1024, per_try=QUEUED_TRY.plus(SLOT_HANDOVER))
                                            - try_cost(0.0, 1024))
    # flat: the same whatever the run's width, unlike a whole-run plan of a 300-task run
    assert slotted < task_cost(TaskTries(1, 0.0), 1024, plan_items=300)
