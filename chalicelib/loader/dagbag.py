"""The DagBag: import every DAG file of a folder in isolation, collect DAGs, record import errors.

A file that fails (syntax error, unsupported import, invalid DAG) becomes an `ImportErrorRecord` naming
the file and line; the other files still load. Like Airflow, only files mentioning both "airflow" and
"dag" are imported (safe mode), `.airflowignore` globs are honoured, and the folder is on `sys.path` so
DAG files can import their helper modules.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import importlib.util
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from chalicelib.loader import airflow_shim
from chalicelib.loader.airflow_providers import provider_of
from chalicelib.sdk.dag import DAG, collect_created_dags
from chalicelib.sdk.deprecation import collect_deprecations
from chalicelib.sdk.exceptions import DagDefinitionError

IMPORT_TIMEOUT_SECONDS = float(os.environ.get("LEVANTE_DAG_IMPORT_TIMEOUT", "30"))


@dataclass(frozen=True)
class ImportErrorRecord:
    filename: str  # path relative to the DAGs folder
    lineno: int | None
    message: str
    traceback: str

    def to_dict(self) -> dict[str, object]:
        return {"filename": self.filename, "lineno": self.lineno, "message": self.message, "traceback": self.traceback}

    def __str__(self) -> str:
        where = f"{self.filename}:{self.lineno}" if self.lineno else self.filename
        return f"{where}: {self.message}"


@dataclass(frozen=True, order=True)
class ImportWarningRecord:
    """An Airflow 1/2 spelling the file uses: it loads, and the message names the Airflow 3 replacement."""

    filename: str  # relative to the DAGs folder
    lineno: int
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"filename": self.filename, "lineno": self.lineno, "message": self.message}

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}: {self.message}"


@dataclass(frozen=True)
class DagFile:
    path: str  # absolute
    relpath: str
    source: str
    source_hash: str


class DagBag:
    def __init__(self, folder: str | os.PathLike[str], *, safe_mode: bool = True, only_file: str | None = None):
        self.folder = os.path.abspath(folder)
        self.dags: dict[str, DAG] = {}
        self.files: dict[str, DagFile] = {}  # dag_id -> file
        self.import_errors: dict[str, ImportErrorRecord] = {}  # relpath -> error
        self.warnings: dict[str, list[ImportWarningRecord]] = {}  # relpath -> deprecations, by line
        self.safe_mode = safe_mode
        if not os.path.isdir(self.folder):
            raise FileNotFoundError(f"DAGs folder {self.folder} does not exist (set --dags-folder or LEVANTE_DAGS_FOLDER)")
        airflow_shim.install()
        if self.folder not in sys.path:
            sys.path.insert(0, self.folder)
        paths = [only_file] if only_file else list_dag_files(self.folder, safe_mode=safe_mode)
        for path in paths:
            self._load(os.path.abspath(path))

    def get_dag(self, dag_id: str) -> DAG | None:
        return self.dags.get(dag_id)

    @property
    def dag_ids(self) -> list[str]:
        return sorted(self.dags)

    def _load(self, path: str) -> None:
        relpath = os.path.relpath(path, self.folder)
        source = Path(path).read_text(encoding="utf-8", errors="replace")
        dag_file = DagFile(path, relpath, source, hashlib.sha256(source.encode()).hexdigest())
        try:
            with collect_deprecations() as deprecations:
                dags = import_dag_file(path)
            for found in dags:
                _validate(found)
                if found.dag_id in self.dags:
                    other = self.files[found.dag_id].relpath
                    raise _invalid(found, f"DAG {found.dag_id!r} is defined in both {other} and {relpath}")
        except BaseException as exc:  # noqa: BLE001 - any failure of user code becomes an import error
            if isinstance(exc, KeyboardInterrupt):
                raise
            self.import_errors[relpath] = _error_record(exc, path, relpath)
            return
        finally:
            self._keep_warnings(relpath, deprecations if "deprecations" in locals() else [])
        for found in dags:
            self.dags[found.dag_id] = found
            self.files[found.dag_id] = dag_file


    def _keep_warnings(self, relpath: str, found: list[tuple[str, int, str]]) -> None:
        records = sorted(ImportWarningRecord(os.path.relpath(f, self.folder), line, message) for f, line, message in found)
        if records:
            self.warnings[relpath] = records


def list_dag_files(folder: str, *, safe_mode: bool = True) -> list[str]:
    ignore = _ignore_patterns(folder)
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")) and not _ignored(os.path.join(root, d), folder, ignore))
        for name in sorted(files):
            path = os.path.join(root, name)
            if not name.endswith(".py") or _ignored(path, folder, ignore):
                continue
            if safe_mode and not _might_contain_dag(path):
                continue
            found.append(path)
    return found


def _might_contain_dag(path: str) -> bool:
    content = Path(path).read_bytes().lower()
    return b"airflow" in content and b"dag" in content


def _ignore_patterns(folder: str) -> list[str]:
    ignore_file = os.path.join(folder, ".airflowignore")
    if not os.path.exists(ignore_file):
        return []
    lines = Path(ignore_file).read_text().splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def _ignored(path: str, folder: str, patterns: list[str]) -> bool:
    rel = os.path.relpath(path, folder)
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(os.path.basename(rel), p) or rel.startswith(p.rstrip("/") + "/")
               for p in patterns)


def import_dag_file(path: str) -> list[DAG]:
    """Import one DAG file as a fresh module and return the DAGs it defines."""
    from chalicelib.runner.timeout import execution_timeout

    module_name = "levante_dag_" + hashlib.sha1(path.encode()).hexdigest()[:12] + "_" + re.sub(r"\W", "_", Path(path).stem)
    airflow_shim.forget_imported()
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with collect_created_dags() as created, execution_timeout(IMPORT_TIMEOUT_SECONDS):
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return _registered(module, created)


def _registered(module: ModuleType, created: list[DAG]) -> list[DAG]:
    """DAGs used as context managers or made by @dag (auto-registered), plus module-level DAG objects."""
    found: dict[int, DAG] = {id(d): d for d in created if d._entered}
    for value in vars(module).values():
        if isinstance(value, DAG):
            found.setdefault(id(value), value)
    return list(found.values())


def _validate(dag: DAG) -> None:
    cycle = find_cycle(dag)
    if cycle:
        raise _invalid(dag, f"Cycle detected in DAG {dag.dag_id!r}: {' -> '.join(cycle)}")
    _check_task_time_limit(dag)


def _check_task_time_limit(dag: DAG) -> None:
    """On AWS a task runs inside one worker invocation, which Lambda stops after at most 15 minutes:
    the stack sets LEVANTE_MAX_TASK_SECONDS (the worker's timeout less the time to record the outcome), and
    a longer execution_timeout is refused here, at load, rather than found out by a killed task."""
    limit = os.environ.get("LEVANTE_MAX_TASK_SECONDS")
    if not limit:
        return
    for task in dag.tasks:
        if task.execution_timeout is not None and task.execution_timeout > float(limit):
            raise _invalid(dag, f"Task {task.task_id!r} of DAG {dag.dag_id!r}: execution_timeout "
                                f"{task.execution_timeout:g}s exceeds the {float(limit):g}s a task may run on AWS Lambda "
                                "(the worker's timeout, at most 15 minutes): split the work into shorter tasks, "
                                "or lower execution_timeout")


def _invalid(dag: DAG, message: str) -> DagDefinitionError:
    error = DagDefinitionError(message)
    error.dag = dag  # type: ignore[attr-defined]  # lets the error record point at the DAG's line
    return error


def find_cycle(dag: DAG) -> list[str] | None:
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(dag.task_dict, WHITE)
    for start in dag.task_dict:
        if color[start] != WHITE:
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(dag.task_dict[start].downstream_task_ids))]
        path = [start]
        color[start] = GREY
        while stack:
            node, children = stack[-1]
            if not children:
                color[node] = BLACK
                stack.pop()
                path.pop()
                continue
            child = children.pop()
            if color.get(child) == GREY:
                return path[path.index(child):] + [child]
            if color.get(child) == WHITE:
                color[child] = GREY
                path.append(child)
                stack.append((child, sorted(dag.task_dict[child].downstream_task_ids)))
    return None


_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '(airflow[\w.]*)'")


def _error_record(exc: BaseException, path: str, relpath: str) -> ImportErrorRecord:
    message = f"{type(exc).__name__}: {exc}"
    match = _CANNOT_IMPORT.search(str(exc))
    if match:
        message = f"ImportError: Levante does not support '{match.group(2)}.{match.group(1)}' ({exc})"
    lineno = _line_in_file(exc, path)
    if isinstance(exc, ImportError) and lineno is not None:
        unsupported = _unsupported_airflow_imports(path, lineno)
        if unsupported and not _has_hint(exc):
            message = f"ImportError: Levante does not support {', '.join(repr(u) for u in unsupported)}"
            providers = sorted({provider_of(u) for u in unsupported if u.startswith("airflow.providers.")})
            if providers:
                message += (f" (provider {', '.join(repr(p) for p in providers)}: Levante runs the providers "
                            "listed in docs/authoring.md)")
    text = "".join(traceback.format_exception(exc))
    return ImportErrorRecord(relpath, lineno, message, text)


def _has_hint(exc: BaseException) -> bool:
    """The shim's own message already explains why (a module left out on purpose): keep it."""
    return isinstance(exc, airflow_shim.UnsupportedAirflowImport) and "': " in str(exc)


def _unsupported_airflow_imports(path: str, lineno: int) -> list[str]:
    """The full `airflow.*` names an import statement at `lineno` asks for that the shim does not provide.

    Python imports parent packages first, so the shim's own error names only the first missing package
    (`airflow.providers.google`) or mistakes a missing name for a module (`airflow.sdk.Asset`); the statement
    itself says what the DAG really wanted.
    """
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if not node.lineno <= lineno <= (node.end_lineno or node.lineno):
            continue
        if isinstance(node, ast.Import):
            return [a.name for a in node.names if _is_airflow(a.name) and a.name not in airflow_shim.ALIASES]
        module = node.module or ""
        if not _is_airflow(module) or node.level:
            return []
        if module not in airflow_shim.ALIASES:
            if module.startswith("airflow.providers."):  # name the operator too, not just its module
                return [f"{module}.{a.name}" for a in node.names]
            return [module]
        exported = airflow_shim.ALIASES[module]
        return [f"{module}.{a.name}" for a in node.names if a.name != "*" and not exported.get(a.name)]
    return []


def _is_airflow(module: str) -> bool:
    return module == "airflow" or module.startswith("airflow.")


def _line_in_file(exc: BaseException, path: str) -> int | None:
    if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(exc.filename) == path:
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if os.path.abspath(frame.f_code.co_filename) == path:
            line = lineno
    dag = getattr(exc, "dag", None)
    if dag is not None and os.path.abspath(dag.fileloc) == path:
        line = dag.lineno  # validation after import: point at the DAG's definition
    hint = getattr(exc, "dag_file_line", None)  # an unsupported argument: point at the argument itself
    if hint and os.path.abspath(hint[0]) == path:
        line = hint[1]
    return line
