"""BashOperator: runs a templated shell command; its last output line is the XCom."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import tempfile
from collections.abc import Callable, Container
from typing import Any

from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.exceptions import AirflowException, AirflowSkipException

log = logging.getLogger("airflow.task")


class BashOperator(BaseOperator):
    template_fields = ("bash_command", "env", "cwd")
    template_ext = (".sh", ".bash")
    ui_color = "#f0ede4"

    def __init__(self, *, bash_command: str, env: dict[str, str] | None = None, append_env: bool = False,
                 output_encoding: str = "utf-8", skip_on_exit_code: int | Container[int] | None = 99,
                 cwd: str | None = None, output_processor: Callable[[str], Any] = lambda out: out,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env
        self.output_encoding = output_encoding
        if skip_on_exit_code is None:
            skip_on_exit_code = ()
        elif isinstance(skip_on_exit_code, int):
            skip_on_exit_code = (skip_on_exit_code,)
        self.skip_on_exit_code = skip_on_exit_code
        self.cwd = cwd
        self.output_processor = output_processor
        self._process: subprocess.Popen | None = None

    def execute(self, context: dict[str, Any]) -> Any:
        if self.cwd is not None and not os.path.isdir(self.cwd):
            raise AirflowException(f"Can not find the cwd: {self.cwd}")
        command = self.bash_command
        log.info("Running command: %s", command)
        exit_code, last_line = run_command(self, command, self._environment(context))
        if exit_code in self.skip_on_exit_code:
            raise AirflowSkipException(f"Bash command returned exit code {exit_code}. Skipping.")
        if exit_code != 0:
            raise AirflowException(f"Bash command failed. The command returned a non-zero exit code {exit_code}.")
        return self.output_processor(last_line)

    def _environment(self, context: dict[str, Any]) -> dict[str, str]:
        env = dict(os.environ) if self.env is None else dict(self.env)
        if self.env is not None and self.append_env:
            env = {**os.environ, **self.env}
        ti = context["ti"]
        env.update({
            "AIRFLOW_CTX_DAG_ID": ti.dag_id,
            "AIRFLOW_CTX_TASK_ID": ti.task_id,
            "AIRFLOW_CTX_DAG_RUN_ID": ti.run_id,
            "AIRFLOW_CTX_TRY_NUMBER": str(ti.try_number),
            "AIRFLOW_CTX_LOGICAL_DATE": context["logical_date"].isoformat(),
        })
        return {str(k): str(v) for k, v in env.items()}

    def on_kill(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)


def run_command(task: BashOperator, command: str, env: dict[str, str]) -> tuple[int, str]:
    """Run `command` in bash in its own process group, logging each output line; (exit code, last line)."""
    with tempfile.TemporaryDirectory(prefix="airflowtmp") as scratch:  # as Airflow: never the code's folder
        return _run_in(task, command, env, task.cwd or scratch)


def _run_in(task: BashOperator, command: str, env: dict[str, str], cwd: str) -> tuple[int, str]:
    process = subprocess.Popen(
        ["bash", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
        cwd=cwd, start_new_session=True,
    )
    task._process = process
    last_line = ""
    try:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            line = raw.decode(task.output_encoding, errors="backslashreplace").rstrip("\n")
            last_line = line
            log.info("%s", line)
        process.wait()
    finally:  # a timeout or kill arrives as an exception here: leave no process behind
        task.on_kill()
        task._process = None
    log.info("Command exited with return code %s", process.returncode)
    return process.returncode, last_line
