"""Sharded GSI keys (store/shards.py, issue #17 item 4): the same writes through N = 1 (the unsharded layout)
and N = 4 give identical answers from every reader of the indexes, in the same order, with limits applied
after the merge; and the N = 4 items really are spread over several partition keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from chalicelib.core.spec import DagSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.store.readers import ApiReader
from chalicelib.store.shards import shard_key, shard_keys
from chalicelib.store.try_writes import run_pk

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
N_DAGS = 9
N_TASKS = 8


def spec(dag_id: str, schedule: dict | None) -> DagSpec:
    tasks = [{"task_id": f"t{i:02d}", "operator": "EmptyOperator", "upstream": [], "downstream": [],
              "trigger_rule": "all_success", "retry": {"retries": 1, "retry_delay": 60.0,
                                                       "retry_exponential_backoff": 0.0, "max_retry_delay": None},
              "sensor": None, "template_fields": []} for i in range(N_TASKS)]
    return DagSpec.from_dict({"dag_id": dag_id, "fileloc": f"{dag_id}.py", "tasks": tasks,
                              "schedule": schedule or {"kind": "none", "cron": None, "delta_seconds": None,
                                                       "timezone": "UTC"},
                              "start_date": "2024-01-01T00:00:00+00:00", "tags": [], "description": None,
                              "owner": "test"})


def make_backend(shards: int):
    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources
    from chalicelib.store.settings import Settings

    backend = Backend(Settings(prefix=f"s{uuid.uuid4().hex[:8]}", stage="test", index_shards=shards))
    init_resources(backend)
    return backend


def seed(backend) -> None:
    """DAGs (some scheduled, one paused, one retired), runs (some finished) and task instances in every
    active state, with distinct index range keys so the unsharded order is fully defined."""
    specs = []
    for d in range(N_DAGS):
        hourly = {"kind": "delta", "cron": None, "delta_seconds": 3600 * (d + 1), "timezone": "UTC"}
        specs.append(spec(f"dag_{d:02d}", hourly if d % 3 else None))
        backend.dags.upsert(specs[-1], relpath=f"dag_{d:02d}.py", source="# src\n", source_hash=f"h{d}",
                            now=T0, paused_on_create=d == 4)
    backend.dags.deactivate_missing({f"dag_{d:02d}" for d in range(N_DAGS) if d != 7}, T0)
    backend.models.Meta("dags", "count").delete()  # make count_dags count the index itself
    runs = backend.runs
    for d, dag in enumerate(specs[:4]):
        for r in range(3):
            at = T0 + timedelta(minutes=d * 10 + r)
            run_id = f"manual__{at.isoformat()}"
            runs.create(dag, run_id=run_id, run_type="manual", logical_date=at, run_after=at, interval=(at, at),
                        conf={}, note=None, now=at)
            if r == 2:
                runs.finish(dag.dag_id, run_id, RunState.SUCCESS, at)
                continue
            for t, task in enumerate(dag.tasks):
                when = at + timedelta(seconds=t)
                runs.enqueue(dag.dag_id, run_id, task.task_id, 1, when)
                if t % 4 == 1:
                    runs.claim(dag.dag_id, run_id, task.task_id, 1, "tok", when + timedelta(milliseconds=1), "h", None)
                if t % 4 == 2:
                    runs.claim(dag.dag_id, run_id, task.task_id, 1, "tok", when, "h", None)
                    runs.finish_try(dag.dag_id, run_id, task.task_id, token="tok", state=TaskState.UP_FOR_RETRY,
                                    start=when, end=when, next_retry_at=when + timedelta(minutes=5), error="x",
                                    xcom_return=None, xcom_return_ref=None)
                if t % 4 == 3:
                    runs.claim(dag.dag_id, run_id, task.task_id, 1, "tok", when, "h", None)
                    runs.finish_try(dag.dag_id, run_id, task.task_id, token="tok", state=TaskState.SUCCESS,
                                    start=when, end=when, next_retry_at=None, error=None, xcom_return=None,
                                    xcom_return_ref=None)


def answers(backend) -> dict:
    """Every read of the sharded indexes, as plain values in the order the reader returns them."""
    reader, runs, dags = ApiReader(backend.models), backend.runs, backend.dags
    late = T0 + timedelta(days=1)
    out = {
        "dag_items": [(i.dag_id, i.is_active, i.is_paused) for i in reader.dag_items()],
        "count_dags_all": reader.count_dags(only_active=False),
        "count_dags_active": reader.count_dags(only_active=True),
        "active_run_counts": {k: dict(v) for k, v in reader.active_run_counts().items()},
        "runs_active": runs.active(),
        "runs_active_states": runs.active_states(),
        "running_count": {f"dag_{d:02d}": runs.running_count(f"dag_{d:02d}") for d in range(N_DAGS)},
        "active_count": {f"dag_{d:02d}": runs.active_count(f"dag_{d:02d}") for d in range(N_DAGS)},
        "dags_list": [d.dag_id for d in dags.list()],
        "dags_list_all": [d.dag_id for d in dags.list(include_inactive=True)],
        "due_now": dags.due(T0 + timedelta(hours=5)),
        "due_all": dags.due(late),
    }
    for offset, limit in ((0, 1), (0, 5), (3, 4), (7, 5), (20, 5)):
        out[f"page_{offset}_{limit}"] = [i.dag_id for i in reader.dag_items_page(limit=limit, offset=offset)]
    for state in ("queued", "running", "up_for_retry", "up_for_reschedule"):
        out[f"by_state_{state}"] = [(i.run_pk, i.task_id, i.due_at)
                                    for i in runs.by_active_state(state, late)]
        out[f"by_state_{state}_early"] = [(i.run_pk, i.task_id)
                                          for i in runs.by_active_state(state, T0 + timedelta(minutes=21))]
    return out


def test_sharded_reads_equal_unsharded_reads(mocked_aws) -> None:
    unsharded, sharded = make_backend(1), make_backend(4)
    seed(unsharded)
    seed(sharded)
    expected, got = answers(unsharded), answers(sharded)
    assert got == expected
    # the seed reaches every reader with something to return, so the comparison is not of empty lists
    assert len(expected["by_state_queued"]) >= 8 and expected["by_state_running"] and expected["by_state_up_for_retry"]
    assert expected["page_3_4"] == [f"dag_{d:02d}" for d in range(3, 7)] and expected["page_20_5"] == []
    assert expected["count_dags_all"] == N_DAGS and expected["count_dags_active"] == N_DAGS - 1
    assert expected["due_all"] == ["dag_01", "dag_02", "dag_05", "dag_08"]  # scheduled, unpaused (4), present (7)
    assert expected["runs_active"] and expected["active_count"]["dag_00"] == 2
    # and the N = 4 writes really are spread over the shards, while N = 1 is exactly the unsharded layout
    TI = sharded.models.TaskInstance
    keys = {item.active_state for item in TI.scan() if item.active_state}
    assert keys == set(shard_keys("up_for_retry", 4))  # every shard holds waiting retries
    # queued and running tries are in no index (store/tries_in_flight.by_active_state finds them through their runs)
    assert {i.active_state for i in unsharded.models.TaskInstance.scan() if i.active_state} == {"up_for_retry"}
    assert {i.kind for i in sharded.models.Dag.scan()} == set(shard_keys("dag", 4))


def test_shard_keys_are_stable_and_shard_zero_is_the_bare_value() -> None:
    assert shard_key("queued", "anything", 1) == "queued"
    assert shard_keys("queued", 3) == ["queued", "queued#1", "queued#2"]
    assert shard_key("queued", "dag#run#t1", 4) == shard_key("queued", "dag#run#t1", 4)  # same in every process
    spread = {shard_key("running", f"d#r#t{i}", 8) for i in range(200)}
    assert spread == set(shard_keys("running", 8))


def test_shard_count_comes_from_configuration() -> None:
    import pytest

    from chalicelib.store.settings import DEFAULT_INDEX_SHARDS, Settings

    assert Settings.from_env({}).index_shards == DEFAULT_INDEX_SHARDS == 32  # on AWS
    assert Settings.from_env({"AWS_ENDPOINT_URL": "http://localhost:5000"}).index_shards == 1  # moto: one partition
    assert Settings.from_env({"LEVANTE_INDEX_SHARDS": "8"}).index_shards == 8
    with pytest.raises(ValueError, match="LEVANTE_INDEX_SHARDS"):
        Settings.from_env({"LEVANTE_INDEX_SHARDS": "0"})


def test_sharded_stats_counters_sum_to_the_unsharded_counts(mocked_aws) -> None:
    """The per-minute stats counter (meta pk "stats") is sharded too: each write goes to one of N keys, the
    monitoring read sums the N keys of every minute, and the answer is the unsharded one."""
    from itertools import count

    from chalicelib.store.stats import PK, BufferedStats, StatsRepository

    now = T0 + timedelta(minutes=30)
    unsharded, sharded = make_backend(1), make_backend(4)
    turn = count()
    writers = {"unsharded": StatsRepository(unsharded.models),
               "sharded": StatsRepository(sharded.models, pick=lambda n: next(turn) % n)}  # every shard in turn
    outcomes = ["success", "failed", "up_for_retry", "success", "upstream_failed", "success", "success"]
    for i, state in enumerate(outcomes * 3):
        at = now - timedelta(minutes=(i * 7) % 50, seconds=i)
        for repository in writers.values():
            repository.record_outcome(state, at)
    for name, backend in (("unsharded", unsharded), ("sharded", sharded)):
        buffered = BufferedStats(lambda b=backend: StatsRepository(b.models), interval=0)  # random shards
        for i, state in enumerate(outcomes):
            buffered.record(state, now - timedelta(minutes=i % 3), monotonic=float(i))
        writers[name].add("2024-06-01T10:00", finished=5, failed=5, retried=0, at=now)  # outside the hour
    StatsRepository(sharded.models, pick=lambda n: 0).add(  # what the unsharded code wrote: still counted
        "2024-06-01T12:29", finished=2, failed=0, retried=1, at=now)
    StatsRepository(unsharded.models).add("2024-06-01T12:29", finished=2, failed=0, retried=1, at=now)

    expected = StatsRepository(unsharded.models).last_hour(now)
    assert StatsRepository(sharded.models).last_hour(now) == expected
    assert expected.finished == 30 and expected.failed == 8 and expected.retried == 5  # not an empty comparison
    assert sum(p.finished for p in expected.series) == 30 and len(expected.series) == 60
    Counter = StatsRepository(sharded.models).Counter
    assert {i.pk for i in Counter.scan() if i.pk.startswith(PK)} == set(shard_keys(PK, 4))
    assert {i.pk for i in StatsRepository(unsharded.models).Counter.scan() if i.pk.startswith(PK)} == {PK}


def test_a_running_try_is_a_zombie_candidate_by_its_heartbeat_not_by_when_it_was_queued(mocked_aws) -> None:
    backend = make_backend(4)
    seed(backend)
    runs, TI = backend.runs, backend.models.TaskInstance
    queued_at = T0 + timedelta(hours=10)
    dag = backend.dags.get("dag_00").spec
    runs.create(dag, run_id="long", run_type="manual", logical_date=queued_at, run_after=queued_at,
                interval=(queued_at, queued_at), conf={}, note=None, now=queued_at)
    runs.enqueue("dag_00", "long", "t0", 1, queued_at)
    runs.claim("dag_00", "long", "t0", 1, "tok", queued_at + timedelta(seconds=1), "h", None)
    after = TI.get(run_pk("dag_00", "long"), "t0")
    assert (after.active_state, after.due_at) == (None, None)  # in no index: found through its active run

    def stale(at):
        return [(i.run_id, i.task_id) for i in runs.by_active_state("running", at) if i.run_id == "long"]

    an_hour_later = queued_at + timedelta(hours=1)
    assert stale(an_hour_later) == [("long", "t0")]  # no heartbeat for an hour
    assert runs.heartbeat("dag_00", "long", "t0", "tok", an_hour_later)
    assert stale(an_hour_later - timedelta(seconds=1)) == []  # beating: not a zombie, though queued long ago
    assert stale(an_hour_later) == [("long", "t0")]
    assert [i.run_id for i in runs.by_active_state("queued", an_hour_later) if i.run_id == "long"] == []
    assert len([i for i in runs.in_flight() if i.state == "running"]) == len(
        [i for i in TI.scan() if i.state == "running"])


def test_a_try_from_enqueue_to_its_end_writes_no_index_and_a_retry_leaves_the_waiting_one(mocked_aws) -> None:
    backend = make_backend(1)
    runs, TI = backend.runs, backend.models.TaskInstance

    def indexed() -> tuple:
        item = TI.get(run_pk("d", "r"), "t")
        return item.state, item.active_state, item.due_at

    runs.enqueue("d", "r", "t", 1, T0)
    assert indexed() == ("queued", None, None)
    runs.claim("d", "r", "t", 1, "tok", T0, "h", None)
    assert indexed() == ("running", None, None)
    runs.finish_try("d", "r", "t", token="tok", state=TaskState.UP_FOR_RETRY, start=T0, end=T0,
                    next_retry_at=T0 + timedelta(minutes=5), error="x", xcom_return=None, xcom_return_ref=None)
    assert indexed()[:2] == ("up_for_retry", "up_for_retry")  # waiting for its due time: the index finds it
    assert [i.ti_key for i in runs.by_active_state("up_for_retry", T0 + timedelta(minutes=5))] == ["t"]
    runs.claim("d", "r", "t", 2, "tok2", T0 + timedelta(minutes=5), "h", None)  # its delayed message
    assert indexed() == ("running", None, None)
    runs.finish_try("d", "r", "t", token="tok2", state=TaskState.SUCCESS, start=T0, end=T0, next_retry_at=None,
                    error=None, xcom_return=None, xcom_return_ref=None)
    assert indexed() == ("success", None, None)
