"""Resolve `import airflow...` in DAG files to Levante's SDK, without Airflow installed.

A meta-path finder answers for the `airflow` package tree. Each supported module path is a small alias
module exposing exactly the names Levante implements; any other `airflow.*` module fails with an
ImportError that names it, so a DAG never half-works on something we do not support.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

from chalicelib.loader.airflow_legacy import LEGACY_ALIASES, LEGACY_MODULES, LEGACY_NAMES
from chalicelib.loader.airflow_providers import PROVIDER_ALIASES, UnknownProviderLoader
from chalicelib.loader.airflow_standard import LEGACY_STANDARD, STANDARD_ALIASES
from chalicelib.loader.airflow_standard import NAMES as STANDARD_NAMES
from chalicelib.sdk.deprecation import warn_legacy

_SDK = "chalicelib.sdk"
_OPS = "chalicelib.sdk.operators"
_SENSORS = "chalicelib.sdk.sensors"

_PYTHON_OPS = ("PythonOperator", "BranchPythonOperator", "ShortCircuitOperator", "PythonVirtualenvOperator",
               "ExternalPythonOperator", "BranchPythonVirtualenvOperator", "BranchExternalPythonOperator")
_EXCEPTIONS = ("AirflowException", "AirflowSkipException", "AirflowFailException", "AirflowSensorTimeout",
               "AirflowTaskTimeout", "AirflowTaskTerminated", "AirflowRescheduleException", "ParamValidationError",
               "AirflowDagCycleException", "DuplicateTaskIdFound")
_SDK_NAMES = ("DAG", "dag", "task", "BaseOperator", "BaseSensorOperator", "PokeReturnValue", "Param",
              "ParamsDict", "chain", "cross_downstream", "TaskGroup", "task_group", "get_current_context",
              "Variable", "TriggerRule", "XComArg")

# module path -> {exported name: "module:attribute"}
ALIASES: dict[str, dict[str, str]] = {
    "airflow": {"DAG": f"{_SDK}.dag:DAG", "Dataset": f"{_SDK}.assets:Dataset", "Asset": f"{_SDK}.assets:Asset"},
    "airflow.sdk": {name: f"{_SDK}:{name}" for name in _SDK_NAMES},
    "airflow.sdk.definitions.dag": {"DAG": f"{_SDK}.dag:DAG", "dag": f"{_SDK}.dag:dag"},
    "airflow.sdk.exceptions": {n: f"{_SDK}.exceptions:{n}" for n in _EXCEPTIONS},
    "airflow.exceptions": {n: f"{_SDK}.exceptions:{n}" for n in _EXCEPTIONS},
    "airflow.providers.standard.operators.python": {**{n: f"{_OPS}.python:{n}" for n in _PYTHON_OPS},
                                                    "get_current_context": f"{_SDK}:get_current_context"},
    "airflow.providers.standard.operators.bash": {"BashOperator": f"{_OPS}.bash:BashOperator"},
    "airflow.providers.standard.operators.empty": {"EmptyOperator": f"{_OPS}.empty:EmptyOperator"},
    "airflow.providers.standard.sensors.python": {"PythonSensor": f"{_SENSORS}.python:PythonSensor"},
    "airflow.providers.amazon.aws.operators.lambda_function": {
        "LambdaInvokeFunctionOperator": f"{_OPS}.aws_lambda:LambdaInvokeFunctionOperator",
    },
    "airflow.providers.standard.sensors.base": {n: f"{_SENSORS}.base:{n}" for n in ("BaseSensorOperator", "PokeReturnValue")},
    **{path: {"Connection": f"{_SDK}.connection:Connection"}
       for path in ("airflow.models.connection", "airflow.sdk.definitions.connection")},
    **{path: {"BaseHook": f"{_SDK}.hooks.base:BaseHook"}
       for path in ("airflow.hooks.base", "airflow.hooks.base_hook", "airflow.sdk.bases.hook")},
    **{path: {n: f"{_SDK}.masker:{n}" for n in ("mask_secret", "redact", "should_hide_value_for_key")}
       for path in ("airflow.utils.log.secrets_masker", "airflow.sdk.execution_time.secrets_masker", "airflow.sdk.log")},
}
_ASSET_NAMES = {n: f"{_SDK}.assets:{n}" for n in ("Asset", "AssetAll", "AssetAny", "AssetAlias", "AssetOrTimeSchedule")}
_DATASET_NAMES = {n: f"{_SDK}.assets:{n}" for n in ("Dataset", "DatasetAll", "DatasetAny")}
for _module, _names in {
    "airflow.sdk": {"Connection": f"{_SDK}.connection:Connection", "BaseHook": f"{_SDK}.hooks.base:BaseHook",
                    **_ASSET_NAMES, "asset": f"{_SDK}.assets:asset"},
    "airflow.sdk.definitions.asset": {**_ASSET_NAMES, "BaseAsset": f"{_SDK}.assets:BaseAsset"},
    "airflow.sdk.definitions.asset.decorators": {"asset": f"{_SDK}.assets:asset"},
    "airflow.datasets": _DATASET_NAMES,
    "airflow.timetables.assets": {"AssetOrTimeSchedule": f"{_SDK}.assets:AssetOrTimeSchedule"},
    "airflow.timetables.datasets": {"DatasetOrTimeSchedule": f"{_SDK}.assets:AssetOrTimeSchedule"},
    "airflow.models": {"Connection": f"{_SDK}.connection:Connection"},
    "airflow.exceptions": {"AirflowNotFoundException": f"{_SDK}.exceptions:AirflowNotFoundException"},
    "airflow.sdk.exceptions": {"AirflowNotFoundException": f"{_SDK}.exceptions:AirflowNotFoundException"},
}.items():
    ALIASES.setdefault(_module, {}).update(_names)
for _module, _names in PROVIDER_ALIASES.items():
    ALIASES.setdefault(_module, {}).update(_names)

def _merge_legacy() -> None:
    for module, names in STANDARD_ALIASES.items():
        ALIASES[module] = {**names, **ALIASES.get(module, {})}
    for module, (names, replacement) in LEGACY_STANDARD.items():
        LEGACY_ALIASES[module] = {n: STANDARD_NAMES[n] for n in names}
        LEGACY_MODULES[module] = replacement
    for module, names in LEGACY_ALIASES.items():
        ALIASES[module] = {**names, **ALIASES.get(module, {})}


_merge_legacy()


def _all_packages() -> set[str]:
    packages = set()
    for name in ALIASES:
        parts = name.split(".")
        for i in range(1, len(parts)):
            packages.add(".".join(parts[:i]))
    return packages


_PACKAGES = _all_packages()


class UnsupportedAirflowImport(ImportError):
    pass


class _AliasModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        target = ALIASES.get(self.__name__, {}).get(name)
        if not target:
            submodule = f"{self.__name__}.{name}"
            if submodule in ALIASES or submodule in _PACKAGES:  # `import airflow` then `airflow.utils.dates`
                return importlib.import_module(submodule)
            raise AttributeError(
                f"Levante does not support '{self.__name__}.{name}' (supported: see docs/authoring.md)"
            )
        replacement = LEGACY_NAMES.get(f"{self.__name__}.{name}")
        if replacement:
            warn_legacy(f"'{self.__name__}.{name}'", replacement)
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attr) if attr else module
        setattr(self, name, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted(k for k, v in ALIASES.get(self.__name__, {}).items() if v)


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _AliasModule(spec.name)
        if spec.name in _PACKAGES:
            module.__path__ = []  # a package: submodules resolve through the finder too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__all__ = [k for k, v in ALIASES.get(module.__name__, {}).items() if v]  # type: ignore[attr-defined]
        replacement = LEGACY_MODULES.get(module.__name__)
        if replacement:
            warn_legacy(f"the module '{module.__name__}'", f"use {replacement}")


class AirflowShimFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "airflow" and not fullname.startswith("airflow."):
            return None
        if fullname in ALIASES or fullname in _PACKAGES:
            return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=fullname in _PACKAGES)
        hint = next((h for prefix, h in UNSUPPORTED_HINTS.items() if fullname.startswith(prefix)), None)
        if hint is None and fullname.startswith("airflow.providers."):  # a name taken from it names provider and operator
            return importlib.machinery.ModuleSpec(fullname, UnknownProviderLoader(), is_package=True)
        raise UnsupportedAirflowImport(
            f"Levante does not support the module '{fullname}'"
            + (f": {hint}" if hint else " (see docs/authoring.md for what is supported)"),
            name=fullname,
        )


# Modules Levante leaves out on purpose, and why (the import error says so).
UNSUPPORTED_HINTS = {
    "airflow.providers.standard.operators.hitl": "human-in-the-loop operators (HITLOperator, ApprovalOperator, "
                                                 "HITLBranchOperator, HITLEntryOperator) need Airflow's UI",
    "airflow.providers.standard.example_dags.example_hitl": "human-in-the-loop operators need Airflow's UI",
    "airflow.providers.docker": "Levante runs no containers (@task.docker, DockerOperator)",
    "airflow.providers.cncf.kubernetes": "Levante runs no Kubernetes pods (@task.kubernetes, KubernetesPodOperator)",
    "airflow.contrib": "airflow.contrib was removed in Airflow 2; use the provider packages' paths",
}


def install() -> None:
    """Put the shim first on sys.meta_path (idempotent); a real Airflow install is then ignored."""
    if not any(isinstance(f, AirflowShimFinder) for f in sys.meta_path):
        forget_imported()
        sys.meta_path.insert(0, AirflowShimFinder())


def forget_imported() -> None:
    """Drop every imported `airflow.*` module, so the next DAG file imports (and is warned) afresh.

    Without this, only the first file to import a legacy path would be told about it, and what a file is
    told would depend on the order files load in.
    """
    for name in [m for m in sys.modules if m == "airflow" or m.startswith("airflow.")]:
        del sys.modules[name]
