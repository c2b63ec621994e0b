"""How XCom values are stored: JSON text, with dates and sets made plain (Airflow 3 also refuses pickles).

It lives in the core because three layers share it and none may import another for it: the SDK's in-memory
store (`dags test`), the DynamoDB store, and the API's XCom views.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

RETURN_VALUE = "return_value"  # the key a task's return value is pushed under, as in Airflow


def encode_xcom(value: Any) -> str:
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"XCom value is not JSON-serializable: {exc}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    raise TypeError(f"{type(value).__name__} {value!r}")
