"""The cost model: Lambda GB-seconds at the deployed memory plus the measured requests per try."""

from __future__ import annotations

import pytest

from chalicelib.core.cost import PER_TRY, PRICES, TaskTries, forecast, run_cost, task_cost, try_cost


def test_a_try_is_its_requests_plus_gb_seconds() -> None:
    requests = (1 * 0.20 + 3 * 0.40 + 7.17 * 0.625 + 1.54 * 0.125) / 1e6  # no S3 PUT: small texts are inline
    assert try_cost(0.0, 1024) == pytest.approx(requests + PER_TRY.handler_seconds * PRICES.lambda_gb_second)
    # ten seconds at 2 GB cost twice as much compute as at 1 GB
    assert try_cost(10, 2048) - try_cost(10, 1024) == pytest.approx(10.1 * PRICES.lambda_gb_second)


def test_about_seven_dollars_per_million_short_tasks_at_512_mb() -> None:
    # docs/costs.md: $6.9 per million 0.1 s tasks at 512 MB since the claim stopped moving the index entry
    assert 6.5 < try_cost(0.0, 512) * 1e6 < 7.5


def test_every_try_counts_and_a_task_that_never_ran_costs_nothing() -> None:
    assert task_cost(TaskTries(3, 2.0), 1024) == pytest.approx(3 * try_cost(2.0, 1024))
    assert task_cost(TaskTries(0, None), 1024) == 0.0
    assert run_cost([TaskTries(1, 1.0), TaskTries(2, 1.0), TaskTries(0, None)], 1024) == pytest.approx(
        3 * try_cost(1.0, 1024))


def test_forecast_of_a_backfill() -> None:
    f = forecast(730, 20, 1.0, 1024)
    assert (f.runs, f.tasks) == (730, 14_600)
    assert f.usd == pytest.approx(14_600 * try_cost(1.0, 1024))
    assert 0.1 < f.usd < 1.0
