"""OpenAI's strict JSON-Schema dialect (structured output and strict tools)."""

from __future__ import annotations

import copy
import warnings
from typing import Any

from ..._jsonschema import (
    ANNOTATIONS,
    JSONSchema,
    StrictSchemaWarning,
    accepts_null,
    inline_refs,
    map_subschemas,
    merge_all_of,
    resolve_pointer,
)

__all__ = ["is_openai_strict_compatible", "to_openai_strict"]

# --------------------------------------------------------------------------- OpenAI strict

#: Keywords OpenAI strict mode accepts.
_OPENAI_ALLOWED = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum",
        "const", "$ref", "$defs", "definitions", "description", "title", "pattern", "format",
        "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "minItems",
        "maxItems",
    }
)  # fmt: skip
#: Keywords that change the shape of valid values and that strict mode cannot express.
_OPENAI_STRUCTURAL = frozenset(
    {
        "not", "if", "then", "else", "patternProperties", "prefixItems", "contains",
        "minContains", "maxContains", "dependentRequired", "dependentSchemas", "dependencies",
        "propertyNames", "unevaluatedProperties", "unevaluatedItems", "additionalItems",
        "$dynamicRef", "$recursiveRef",
    }
)  # fmt: skip
_OPENAI_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)


class _NotStrict(Exception):
    """Raised inside the strict converter with the reason a schema cannot be strict."""


def _nullable(node: JSONSchema) -> JSONSchema:
    """*node* widened to also accept ``null``."""
    if accepts_null(node):
        return node
    kind = node.get("type")
    if "anyOf" in node and set(node) <= {"anyOf", *ANNOTATIONS}:
        return {**node, "anyOf": [*node["anyOf"], {"type": "null"}]}
    if isinstance(kind, (str, list)) and set(node) & {"anyOf", "$ref", "const"} == set():
        types = [kind] if isinstance(kind, str) else list(kind)
        out = {**node, "type": [*types, "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    notes: JSONSchema = {k: node[k] for k in ("title", "description") if k in node}
    return {"anyOf": [node, {"type": "null"}], **notes}


def _strict(raw: Any, path: str, root: JSONSchema) -> JSONSchema:
    if not isinstance(raw, dict) or not raw:
        raise _NotStrict(f"{path} accepts any value")
    node: JSONSchema = raw
    structural = sorted(set(node) & _OPENAI_STRUCTURAL)
    if structural:
        raise _NotStrict(f"{path} uses {', '.join(structural)}")
    if "allOf" in node:
        merged = merge_all_of(node, lenient=False)
        if merged is None:
            raise _NotStrict(f"{path} has an allOf whose parts cannot be merged")
        return _strict(merged, path, root)
    node = {k: v for k, v in node.items() if k in _OPENAI_ALLOWED or k == "oneOf"}
    if "oneOf" in node:
        if "anyOf" in node:
            raise _NotStrict(f"{path} has both anyOf and oneOf")
        node["anyOf"] = node.pop("oneOf")
    if "format" in node and node["format"] not in _OPENAI_FORMATS:
        del node["format"]
    ref = node.get("$ref")
    if ref is not None:
        if not isinstance(ref, str) or resolve_pointer(root, ref) is None:
            raise _NotStrict(f"{path} has a $ref that does not resolve locally: {ref!r}")
        return {"$ref": ref}  # recursive reference: its siblings are annotations only
    if not {"type", "anyOf", "enum", "const"} & set(node):
        raise _NotStrict(f"{path} has no type")
    node = map_subschemas(node, lambda s: s)  # shallow copy of containers
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" in kinds or "properties" in node:
        _close_object(node, path, root)
    if "array" in kinds or "items" in node:
        items = node.get("items")
        if not isinstance(items, dict):
            raise _NotStrict(f"{path} is an array without a single items schema")
        node["items"] = _strict(items, f"{path}[]", root)
    if "anyOf" in node:
        node["anyOf"] = [_strict(b, f"{path}|{i}", root) for i, b in enumerate(node["anyOf"])]
    for key in ("$defs", "definitions"):
        if key in node:
            node[key] = {n: _strict(s, f"#/{key}/{n}", root) for n, s in node[key].items()}
    return node


def _close_object(node: JSONSchema, path: str, root: JSONSchema) -> None:
    extra = node.get("additionalProperties")
    if extra not in (None, False):
        raise _NotStrict(f"{path} is an open object (additionalProperties)")
    if "properties" not in node and extra is None:
        raise _NotStrict(f"{path} is a free-form object without properties")
    props: dict[str, Any] = node.get("properties", {})
    required = node.get("required", [])
    missing = [name for name in required if name not in props]
    if missing:
        raise _NotStrict(f"{path} requires undeclared properties {missing}")
    converted = {}
    for name, sub in props.items():
        value = _strict(sub, f"{path}.{name}", root)
        converted[name] = value if name in required else _nullable(value)
    node["properties"] = converted
    node["required"] = list(props)
    node["additionalProperties"] = False


def to_openai_strict(schema: JSONSchema) -> tuple[JSONSchema, bool]:
    """Convert *schema* to OpenAI's strict dialect.

    Returns ``(converted, True)``, or ``(copy_of_schema, False)`` with a
    :class:`StrictSchemaWarning` saying why when strict mode cannot express the schema (open
    objects, ``patternProperties``, tuples, ``not``/``if``, a top level that is not an object…).
    Keywords strict mode does not accept but that only narrow the valid values (``minLength``,
    ``default``, unknown formats…) are removed: validate the reply against the original schema.
    """
    try:
        resolved = inline_refs(schema)
        converted = _strict(resolved, "#", resolved)
        if converted.get("type") != "object":
            raise _NotStrict("the top level is not an object")
    except _NotStrict as exc:
        warnings.warn(
            f"schema cannot be made OpenAI-strict ({exc}); it is sent non-strict",
            StrictSchemaWarning,
            stacklevel=2,
        )
        return copy.deepcopy(schema), False
    return converted, True


def is_openai_strict_compatible(schema: JSONSchema) -> bool:
    """Whether *schema* satisfies OpenAI strict mode exactly as it is.

    True only when converting it would change nothing: every object closed, every property
    required, nothing strict mode rejects. Use it to decide whether a tool can be sent with
    ``strict: true`` without changing its meaning.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StrictSchemaWarning)
        converted, ok = to_openai_strict(schema)
    return ok and converted == schema
