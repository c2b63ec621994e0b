"""One warning per use of an Airflow 1/2 path or argument that Levante accepts on purpose.

Airflow 3 rejects these; Levante runs them, and tells the author the Airflow 3 spelling. The warning points
at the DAG file's own line (the first frame outside Levante and the import machinery), so `levante dags
list` can show `file:line: ... use X` whichever SDK code noticed it.
"""

from __future__ import annotations

import ast
import functools
import os
import sys
import warnings

_LEVANTE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LevanteDeprecationWarning(DeprecationWarning):
    """An Airflow 1/2 spelling Levante accepts; the message names the Airflow 3 replacement."""


def warn_legacy(old: str, fix: str, *, argument: str | None = None, from_default_args: bool = False) -> None:
    """`old` names what the file wrote; `fix` says what to write instead ("use airflow.sdk.DAG").

    With `argument`, the warning points at that keyword argument's own line (or its default_args key).
    """
    filename, lineno = user_location()
    if argument:
        lineno = argument_line(filename, lineno, argument, from_default_args=from_default_args)
    message = f"{old} is deprecated (Airflow 1/2): {fix}"
    warnings.warn_explicit(message, LevanteDeprecationWarning, filename, lineno)


def user_location() -> tuple[str, int]:
    """File and line of the innermost frame that is neither Levante's nor Python's import machinery."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(_LEVANTE_DIR) or name.startswith("<frozen") or "importlib" in name):
            return name, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


def argument_line(filename: str, call_line: int, argument: str, *, from_default_args: bool = False) -> int:
    """The line of `argument=` in the call spanning `call_line`, or of its `"argument":` default_args key."""
    tree = _parsed(filename)
    if tree is None:
        return call_line
    if from_default_args:
        keys = [k.lineno for n in ast.walk(tree) if isinstance(n, ast.Dict)
                for k in n.keys if isinstance(k, ast.Constant) and k.value == argument]
        return keys[0] if len(keys) == 1 else call_line
    best: tuple[int, int] | None = None  # (span, line): the innermost call wins
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno <= call_line <= (node.end_lineno or node.lineno):
            for keyword in node.keywords:
                if keyword.arg == argument:
                    span = (node.end_lineno or node.lineno) - node.lineno
                    if best is None or span < best[0]:
                        best = (span, keyword.lineno)
    return best[1] if best else call_line


@functools.lru_cache(maxsize=64)
def _parsed_cached(filename: str, mtime: float) -> ast.Module | None:
    try:
        with open(filename, encoding="utf-8", errors="replace") as source:
            return ast.parse(source.read())
    except (OSError, SyntaxError, ValueError):
        return None


def _parsed(filename: str) -> ast.Module | None:
    try:
        return _parsed_cached(filename, os.path.getmtime(filename))
    except OSError:
        return None


class collect_deprecations:  # noqa: N801 - used as a context manager
    """Record the deprecation warnings raised while a DAG file imports, once per (file, line, message)."""

    def __enter__(self) -> list[tuple[str, int, str]]:
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always", LevanteDeprecationWarning)
        self.found: list[tuple[str, int, str]] = []
        return self.found

    def __exit__(self, *exc: object) -> None:
        caught = list(self._caught)
        self._catcher.__exit__(*exc)
        for item in caught:
            if issubclass(item.category, LevanteDeprecationWarning):
                entry = (item.filename, item.lineno, str(item.message))
                if entry not in self.found:
                    self.found.append(entry)
            else:  # not ours: hand it back to the normal warning machinery
                warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


# Arguments Airflow 3 dropped or renamed, and what to write instead.
_ARGUMENT_FIXES = {
    "execution_date": "use logical_date",
    "sla": "remove it: SLAs are gone in Airflow 3 (use deadline alerts)",
    "concurrency": "use max_active_tasks",
    "full_filepath": "remove it",
    "default_view": "remove it",
    "orientation": "remove it",
    "task_concurrency": "use max_active_tis_per_dag",
}


def unsupported_argument(what: str, name: str, arguments: list[str]) -> Exception:
    """An error naming the unsupported argument(s), the fix when there is one, and the argument's line.

    The DagBag reports `dag_file_line` (the first argument's own line, not the call's) as the error's line.
    """
    from chalicelib.sdk.exceptions import UnsupportedFeature

    fixes = [f"{a}: {_ARGUMENT_FIXES[a]}" for a in arguments if a in _ARGUMENT_FIXES]
    message = f"{what}({name}): unsupported argument(s) {', '.join(arguments)}"
    if fixes:
        message += " (" + "; ".join(fixes) + ")"
    error = UnsupportedFeature(message)
    filename, call_line = user_location()
    error.dag_file_line = (filename, argument_line(filename, call_line, arguments[0]))  # type: ignore[attr-defined]
    return error
