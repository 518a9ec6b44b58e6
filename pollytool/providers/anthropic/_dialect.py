"""Anthropic's JSON-Schema rules (tool ``input_schema`` and ``output_config.format``)."""

from __future__ import annotations

import json
import warnings
from typing import Any

from ..._jsonschema import (
    JSONSchema,
    StrictSchemaWarning,
    inline_refs,
    map_subschemas,
    merge_all_of,
    strip_meta,
)
from ...errors import SchemaError

__all__ = ["to_anthropic"]

# --------------------------------------------------------------------------- Anthropic

#: Keywords Anthropic's structured output rejects; they move into the description.
_ANTHROPIC_OUTPUT_MOVED = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
    "maxLength", "maxItems", "uniqueItems", "minProperties", "maxProperties",
)  # fmt: skip
_ANTHROPIC_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}
)


def _anthropic_root(schema: JSONSchema) -> JSONSchema:
    """Anthropic needs ``type: object`` at the top level and no ``anyOf``/``oneOf``/``allOf``
    there: merge them into one object (properties of every branch, required by all)."""
    if "allOf" in schema:
        schema = merge_all_of(schema, lenient=True) or schema
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        objects = [b for b in branches if isinstance(b, dict) and b.get("type") != "null"]
        if not all(b.get("type") == "object" or "properties" in b for b in objects):
            raise SchemaError("Anthropic needs an object at the top level of a schema")
        props: dict[str, Any] = {}
        for branch in objects:
            for name, sub in branch.get("properties", {}).items():
                props[name] = sub if props.get(name, sub) == sub else {"anyOf": [props[name], sub]}
        required = [
            n for n in props if all(n in b.get("required", []) for b in objects)
        ]  # fmt: skip
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        schema = {**rest, "type": "object", "properties": props, "required": required}
    kind = schema.get("type")
    if kind is None and "properties" in schema:
        schema = {"type": "object", **schema}
    elif kind != "object":
        raise SchemaError("Anthropic needs an object at the top level of a schema")
    return schema


def _anthropic_output(node: Any, path: str) -> Any:
    if not isinstance(node, dict):
        return node
    # closing each part of an allOf separately would reject every value: merge first
    node = merge_all_of(node, lenient=True) if "allOf" in node else dict(node)
    if "oneOf" in node and "anyOf" not in node:
        node["anyOf"] = node.pop("oneOf")
    moved = [(k, node.pop(k)) for k in _ANTHROPIC_OUTPUT_MOVED if k in node]
    if node.get("format") not in (None, *_ANTHROPIC_FORMATS):
        moved.append(("format", node.pop("format")))
    if isinstance(node.get("minItems"), int) and node["minItems"] > 1:
        moved.append(("minItems", node.pop("minItems")))
    if moved:
        note = "; ".join(f"{k}: {json.dumps(v)}" for k, v in moved)
        node["description"] = (
            f"{node['description']}\n({note})" if "description" in node else f"({note})"
        )
    if node.get("type") == "object" or "properties" in node:
        extra = node.get("additionalProperties")
        if extra in (None, False):
            node["additionalProperties"] = False
        else:
            warnings.warn(
                f"{path} is an open object; Anthropic structured output may reject it",
                StrictSchemaWarning,
                stacklevel=3,
            )
    return map_subschemas(node, lambda s: _anthropic_output(s, path + "/*"))


def to_anthropic(schema: JSONSchema, *, output: bool = False) -> JSONSchema:
    """Convert *schema* to Anthropic's rules.

    Always: local ``$ref`` inlined (recursive ones stay), ``$schema``/``$id``/``$comment``
    removed, and an object at the top level: a top-level ``anyOf``/``oneOf`` of objects is
    merged into one object with the properties of every branch, required when every branch
    requires them; a top level that is not an object raises
    :class:`~pollytool.errors.SchemaError`. That is all a tool's ``input_schema`` needs.

    With ``output=True`` (``output_config.format``): ``oneOf`` becomes ``anyOf``, ``allOf`` is
    merged, objects are closed with ``additionalProperties: false`` (an explicitly open object
    stays open, with a :class:`StrictSchemaWarning`), and the constraints structured output
    does not support (``minimum``, ``maxLength``, unknown formats…) move into the description.
    """
    out = _anthropic_root(strip_meta(inline_refs(schema)))
    if output:
        if "$defs" in out or "definitions" in out:
            warnings.warn(
                "the schema is recursive; Anthropic structured output may reject it",
                StrictSchemaWarning,
                stacklevel=2,
            )
        out = _anthropic_output(out, "#")
    return out
