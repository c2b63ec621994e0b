"""FileSensor (a path or glob exists) and BashSensor (a command exits 0)."""

from __future__ import annotations

import glob
import logging
import os
from typing import Any

from chalicelib.sdk.exceptions import AirflowFailException
from chalicelib.sdk.sensors.base import BaseSensorOperator

log = logging.getLogger("airflow.task")


class FileSensor(BaseSensorOperator):
    """A local path or glob, under the base `path` in the extra of the `fs_conn_id` connection (Airflow's
    FSHook): a missing connection fails the poke, as in Airflow (define `AIRFLOW_CONN_FS_DEFAULT`)."""

    template_fields = ("filepath",)
    ui_color = "#91818a"

    def __init__(self, *, filepath: str, fs_conn_id: str = "fs_default", recursive: bool = False,
                 start_from_trigger: bool = False, trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive

    def poke(self, context: dict[str, Any]) -> bool:
        from chalicelib.sdk.hooks.base import BaseHook

        base = BaseHook.get_connection(self.fs_conn_id).extra_dejson.get("path", "")
        full_path = os.path.join(base, self.filepath)
        log.info("Poking for file %s", full_path)
        for path in glob.glob(full_path, recursive=self.recursive):
            if os.path.isfile(path):
                log.info("Found File %s", path)
                return True
            for _, _, files in os.walk(path):
                if files:
                    return True
        return False


class BashSensor(BaseSensorOperator):
    template_fields = ("bash_command", "env")

    def __init__(self, *, bash_command: str, env: dict[str, str] | None = None, output_encoding: str = "utf-8",
                 retry_exit_code: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code

    def poke(self, context: dict[str, Any]) -> bool:
        from chalicelib.sdk.operators.bash import run_command

        self.cwd = None
        env = {**os.environ, **(self.env or {})} if self.env is None else dict(self.env)
        log.info("Running command: %s", self.bash_command)
        code, _ = run_command(self, self.bash_command, {str(k): str(v) for k, v in env.items()})
        if self.retry_exit_code is not None:
            if code == self.retry_exit_code:
                log.info("Return code matches retry code, will retry later")
                return False
            if code != 0:
                raise AirflowFailException(f"Command exited with return code {code}")
            return True
        return not code

    def on_kill(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
