"""What the REST API's stage gets beyond Chalice's template: throttling, access logs, and the account setting
that lets API Gateway write logs at all (a fresh account has none, and the stage would fail without it).

The token authorizer itself comes from Chalice (`@app.authorizer` in app.py, on every route but health).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.store.settings import Settings

# Requests per second and burst, per stage; a stage's LEVANTE_API_RATE_LIMIT / LEVANTE_API_BURST_LIMIT win.
THROTTLING = {"prod": (50, 100)}
DEFAULT_THROTTLING = (10, 20)
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "time": "$context.requestTime",
    "method": "$context.httpMethod", "resource": "$context.resourcePath", "status": "$context.status",
    "bytes": "$context.responseLength", "latencyMs": "$context.responseLatency",
    "role": "$context.authorizer.principalId", "error": "$context.error.message",
    "authorizerError": "$context.authorizer.error"}, separators=(",", ":"))
PUSH_TO_CLOUDWATCH = "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


def throttling(stage: str, environment: dict[str, str]) -> tuple[int, int]:
    rate, burst = THROTTLING.get(stage, DEFAULT_THROTTLING)
    return (int(environment.get("LEVANTE_API_RATE_LIMIT", rate)), int(environment.get("LEVANTE_API_BURST_LIMIT", burst)))


def resources(settings: Settings, environment: dict[str, str], retention_days: int) -> dict[str, Any]:
    rate, burst = throttling(settings.stage, environment)
    return {
        "RestAPI": {"DependsOn": ["ApiGatewayAccount"], "Properties": {
            "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": rate,
                                "ThrottlingBurstLimit": burst, "MetricsEnabled": True}],
            "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
                                 "Format": ACCESS_LOG_FORMAT}}},
        "ApiAccessLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": f"/aws/apigateway/{settings.base}-access", "RetentionInDays": retention_days}},
        # One setting per account and region; every stage sets the same kind of role, so they agree.
        "ApiGatewayCloudWatchRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [{"Fn::Sub": PUSH_TO_CLOUDWATCH}]}},
        "ApiGatewayAccount": {"Type": "AWS::ApiGateway::Account", "Properties": {
            "CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}}},
    }
