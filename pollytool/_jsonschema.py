"""JSON-Schema machinery the provider dialects share: walking subschemas, resolving and
inlining local ``$ref``, merging ``allOf``, and undoing the ``null`` values OpenAI strict mode adds.

Each provider's own dialect lives in its package (``providers/<name>/_dialect.py``); the
conversions only ever loosen or annotate a schema, except where a provider's rules demand
otherwise, so replies are always validated against the *original* schema (see
:class:`~pollytool.schema.Schema`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

__all__ = [
    "ANNOTATIONS",
    "META_KEYS",
    "SCHEMA_KEYS",
    "JSONSchema",
    "StrictSchemaWarning",
    "accepts_null",
    "inline_refs",
    "iter_subschemas",
    "json_type",
    "map_subschemas",
    "merge_all_of",
    "resolve_pointer",
    "strip_added_nulls",
    "strip_meta",
]

JSONSchema = dict[str, Any]
_Mapper = Callable[[Any], Any]


class StrictSchemaWarning(UserWarning):
    """A schema could not be made strict for a provider and is sent non-strict instead."""


# --------------------------------------------------------------------------- walking

#: Keywords whose value is one subschema.
SCHEMA_KEYS = (
    "additionalProperties",
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
#: Keywords whose value is a list of subschemas.
LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
#: Keywords whose value maps names to subschemas.
MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
#: Keys that describe the schema document rather than constrain values.
META_KEYS = frozenset({"$schema", "$id", "$comment", "$anchor"})
#: Annotations: they never change which values are valid.
ANNOTATIONS = frozenset({"title", "description", "default", "examples", "example"})


def map_subschemas(node: JSONSchema, fn: _Mapper) -> JSONSchema:
    """A shallow copy of *node* with *fn* applied to each direct subschema."""
    out = dict(node)
    for key in SCHEMA_KEYS:
        if key in out and isinstance(out[key], dict):
            out[key] = fn(out[key])
    if isinstance(out.get("items"), list):  # draft-07 tuple form
        out["items"] = [fn(s) for s in out["items"]]
    for key in LIST_KEYS:
        if isinstance(out.get(key), list):
            out[key] = [fn(s) for s in out[key]]
    for key in MAP_KEYS:
        if isinstance(out.get(key), dict):
            out[key] = {name: fn(s) for name, s in out[key].items()}
    return out


def iter_subschemas(node: Any) -> list[Any]:
    """The direct subschemas of *node*."""
    if not isinstance(node, dict):
        return []
    found: list[Any] = []
    map_subschemas(node, found.append)
    return found


def resolve_pointer(root: JSONSchema, ref: str) -> Any:
    """The subschema a local ``$ref`` (``#`` or ``#/a/b``) points at, or ``None``."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _collect_refs(node: Any, *, skip_defs: bool) -> set[str]:
    refs: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            refs.add(node["$ref"])
        view = {k: v for k, v in node.items() if k not in ("$defs", "definitions")}
        for sub in iter_subschemas(view if skip_defs else node):
            refs |= _collect_refs(sub, skip_defs=False)
    return refs


def _prune_defs(schema: JSONSchema) -> JSONSchema:
    """Drop ``$defs``/``definitions`` entries that nothing refers to any more."""
    wanted = _collect_refs(schema, skip_defs=True)
    seen: set[str] = set()
    while wanted - seen:
        ref = (wanted - seen).pop()
        seen.add(ref)
        target = resolve_pointer(schema, ref)
        if target is not None:
            wanted |= _collect_refs(target, skip_defs=False)
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            kept = {n: s for n, s in defs.items() if f"#/{key}/{n}" in seen}
            if kept:
                schema[key] = kept
            else:
                del schema[key]
    return schema


def _recursive_refs(schema: JSONSchema) -> set[str]:
    """The local references whose target (directly or not) refers back to itself."""
    edges = {
        ref: _collect_refs(resolve_pointer(schema, ref), skip_defs=False)
        for ref in _collect_refs(schema, skip_defs=False)
    }
    recursive: set[str] = set()
    for start, targets in edges.items():
        stack, seen = list(targets), set()
        while stack:
            ref = stack.pop()
            if ref == start:
                recursive.add(start)
                break
            if ref not in seen:
                seen.add(ref)
                stack.extend(edges.get(ref, ()))
    return recursive


def inline_refs(schema: JSONSchema) -> JSONSchema:
    """A copy of *schema* with every local ``$ref`` replaced by what it points at.

    Recursive references cannot be inlined; they stay ``$ref`` and keep the definitions they
    need (a recursive reference at the top level is expanded once, so the top level has its own
    ``type``). References that do not resolve locally are left as they are. Annotation siblings of a
    ``$ref`` (``description``, ``title``…) override the target's; other siblings are combined
    with it through ``allOf``. Definitions nothing refers to any more are dropped.
    """
    keep = _recursive_refs(schema)

    def walk(node: Any, top: bool = False) -> Any:
        if not isinstance(node, dict):
            return copy.deepcopy(node)
        ref = node.get("$ref")
        target = resolve_pointer(schema, ref) if isinstance(ref, str) else None
        if target is None or (ref in keep and not top):
            return map_subschemas(node, walk)
        expanded = walk(target)
        if not isinstance(expanded, dict):  # boolean schema
            expanded = {} if expanded else {"not": {}}
        rest = map_subschemas({k: v for k, v in node.items() if k != "$ref"}, walk)
        defs: JSONSchema = {k: rest.pop(k) for k in ("$defs", "definitions") if k in rest}
        validation = {k: v for k, v in rest.items() if k not in ANNOTATIONS | META_KEYS}
        if validation:
            merged: JSONSchema = {"allOf": [expanded, validation]}
            merged.update({k: v for k, v in rest.items() if k not in validation})
        else:
            merged = {**expanded, **rest}
        merged.update(defs)
        return merged

    out = walk(schema, top=True)
    return _prune_defs(out) if isinstance(out, dict) else out


def merge_all_of(node: JSONSchema, *, lenient: bool) -> JSONSchema | None:
    """*node* with its ``allOf`` folded into it, or ``None`` if the parts conflict.

    With ``lenient`` a conflicting keyword keeps its first value, which can only loosen the
    schema.
    """
    parts = node.get("allOf", [])
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for part in parts:
        if not isinstance(part, dict):
            return None
        for key, value in part.items():
            if key not in merged or merged[key] == value or key in ANNOTATIONS:
                merged.setdefault(key, value)
            elif key == "required":
                merged[key] = [*merged[key], *(r for r in value if r not in merged[key])]
            elif key == "properties" and not set(merged[key]) & set(value):
                merged[key] = {**merged[key], **value}
            elif not lenient:
                return None
    if "allOf" in merged:  # an allOf nested in a part
        return merge_all_of(merged, lenient=lenient)
    return merged


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def accepts_null(node: Any) -> bool:
    """Whether *node* accepts ``null`` (``$ref`` and ``allOf`` are taken as "no")."""
    if not isinstance(node, dict):
        return node is True
    if "const" in node and node["const"] is not None:
        return False
    if "enum" in node and None not in node["enum"]:
        return False
    if "type" in node:
        kind = node["type"]
        return kind == "null" or (isinstance(kind, list) and "null" in kind)
    if "anyOf" in node or "oneOf" in node:
        return any(accepts_null(b) for b in node.get("anyOf", []) + node.get("oneOf", []))
    return "$ref" not in node and "allOf" not in node


def strip_added_nulls(value: Any, schema: JSONSchema) -> Any:
    """A copy of *value* without the ``null`` values strict mode forced into it.

    A property that was optional (not ``required``) and does not accept ``null`` in the
    original *schema* is dropped when its value is ``null``: under strict mode the model sends
    ``null`` to mean "left out".
    """
    root = schema

    def walk(val: Any, node: Any) -> Any:
        if not isinstance(node, dict):
            return val
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = resolve_pointer(root, ref)
            if target is not None:
                val = walk(val, target)
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(key, []):
                val = walk(val, branch)
        if isinstance(val, dict):
            props = node.get("properties", {})
            required = node.get("required", [])
            val = {
                k: walk(v, props.get(k))
                for k, v in val.items()
                if not (v is None and k in props and k not in required) or accepts_null(props[k])
            }
        elif isinstance(val, list) and isinstance(node.get("items"), dict):
            val = [walk(v, node["items"]) for v in val]
        return val

    return walk(copy.deepcopy(value), schema)


def strip_meta(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    return map_subschemas({k: v for k, v in node.items() if k not in META_KEYS}, strip_meta)
