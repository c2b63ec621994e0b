"""`TriggerRule` as DAG files import it (airflow.utils.trigger_rule / airflow.sdk)."""

from chalicelib.core.trigger_rules import TriggerRule

__all__ = ["TriggerRule"]
