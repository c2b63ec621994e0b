"""What Levante accepts as ids, texts, dates and JSON values: one set of rules for the API and the CLI.

Every rule here exists because a value that broke it once reached the store and then broke its readers:
a run id with `/` addressed another run's S3 prefix, a newline in a run id left a task stuck, a year
below 1000 was stored in a form that could not be parsed back, `1e400` became Infinity (not JSON), and
a lone UTF-16 surrogate cannot be encoded as UTF-8 at all. Pure: no I/O, no Levante imports.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

# Airflow 3.3's `[scheduler] allowed_run_id_pattern` default; Levante adds the rules below on top.
RUN_ID_PATTERN = r"^[A-Za-z0-9_.~:+-]+$"
MAX_ID_LENGTH = 250
# Ids Levante derives from a date itself: taking one would make the real run collide and never happen.
RESERVED_RUN_ID_PREFIXES = ("scheduled__", "backfill__", "asset_triggered__", "dataset_triggered__")
MIN_YEAR, MAX_YEAR = 1000, 9999  # 4-digit years: every later computation (intervals, cron) stays in range

# Explicit direction marks and overrides (Trojan Source): text that displays differently from what it is.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class InvalidInput(ValueError):
    """A value the edge refuses; the message names the field and the rule."""


def check_run_id(run_id: str, pattern: str = RUN_ID_PATTERN, *, name: str = "dag_run_id") -> str:
    """A run id a user chose: Airflow's pattern, no `..`, no reserved prefix, at most 250 characters."""
    if not isinstance(run_id, str) or not run_id:
        raise InvalidInput(f"{name!r} must be a non-empty string")
    if len(run_id) > MAX_ID_LENGTH:
        raise InvalidInput(f"{name!r} is longer than {MAX_ID_LENGTH} characters")
    if ".." in run_id or "/" in run_id or not _is_safe_ascii(run_id):
        raise InvalidInput(f"{name!r} must match {pattern} and contain no '..' (letters, digits and _ . ~ : + -)")
    if re.fullmatch(pattern.removeprefix("^").removesuffix("$"), run_id) is None:
        raise InvalidInput(f"{name!r} must match {pattern}")
    for prefix in RESERVED_RUN_ID_PREFIXES:
        if run_id.startswith(prefix):
            raise InvalidInput(f"{name!r} must not start with {prefix!r}: Levante names its own runs that way")
    return run_id


def _is_safe_ascii(value: str) -> bool:
    # Whatever pattern is configured, a run id is part of S3 keys and log lines: printable ASCII, no
    # separators. A pattern can narrow this, never widen it.
    return all(33 <= ord(ch) < 127 for ch in value) and "\\" not in value and "#" not in value


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored and shown safely, or None: lone surrogates, NUL and controls; in single-line
    values (ids, keys) also newlines, tabs and bidirectional controls."""
    for ch in value:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return "is not valid Unicode (a lone UTF-16 surrogate)"
        if code == 0:
            return "contains a NUL character"
        if code < 32 or 0x7F <= code < 0xA0:
            if multiline and ch in "\n\r\t":
                continue
            return f"contains the control character U+{code:04X}"
        if ch in BIDI_CONTROLS and not multiline:  # free text may be right-to-left; ids and keys may not
            return f"contains the bidirectional control U+{code:04X}"
    return None


def check_text(name: str, value: str, *, multiline: bool = False) -> str:
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidInput(f"{name!r} {problem}")
    return value


def check_json_value(name: str, value: Any) -> Any:
    """A JSON document that round-trips: finite numbers, valid Unicode in every key and string."""
    try:  # one pass in C for the common, valid case; the walk below only names what is wrong
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
        return value
    except (ValueError, UnicodeEncodeError):
        pass
    for path, item in _walk(value, name):
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput(f"{path} is not a finite number")
        if isinstance(item, str) and _has_surrogate(item):
            raise InvalidInput(f"{path} is not valid Unicode (a lone UTF-16 surrogate)")
    return value


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    # Iterative, so a deeply nested document cannot exhaust the stack.
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        yield where, item
        if isinstance(item, dict):
            for key, child in item.items():
                key_path = f"{where}[{key!r}]"
                yield f"a key of {where}", key
                stack.append((key_path, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))


def check_datetime(name: str, value: datetime) -> datetime:
    """An aware date whose year, in UTC, has 4 digits; returned in UTC (an offset can no longer overflow it)."""
    if value.tzinfo is None:
        raise InvalidInput(f"{name!r} needs a timezone, e.g. 2024-06-01T00:00:00+00:00")
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{name!r} is out of range once converted to UTC") from None
    if not MIN_YEAR <= in_utc.year <= MAX_YEAR:
        raise InvalidInput(f"{name!r} must fall between the years {MIN_YEAR} and {MAX_YEAR} (UTC)")
    return in_utc


def parse_datetime(name: str, text: str) -> datetime:
    """ISO 8601 with a 4-digit year and a timezone (Z or an offset), checked as `check_datetime` does."""
    if not re.match(r"^\d{4}-", text):
        raise InvalidInput(f"{name!r} is not an ISO 8601 date-time with a 4-digit year")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError):
        raise InvalidInput(f"{name!r} is not an ISO 8601 date-time") from None
    return check_datetime(name, parsed)
