"""Airflow providers implemented natively (common.sql, postgres, mysql, sqlite, http, amazon, slack, smtp).

DAG files import them at Airflow's paths (`airflow.providers.<name>...`, loader/airflow_shim.py). Drivers are
optional extras: `require()` names the extra to install when one is missing.
"""

from __future__ import annotations

import importlib
from typing import Any


class MissingDriver(ImportError):
    pass


def require(module: str, extra: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDriver(f"{what} needs the Python package {module!r}: pip install 'levante[{extra}]'") from None
