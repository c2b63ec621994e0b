"""A stage of `.chalice/config.json` as the deployment sees it: settings, functions and their policies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.deploy import policies
from chalicelib.store.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Chalice's logical ids: function -> (resource, role, name suffix after "{app}-{stage}").
FUNCTIONS = {"api_handler": ("APIHandler", "ApiHandlerRole", ""),
             "scheduler": ("Scheduler", "SchedulerRole", "-scheduler"),
             "worker": ("Worker", "WorkerRole", "-worker"),
             "token_authorizer": ("TokenAuthorizer", "TokenAuthorizerRole", "-token_authorizer"),
             "dag_processor": ("DagProcessor", "DagProcessorRole", "-dag_processor")}
INVOKING_FUNCTIONS = frozenset({"worker"})  # LambdaInvokeFunctionOperator runs in the worker
TOKEN_READERS = frozenset({"api_handler", "token_authorizer"})  # check the API's bearer tokens
DATA_FUNCTIONS = ("api_handler", "scheduler", "worker", "dag_processor")
TASK_RUNNERS = frozenset({"worker"})  # gets the statements of .chalice/task-policy-{stage}.json  # the authorizer reads tokens and nothing else


class UnknownStage(ValueError):
    pass


@dataclass(frozen=True)
class Stage:
    name: str
    app_name: str
    config: dict[str, Any]  # the whole .chalice/config.json
    project_dir: Path = PROJECT_DIR

    @classmethod
    def load(cls, stage: str, project_dir: Path = PROJECT_DIR) -> Stage:
        config_file = project_dir / ".chalice" / "config.json"
        if not config_file.is_file():
            raise UnknownStage(f"{config_file} not found: run this from the Levante project directory")
        config = json.loads(config_file.read_text())
        if stage not in config.get("stages", {}):
            raise UnknownStage(f"unknown stage {stage!r} (in .chalice/config.json: {', '.join(config['stages'])})")
        return cls(stage, config["app_name"], config, project_dir)

    def lookup(self, key: str, function: str | None = None, default: Any = None) -> Any:
        """Chalice's own precedence: function in stage, then stage, then top level."""
        stage = self.config["stages"][self.name]
        for scope in (stage.get("lambda_functions", {}).get(function, {}) if function else {}, stage, self.config):
            if key in scope:
                return scope[key]
        return default

    @property
    def environment(self) -> dict[str, str]:
        return {**self.config.get("environment_variables", {}),
                **self.config["stages"][self.name].get("environment_variables", {})}

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.environment)

    @property
    def worker_timeout(self) -> int:
        return int(self.lookup("lambda_timeout", "worker", 60))

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(FUNCTIONS)

    def function_name(self, function: str) -> str:
        return f"{self.app_name}-{self.name}{FUNCTIONS[function][2]}"

    def invokable(self, where: policies.Where) -> list[str]:
        """LEVANTE_INVOKABLE_FUNCTIONS, with `*` for region and account pinned to the stack's."""
        arns = [arn for arn in self.environment.get("LEVANTE_INVOKABLE_FUNCTIONS", "").split(",") if arn]
        return [where.arn("lambda", arn.split(":", 5)[5]) if arn.split(":")[3:5] == ["*", "*"] else arn
                for arn in arns]

    def policy(self, function: str, where: policies.Where = policies.Where()) -> dict[str, Any]:
        if function not in DATA_FUNCTIONS:
            return policies.authorizer_policy(self.settings, self.function_name(function), where)
        from chalicelib.deploy import task_policy

        extra = task_policy.load(self.project_dir, self.name, self.environment) if function in TASK_RUNNERS else []
        return policies.policy(self.settings, [self.function_name(f) for f in DATA_FUNCTIONS], extra_statements=extra,
                               invokable=self.invokable(where) if function in INVOKING_FUNCTIONS else (),
                               runs_tasks=function == "worker", reads_tokens=function in TOKEN_READERS,
                               where=where)
