"""Provider modules at Airflow's paths (apache-airflow-providers-*), resolved to chalicelib/providers.

A module under `airflow.providers` that is not listed here still imports, but any name taken from it fails
with an ImportError naming the provider and the operator, so the DAG's import error says exactly what is
missing (`from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import types
from typing import Any

_P = "chalicelib.providers"


def _names(module: str, *names: str) -> dict[str, str]:
    return {name: f"{_P}.{module}:{name}" for name in names}


_HTTP_OPS = _names("http.operators", "HttpOperator", "SimpleHttpOperator")
_SQL_OPS = {**_names("common_sql.operators", "SQLExecuteQueryOperator", "SQLCheckOperator", "SQLValueCheckOperator",
                     "SQLThresholdCheckOperator", "BranchSQLOperator", "BaseSQLOperator"),
            **_names("common_sql.quality", "SQLColumnCheckOperator", "SQLTableCheckOperator",
                     "SQLIntervalCheckOperator")}
_SQL_HOOK = _names("common_sql.hooks", "DbApiHook", "fetch_all_handler", "fetch_one_handler",
                   "return_single_query_results")
_S3 = _names("amazon.s3", "S3CreateObjectOperator", "S3CopyObjectOperator", "S3DeleteObjectsOperator",
             "S3ListOperator", "S3CreateBucketOperator", "S3DeleteBucketOperator")

PROVIDER_ALIASES: dict[str, dict[str, str]] = {
    "airflow.providers.http.operators.http": _HTTP_OPS,
    "airflow.providers.http.sensors.http": _names("http.sensors", "HttpSensor"),
    "airflow.providers.http.hooks.http": _names("http.hooks", "HttpHook"),
    "airflow.providers.common.sql.operators.sql": _SQL_OPS,
    "airflow.providers.common.sql.sensors.sql": _names("common_sql.sensors", "SqlSensor"),
    "airflow.providers.common.sql.hooks.sql": _SQL_HOOK,
    "airflow.providers.common.sql.hooks.handlers": _names("common_sql.hooks", "fetch_all_handler",
                                                           "fetch_one_handler", "return_single_query_results"),
    "airflow.providers.sqlite.hooks.sqlite": _names("sqlite", "SqliteHook"),
    "airflow.providers.sqlite.operators.sqlite": _names("sqlite", "SqliteOperator"),
    "airflow.providers.postgres.hooks.postgres": _names("postgres", "PostgresHook"),
    "airflow.providers.postgres.operators.postgres": _names("postgres", "PostgresOperator"),
    "airflow.providers.mysql.hooks.mysql": _names("mysql", "MySqlHook"),
    "airflow.providers.mysql.operators.mysql": _names("mysql", "MySqlOperator"),
    "airflow.providers.amazon.aws.operators.s3": _S3,
    "airflow.providers.amazon.aws.sensors.s3": _names("amazon.s3", "S3KeySensor"),
    "airflow.providers.amazon.aws.hooks.s3": _names("amazon.s3", "S3Hook"),
    "airflow.providers.amazon.aws.hooks.base_aws": _names("amazon.base", "AwsBaseHook"),
    "airflow.providers.amazon.aws.operators.sqs": _names("amazon.messaging", "SqsPublishOperator"),
    "airflow.providers.amazon.aws.sensors.sqs": _names("amazon.messaging", "SqsSensor"),
    "airflow.providers.amazon.aws.operators.sns": _names("amazon.messaging", "SnsPublishOperator"),
    "airflow.providers.amazon.aws.operators.step_function": _names(
        "amazon.step_function", "StepFunctionStartExecutionOperator", "StepFunctionGetExecutionOutputOperator"),
    "airflow.providers.amazon.aws.sensors.step_function": _names("amazon.step_function",
                                                                 "StepFunctionExecutionSensor"),
    "airflow.providers.slack.operators.slack_webhook": _names("slack", "SlackWebhookOperator"),
    "airflow.providers.slack.hooks.slack_webhook": _names("slack", "SlackWebhookHook"),
    "airflow.providers.slack.notifications.slack_webhook": _names(
        "slack", "SlackWebhookNotifier", "send_slack_webhook_notification"),
    "airflow.providers.smtp.operators.smtp": _names("smtp", "EmailOperator"),
    "airflow.providers.smtp.hooks.smtp": _names("smtp", "SmtpHook"),
    "airflow.providers.smtp.notifications.smtp": _names("smtp", "SmtpNotifier", "send_smtp_notification"),
    "airflow.operators.email": _names("smtp", "EmailOperator"),
    "airflow.utils.email": _names("smtp", "send_email"),
    "airflow.notifications.basenotifier": _names("notifier", "BaseNotifier"),
    "airflow.sdk.bases.notifier": _names("notifier", "BaseNotifier"),
}


def provider_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[2:4]) if parts[2:3] == ["common"] else (parts[2] if len(parts) > 2 else "")


class UnknownProviderModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        provider = provider_of(self.__name__)
        package = "apache-airflow-providers-" + provider.replace(".", "-")
        raise ImportError(
            f"Levante does not implement {name!r} from the {provider!r} provider ({package}, module "
            f"{self.__name__!r}); the providers Levante runs are listed in docs/authoring.md", name=self.__name__)


class UnknownProviderLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = UnknownProviderModule(spec.name)
        module.__path__ = []  # type: ignore[attr-defined]  # its submodules resolve the same way
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None
