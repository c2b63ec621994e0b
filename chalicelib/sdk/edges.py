"""`Label`: a name on the edges it sits between (`branch >> Label("yes") >> task`)."""

from __future__ import annotations

from typing import Any

from chalicelib.sdk.dependencies import DependencyMixin, _flatten


class EdgeModifier(DependencyMixin):
    """Stands between upstream and downstream tasks; the edges it makes carry its label on the DAG."""

    def __init__(self, label: str | None = None):
        self.label = label
        self._upstream: list[Any] = []
        self._downstream: list[Any] = []

    def _roots(self) -> list[Any]:
        return []

    def _leaves(self) -> list[Any]:
        return []

    def set_upstream(self, other: Any) -> None:
        for source in _flatten(other):
            self._upstream.append(source)
            for target in self._downstream:
                self._connect(source, target)

    def set_downstream(self, other: Any) -> None:
        for target in _flatten(other):
            self._downstream.append(target)
            for source in self._upstream:
                self._connect(source, target)

    def _connect(self, source: Any, target: Any) -> None:
        source.set_downstream(target)
        for leaf in source._leaves():
            for root in target._roots():
                if leaf.dag is not None:
                    leaf.dag.edge_info.setdefault((leaf.task_id, root.task_id), {})["label"] = self.label


def Label(label: str) -> EdgeModifier:  # noqa: N802 - Airflow's spelling
    return EdgeModifier(label)
