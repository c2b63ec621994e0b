"""Request parsing: JSON-object bodies with known fields only, typed and size-limited; query parameters.

The same declarations feed the OpenAPI document (`schema()`), and each field is validated with jsonschema
against that very schema, so what is documented is what is enforced. What JSON Schema cannot express
(valid Unicode, finite numbers, dates that fit the store) is checked after it by chalicelib.core.inputs.
Nothing outside a body's declared fields can be written: a trigger body carrying `state` is a 400, not
an ignored field (mass assignment is impossible by construction).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.api.errors import ApiError, BadRequest
from chalicelib.core.inputs import InvalidInput, check_json_value, check_text
from chalicelib.core.inputs import parse_datetime as parse_core_datetime

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 32
_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


@dataclass(frozen=True)
class Field:
    kind: type
    required: bool = False
    nullable: bool = False
    max_length: int | None = None  # characters of a string; bytes of an object/array as JSON
    choices: tuple[str, ...] | None = None
    date_time: bool = False
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    single_line: bool = False  # ids and keys: no newline, tab or bidirectional control (free text may have them)
    description: str = ""
    # An array whose items may also be [string, integer] pairs (Airflow's `[task_id, map_index]`); the handler
    # checks the pairs themselves.
    string_or_pair_items: bool = False

    def parse(self, name: str, value: Any) -> Any:
        # First the schema the OpenAPI document publishes (type, length, enum, pattern, range)...
        from jsonschema.exceptions import best_match  # on first use: keeps the API's cold start light

        validator = _validator(self)
        error = None if validator.is_valid(value) else best_match(validator.iter_errors(value))
        if error is not None:
            raise BadRequest(_message(name, error, self))
        if value is None:
            return None
        # ...then what JSON Schema cannot say: valid Unicode, finite numbers, dates that fit the store.
        try:
            if self.kind is str:
                check_text(name, value, multiline=not self.single_line)
                return parse_datetime(name, value) if self.date_time else value
            if self.kind in (dict, list):
                check_json_value(name, value)
                if self.max_length is not None and len(json.dumps(value)) > self.max_length:
                    raise BadRequest(f"{name!r} is larger than {self.max_length} bytes as JSON")
        except InvalidInput as exc:
            raise BadRequest(str(exc)) from None
        return value

    def schema(self) -> dict[str, Any]:
        """The OpenAPI 3.0 form (published in /openapi.json)."""
        out: dict[str, Any] = {"type": _JSON_TYPES[self.kind]}
        if self.nullable:
            out["nullable"] = True
        if self.kind is str and self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.choices is not None:
            out["enum"] = list(self.choices)
        if self.date_time:
            out["format"] = "date-time"
        if self.pattern is not None:
            out["pattern"] = self.pattern
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.kind is dict:
            out["additionalProperties"] = True
        if self.kind is list:
            out["items"] = {"type": "string"}
            if self.string_or_pair_items:
                out["items"] = {"anyOf": [{"type": "string"}, {"type": "array", "minItems": 2, "maxItems": 2}]}
        if self.description:
            out["description"] = self.description
        return out

    def json_schema(self) -> dict[str, Any]:
        """The same schema as JSON Schema (OpenAPI 3.0's `nullable` becomes a null type), for validation."""
        out = {k: v for k, v in self.schema().items() if k not in ("nullable", "description", "format")}
        if self.nullable:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out


@lru_cache(maxsize=256)
def _validator(spec: Field) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(spec.json_schema())


def _message(name: str, error: ValidationError, spec: Field) -> str:
    kind = error.validator
    if kind == "type":
        if error.instance is None:
            return f"{name!r} must not be null"
        return f"{name!r} must be {_article(_JSON_TYPES[spec.kind])}"
    if kind == "maxLength":
        return f"{name!r} is longer than {spec.max_length} characters"
    if kind == "enum":
        return f"{name!r} must be one of {', '.join(spec.choices or ())}"
    if kind == "pattern":
        return f"{name!r} must match {spec.pattern}"
    if kind in ("minimum", "maximum"):
        return f"{name!r} must be between {spec.minimum} and {spec.maximum}"
    path = "".join(f"[{p!r}]" for p in error.absolute_path)
    return f"{name!r}{path} is invalid ({kind})"


@dataclass(frozen=True)
class Body:
    fields: dict[str, Field]
    max_bytes: int = MAX_BODY_BYTES
    required: bool = True  # False: an empty body means {}

    def parse(self, raw: bytes | str | None) -> dict[str, Any]:
        if raw is None or (isinstance(raw, bytes | str) and not raw.strip()):
            if self.required:
                raise BadRequest("a JSON object body is required")
            return self._fields({})
        data = raw.encode() if isinstance(raw, str) else raw
        if len(data) > self.max_bytes:
            raise ApiError(413, f"the request body is larger than {self.max_bytes} bytes")
        try:
            value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
        except _NotFinite as exc:
            raise BadRequest(f"the request body holds {exc}, which is not a finite number") from None
        except (ValueError, RecursionError):
            raise BadRequest("the request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise BadRequest("the request body must be a JSON object")
        if _depth(value) > MAX_DEPTH:
            raise BadRequest(f"the request body is nested deeper than {MAX_DEPTH} levels")
        return self._fields(value)

    def _fields(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(map(repr, unknown))}; allowed: {', '.join(self.fields)}")
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if name in value:
                out[name] = spec.parse(name, value[name])
            elif spec.required:
                raise BadRequest(f"{name!r} is required")
        return out

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                  "properties": {n: f.schema() for n, f in self.fields.items()}}
        required = [n for n, f in self.fields.items() if f.required]
        if required:
            schema["required"] = required
        return schema


@dataclass(frozen=True)
class Query:
    name: str
    kind: type = str
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    choices: tuple[str, ...] | None = None
    description: str = ""

    def parse(self, params: Mapping[str, str]) -> Any:
        if self.name not in params:
            return self.default
        raw = params[self.name]
        if len(raw) > self.max_length:
            raise BadRequest(f"query parameter {self.name!r} is longer than {self.max_length} characters")
        try:
            check_text(f"query parameter {self.name}", raw)
        except InvalidInput as exc:
            raise BadRequest(str(exc)) from None
        if self.kind is int:
            return self._int(raw)
        if self.kind is bool:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise BadRequest(f"query parameter {self.name!r} must be true or false")
            return raw.lower() in ("true", "1")
        if self.choices is not None and raw not in self.choices:
            raise BadRequest(f"query parameter {self.name!r} must be one of {', '.join(self.choices)}")
        return raw

    def _int(self, raw: str) -> int:
        try:
            value = int(raw, 10)
        except ValueError:
            raise BadRequest(f"query parameter {self.name!r} must be an integer") from None
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise BadRequest(f"query parameter {self.name!r} must be between {self.minimum} and {self.maximum}")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": _JSON_TYPES[self.kind]}
        if self.default is not None:
            out["default"] = self.default
        for key, value in (("minimum", self.minimum), ("maximum", self.maximum)):
            if value is not None:
                out[key] = value
        if self.kind is str:
            out["maxLength"] = self.max_length
        if self.choices is not None:
            out["enum"] = list(self.choices)
        return out


@dataclass(frozen=True)
class Params:
    queries: tuple[Query, ...] = field(default_factory=tuple)

    def parse(self, params: Mapping[str, str] | None) -> dict[str, Any]:
        params = params or {}
        return {q.name: q.parse(params) for q in self.queries}


def pagination(default_limit: int = 25, max_limit: int = 100) -> tuple[Query, Query]:
    return (Query("limit", int, default_limit, 1, max_limit, description="page size"),
            Query("offset", int, 0, 0, 100_000, description="entries to skip"))


def parse_datetime(name: str, value: str) -> datetime:
    """ISO 8601 with a timezone and a 4-digit year, returned in UTC (see chalicelib.core.inputs)."""
    try:
        return parse_core_datetime(name, value)
    except InvalidInput as exc:
        raise BadRequest(str(exc)) from None


def _depth(value: Any) -> int:
    # Iterative: a hostile body cannot exhaust the stack here.
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _NotFinite(ValueError):
    pass


def _finite_float(text: str) -> float:
    # `1e400` is valid JSON syntax but parses as infinity, which JSON cannot represent on the way out.
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text[:40])
    return value


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
