"""Airflow's authoring semantics as Levante implements them: first how DAG files build graphs (no run), then
what tasks see and how they end when `run_dag` executes them in-process (SkipWaitClock: no real waiting)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.states import RunState, TaskState
from chalicelib.runner.inprocess import RunResult, SkipWaitClock, run_dag
from chalicelib.sdk import DAG, Param, TaskGroup, chain, cross_downstream, get_current_context, task, task_group
from chalicelib.sdk.exceptions import AirflowFailException
from chalicelib.sdk.operators.bash import BashOperator
from chalicelib.sdk.operators.empty import EmptyOperator
from chalicelib.sdk.operators.python import PythonOperator
from chalicelib.sdk.sensors.python import PythonSensor

S = TaskState
LOGICAL = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)


def edges(dag: DAG) -> set[tuple[str, str]]:
    return {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}


def run(dag: DAG, **kwargs) -> RunResult:
    kwargs.setdefault("logical_date", LOGICAL)
    return run_dag(dag, clock=SkipWaitClock(), jitter=False, **kwargs)


def states(result: RunResult) -> dict[str, S]:
    return {ti.task_id: ti.state for ti in result.task_instances}


def ti_of(result: RunResult, task_id: str):
    return next(ti for ti in result.task_instances if ti.task_id == task_id)


# === authoring ======================================================================================


def test_default_args_apply_only_to_arguments_an_operator_accepts():
    defaults = {"retries": 3, "bash_command": "echo from-defaults", "owner": "team"}
    with DAG("d", default_args=defaults):
        empty = EmptyOperator(task_id="empty")  # does not take bash_command: no error
        bash = BashOperator(task_id="bash")
        explicit = BashOperator(task_id="explicit", bash_command="echo mine", retries=0)
    assert (empty.retries, empty.owner) == (3, "team")
    assert not hasattr(empty, "bash_command")
    assert bash.bash_command == "echo from-defaults" and bash.retries == 3
    assert explicit.bash_command == "echo mine" and explicit.retries == 0


def test_task_group_default_args_override_the_dags():
    with DAG("d", default_args={"retries": 1}):
        with TaskGroup("g", default_args={"retries": 4}):
            inside = EmptyOperator(task_id="inside")
        outside = EmptyOperator(task_id="outside")
    assert (inside.retries, outside.retries) == (4, 1)


def test_task_groups_prefix_ids_and_nest():
    with DAG("d") as dag:
        with TaskGroup("outer") as outer:
            EmptyOperator(task_id="a")
            with TaskGroup("inner") as inner:
                EmptyOperator(task_id="b")
        with TaskGroup("flat", prefix_group_id=False):
            EmptyOperator(task_id="c")
    assert sorted(dag.task_dict) == ["c", "outer.a", "outer.inner.b"]
    assert inner.group_id == "outer.inner"
    assert inner.parent_group is outer
    assert dag.get_task("outer.inner.b").task_group is inner


def test_a_task_group_on_either_side_of_shift_binds_to_its_roots_and_leaves():
    with DAG("d") as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("g") as group:
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            c = EmptyOperator(task_id="c")
            a >> [b, c]
        end = EmptyOperator(task_id="end")
        start >> group >> end
    assert edges(dag) == {("start", "g.a"), ("g.a", "g.b"), ("g.a", "g.c"), ("g.b", "end"), ("g.c", "end")}


def test_calling_a_task_twice_suffixes_the_id():
    with DAG("d") as dag:
        @task
        def work():
            return 1

        work()
        work()
        work()
    assert sorted(dag.task_dict) == ["work", "work__1", "work__2"]


def test_shift_operators_with_lists():
    with DAG("d") as dag:
        a, b, c, d, e = (EmptyOperator(task_id=x) for x in "abcde")
        a >> [b, c] >> d
        e << [b, c]
    assert edges(dag) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("b", "e"), ("c", "e")}


def test_list_on_the_left_of_shift():
    with DAG("d") as dag:
        a, b, c = (EmptyOperator(task_id=x) for x in "abc")
        [a, b] >> c
    assert edges(dag) == {("a", "c"), ("b", "c")}


def test_chain_pairs_equal_length_lists():
    with DAG("d") as dag:
        start, x1, x2, y1, y2, end = (EmptyOperator(task_id=n) for n in ("start", "x1", "x2", "y1", "y2", "end"))
        chain(start, [x1, x2], [y1, y2], end)
    assert edges(dag) == {("start", "x1"), ("start", "x2"), ("x1", "y1"), ("x2", "y2"), ("y1", "end"), ("y2", "end")}


def test_chain_rejects_lists_of_different_lengths():
    with DAG("d"):
        a, b, c = (EmptyOperator(task_id=x) for x in "abc")
        with pytest.raises(ValueError, match="same length"):
            chain([a, b], [c])


def test_cross_downstream_links_every_pair():
    with DAG("d") as dag:
        a, b, c, d = (EmptyOperator(task_id=x) for x in "abcd")
        cross_downstream([a, b], [c, d])
    assert edges(dag) == {("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")}


def test_task_outputs_passed_as_arguments_create_dependencies():
    with DAG("d") as dag:
        @task
        def extract() -> int:
            return 1

        @task
        def combine(x, y, *, extra):
            return x + y + extra

        e1 = extract()
        e2 = extract()
        bash = BashOperator(task_id="bash", bash_command="echo hi")
        combine(e1, y=e2, extra=bash.output)
        PythonOperator(task_id="classic", python_callable=lambda v: v, op_args=[e1])
    assert edges(dag) == {("extract", "combine"), ("extract__1", "combine"), ("bash", "combine"),
                          ("extract", "classic")}


def test_multiple_outputs_is_inferred_from_a_dict_return_annotation():
    with DAG("d") as dag:
        @task
        def typed() -> dict[str, int]:
            return {"a": 1}

        @task
        def untyped():
            return {"a": 1}

        @task(multiple_outputs=False)
        def opted_out() -> dict[str, int]:
            return {"a": 1}

        typed(), untyped(), opted_out()
    assert dag.get_task("typed").multiple_outputs is True
    assert dag.get_task("untyped").multiple_outputs is False
    assert dag.get_task("opted_out").multiple_outputs is False


def test_task_group_function_returning_a_task_binds_dependencies_to_it():
    with DAG("d") as dag:
        start = EmptyOperator(task_id="start")
        end = EmptyOperator(task_id="end")

        @task_group
        def section():
            first = EmptyOperator(task_id="first")
            last = EmptyOperator(task_id="last")
            first >> last
            return last

        start >> section() >> end
    assert edges(dag) == {("start", "section.last"), ("section.first", "section.last"), ("section.last", "end")}


def test_task_group_function_returning_nothing_binds_to_the_group():
    with DAG("d") as dag:
        start = EmptyOperator(task_id="start")

        @task_group
        def section():
            EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")

        start >> section()
        start >> section()
    assert edges(dag) == {("start", "section.a"), ("section.a", "section.b"),
                          ("start", "section__1.a"), ("section__1.a", "section__1.b")}


# === execution ======================================================================================


def test_templating_context(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_REGION", "eu-south-2")
    seen: dict[str, object] = {}
    with DAG("ctx", params={"size": Param(5, type="integer")}) as dag:
        PythonOperator(
            task_id="render",
            python_callable=lambda **kw: seen.update(kw),
            op_kwargs={
                "ds": "{{ ds }}", "ds_nodash": "{{ ds_nodash }}", "ts": "{{ ts }}",
                "logical_date": "{{ logical_date.isoformat() }}",
                "interval": "{{ data_interval_start.isoformat() }}/{{ data_interval_end.isoformat() }}",
                "run_id": "{{ run_id }}", "conf": "{{ dag_run.conf['who'] }}", "size": "{{ params.size }}",
                "plus": "{{ macros.ds_add(ds, 5) }}", "region": "{{ var.value.region }}",
            },
        )
    result = run(dag, run_id="manual__ctx", conf={"who": "me", "size": 8})
    assert result.state is RunState.SUCCESS
    assert {k: v for k, v in seen.items() if k in (
        "ds", "ds_nodash", "ts", "logical_date", "interval", "run_id", "conf", "size", "plus", "region")} == {
        "ds": "2024-03-05",
        "ds_nodash": "20240305",
        "ts": "2024-03-05T06:07:08+00:00",
        "logical_date": "2024-03-05T06:07:08+00:00",
        "interval": "2024-03-05T06:07:08+00:00/2024-03-05T06:07:08+00:00",  # schedule=None: an exact interval
        "run_id": "manual__ctx",
        "conf": "me",
        "size": "8",  # the run's conf overrides the param's default
        "plus": "2024-03-10",
        "region": "eu-south-2",
    }


def test_xcom_push_and_pull_between_tasks():
    pulled: dict[str, object] = {}
    with DAG("x") as dag:
        def push(ti):
            ti.xcom_push(key="rows", value=[1, 2, 3])
            return {"total": 6}

        def pull(ti):
            pulled["rows"] = ti.xcom_pull(task_ids="push", key="rows")
            pulled["ret"] = ti.xcom_pull(task_ids="push")
            pulled["many"] = ti.xcom_pull(task_ids=["push", "push"], key="rows")
            pulled["missing"] = ti.xcom_pull(task_ids="push", key="nope", default="dflt")

        PythonOperator(task_id="push", python_callable=push) >> PythonOperator(task_id="pull", python_callable=pull)
    assert run(dag).state is RunState.SUCCESS
    assert pulled == {"rows": [1, 2, 3], "ret": {"total": 6}, "many": [[1, 2, 3], [1, 2, 3]], "missing": "dflt"}


def test_taskflow_values_and_multiple_outputs_flow_downstream():
    got: list[object] = []
    with DAG("tf") as dag:
        @task
        def split() -> dict[str, int]:
            return {"a": 1, "b": 2}

        @task
        def add(a, b):
            got.append(a + b)

        parts = split()
        add(parts["a"], parts["b"])
    assert run(dag).state is RunState.SUCCESS
    assert got == [3]


def test_get_current_context_inside_a_task_and_outside():
    seen: dict[str, object] = {}
    with DAG("c") as dag:
        @task
        def look():
            context = get_current_context()
            seen["task_id"] = context["ti"].task_id
            seen["try_number"] = context["ti"].try_number
            seen["ds"] = context["ds"]

        look()
    assert run(dag).state is RunState.SUCCESS
    assert seen == {"task_id": "look", "try_number": 1, "ds": "2024-03-05"}
    with pytest.raises(RuntimeError, match="only while a task runs"):
        get_current_context()


def test_bash_exit_99_skips_and_exit_1_fails():
    with DAG("b") as dag:
        BashOperator(task_id="skip", bash_command="exit 99") >> EmptyOperator(task_id="after_skip")
        BashOperator(task_id="fail", bash_command="exit 1") >> EmptyOperator(task_id="after_fail")
        BashOperator(task_id="ok", bash_command="echo ok")
    result = run(dag)
    assert states(result) == {"skip": S.SKIPPED, "after_skip": S.SKIPPED, "fail": S.FAILED,
                              "after_fail": S.UPSTREAM_FAILED, "ok": S.SUCCESS}
    assert result.state is RunState.FAILED
    assert "exit code 1" in ti_of(result, "fail").tries[-1].error


def test_execution_timeout_fails_the_task_promptly():
    with DAG("t") as dag:
        PythonOperator(task_id="slow", python_callable=lambda: time.sleep(5), execution_timeout=timedelta(seconds=0.5))
    started = time.monotonic()
    result = run(dag)
    elapsed = time.monotonic() - started
    assert states(result) == {"slow": S.FAILED}
    assert elapsed < 3, f"the timeout should interrupt the sleep, took {elapsed:.1f}s"
    assert "AirflowTaskTimeout" in ti_of(result, "slow").tries[-1].error


def test_task_callbacks_receive_the_context():
    calls: list[tuple[str, str, int, str | None]] = []

    def record(kind):
        def callback(context):
            error = context.get("exception")
            calls.append((kind, context["ti"].task_id, context["ti"].try_number, type(error).__name__ if error else None))
        return callback

    attempts = {"n": 0}

    def flaky():
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise ValueError("first try fails")

    def broken():
        raise AirflowFailException("no retry for me")

    hooks = {"on_success_callback": record("success"), "on_failure_callback": record("failure"),
             "on_retry_callback": record("retry")}
    with DAG("cb") as dag:
        PythonOperator(task_id="flaky", python_callable=flaky, retries=1, retry_delay=60, **hooks)
        PythonOperator(task_id="broken", python_callable=broken, retries=3, **hooks)
    result = run(dag)
    assert states(result) == {"flaky": S.SUCCESS, "broken": S.FAILED}
    assert sorted(calls) == sorted([
        ("retry", "flaky", 1, "ValueError"),
        ("success", "flaky", 2, None),
        ("failure", "broken", 1, "AirflowFailException"),
    ])


@pytest.mark.parametrize(("fail", "expected"), [(False, "success"), (True, "failure")])
def test_dag_callbacks_receive_the_context(fail, expected):
    calls: list[tuple[str, str, str]] = []

    def on(kind):
        return lambda context: calls.append((kind, context["dag_run"].run_id, context["dag"].dag_id))

    def body():
        if fail:
            raise RuntimeError("boom")

    with DAG("dcb", on_success_callback=on("success"), on_failure_callback=on("failure")) as dag:
        PythonOperator(task_id="body", python_callable=body)
    result = run(dag, run_id="manual__dcb")
    assert result.state is (RunState.FAILED if fail else RunState.SUCCESS)
    assert calls == [(expected, "manual__dcb", "dcb")]


def test_retries_run_as_successive_try_numbers():
    attempts: list[int] = []
    with DAG("r") as dag:
        @task(retries=3, retry_delay=timedelta(minutes=5))
        def flaky():
            attempts.append(get_current_context()["ti"].try_number)
            if len(attempts) < 3:
                raise RuntimeError("not yet")

        flaky()
    result = run(dag)
    ti = ti_of(result, "flaky")
    assert attempts == [1, 2, 3]
    assert (ti.state, ti.try_number) == (S.SUCCESS, 3)
    assert [t.state for t in ti.tries] == [S.UP_FOR_RETRY, S.UP_FOR_RETRY, S.SUCCESS]
    # each retry waited its retry_delay (the clock jumped instead of sleeping)
    assert ti.tries[1].start_date - ti.tries[0].end_date >= timedelta(minutes=5)


def test_retries_exhausted_fail_the_task():
    with DAG("r") as dag:
        PythonOperator(task_id="always", python_callable=lambda: 1 / 0, retries=2, retry_delay=1)
    ti = ti_of(run(dag), "always")
    assert (ti.state, ti.try_number) == (S.FAILED, 3)
    assert [t.state for t in ti.tries] == [S.UP_FOR_RETRY, S.UP_FOR_RETRY, S.FAILED]


def test_reschedule_sensor_keeps_try_number_one():
    pokes: list[int] = []

    def ready():
        pokes.append(get_current_context()["ti"].try_number)
        return len(pokes) >= 3

    with DAG("s") as dag:
        PythonSensor(task_id="wait", python_callable=ready, mode="reschedule", poke_interval=60) >> EmptyOperator(
            task_id="after")
    result = run(dag)
    wait = ti_of(result, "wait")
    assert pokes == [1, 1, 1]
    assert (wait.state, wait.try_number) == (S.SUCCESS, 1)
    assert [t.state for t in wait.tries] == [S.UP_FOR_RESCHEDULE, S.UP_FOR_RESCHEDULE, S.SUCCESS]
    assert states(result)["after"] is S.SUCCESS


def test_non_json_serializable_return_value_fails_the_task_clearly():
    with DAG("j") as dag:
        @task
        def odd():
            return object()

        odd()
    result = run(dag)
    ti = ti_of(result, "odd")
    assert ti.state is S.FAILED
    assert "JSON-serializable" in ti.tries[-1].error
    assert result.state is RunState.FAILED


def test_a_join_wired_to_the_branch_itself_is_not_skipped():
    # Airflow's skip_all_except follows everything downstream of the chosen branch, so `join` runs.
    from chalicelib.sdk.operators.python import BranchPythonOperator

    with DAG("br") as dag:
        branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "a")
        a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
        join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
        branch >> [a, b, join]
        [a, b] >> join
    assert states(run(dag)) == {"branch": S.SUCCESS, "a": S.SUCCESS, "b": S.SKIPPED, "join": S.SUCCESS}
