"""Levante's native implementation of Airflow's authoring API (what `airflow.sdk` offers DAG files)."""

from chalicelib.core.trigger_rules import TriggerRule
from chalicelib.sdk.baseoperator import BaseOperator, chain, cross_downstream
from chalicelib.sdk.context import get_current_context
from chalicelib.sdk.dag import DAG, dag
from chalicelib.sdk.decorators import task
from chalicelib.sdk.params import Param, ParamsDict
from chalicelib.sdk.sensors.base import BaseSensorOperator, PokeReturnValue
from chalicelib.sdk.task_group import TaskGroup, task_group
from chalicelib.sdk.variable import Variable
from chalicelib.sdk.xcom_arg import XComArg

__all__ = [
    "DAG", "BaseOperator", "BaseSensorOperator", "Param", "ParamsDict", "PokeReturnValue", "TaskGroup",
    "TriggerRule", "Variable", "XComArg", "chain", "cross_downstream", "dag", "get_current_context", "task",
    "task_group",
]
