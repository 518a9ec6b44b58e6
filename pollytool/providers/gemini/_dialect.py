"""The JSON-Schema subset Gemini accepts (``parameters_json_schema``, ``response_json_schema``)."""

from __future__ import annotations

import json
from typing import Any

from ..._jsonschema import (
    SCHEMA_KEYS,
    JSONSchema,
    inline_refs,
    json_type,
    map_subschemas,
    merge_all_of,
)
from ...errors import SchemaError

__all__ = ["to_gemini"]

# --------------------------------------------------------------------------- Gemini

_GEMINI_ALLOWED = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "items", "prefixItems",
        "minItems", "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern",
        "properties", "required", "additionalProperties", "anyOf", "propertyOrdering",
        "minProperties", "maxProperties", "default", "example", "$ref", "$defs",
    }
)  # fmt: skip


def _gemini(node: Any) -> Any:
    if not isinstance(node, dict):
        return {} if node is True else node
    if "allOf" in node:
        return _gemini(merge_all_of(node, lenient=True))
    node = dict(node)
    if "definitions" in node:
        node["$defs"] = {**node.pop("definitions"), **node.get("$defs", {})}
    if "oneOf" in node:
        branches = node.pop("oneOf")
        node.setdefault("anyOf", branches)
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if isinstance(node.get("items"), list):
        node["prefixItems"] = node.pop("items")
    node = {
        k: v
        for k, v in node.items()
        if k in _GEMINI_ALLOWED and not (k in SCHEMA_KEYS and isinstance(v, bool))
    }
    if "enum" in node:
        node = _gemini_enum(node)
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = list(dict.fromkeys(kind))
        if len(kinds) == 1:
            node["type"] = kinds[0]
        else:
            base = {k: v for k, v in node.items() if k not in ("type", "anyOf")}
            branches = [{"type": "null"} if t == "null" else {**base, "type": t} for t in kinds]
            notes: JSONSchema = {k: node[k] for k in ("title", "description") if k in node}
            return _gemini({"anyOf": branches, **notes})
    if "anyOf" in node:
        node.pop("default", None)
    return map_subschemas(node, _gemini)


def _gemini_enum(node: JSONSchema) -> JSONSchema:
    """Gemini takes enums of strings only: keep string enums, describe the others."""
    values = node["enum"]
    strings = [v for v in values if isinstance(v, str)]
    if len(strings) == len(values):
        node.setdefault("type", "string")
        return node
    if strings and len(strings) + 1 == len(values) and None in values:
        base = {k: v for k, v in node.items() if k not in ("enum", "type", "default")}
        notes: JSONSchema = {k: base.pop(k) for k in ("title", "description") if k in base}
        string_branch = {**base, "type": "string", "enum": strings}
        return {"anyOf": [string_branch, {"type": "null"}], **notes}
    del node["enum"]
    if "type" not in node:
        node["type"] = sorted({json_type(v) for v in values})
    allowed = "Allowed values: " + ", ".join(json.dumps(v) for v in values) + "."
    node["description"] = f"{node['description']}\n{allowed}" if "description" in node else allowed
    return node


def to_gemini(schema: JSONSchema) -> JSONSchema:
    """Convert *schema* to what Gemini's ``parameters_json_schema`` and
    ``response_json_schema`` accept.

    Local ``$ref`` are inlined (recursive ones stay, with their ``$defs``); ``$schema``/``$id``
    and other unknown keywords are removed; ``oneOf`` becomes ``anyOf``, ``const`` a one-value
    enum, ``allOf`` is merged, type arrays become ``anyOf`` of single types; boolean subschemas
    (``additionalProperties: false``, ``items: false``) and a ``default`` beside ``anyOf`` are
    dropped. Enums must be strings: an enum of strings and ``null`` becomes ``anyOf`` with
    ``null``; other non-string enums are replaced by their type with the allowed values in the
    description.
    """
    out = _gemini(inline_refs(schema))
    if not isinstance(out, dict):
        raise SchemaError("a Gemini schema must be a JSON object")
    return out
