"""Runs the PACKAGED handlers as Lambda would, in an interpreter started with `-S` (no site-packages: only the
unzipped package and the AWS SDK the Lambda runtime provides are importable), with real-shaped events.

Reads a JSON job on stdin, prints one JSON report on stdout. Not a test module: tests/deploy/test_moto_stack.py
runs it as a script. It must not import anything of the tests or the project outside the package.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime


class Context:
    """The attributes of Lambda's context object that Chalice and Levante read."""

    def __init__(self, function_name: str, timeout_s: int):
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def scheduled_event(rule_arn: str) -> dict:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": [rule_arn], "detail": {}}


def sqs_event(message: dict, queue_arn: str) -> dict:
    return {"Records": [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": {k: str(v) for k, v in message.get("Attributes", {}).items()},
        "messageAttributes": {}, "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": "us-east-1"}]}


def api_event(routes: dict, method: str, path: str, token: str, body: dict | None = None) -> dict:
    """An API Gateway REST (proxy) event for the route that `path` matches, as API Gateway builds it."""
    for resource in routes:
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", resource) + "$"
        match = re.match(pattern, path)
        if match and method in routes[resource]:
            break
    else:
        raise LookupError(f"no route for {method} {path}")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "api.example"}
    return {"resource": resource, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
            "multiValueQueryStringParameters": None, "pathParameters": match.groupdict() or None,
            "stageVariables": None, "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/api{path}", "stage": "api",
                               "requestId": str(uuid.uuid4()), "accountId": "123456789012", "apiId": "moto",
                               "identity": {"sourceIp": "127.0.0.1", "userAgent": "lambda-driver"}}}


PAUSE = "LAMBDA-DRIVER-PAUSE "  # phase one done: the test ships a changed bundle, then writes a line to go on


def main() -> None:
    job = json.loads(sys.stdin.readline())
    leaked = [name for name in ("moto", "pytest", "chalicelib.cli", "flask") if _importable(name)]
    assert not leaked, f"dev dependencies importable: {leaked}"
    started = time.perf_counter()
    import app  # the packaged app.py, as Lambda imports it

    report: dict = {"import_s": round(time.perf_counter() - started, 3), "worker_invocations": 0, "message_ids": []}
    routes = {path: entry for path, entry in app.app.routes.items()}

    def call_api(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        answer = app.app(api_event(routes, method, path, job["token"], body), Context(job["functions"]["api"], 30))
        return answer["statusCode"], json.loads(answer["body"] or "null")

    def tick() -> dict:
        return app.scheduler(scheduled_event(job["rule_arn"]), Context(job["functions"]["scheduler"], 60))

    import boto3

    def authorize(token: str) -> str:  # API Gateway's TOKEN authorizer event
        event = {"type": "TOKEN", "authorizationToken": f"Bearer {token}",
                 "methodArn": "arn:aws:execute-api:us-east-1:123456789012:moto/api/GET/api/v1/dags"}
        try:
            answer = app.token_authorizer(event, Context(job["functions"]["api"], 10))
        except Exception as error:  # Lambda reports it as errorMessage; API Gateway answers 401
            return str(error)
        [statement] = answer["policyDocument"]["Statement"]
        return f"{statement['Effect']} {','.join(statement['Resource'])} as {answer['principalId']}"

    def process_bundle() -> dict:
        # `levante dags deploy` wrote the bundle pointer; S3's event for that key invokes the DAG processor.
        event = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                              "eventName": "ObjectCreated:Put", "s3": {"s3SchemaVersion": "1.0",
                              "bucket": {"name": job["bucket"], "arn": f"arn:aws:s3:::{job['bucket']}"},
                              "object": {"key": job["bundle_key"]}}}]}
        return app.dag_processor(event, Context(job["functions"]["dag_processor"], 900))

    sqs = boto3.client("sqs")

    def run_dag(dag: str) -> dict:
        """Unpause and trigger `dag` through the API, then play the event source mapping until the run ends."""
        result = {"unpause": call_api("PATCH", f"/api/v1/dags/{dag}", {"is_paused": False})[0]}
        status, created = call_api("POST", f"/api/v1/dags/{dag}/dagRuns", {"conf": {}})
        result["trigger"] = status
        return play(dag, created["dag_run_id"], result)

    def run_scheduled(dag: str) -> dict:
        """The scheduler's timer creates `dag`'s next run; play it until it ends."""
        tick()
        runs = call_api("GET", f"/api/v1/dags/{dag}/dagRuns")[1]["dag_runs"]
        scheduled = [r["dag_run_id"] for r in runs if r["run_type"] == "scheduled"]
        return play(dag, scheduled[0], {"scheduled_runs": len(scheduled)}) if scheduled else {"scheduled_runs": 0}

    def play(dag: str, run_id: str, result: dict) -> dict:
        deadline = time.monotonic() + job["timeout_s"]
        run = {}
        while time.monotonic() < deadline:
            received = sqs.receive_message(QueueUrl=job["queue_url"], MaxNumberOfMessages=1, WaitTimeSeconds=1,
                                           AttributeNames=["All"]).get("Messages", [])
            for message in received:  # the event source mapping's job: one record per invocation, delete on success
                app.worker(sqs_event(message, job["queue_arn"]), Context(job["functions"]["worker"], 300))
                sqs.delete_message(QueueUrl=job["queue_url"], ReceiptHandle=message["ReceiptHandle"])
                report["worker_invocations"] += 1
                report["message_ids"].append(message["MessageId"])
            if not received:
                tick()
            run = call_api("GET", f"/api/v1/dags/{dag}/dagRuns/{run_id}")[1]
            if run["state"] in ("success", "failed"):
                break
        result.update(state=run.get("state"), run_id=run_id, bundle_version=run.get("bundle_version"))
        _, instances = call_api("GET", f"/api/v1/dags/{dag}/dagRuns/{run_id}/taskInstances")
        result["tasks"] = {ti["task_id"]: ti["state"] for ti in instances["task_instances"]}
        result["returned"] = {task: {x["key"]: x["value"] for x in call_api(
            "GET", f"/api/v1/dags/{dag}/dagRuns/{run_id}/taskInstances/{task}/xcomEntries")[1]["xcom_entries"]}.get(
            "return_value") for task in result["tasks"]}
        return result

    report["authorizer"] = {"good": authorize(job["token"]), "bad": authorize("not-a-token-0123456789")}
    report["processed"] = process_bundle()
    report["first_tick"] = tick()
    report.update(run_dag(job["dag_id"]))
    if job.get("probe_dag"):  # phase two: the same warm handlers, after `levante dags deploy` of a changed DAG
        report["probe_before"] = run_dag(job["probe_dag"])
        print(PAUSE + json.dumps({"probe_before": report["probe_before"]}), flush=True)
        sys.stdin.readline()
        report["processed_after"] = process_bundle()
        # The safety timer's event: the version is processed already, so the processor skips it.
        report["timer_after"] = app.dag_processor(scheduled_event(job["timer_rule_arn"]),
                                                  Context(job["functions"]["dag_processor"], 900))
        report["probe_after"] = run_scheduled(job["probe_dag"])
    report["modules"] = sorted({name.split(".")[0] for name in sys.modules})
    print(json.dumps(report))


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


if __name__ == "__main__":
    os.chdir(os.environ["LAMBDA_TASK_ROOT"])
    main()
