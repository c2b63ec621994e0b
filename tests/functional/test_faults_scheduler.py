"""Fault tests of the distributed path (moto), the scheduler and AWS side: the tick's own crashes and
races, throttling, poison messages, and size limits. Each seeds a state, calls one handler, asserts the
final state.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.functional.counted_dag import counted
from tests.functional.harness import T0, Env, run_ids, side_effects, states, write_dag


@pytest.fixture
def env(backend, tmp_path):
    return Env(backend, tmp_path)


# --- the scheduler's own crashes and races -------------------------------------------------------------


def test_two_ticks_for_the_same_cron_time_create_one_run(env):
    counted(env, schedule="0 * * * *")
    now = T0 + timedelta(seconds=30)

    first = env.tick(now)
    second = env.tick(now)

    run_id = "scheduled__2024-06-01T12:00:00+00:00"
    assert (first.runs_created, second.runs_created) == ([f"counted/{run_id}"], [])
    assert run_ids(env.backend, "counted") == [run_id]
    assert env.queue.sent_tries() == {("first", 1): 1}


@pytest.mark.usefixtures("queue_only")  # counts the messages sent per task
def test_interleaved_creators_of_one_scheduled_run_create_it_once(env, monkeypatch):
    from chalicelib.services.scheduler import tick

    counted(env, schedule="0 * * * *")
    now = T0 + timedelta(seconds=30)
    runs = env.backend.runs
    create = runs.create
    competing: list = []

    def another_tick_creates_it_first(spec, **kwargs):
        if not competing:
            competing.append(None)
            competing[0] = tick(env.backend, now)
        return create(spec, **kwargs)

    with pytest.MonkeyPatch.context() as patch:  # undo this patch only, not the fixtures' environment
        patch.setattr(runs, "create", another_tick_creates_it_first)
        report = env.tick(now)
    assert env.drain(now) == ["success", "success"]
    next_hour = env.tick(now + timedelta(hours=1))

    run_id = "scheduled__2024-06-01T12:00:00+00:00"
    assert (competing[0].runs_created, report.runs_created) == ([f"counted/{run_id}"], [])
    assert next_hour.runs_created == ["counted/scheduled__2024-06-01T13:00:00+00:00"]
    assert env.queue.sent_tries() == {("first", 1): 2, ("second", 0): 1}  # once per run (second: a fresh message)
    assert env.backend.models.Dag.get("counted").last_automated_logical_date == "2024-06-01T13:00:00.000000Z"


@pytest.mark.usefixtures("queue_only")  # counts the messages sent per task
def test_crash_between_run_creation_and_enqueue_is_recovered_by_the_tick(env):
    counted(env)
    spec = env.backend.dags.get("counted").spec
    run = env.backend.runs.create(spec, run_id="manual__crashed", run_type="manual", logical_date=T0, run_after=T0,
                                  interval=(T0, T0), conf={}, note=None, now=T0)  # ... and the trigger dies

    first = env.tick(T0 + timedelta(minutes=1))
    second = env.tick(T0 + timedelta(minutes=2))
    outcomes = env.drain(T0 + timedelta(minutes=2))

    assert (first.runs_finished, second.runs_finished) == ([], [])
    assert outcomes == ["success", "success"]
    assert env.queue.sent_tries() == {("first", 1): 1, ("second", 0): 1}
    assert side_effects(env.log) == ["first", "second"]
    assert env.run_state(run.run_id) == "success"


def test_scheduler_crash_after_creating_a_scheduled_run_is_recovered(env):
    counted(env, schedule="0 * * * *")
    spec = env.backend.dags.get("counted").spec
    run_id = "scheduled__2024-06-01T12:00:00+00:00"
    env.backend.runs.create(spec, run_id=run_id, run_type="scheduled", logical_date=T0, run_after=T0,
                            interval=(T0, T0), conf={}, note=None, now=T0)  # the tick died before enqueueing

    report = env.tick(T0 + timedelta(minutes=1))

    assert report.runs_created == []
    assert run_ids(env.backend, "counted") == [run_id]
    assert states(env.backend, "counted", run_id) == {"first": ("queued", 1), "second": ("none", 0)}
    assert env.queue.sent_tries() == {("first", 1): 1}
    assert env.backend.models.Dag.get("counted").next_run_after == "2024-06-01T13:00:00.000000Z"


@pytest.mark.usefixtures("queue_only")  # the scenario is about this task's message
def test_send_failure_after_queued_is_resent_by_a_later_tick(env):
    counted(env)
    env.queue.failing = True  # SendMessageBatch reports every entry failed
    run = env.trigger()
    env.queue.failing = False
    queued_timeout = timedelta(seconds=env.backend.settings.queued_timeout)

    early = env.tick(T0 + queued_timeout - timedelta(seconds=1))
    due = env.tick(T0 + queued_timeout + timedelta(seconds=1))
    outcomes = env.drain(T0 + queued_timeout + timedelta(seconds=2))

    assert (early.resent, due.resent) == ([], [f"counted/{run.run_id}/first"])
    assert outcomes == ["success", "success"]
    assert env.queue.sent_tries() == {("first", 1): 1, ("second", 0): 1}
    assert int(env.ti(run.run_id, "first").enqueue_attempts) == 1
    assert env.run_state(run.run_id) == "success"


def test_task_never_sent_fails_after_bounded_resends(env):
    counted(env)
    env.queue.failing = True
    run = env.trigger()
    settings = env.backend.settings
    step = timedelta(seconds=settings.queued_timeout + 1)

    reports = [env.tick(T0 + step * n) for n in range(1, settings.max_enqueue_attempts + 2)]

    assert [len(r.resent) for r in reports] == [1] * settings.max_enqueue_attempts + [0]
    assert states(env.backend, "counted", run.run_id) == {"first": ("failed", 1), "second": ("upstream_failed", 0)}
    assert env.ti(run.run_id, "first").error.startswith("never picked up")
    assert env.run_state(run.run_id) == "failed"


# --- AWS faults -----------------------------------------------------------------------------------------


class Throttle:
    """`before-send` hooks answering ProvisionedThroughputExceededException to the first request of each
    chosen operation, the way DynamoDB throttles: the SDK's retry handler sees a real error response.

    botocore calls every before-send handler and uses the first response, so moto (registered in between)
    would still execute the throttled request: `hold` points it at an address moto does not serve, and
    `release`, registered last, restores it for the SDK's retry of the same prepared request.
    """

    OFF_AWS = "http://throttled.invalid/"

    def __init__(self, operations: set[str]):
        self.pending = set(operations)
        self.throttled: list[str] = []
        self._held: dict[int, str] = {}

    def hold(self, request, **_):
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        if operation not in self.pending:
            return None
        self.pending.discard(operation)
        self.throttled.append(operation)
        self._held[id(request)] = request.url
        request.url = self.OFF_AWS
        body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                           "message": "The level of configured provisioned throughput for the table was exceeded."})
        return AWSResponse(self.OFF_AWS, 400, {"Content-Type": "application/x-amz-json-1.0"},
                           MockRawResponse(body.encode()))

    def release(self, request, **_):
        if id(request) in self._held:
            request.url = self._held.pop(id(request))

    def install(self, backend) -> None:
        for model in backend.models.all():
            events = model._get_connection().connection.client.meta.events  # PynamoDB's client of that table
            events.register_first("before-send.dynamodb", self.hold)
            # Handlers of "before-send.dynamodb" run before those of "before-send" (moto's): release goes last there.
            events.register_last("before-send", self.release)


def test_dynamodb_throttling_is_retried_without_losing_state(env):
    counted(env)
    throttle = Throttle({"PutItem", "BatchWriteItem", "UpdateItem"})
    throttle.install(env.backend)

    run = env.trigger()
    outcomes = env.drain(T0)

    assert sorted(throttle.throttled) == ["BatchWriteItem", "PutItem", "UpdateItem"]
    assert outcomes == ["success", "success"]
    assert states(env.backend, "counted", run.run_id) == {"first": ("success", 1), "second": ("success", 1)}
    assert side_effects(env.log) == ["first", "second"]
    assert env.run_state(run.run_id) == "success"


@pytest.mark.usefixtures("queue_only")  # the scenario is about this task's message
def test_poison_message_fails_alone_and_lands_in_the_dlq(env):
    from chalicelib.services.queue_poller import process_batch
    from chalicelib.services.task_consumer import PoisonMessage

    counted(env)
    with pytest.raises(PoisonMessage):
        env.handle("not json at all")
    sqs = env.queue.sqs
    poison = ["not json at all", '{"dag_id": "counted"}', '{"dag_id": "c", "run_id": "r", "task_id": "t", "try_number": "x"}']
    for body in poison:
        sqs.client.send_message(QueueUrl=sqs.url, MessageBody=body)
    run = env.trigger()

    # The local worker releases a failed message at once (Lambda would let its visibility timeout lapse).
    received = [process_batch(env.backend, env.dags, sqs, wait_seconds=0, max_messages=10)
                for _ in range(env.backend.settings.max_receive_count + 2)]

    dlq_url = sqs.client.get_queue_url(QueueName=env.backend.settings.dlq_name)["QueueUrl"]
    dead = sqs.client.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in dead) == sorted(poison)
    # Each poison message was delivered maxReceiveCount times, the two task messages once each.
    assert sum(received) == len(poison) * env.backend.settings.max_receive_count + 2
    assert sqs.receive(max_messages=10, wait_seconds=0) == []
    assert states(env.backend, "counted", run.run_id) == {"first": ("success", 1), "second": ("success", 1)}
    assert env.run_state(run.run_id) == "success"


def test_message_for_an_unknown_run_is_dropped_not_retried(env):
    from chalicelib.taskqueue import TaskMessage

    counted(env)

    outcome = env.handle(TaskMessage("counted", "manual__gone", "first", 1).to_json())

    assert outcome == "duplicate"
    assert side_effects(env.log) == []


# --- size limits ------------------------------------------------------------------------------------------

WIDE = """
    import pendulum
    from airflow.sdk import DAG, task
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG(dag_id="wide", schedule=None, start_date=pendulum.datetime(2024, 6, 1, tz="UTC"),
             max_active_tasks={max_active_tasks}):

        @task
        def part(n):
            return n

        @task
        def total(values):
            return sum(values)

        start = EmptyOperator(task_id="start")
        parts = [part.override(task_id=f"part_{{n:03d}}")(n) for n in range({width})]
        start >> parts
        total(parts)
"""


def test_dag_with_more_than_100_tasks_completes(env):
    # Every finished task reads its run's task instances (moto serializes ~1 ms per item): the slowest test here.
    write_dag(env.folder, "wide", WIDE.format(width=101, max_active_tasks=200))
    env.sync()
    run = env.trigger("wide")

    outcomes = env.drain(T0)

    final = states(env.backend, "wide", run.run_id)
    assert len(final) == 103
    assert set(final.values()) == {("success", 1)}
    assert outcomes == ["success"] * 103
    assert json.loads(env.backend.runs.task_instance("wide", run.run_id, "total").xcom_return) == sum(range(101))
    assert env.run_state(run.run_id, "wide") == "success"


def test_wide_dag_beyond_max_active_tasks_is_admitted_as_slots_free(env):
    write_dag(env.folder, "wide", WIDE.format(width=12, max_active_tasks=4))
    env.sync()
    run = env.trigger("wide")

    outcomes = env.drain(T0)  # no tick: each finished task frees a slot for a waiting one

    assert outcomes == ["success"] * 14
    assert set(states(env.backend, "wide", run.run_id).values()) == {("success", 1)}
    assert env.run_state(run.run_id, "wide") == "success"


BIG_XCOM = """
    import pendulum
    from airflow.sdk import DAG, task

    with DAG(dag_id="big_xcom", schedule=None, start_date=pendulum.datetime(2024, 6, 1, tz="UTC")):

        @task
        def produce(**context):
            context["ti"].xcom_push(key="side", value="y" * 450_000)
            return "x" * 500_000

        @task
        def consume(value, **context):
            side = context["ti"].xcom_pull(task_ids="produce", key="side")
            return [len(value), set(value) == {{"x"}}, len(side)]

        consume(produce())
"""


def test_xcom_larger_than_a_dynamodb_item_goes_through_s3(env):
    write_dag(env.folder, "big_xcom", BIG_XCOM.format())
    env.sync()
    run = env.trigger("big_xcom")

    outcomes = env.drain(T0)

    produced = env.backend.runs.task_instance("big_xcom", run.run_id, "produce")
    consumed = env.backend.runs.task_instance("big_xcom", run.run_id, "consume")
    assert outcomes == ["success", "success"]
    assert produced.xcom_return is None
    assert len(env.backend.blobs.get_text(produced.xcom_return_ref)) == 500_002  # JSON string with quotes
    assert json.loads(consumed.xcom_return) == [500_000, True, 450_000]
    assert env.run_state(run.run_id, "big_xcom") == "success"
