"""Airflow 1/2 import paths Levante accepts on purpose, and the Airflow 3 spelling each warning names.

Airflow 3 rejects most of these (or keeps them only behind its own deprecation shims); DAG files in the
wild still use them. Each entry maps a legacy path to the native implementation, and importing it (or the
legacy name) emits one `LevanteDeprecationWarning` pointing at the DAG file's line.
"""

from __future__ import annotations

_SDK = "chalicelib.sdk"
_OPS = "chalicelib.sdk.operators"
_SENSORS = "chalicelib.sdk.sensors"
_STD = "airflow.providers.standard"

_PYTHON_OPS = ("PythonOperator", "BranchPythonOperator", "ShortCircuitOperator", "PythonVirtualenvOperator",
               "ExternalPythonOperator", "BranchPythonVirtualenvOperator", "BranchExternalPythonOperator")


def _python_ops() -> dict[str, str]:
    return {n: f"{_OPS}.python:{n}" for n in _PYTHON_OPS} | {"get_current_context": f"{_SDK}:get_current_context"}


# legacy module -> {name: "module:attribute"}
LEGACY_ALIASES: dict[str, dict[str, str]] = {
    # Airflow 1.10 module names
    "airflow.operators.bash_operator": {"BashOperator": f"{_OPS}.bash:BashOperator"},
    "airflow.operators.python_operator": _python_ops(),
    "airflow.operators.dummy_operator": {"DummyOperator": f"{_OPS}.empty:EmptyOperator",
                                         "EmptyOperator": f"{_OPS}.empty:EmptyOperator"},
    "airflow.sensors.base_sensor_operator": {n: f"{_SENSORS}.base:{n}" for n in ("BaseSensorOperator", "PokeReturnValue")},
    "airflow.sensors.python_sensor": {"PythonSensor": f"{_SENSORS}.python:PythonSensor"},
    "airflow.utils.dates": {"days_ago": f"{_SDK}.legacy:days_ago"},
    "airflow.utils.decorators": {"apply_defaults": f"{_SDK}.legacy:apply_defaults"},
    # Airflow 2 paths (Airflow 3 moved them to the standard provider or the task SDK)
    "airflow.operators.python": _python_ops(),
    "airflow.operators.bash": {"BashOperator": f"{_OPS}.bash:BashOperator"},
    "airflow.operators.empty": {"EmptyOperator": f"{_OPS}.empty:EmptyOperator"},
    "airflow.operators.dummy": {"DummyOperator": f"{_OPS}.empty:EmptyOperator",
                                "EmptyOperator": f"{_OPS}.empty:EmptyOperator"},
    "airflow.sensors.python": {"PythonSensor": f"{_SENSORS}.python:PythonSensor"},
    "airflow.sensors.base": {n: f"{_SENSORS}.base:{n}" for n in ("BaseSensorOperator", "PokeReturnValue")},
    "airflow.decorators": {**{n: f"{_SDK}:{n}" for n in ("dag", "task", "task_group", "get_current_context")},
                           "setup": f"{_SDK}.decorators:setup", "teardown": f"{_SDK}.decorators:teardown"},
    "airflow.models": {"DAG": f"{_SDK}.dag:DAG", "BaseOperator": f"{_SDK}:BaseOperator",
                       "Variable": f"{_SDK}:Variable", "Param": f"{_SDK}:Param",
                       "TaskInstance": f"{_SDK}.context:RuntimeTaskInstance", "DagRun": f"{_SDK}.context:DagRunInfo"},
    "airflow.models.dag": {"DAG": f"{_SDK}.dag:DAG"},
    "airflow.models.baseoperator": {n: f"{_SDK}.baseoperator:{n}" for n in ("BaseOperator", "chain", "cross_downstream")},
    "airflow.models.param": {"Param": f"{_SDK}:Param", "ParamsDict": f"{_SDK}:ParamsDict"},
    "airflow.models.variable": {"Variable": f"{_SDK}:Variable"},
    "airflow.models.xcom_arg": {"XComArg": f"{_SDK}:XComArg"},
    "airflow.models.taskinstance": {"TaskInstance": f"{_SDK}.context:RuntimeTaskInstance"},
    "airflow.models.dagrun": {"DagRun": f"{_SDK}.context:DagRunInfo"},
    "airflow.utils.trigger_rule": {"TriggerRule": f"{_SDK}:TriggerRule"},
    "airflow.utils.task_group": {"TaskGroup": f"{_SDK}:TaskGroup"},
    "airflow.utils.helpers": {n: f"{_SDK}.baseoperator:{n}" for n in ("chain", "cross_downstream")},
    "airflow.utils.context": {"Context": "typing:Dict", "get_current_context": f"{_SDK}:get_current_context"},
    "airflow.utils.state": {"State": f"{_SDK}.legacy:State", "TaskInstanceState": f"{_SDK}.legacy:TaskInstanceState",
                            "DagRunState": f"{_SDK}.legacy:DagRunState"},
    "airflow.utils.timezone": {n: f"{_SDK}.timezone:{n}" for n in (
        "utc", "utcnow", "datetime", "make_aware", "make_naive", "convert_to_utc", "coerce_datetime", "parse",
        "is_localized", "is_naive")},
    "airflow.configuration": {"conf": f"{_SDK}.legacy:conf", "AirflowConfigException": f"{_SDK}.legacy:AirflowConfigException"},
}

# legacy module -> the Airflow 3 module to import instead
LEGACY_MODULES: dict[str, str] = {
    "airflow.operators.bash_operator": f"{_STD}.operators.bash",
    "airflow.operators.python_operator": f"{_STD}.operators.python",
    "airflow.operators.dummy_operator": f"{_STD}.operators.empty (EmptyOperator)",
    "airflow.sensors.base_sensor_operator": "airflow.sdk (BaseSensorOperator)",
    "airflow.sensors.python_sensor": f"{_STD}.sensors.python",
    "airflow.operators.python": f"{_STD}.operators.python",
    "airflow.operators.bash": f"{_STD}.operators.bash",
    "airflow.operators.empty": f"{_STD}.operators.empty",
    "airflow.operators.dummy": f"{_STD}.operators.empty (EmptyOperator)",
    "airflow.sensors.python": f"{_STD}.sensors.python",
    "airflow.sensors.base": "airflow.sdk (BaseSensorOperator, PokeReturnValue)",
    "airflow.decorators": "airflow.sdk (dag, task, task_group)",
    "airflow.models.dag": "airflow.sdk (DAG)",
    "airflow.models.baseoperator": "airflow.sdk (BaseOperator, chain, cross_downstream)",
    "airflow.models.param": "airflow.sdk (Param)",
    "airflow.models.variable": "airflow.sdk (Variable)",
    "airflow.models.xcom_arg": "airflow.sdk (XComArg)",
    "airflow.models.taskinstance": "the `ti` in the task context",
    "airflow.models.dagrun": "the `dag_run` in the task context",
    "airflow.utils.trigger_rule": "airflow.sdk (TriggerRule)",
    "airflow.utils.task_group": "airflow.sdk (TaskGroup)",
    "airflow.utils.helpers": "airflow.sdk (chain, cross_downstream)",
    "airflow.utils.context": "airflow.sdk (Context, get_current_context)",
    "airflow.utils.state": "airflow.sdk or plain state strings",
    "airflow.utils.timezone": "airflow.sdk.timezone or pendulum",
    "airflow.configuration": "environment variables or airflow.sdk.Variable (Levante has no airflow.cfg)",
    "airflow.datasets": "airflow.sdk (Asset, AssetAll, AssetAny)",
}

# "legacy module.name" -> what to write instead (names whose module is not itself deprecated)
LEGACY_NAMES: dict[str, str] = {
    "airflow.utils.dates.days_ago": "use a fixed start_date, e.g. pendulum.datetime(2024, 1, 1, tz='UTC')",
    "airflow.utils.decorators.apply_defaults": "remove the decorator: default_args apply to every operator",
    "airflow.models.DAG": "use airflow.sdk.DAG",
    "airflow.models.BaseOperator": "use airflow.sdk.BaseOperator",
    "airflow.models.Variable": "use airflow.sdk.Variable",
    "airflow.models.Param": "use airflow.sdk.Param",
    "airflow.models.TaskInstance": "use the `ti` in the task context",
    "airflow.models.DagRun": "use the `dag_run` in the task context",
    "airflow.Dataset": "use airflow.sdk.Asset",
    "airflow.Asset": "use airflow.sdk.Asset",
}
