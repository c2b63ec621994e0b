"""Airflow 3 import paths of the standard provider's operators and sensors, timetables, and the task SDK
names beyond the first wave's; also `airflow.providers.common.compat.*`, which Airflow's own examples use.
"""

from __future__ import annotations

_SDK = "chalicelib.sdk"
_OPS = "chalicelib.sdk.operators"
_SENSORS = "chalicelib.sdk.sensors"
_STD = "airflow.providers.standard"

# name -> "module:attribute" ("module:" is the module itself)
NAMES: dict[str, str] = {
    "BaseBranchOperator": f"{_OPS}.branch:BaseBranchOperator",
    "BranchMixIn": f"{_OPS}.python:BranchMixIn",
    "LatestOnlyOperator": f"{_OPS}.latest_only:LatestOnlyOperator",
    "BranchDateTimeOperator": f"{_OPS}.weekday:BranchDateTimeOperator",
    "BranchDayOfWeekOperator": f"{_OPS}.weekday:BranchDayOfWeekOperator",
    "WeekDay": f"{_OPS}.weekday:WeekDay",
    "TriggerDagRunOperator": f"{_OPS}.trigger_dagrun:TriggerDagRunOperator",
    "DateTimeSensor": f"{_SENSORS}.time:DateTimeSensor",
    "DateTimeSensorAsync": f"{_SENSORS}.time:DateTimeSensorAsync",
    "TimeSensor": f"{_SENSORS}.time:TimeSensor",
    "TimeSensorAsync": f"{_SENSORS}.time:TimeSensorAsync",
    "TimeDeltaSensor": f"{_SENSORS}.time:TimeDeltaSensor",
    "TimeDeltaSensorAsync": f"{_SENSORS}.time:TimeDeltaSensorAsync",
    "WaitSensor": f"{_SENSORS}.time:WaitSensor",
    "DayOfWeekSensor": f"{_SENSORS}.time:DayOfWeekSensor",
    "ExternalTaskSensor": f"{_SENSORS}.external_task:ExternalTaskSensor",
    "ExternalTaskMarker": f"{_SENSORS}.external_task:ExternalTaskMarker",
    "FileSensor": f"{_SENSORS}.filesystem:FileSensor",
    "BashSensor": f"{_SENSORS}.filesystem:BashSensor",
    "CronTriggerTimetable": f"{_SDK}.timetables:CronTriggerTimetable",
    "MultipleCronTriggerTimetable": f"{_SDK}.timetables:MultipleCronTriggerTimetable",
    "DeltaTriggerTimetable": f"{_SDK}.timetables:DeltaTriggerTimetable",
    "CronDataIntervalTimetable": f"{_SDK}.timetables:CronDataIntervalTimetable",
    "DeltaDataIntervalTimetable": f"{_SDK}.timetables:DeltaDataIntervalTimetable",
    "EventsTimetable": f"{_SDK}.timetables:EventsTimetable",
    "Context": "typing:Dict",
    "TaskInstanceState": "chalicelib.core.states:TaskState",
    "DagRunState": "chalicelib.core.states:RunState",
    "timezone": f"{_SDK}.timezone:",
    "DAG": f"{_SDK}.dag:DAG",
    "dag": f"{_SDK}.dag:dag",
    "task": f"{_SDK}:task",
    "task_group": f"{_SDK}:task_group",
    "TaskGroup": f"{_SDK}:TaskGroup",
    "BaseOperator": f"{_SDK}:BaseOperator",
    "BaseSensorOperator": f"{_SDK}:BaseSensorOperator",
    "PokeReturnValue": f"{_SDK}:PokeReturnValue",
    "Param": f"{_SDK}:Param",
    "ParamsDict": f"{_SDK}:ParamsDict",
    "Variable": f"{_SDK}:Variable",
    "XComArg": f"{_SDK}:XComArg",
    "TriggerRule": f"{_SDK}:TriggerRule",
    "chain": f"{_SDK}:chain",
    "cross_downstream": f"{_SDK}:cross_downstream",
    "get_current_context": f"{_SDK}:get_current_context",
    "AirflowException": f"{_SDK}.exceptions:AirflowException",
    "AirflowSkipException": f"{_SDK}.exceptions:AirflowSkipException",
    "AirflowFailException": f"{_SDK}.exceptions:AirflowFailException",
    "AirflowSensorTimeout": f"{_SDK}.exceptions:AirflowSensorTimeout",
    "AirflowTaskTimeout": f"{_SDK}.exceptions:AirflowTaskTimeout",
    "ParamValidationError": f"{_SDK}.exceptions:ParamValidationError",
    "conf": f"{_SDK}.legacy:conf",
    "Label": f"{_SDK}.edges:Label",
    "EdgeModifier": f"{_SDK}.edges:EdgeModifier",
    "setup": f"{_SDK}.decorators:setup",
    "teardown": f"{_SDK}.decorators:teardown",
}


def _pick(*names: str) -> dict[str, str]:
    return {n: NAMES[n] for n in names}


_TIMETABLES = ("CronTriggerTimetable", "MultipleCronTriggerTimetable", "DeltaTriggerTimetable",
               "CronDataIntervalTimetable", "DeltaDataIntervalTimetable", "EventsTimetable")
_COMPAT_SDK = tuple(n for n in NAMES if n[0].isupper() or n in (
    "dag", "task", "task_group", "chain", "cross_downstream", "get_current_context", "timezone", "conf"))

STANDARD_ALIASES: dict[str, dict[str, str]] = {
    f"{_STD}.operators.branch": _pick("BaseBranchOperator", "BranchMixIn"),
    f"{_STD}.operators.latest_only": _pick("LatestOnlyOperator"),
    f"{_STD}.operators.datetime": _pick("BranchDateTimeOperator"),
    f"{_STD}.operators.weekday": _pick("BranchDayOfWeekOperator"),
    f"{_STD}.operators.trigger_dagrun": _pick("TriggerDagRunOperator"),
    f"{_STD}.sensors.date_time": _pick("DateTimeSensor", "DateTimeSensorAsync"),
    f"{_STD}.sensors.time": _pick("TimeSensor", "TimeSensorAsync"),
    f"{_STD}.sensors.time_delta": _pick("TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"),
    f"{_STD}.sensors.weekday": _pick("DayOfWeekSensor"),
    f"{_STD}.sensors.external_task": _pick("ExternalTaskSensor", "ExternalTaskMarker"),
    f"{_STD}.sensors.filesystem": _pick("FileSensor"),
    f"{_STD}.sensors.bash": _pick("BashSensor"),
    f"{_STD}.utils.weekday": _pick("WeekDay"),
    "airflow.timetables.trigger": _pick("CronTriggerTimetable", "MultipleCronTriggerTimetable", "DeltaTriggerTimetable"),
    "airflow.timetables.interval": _pick("CronDataIntervalTimetable", "DeltaDataIntervalTimetable"),
    "airflow.timetables.events": _pick("EventsTimetable"),
    "airflow.sdk": _pick(*_TIMETABLES, "BaseBranchOperator", "BranchMixIn", "Context", "TaskInstanceState",
                         "DagRunState", "timezone", "Label", "EdgeModifier", "setup", "teardown"),
    "airflow.sdk.definitions.edges": _pick("Label", "EdgeModifier"),
    "airflow.sdk.timezone": {},  # filled below from the module's functions
    "airflow.providers.common.compat.sdk": _pick(*_COMPAT_SDK),
    "airflow.providers.common.compat.standard.operators": {
        **_pick("BaseBranchOperator", "BaseOperator", "BranchMixIn", "get_current_context"),
        "PythonOperator": f"{_OPS}.python:PythonOperator", "ShortCircuitOperator": f"{_OPS}.python:ShortCircuitOperator"},
}

# Airflow 1/2 paths of the same classes: module -> (names, the Airflow 3 module to name in the warning)
LEGACY_STANDARD: dict[str, tuple[tuple[str, ...], str]] = {
    "airflow.operators.latest_only_operator": (("LatestOnlyOperator",), f"{_STD}.operators.latest_only"),
    "airflow.operators.latest_only": (("LatestOnlyOperator",), f"{_STD}.operators.latest_only"),
    "airflow.operators.branch_operator": (("BaseBranchOperator",), f"{_STD}.operators.branch"),
    "airflow.operators.branch": (("BaseBranchOperator",), f"{_STD}.operators.branch"),
    "airflow.operators.datetime": (("BranchDateTimeOperator",), f"{_STD}.operators.datetime"),
    "airflow.operators.weekday": (("BranchDayOfWeekOperator",), f"{_STD}.operators.weekday"),
    "airflow.operators.dagrun_operator": (("TriggerDagRunOperator",), f"{_STD}.operators.trigger_dagrun"),
    "airflow.operators.trigger_dagrun": (("TriggerDagRunOperator",), f"{_STD}.operators.trigger_dagrun"),
    "airflow.sensors.date_time_sensor": (("DateTimeSensor",), f"{_STD}.sensors.date_time"),
    "airflow.sensors.date_time": (("DateTimeSensor", "DateTimeSensorAsync"), f"{_STD}.sensors.date_time"),
    "airflow.sensors.time_sensor": (("TimeSensor",), f"{_STD}.sensors.time"),
    "airflow.sensors.time_delta_sensor": (("TimeDeltaSensor",), f"{_STD}.sensors.time_delta"),
    "airflow.sensors.time_delta": (("TimeDeltaSensor", "TimeDeltaSensorAsync"), f"{_STD}.sensors.time_delta"),
    "airflow.sensors.weekday": (("DayOfWeekSensor",), f"{_STD}.sensors.weekday"),
    "airflow.sensors.day_of_week_sensor": (("DayOfWeekSensor",), f"{_STD}.sensors.weekday"),
    "airflow.sensors.external_task_sensor": (("ExternalTaskSensor", "ExternalTaskMarker"), f"{_STD}.sensors.external_task"),
    "airflow.sensors.external_task": (("ExternalTaskSensor", "ExternalTaskMarker"), f"{_STD}.sensors.external_task"),
    "airflow.sensors.filesystem": (("FileSensor",), f"{_STD}.sensors.filesystem"),
    "airflow.contrib.sensors.file_sensor": (("FileSensor",), f"{_STD}.sensors.filesystem"),
    "airflow.sensors.bash": (("BashSensor",), f"{_STD}.sensors.bash"),
    "airflow.sensors.bash_sensor": (("BashSensor",), f"{_STD}.sensors.bash"),
    "airflow.utils.weekday": (("WeekDay",), f"{_STD}.utils.weekday"),
    "airflow.utils.edgemodifier": (("Label", "EdgeModifier"), "airflow.sdk (Label)"),
}


def _fill_timezone() -> None:
    import chalicelib.sdk.timezone as tz

    STANDARD_ALIASES["airflow.sdk.timezone"] = {
        n: f"{_SDK}.timezone:{n}" for n, v in vars(tz).items() if not n.startswith("_") and (callable(v) or n == "utc")
        and getattr(v, "__module__", "") in ("chalicelib.sdk.timezone", "pendulum.tz.timezone") or n == "utc"
    }


_fill_timezone()
