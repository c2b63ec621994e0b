"""EmptyOperator: a node with no work, for structure (start/end/join points)."""

from __future__ import annotations

from typing import Any

from chalicelib.sdk.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    ui_color = "#e8f7e4"

    def execute(self, context: dict[str, Any]) -> None:
        return None


DummyOperator = EmptyOperator  # Airflow 1/2 name
