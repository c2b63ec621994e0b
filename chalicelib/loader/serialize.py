"""Authored DAG -> declarative `DagSpec` (JSON-safe). Callables are referenced by their task, never pickled."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.spec import DagSpec, MapSpec, RetryPolicy, SensorPolicy, TaskGroupSpec, TaskSpec
from chalicelib.sdk.dag import DAG
from chalicelib.sdk.task_group import TaskGroup


def dag_to_spec(dag: DAG) -> DagSpec:
    from chalicelib.sdk.baseoperator import BaseOperator

    tasks = tuple(_task_spec(t) for t in dag.tasks if isinstance(t, BaseOperator))
    callbacks = bool(dag.on_success_callback or dag.on_failure_callback)
    return DagSpec(
        dag_id=dag.dag_id,
        fileloc=dag.fileloc,
        tasks=tasks,
        schedule=dag.parsed_schedule.to_dict(),
        timezone=dag.timezone,
        start_date=dag.start_date,
        end_date=dag.end_date,
        catchup=dag.catchup,
        tags=tuple(str(t) for t in dag.tags),
        description=dag.description,
        doc_md=dag.doc_md,
        params=_json_safe(dag.params.dump()),
        max_active_runs=dag.max_active_runs,
        max_active_tasks=dag.max_active_tasks,
        dagrun_timeout=dag.dagrun_timeout,
        owner=dag.owner,
        task_groups=tuple(_groups(dag.task_group)),
        has_callbacks=callbacks,
        asset_condition=dag.asset_condition.as_condition() if getattr(dag, "asset_condition", None) else None,
        fail_fast=dag.fail_fast,
        max_consecutive_failed_dag_runs=dag.max_consecutive_failed_dag_runs,
        is_paused_upon_creation=dag.is_paused_upon_creation,
        edge_labels=tuple(sorted((up, down, str(info["label"])) for (up, down), info in dag.edge_info.items()
                                 if info.get("label") is not None)),
    )


def _task_spec(task: Any) -> TaskSpec:
    sensor = None
    if task.is_sensor:
        sensor = SensorPolicy(
            mode=task.mode, poke_interval=task.poke_interval, timeout=task.timeout, soft_fail=task.soft_fail,
            exponential_backoff=task.exponential_backoff, max_wait=task.max_wait,
        )
    group = task.task_group
    return TaskSpec(
        task_id=task.task_id,
        operator=getattr(task, "custom_operator_name", None) or type(task).__name__,
        upstream=tuple(sorted(task.upstream_task_ids)),
        downstream=tuple(sorted(task.downstream_task_ids)),
        trigger_rule=task.trigger_rule,
        retry=RetryPolicy(
            retries=task.retries, retry_delay=task.retry_delay or 0.0,
            retry_exponential_backoff=task.retry_exponential_backoff, max_retry_delay=task.max_retry_delay,
        ),
        execution_timeout=task.execution_timeout,
        sensor=sensor,
        owner=str(task.owner),
        doc_md=task.doc_md,
        pool=task.pool,
        priority_weight=task.priority_weight,
        queue=task.queue,
        task_group=group.group_id if group is not None and not group.is_root else None,
        template_fields=tuple(task.template_fields),
        ui_color=task.ui_color,
        is_setup=task.is_setup,
        is_teardown=task.is_teardown,
        on_failure_fail_dagrun=task.on_failure_fail_dagrun,
        depends_on_past=task.depends_on_past,
        wait_for_downstream=task.wait_for_downstream,
        mapped=_map_spec(task),
        outlets=tuple(a.uri for a in getattr(task, "outlets", ()) or ()),
        feeds_mapping=bool(task._feeds_mapping),
        max_active_tis_per_dag=task.max_active_tis_per_dag,
        max_active_tis_per_dagrun=task.max_active_tis_per_dagrun,
    )


def _map_spec(task: Any) -> MapSpec | None:
    from chalicelib.sdk.mappedoperator import MappedOperator, mapped_group_of

    if isinstance(task, MappedOperator):
        return MapSpec(task.expand_input.map_inputs())
    group = mapped_group_of(task.task_group)
    if group is not None:
        return MapSpec(group.expand_input.map_inputs(), group=group.group_id)
    return None


def _groups(root: TaskGroup) -> list[TaskGroupSpec]:
    specs: list[TaskGroupSpec] = []
    stack = [root]
    while stack:
        group = stack.pop()
        for child in group.children.values():
            if isinstance(child, TaskGroup):
                specs.append(TaskGroupSpec(
                    group_id=child.group_id, parent=None if group.is_root else group.group_id,
                    tooltip=child.tooltip, children=tuple(_child_ids(child)),
                ))
                stack.append(child)
    return specs


def _child_ids(group: TaskGroup) -> list[str]:
    return [c.group_id if isinstance(c, TaskGroup) else c.task_id for c in group.children.values()]


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
