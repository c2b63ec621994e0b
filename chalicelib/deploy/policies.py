"""The functions' IAM policies, built from the same names the resources get (least privilege, no hand-edited ARNs).

`policy(...)` returns a policy document whose ARNs hold `partition`, `account` and `region` as given: the
template passes `${AWS::Partition}` etc. (and wraps the strings in `Fn::Sub`), the tests pass moto's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.deploy import names
from chalicelib.store.settings import Settings

TABLE_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
                 "dynamodb:Query", "dynamodb:UpdateItem")
QUEUE_ACTIONS = ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage",
                 "sqs:SendMessage")
OBJECT_PREFIXES = ("logs", "xcoms")  # the data bucket's folders the functions write
VERSION_PREFIXES = ("bundles", "dags")  # DAG bundles, spec and source versions: written once, never deleted


@dataclass(frozen=True)
class Where:
    partition: str = "${AWS::Partition}"
    account: str = names.STACK_ACCOUNT
    region: str = names.STACK_REGION

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        scope = f"{self.region}:{self.account}" if regional else ":"
        return f"arn:{self.partition}:{service}:{scope}:{resource}"


def table_arns(settings: Settings, where: Where) -> list[str]:
    from chalicelib.store.models import build_models

    tables, indexes = [], []
    for model in build_models(settings).all():
        table = where.arn("dynamodb", f"table/{model.Meta.table_name}")
        tables.append(table)
        schema = model._get_schema()
        for index in schema["global_secondary_indexes"] + schema["local_secondary_indexes"]:
            indexes.append(f"{table}/index/{index['index_name']}")
    return tables + indexes


def secret_statements(settings: Settings, where: Where, *, runs_tasks: bool) -> list[dict[str, Any]]:
    """The secrets store (SSM SecureStrings under the stage's path, docs/connections.md). Tasks read
    connections and secret variables and may set the latter; the API manages and lists both."""
    from chalicelib.store.secrets import CONNECTIONS, VARIABLES, secrets_path

    root = f"parameter{secrets_path(settings)}"
    under = [where.arn("ssm", f"{root}/{kind}/*") for kind in (CONNECTIONS, VARIABLES)]
    listed = [where.arn("ssm", f"{root}/{kind}") for kind in (CONNECTIONS, VARIABLES)]
    if runs_tasks:
        return [_allow("ReadSecrets", ["ssm:GetParameter"], under),
                # every stored secret, to mask rendered template fields before they are stored (a password
                # reaches a task inside an upstream XCom too, not only through the connection it reads)
                _allow("ListSecretsToMask", ["ssm:GetParametersByPath"], listed),
                _allow("WriteSecretVariables", ["ssm:DeleteParameter", "ssm:PutParameter"],
                       [where.arn("ssm", f"{root}/{VARIABLES}/*")]),
                # email/email_on_failure and EmailOperator without an SMTP connection (providers/smtp.py)
                _allow("SendAlertMail", ["ses:SendRawEmail"], [where.arn("ses", "identity/*")])]
    return [_allow("SecretsStore", ["ssm:DeleteParameter", "ssm:GetParameter", "ssm:PutParameter"], under),
            _allow("ListSecrets", ["ssm:GetParametersByPath"], listed)]


def policy(settings: Settings, function_names: Iterable[str], *, invokable: Iterable[str] = (),
           runs_tasks: bool = False, reads_tokens: bool = False, extra_statements: Iterable[dict[str, Any]] = (),
           where: Where = Where()) -> dict[str, Any]:
    """One function's policy. `function_names`: every function of the stage (their log groups);
    `invokable`: Lambda ARNs this function may invoke (the worker's LambdaInvokeFunctionOperator);
    `runs_tasks`: the worker's narrower access to the secrets store;
    `reads_tokens`: the API tokens in SSM (decrypted with the account's `aws/ssm` key, no KMS grant needed)."""
    bucket = f"arn:{where.partition}:s3:::{names.data_bucket(settings, where.account, where.region)}"
    statements = [
        _allow("Logs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
               [where.arn("logs", f"log-group:/aws/lambda/{name}:*") for name in function_names]),
        _allow("MetadataTables", TABLE_ACTIONS, table_arns(settings, where)),
        _allow("ListVariables", ["dynamodb:Scan"], [where.arn("dynamodb", f"table/{settings.table('variables')}")]),
        _allow("TaskQueue", QUEUE_ACTIONS, [where.arn("sqs", settings.queue_name)]),
        _allow("DeadLetterQueueDepth", ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
               [where.arn("sqs", settings.dlq_name)]),
        _allow("DataBucketList", ["s3:ListBucket"], [bucket]),
        _allow("LogsAndXComObjects", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
               [f"{bucket}/{prefix}/*" for prefix in OBJECT_PREFIXES]),
        _allow("DagVersionObjects", ["s3:GetObject", "s3:PutObject"],
               [f"{bucket}/{prefix}/*" for prefix in VERSION_PREFIXES]),
    ]
    statements.extend(secret_statements(settings, where, runs_tasks=runs_tasks))
    invokable = sorted(invokable)
    if invokable:
        statements.append(_allow("InvokeConfiguredFunctions", ["lambda:InvokeFunction"], invokable))
    if reads_tokens:
        statements.append(_token_statement(settings, where))
    statements.extend(extra_statements)
    return {"Version": "2012-10-17", "Statement": statements}


def authorizer_policy(settings: Settings, function_name: str, where: Where = Where()) -> dict[str, Any]:
    """The token authorizer writes its log and reads the tokens: nothing of the data."""
    return {"Version": "2012-10-17", "Statement": [
        _allow("Logs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
               [where.arn("logs", f"log-group:/aws/lambda/{function_name}:*")]),
        _token_statement(settings, where)]}


def _token_statement(settings: Settings, where: Where) -> dict[str, Any]:
    return _allow("ReadApiTokens", ["ssm:GetParametersByPath"],
                  [where.arn("ssm", f"parameter{names.tokens_path(settings)}")])


def _allow(sid: str, actions: Iterable[str], resources: Iterable[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}


def substituted(document: Any) -> Any:
    """The document for a template: every string with a `${...}` placeholder becomes an `Fn::Sub`."""
    if isinstance(document, dict):
        return {key: substituted(value) for key, value in document.items()}
    if isinstance(document, list):
        return [substituted(value) for value in document]
    if isinstance(document, str) and "${" in document:
        return {"Fn::Sub": document}
    return document
