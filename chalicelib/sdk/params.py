"""DAG and task `params`: defaults, JSON-schema validation at trigger time, Airflow's `Param`/`ParamsDict`."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from chalicelib.sdk.exceptions import ParamValidationError


class _NotSet:
    def __repr__(self) -> str:
        return "NOTSET"

    def __bool__(self) -> bool:
        return False


NOTSET: Any = _NotSet()


class Param:
    """A parameter with a default and a JSON schema (`type`, `enum`, `minimum`, `format`, ...)."""

    def __init__(self, default: Any = NOTSET, description: str | None = None, **schema: Any):
        self.value = default
        self.description = description
        self.schema = schema

    def resolve(self, value: Any = NOTSET, *, name: str = "") -> Any:
        final = self.value if value is NOTSET else value
        if final is NOTSET:
            if _allows_null(self.schema):
                return None
            raise ParamValidationError(f"param {name!r} has no value and no default")
        if self.schema:
            _validate(final, self.schema, name)
        return final

    def dump(self) -> dict[str, Any]:
        default = None if self.value is NOTSET else self.value
        return {"default": default, "has_default": self.value is not NOTSET,
                "description": self.description, "schema": dict(self.schema)}

    def __repr__(self) -> str:
        return f"Param({self.value!r}, schema={self.schema!r})"


def _allows_null(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind)


def _validate(value: Any, schema: Mapping[str, Any], name: str) -> None:
    import jsonschema  # imported on use: the loader must stay light for Lambda cold starts

    try:
        jsonschema.validate(value, dict(schema), format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as exc:
        raise ParamValidationError(f"param {name!r}: {exc.message}") from None
    except jsonschema.SchemaError as exc:
        raise ParamValidationError(f"param {name!r} has an invalid schema: {exc.message}") from None


class ParamsDict(MutableMapping):
    """Params by name; values may be plain or `Param`. Resolving validates each against its schema."""

    def __init__(self, params: Mapping[str, Any] | None = None):
        self._params: dict[str, Param] = {}
        for key, value in (params or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        self._params[key] = value if isinstance(value, Param) else Param(value)

    def __getitem__(self, key: str) -> Any:
        return self._params[key].value

    def get_param(self, key: str) -> Param:
        return self._params[key]

    def __delitem__(self, key: str) -> None:
        del self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def merged(self, other: Mapping[str, Any] | None) -> ParamsDict:
        result = ParamsDict()
        result._params = {k: copy.copy(v) for k, v in self._params.items()}
        if isinstance(other, ParamsDict):
            result._params.update(other._params)
        elif other:
            for key, value in other.items():
                result[key] = value
        return result

    def resolve(self, conf: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The values a run sees: `conf` overrides defaults (as Airflow's dag_run_conf_overrides_params)."""
        conf = conf or {}
        return {key: param.resolve(conf.get(key, NOTSET), name=key) for key, param in self._params.items()}

    def dump(self) -> dict[str, dict[str, Any]]:
        return {key: param.dump() for key, param in self._params.items()}

    @classmethod
    def load(cls, dumped: Mapping[str, Mapping[str, Any]]) -> ParamsDict:
        params = cls()
        for key, data in dumped.items():
            default = data.get("default") if data.get("has_default", True) else NOTSET
            params[key] = Param(default, data.get("description"), **data.get("schema", {}))
        return params


def validate_conf(dumped_params: Mapping[str, Mapping[str, Any]], conf: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a trigger's `conf` against a serialized DAG's params; the resolved params, or raise."""
    if conf is not None and not isinstance(conf, Mapping):
        raise ParamValidationError("conf must be a JSON object")
    return ParamsDict.load(dumped_params).resolve(conf)
