"""PynamoDB models: the one definition of every table and index (infra templates are checked against it).

Models are built per `Settings` by `build_models` (table names and endpoint come from the settings, never
from import-time globals), so tests and processes pointing at different stacks never share a connection.
Timestamps are ISO 8601 UTC strings with a fixed width, so they sort as they compare.

Access patterns and the index serving each are listed in docs/data-model.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
    LocalSecondaryIndex,
)
from pynamodb.models import Model

from chalicelib.core.states import RunState, TaskState
from chalicelib.store.botocore_sessions import share_loader
from chalicelib.store.settings import Settings
from chalicelib.store.shards import shard_key

share_loader()  # every model's connection reads botocore's JSON files once per process, not once per table

# Attributes the DAG list reads, projected into the by-kind index.
LIST_FIELDS = ["relpath", "summary", "task_count", "is_paused", "is_active", "next_run_after", "next_logical_date",
               "last_run_id", "last_run_state", "last_run_at", "last_run_task_states", "updated_at", "source_hash"]


class StateAttribute(UnicodeAttribute):
    """A state stored as its string value and read back as the enum member, so a state leaves the store typed
    (`TaskState`/`RunState`) and a misspelt one fails the write instead of reaching the table."""

    def __init__(self, states: type[TaskState] | type[RunState], **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.states = states

    def serialize(self, value: str) -> str:
        return self.states(value).value

    def deserialize(self, value: str) -> TaskState | RunState:
        return self.states(value)


def active_index_key(state: TaskState) -> TaskState:
    """The `active` index key a task instance in `state` is filed under. Only tries waiting for a retry or a
    reschedule are filed today: queued and running tries are found through the active runs instead
    (store/tries_in_flight.by_active_state), which spares each try three index write units. Queued and running
    share one key for items an earlier version filed."""
    return TaskState.QUEUED if state in (TaskState.QUEUED, TaskState.RUNNING) else state


@dataclass(frozen=True)
class Models:
    Dag: type[Model]
    DagRun: type[Model]
    TaskInstance: type[Model]
    XCom: type[Model]
    Variable: type[Model]
    Meta: type[Model]
    index_shards: int = 1  # settings.index_shards: how many keys each sharded GSI value is spread over

    def shard(self, value: str, item_id: str) -> str:
        """The sharded GSI partition key an item with this id carries for `value` (store/shards.py)."""
        return shard_key(value, item_id, self.index_shards)

    def all(self) -> list[type[Model]]:
        return [self.Dag, self.DagRun, self.TaskInstance, self.XCom, self.Variable, self.Meta]


def _meta(settings: Settings, name: str) -> type:
    attrs = {
        "table_name": settings.table(name),
        "region": settings.region,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": 8,  # throttling is retried with backoff by botocore under PynamoDB
    }
    if settings.dynamodb_endpoint:
        attrs["host"] = settings.dynamodb_endpoint
    return type("Meta", (), attrs)


def _index_meta(name: str) -> type:
    return type("Meta", (), {"index_name": name, "projection": AllProjection()})


@lru_cache(maxsize=16)
def build_models(settings: Settings) -> Models:
    class ListIndex(GlobalSecondaryIndex):
        """All DAGs by id (the DAG list) without a scan: `kind` = "dag" sharded (store/shards.py). Only the list's
        fields are projected (a few hundred bytes a DAG), so 1,000 DAGs come back in one page."""

        Meta = type("Meta", (), {"index_name": "by-kind", "projection": IncludeProjection(LIST_FIELDS)})
        kind = UnicodeAttribute(hash_key=True)
        dag_id = UnicodeAttribute(range_key=True)

    class DueIndex(GlobalSecondaryIndex):
        """Sparse: only active, unpaused, scheduled DAGs carry `schedulable`; the tick queries next_run_after <= now."""

        Meta = type("Meta", (), {"index_name": "due", "projection": KeysOnlyProjection()})
        schedulable = UnicodeAttribute(hash_key=True)
        next_run_after = UnicodeAttribute(range_key=True)

    class Dag(Model):
        Meta = _meta(settings, "dags")
        dag_id = UnicodeAttribute(hash_key=True)
        kind = UnicodeAttribute(default="dag")
        relpath = UnicodeAttribute()
        source_hash = UnicodeAttribute()
        spec = UnicodeAttribute(null=True)  # DagSpec JSON when small; else in S3 at spec_ref
        spec_ref = UnicodeAttribute(null=True)
        spec_hash = UnicodeAttribute(null=True)  # the DAG version: sha256 of the spec JSON
        bundle_version = UnicodeAttribute(null=True)  # the bundle the current version was parsed from
        version_number = NumberAttribute(null=True)  # 1, 2, ...: one per distinct (spec, source) stored
        summary = UnicodeAttribute(null=True)  # DagSpec JSON without tasks, docs and params: what the list shows
        task_count = NumberAttribute(null=True)
        source = UnicodeAttribute(null=True)  # inline when small; else in S3 at source_ref
        source_ref = UnicodeAttribute(null=True)
        is_paused = BooleanAttribute(default=False)
        is_active = BooleanAttribute(default=True)
        schedulable = UnicodeAttribute(null=True)
        next_run_after = UnicodeAttribute(null=True)
        next_logical_date = UnicodeAttribute(null=True)
        last_automated_logical_date = UnicodeAttribute(null=True)
        last_run_id = UnicodeAttribute(null=True)
        last_run_state = UnicodeAttribute(null=True)
        last_run_at = UnicodeAttribute(null=True)
        last_run_task_states = UnicodeAttribute(null=True)  # JSON {state: count} of the last finished run
        updated_at = UnicodeAttribute(null=True)
        by_kind = ListIndex()
        due = DueIndex()

    class RunsByDate(LocalSecondaryIndex):
        """Runs of one DAG newest first (run_after, then run id)."""

        Meta = _index_meta("by-date")
        dag_id = UnicodeAttribute(hash_key=True)
        date_key = UnicodeAttribute(range_key=True)

    class ActiveRuns(GlobalSecondaryIndex):
        """Sparse: queued/running runs only (`active` removed when the run finishes)."""

        Meta = _index_meta("active")
        active = UnicodeAttribute(hash_key=True)
        run_key = UnicodeAttribute(range_key=True)

    class DagRun(Model):
        Meta = _meta(settings, "runs")
        dag_id = UnicodeAttribute(hash_key=True)
        run_id = UnicodeAttribute(range_key=True)
        run_key = UnicodeAttribute()  # dag_id#run_id
        date_key = UnicodeAttribute()  # run_after#run_id
        state = StateAttribute(RunState)
        run_type = UnicodeAttribute()
        logical_date = UnicodeAttribute()
        run_after = UnicodeAttribute()
        data_interval_start = UnicodeAttribute()
        data_interval_end = UnicodeAttribute()
        conf = UnicodeAttribute(default="{}")  # JSON
        note = UnicodeAttribute(null=True)
        start_date = UnicodeAttribute(null=True)
        end_date = UnicodeAttribute(null=True)
        created_at = UnicodeAttribute()
        triggering_events = UnicodeAttribute(null=True)  # JSON list: asset events that started this run
        spec_hash = UnicodeAttribute(null=True)  # the DAG version the run was created with (its tasks run it)
        bundle_version = UnicodeAttribute(null=True)  # the bundle holding that version's files
        failure_reason = UnicodeAttribute(null=True)  # why the scheduler failed the run, when it did
        roots_enqueued = BooleanAttribute(default=False)
        active = UnicodeAttribute(null=True)
        by_date = RunsByDate()
        active_runs = ActiveRuns()

    class ActiveTasks(GlobalSecondaryIndex):
        """Sparse: task instances in up_for_retry/up_for_reschedule, by the retry's due time: the tick's query
        for retries whose delayed message never came. (Queued and running tries were filed here too until
        session 8; they are found through the active runs now: store/tries_in_flight.by_active_state.)"""

        Meta = _index_meta("active")
        active_state = UnicodeAttribute(hash_key=True)
        due_at = UnicodeAttribute(range_key=True)

    class TaskInstance(Model):
        Meta = _meta(settings, "task-instances")
        run_pk = UnicodeAttribute(hash_key=True)  # dag_id#run_id
        ti_key = UnicodeAttribute(range_key=True)  # task_id, or task_id#map_index for a mapped instance
        task_id = UnicodeAttribute(null=True)
        map_index = NumberAttribute(default=-1)
        dag_id = UnicodeAttribute()
        run_id = UnicodeAttribute()
        state = StateAttribute(TaskState, default=TaskState.NONE)
        map_count = NumberAttribute(null=True)  # on a mapped task's -1 item once expanded: its instance count
        map_length = NumberAttribute(null=True)  # length of the output a downstream task maps over
        try_number = NumberAttribute(default=0)
        max_tries = NumberAttribute(default=0)
        start_date = UnicodeAttribute(null=True)
        end_date = UnicodeAttribute(null=True)
        duration = NumberAttribute(null=True)
        first_start = UnicodeAttribute(null=True)  # first poke of a reschedule-mode sensor
        queued_at = UnicodeAttribute(null=True)
        # When the item last became not started (the run's creation, a clear): a message readied before that
        # claims nothing (store/try_writes.claim_fresh)
        reset_at = UnicodeAttribute(null=True)
        owner_token = UnicodeAttribute(null=True)
        heartbeat_at = UnicodeAttribute(null=True)
        next_retry_at = UnicodeAttribute(null=True)
        delayed_try = NumberAttribute(null=True)  # the try whose delayed message is in the queue (retry waits)
        enqueue_attempts = NumberAttribute(default=0)
        hostname = UnicodeAttribute(null=True)
        request_id = UnicodeAttribute(null=True)
        error = UnicodeAttribute(null=True)
        marked_from = UnicodeAttribute(null=True)  # the try's own outcome when a user marked the task since
        note = UnicodeAttribute(null=True)
        xcom_return = UnicodeAttribute(null=True)  # JSON of the return value, inline when small
        xcom_return_ref = UnicodeAttribute(null=True)  # S3 key when large
        active_state = UnicodeAttribute(null=True)
        due_at = UnicodeAttribute(null=True)
        log_inline = UnicodeAttribute(null=True)  # the log of try `log_try` when small (Settings.log_inline_bytes)
        log_try = NumberAttribute(null=True)
        # the rendered template fields (masked JSON) of try `rendered_try` when small (Settings.rendered_inline_bytes)
        rendered_inline = UnicodeAttribute(null=True)
        rendered_try = NumberAttribute(null=True)
        upstreams_done = NumberAttribute(null=True)  # finished upstream tasks counted so far (core/edges.py)
        slot = BooleanAttribute(null=True)  # this queued or running try holds one of the run's slots (store/slots.py)
        active = ActiveTasks()

    class XCom(Model):
        Meta = _meta(settings, "xcoms")
        run_pk = UnicodeAttribute(hash_key=True)
        task_key = UnicodeAttribute(range_key=True)  # ti_key#key (task_id#key, task_id#map_index#key)
        value = UnicodeAttribute(null=True)
        value_ref = UnicodeAttribute(null=True)

    class Variable(Model):
        Meta = _meta(settings, "variables")
        key = UnicodeAttribute(hash_key=True)
        val = UnicodeAttribute()
        description = UnicodeAttribute(null=True)

    class Meta_(Model):  # noqa: N801 - "Meta" is PynamoDB's reserved inner-class name
        Meta = _meta(settings, "meta")
        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        data = UnicodeAttribute(default="{}")
        updated_at = UnicodeAttribute(null=True)
        count = NumberAttribute(null=True)  # a run's finished leaf tasks (store/progress.py)
        expires_at = TTLAttribute(null=True)  # per-minute stats counters (chalicelib/store/stats.py) expire

    return Models(Dag, DagRun, TaskInstance, XCom, Variable, Meta_, index_shards=settings.index_shards)


def forget_connections(models: Models) -> None:
    """Drop the connections these models opened (in a forked child: they share sockets with the parent)."""
    for model in models.all():
        model._connection = None
