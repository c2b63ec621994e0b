"""A conditional write asks DynamoDB to send back only what its caller reads (store/errors.py update_if).

PynamoDB's Model.update always asks for the whole item (ReturnValues=ALL_NEW), which both ends then parse:
billed Lambda time on AWS, and a third of a conditional write's time on moto. The final write, the heartbeat and
every other write whose caller needs only "did it apply" asks for nothing; the claim still gets the whole item.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.states import TaskState
from chalicelib.store.errors import update_if
from chalicelib.store.runs import run_pk

T0 = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
def answers(backend) -> list[dict[str, Any]]:
    """What each UpdateItem asked DynamoDB to return, and what came back."""
    seen: list[dict[str, Any]] = []
    client = backend.models.TaskInstance._get_connection().connection.client  # noqa: SLF001

    def asked(params: dict[str, Any], **_: Any) -> None:
        seen.append({"asked": params.get("ReturnValues")})

    def answered(parsed: dict[str, Any], **_: Any) -> None:
        seen[-1]["attributes"] = sorted(parsed.get("Attributes", {}))

    client.meta.events.register("provide-client-params.dynamodb.UpdateItem", asked)
    client.meta.events.register("after-call.dynamodb.UpdateItem", answered)
    return seen


def _item(backend, state: TaskState = TaskState.QUEUED) -> Any:
    TI = backend.models.TaskInstance
    TI(run_pk("d", "r"), "t", dag_id="d", run_id="r", task_id="t", state=state, try_number=1, max_tries=3).save()
    return TI


def test_a_write_whose_caller_needs_only_the_outcome_gets_nothing_back(backend, answers):
    TI = _item(backend)
    item = TI(run_pk("d", "r"), "t")
    assert update_if(item, condition=TI.state == TaskState.QUEUED, actions=[TI.hostname.set("h1")]) is True
    assert answers == [{"asked": "NONE", "attributes": []}]
    assert item.max_tries == 0  # nothing was read back into the key-only item: its default
    assert TI.get(run_pk("d", "r"), "t").hostname == "h1"  # but the write applied


def test_a_failed_condition_is_still_false_when_nothing_comes_back(backend, answers):
    TI = _item(backend)
    assert update_if(TI(run_pk("d", "r"), "t"), condition=TI.state == TaskState.RUNNING,
                     actions=[TI.hostname.set("h1")]) is False
    assert TI.get(run_pk("d", "r"), "t").hostname is None


def test_updated_new_reads_back_only_what_the_write_set(backend, answers):
    TI = _item(backend)
    item = TI(run_pk("d", "r"), "t")
    assert update_if(item, condition=None, actions=[TI.try_number.set(TI.try_number + 1)], returning="UPDATED_NEW")
    assert answers == [{"asked": "UPDATED_NEW", "attributes": ["try_number"]}]
    assert item.try_number == 2


def test_the_final_write_asks_for_nothing_and_the_claim_for_the_whole_item(backend, answers):
    _item(backend)
    runs = backend.runs
    claimed = runs.claim("d", "r", "t", 1, "token", T0, "host", None)
    assert claimed is not None and claimed.max_tries == 3  # the claim's caller goes on with the whole item
    assert runs.finish_try("d", "r", "t", token="token", state=TaskState.SUCCESS, start=T0, end=T0,
                           next_retry_at=None, error=None, xcom_return=None, xcom_return_ref=None)
    assert [a["asked"] for a in answers] == ["ALL_NEW", "NONE"]
    assert answers[1]["attributes"] == []
    assert TI_state(backend) is TaskState.SUCCESS


def TI_state(backend) -> TaskState:  # noqa: N802
    return backend.models.TaskInstance.get(run_pk("d", "r"), "t").state
