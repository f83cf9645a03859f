"""The JSON schema of a success's body, made from the TypedDict a service returns.

The OpenAPI description and the services then cannot drift apart: a key the service adds,
drops or makes optional changes the document, and a body with a key nobody declared fails the
contract test (every object is closed with additionalProperties false)."""

from __future__ import annotations

import types
import typing
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from appliance.app.domain.money import Doc

_SCALARS: dict[Any, dict[str, Any]] = {
    int: {"type": "integer"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    float: {"type": "number"},
    type(None): {"type": "null"},
}


class NotDescribable(TypeError):
    """A type with no JSON schema here: say so at import of the table, not with a vague object."""


def json_schema(tp: Any) -> dict[str, Any]:
    """The JSON schema (draft 2020-12, as OpenAPI 3.1 takes it) of values of type tp."""
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    if typing.is_typeddict(tp):
        return _object(tp)
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Literal:
        return {"enum": list(args)}
    if origin is Annotated:
        return _described(json_schema(args[0]), [a.text for a in args[1:] if isinstance(a, Doc)])
    if origin in (Union, types.UnionType):
        return _union(args)
    if origin is list:
        return {"type": "array", "items": json_schema(args[0])}
    if origin is dict:
        if args[0] is not str:
            raise NotDescribable(f"JSON object keys are text, not {args[0]!r}")
        return {"type": "object", "additionalProperties": json_schema(args[1])}
    if origin in (Required, NotRequired):
        return json_schema(args[0])
    raise NotDescribable(f"no JSON schema for {tp!r}")


def _described(schema: dict[str, Any], docs: list[str]) -> dict[str, Any]:
    if docs:
        schema["description"] = " ".join(docs)
    return schema


def _union(args: tuple[Any, ...]) -> dict[str, Any]:
    members = [json_schema(a) for a in args]
    # "integer or null" reads better, and validates the same, as one type list than as anyOf;
    # a member's description (Money | None) then goes on the whole.
    docs = sorted({m.pop("description") for m in members if "description" in m})
    if all(set(m) == {"type"} and isinstance(m["type"], str) for m in members):
        return _described({"type": [m["type"] for m in members]}, docs)
    return _described({"anyOf": members}, docs)


def _object(tp: Any) -> dict[str, Any]:
    hints = get_type_hints(tp, include_extras=True)
    required = sorted(name for name, hint in hints.items() if _is_required(tp, name, hint))
    schema: dict[str, Any] = {
        "type": "object",
        "title": tp.__name__,
        "properties": {name: json_schema(_bare(hint)) for name, hint in hints.items()},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _is_required(tp: Any, name: str, hint: Any) -> bool:
    """Python 3.11 reads NotRequired only from evaluated annotations: under `from __future__
    import annotations` it puts every key of a total TypedDict in __required_keys__. The
    resolved hint says it right; total=False (no marker) still comes from __required_keys__."""
    origin = get_origin(hint)
    if origin is NotRequired:
        return False
    if origin is Required:
        return True
    return name in tp.__required_keys__


def _bare(hint: Any) -> Any:
    """The type under Required/NotRequired; __required_keys__ already tells which keys must be there."""
    while get_origin(hint) in (Required, NotRequired):
        hint = get_args(hint)[0]
    return hint
