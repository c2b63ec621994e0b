"""The secrets masker: every value registered as secret is replaced by `***` wherever Levante shows text.

Like Airflow's, it is fed where secrets are resolved (a connection's password and sensitive extras, the value
of a variable whose key looks secret, `mask_secret()` in user code) and applied where text leaves the task:
the task log as it is written, error messages, rendered fields, and API responses. A value is also masked
in the forms it takes when embedded elsewhere: JSON-escaped, percent-encoded (connection URIs), repr'd.

The registry is process-wide on purpose (as Airflow's): a secret resolved deep inside a hook must reach the
log writer without being threaded through every call. It only grows by what this process resolved, and
over-masking a value another task also uses is the safe side of the trade.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
# Airflow's DEFAULT_SENSITIVE_FIELDS; AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES (comma-separated) adds to them.
DEFAULT_SENSITIVE_FIELDS = frozenset({
    "access_token", "api_key", "apikey", "authorization", "passphrase", "passwd", "password", "private_key",
    "secret", "token", "keyfile_dict", "service_account",
})
# Airflow's [logging] min_length_masked_secret: shorter values ("a", "yes") would mask half of every log.
MIN_LENGTH = 5


def sensitive_fields() -> frozenset[str]:
    extra = os.environ.get("AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES", "")
    return DEFAULT_SENSITIVE_FIELDS | {w.strip().lower() for w in extra.split(",") if w.strip()}


def should_hide_value_for_key(name: Any) -> bool:
    """Airflow's rule: the key (of a variable, an extra field, a dict) contains a sensitive word."""
    if not isinstance(name, str):
        return False
    lowered = name.strip().lower()
    return any(word in lowered for word in sensitive_fields())


def variants(secret: str) -> set[str]:
    """The forms a secret takes once embedded in JSON, a URI or a Python repr."""
    escaped = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    twice = {json.dumps(form, ensure_ascii=ascii_only)[1:-1] for form in escaped for ascii_only in (True, False)}
    forms = {secret, quote(secret, safe=""), quote_plus(secret), repr(secret)[1:-1], *escaped, *twice}
    return {form for form in forms if len(form) >= MIN_LENGTH}


def trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literals, shaped as their prefix trie: Python's `re` then branches on one
    character at a time instead of trying every alternative at every position (100 secrets: ~40x faster
    than a plain alternation). Greedy, so a secret that extends another is masked whole."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    return emit(trie)


class SecretsMasker:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, secret: Any, name: str | None = None) -> None:
        """Register a value (a string, or every string leaf of a dict/list); with `name`, only if it looks secret."""
        if name is not None and not should_hide_value_for_key(name):
            return
        new = set()
        for leaf in _secret_leaves(secret):
            new |= variants(leaf)
        with self._lock:
            if new - self._secrets:
                self._secrets |= new
                self._pattern = re.compile(trie_pattern(self._secrets))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask_text(self, text: str) -> str:
        pattern = self._pattern
        return text if pattern is None or not text else pattern.sub(MASK, text)

    def redact(self, value: Any, name: str | None = None, *, by_key: bool = True) -> Any:
        """A copy of `value` with secrets masked. With `by_key` (Airflow's rendering), values under sensitive
        keys are masked whole too; without it only registered values are (API payloads have keys such as
        `file_token` that name no secret)."""
        if by_key and name is not None and should_hide_value_for_key(name) and value not in (None, ""):
            return MASK
        if isinstance(value, str):
            return self.mask_text(value)
        if isinstance(value, dict):
            return {k: self.redact(v, k if isinstance(k, str) else None, by_key=by_key) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.redact(v, by_key=by_key) for v in value]
        return value

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = None


def _secret_leaves(value: Any, key_is_secret: bool = True) -> Iterable[str]:
    """A plain value is a secret as a whole; in a dict only the values under sensitive keys are."""
    if isinstance(value, str):
        if key_is_secret and value:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _secret_leaves(item, should_hide_value_for_key(key))
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _secret_leaves(item, key_is_secret)
    elif key_is_secret and isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)


_masker = SecretsMasker()


def masker() -> SecretsMasker:
    return _masker


def mask_secret(secret: Any, name: str | None = None) -> None:
    """Airflow's `mask_secret`: from now on, this value is shown as *** in logs and views."""
    _masker.add(secret, name)


def redact(value: Any, name: str | None = None) -> Any:
    return _masker.redact(value, name)
