"""Per-provider JSON-Schema dialects.

Every provider accepts a different subset of JSON Schema. The functions here turn one schema
into what a provider accepts, without touching the original (they work on deep copies):

* :func:`to_openai_strict`: OpenAI strict mode. Every object is closed
  (``additionalProperties: false``), every property is listed in ``required``, and properties
  that were optional become nullable, so the model can still leave them out by sending ``null``
  (:func:`strip_added_nulls` removes those ``null`` values again before validation).
  When a schema cannot be made strict it is returned unchanged with a
  :class:`StrictSchemaWarning`.
* :func:`is_openai_strict_compatible`: whether a tool schema already satisfies strict mode as
  it is, so it can be sent with ``strict: true`` without changing its meaning.
* :func:`to_gemini`: what Gemini's ``parameters_json_schema`` / ``response_json_schema``
  accept: local ``$ref`` inlined, ``oneOf``/``const``/type arrays rewritten, enums of strings
  only, unknown keywords removed.
* :func:`to_anthropic`: an object at the top level (tool input); with ``output=True`` also the
  rules of ``output_config.format`` (closed objects, unsupported constraints moved into the
  description).
* :func:`to_ollama`: the schema as it is (Ollama compiles plain JSON Schema to a grammar).

Conversions only ever loosen or annotate a schema, except where a provider's rules demand
otherwise (OpenAI strict closes objects; Anthropic output closes objects), so the reply should
always be validated against the *original* schema (see :class:`~pollytool.llm.schema.Schema`).
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable
from typing import Any

from ..errors import SchemaError

__all__ = [
    "StrictSchemaWarning",
    "inline_refs",
    "is_openai_strict_compatible",
    "strip_added_nulls",
    "to_anthropic",
    "to_gemini",
    "to_ollama",
    "to_openai_strict",
]

JSONSchema = dict[str, Any]
_Mapper = Callable[[Any], Any]


class StrictSchemaWarning(UserWarning):
    """A schema could not be made strict for a provider and is sent non-strict instead."""


# --------------------------------------------------------------------------- walking

#: Keywords whose value is one subschema.
_SCHEMA_KEYS = (
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
_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
#: Keywords whose value maps names to subschemas.
_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
#: Keys that describe the schema document rather than constrain values.
_META_KEYS = frozenset({"$schema", "$id", "$comment", "$anchor"})
#: Annotations: they never change which values are valid.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "example"})


def _map_subschemas(node: JSONSchema, fn: _Mapper) -> JSONSchema:
    """A shallow copy of *node* with *fn* applied to each direct subschema."""
    out = dict(node)
    for key in _SCHEMA_KEYS:
        if key in out and isinstance(out[key], dict):
            out[key] = fn(out[key])
    if isinstance(out.get("items"), list):  # draft-07 tuple form
        out["items"] = [fn(s) for s in out["items"]]
    for key in _LIST_KEYS:
        if isinstance(out.get(key), list):
            out[key] = [fn(s) for s in out[key]]
    for key in _MAP_KEYS:
        if isinstance(out.get(key), dict):
            out[key] = {name: fn(s) for name, s in out[key].items()}
    return out


def _iter_subschemas(node: Any) -> list[Any]:
    """The direct subschemas of *node*."""
    if not isinstance(node, dict):
        return []
    found: list[Any] = []
    _map_subschemas(node, found.append)
    return found


def _resolve_pointer(root: JSONSchema, ref: str) -> Any:
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
        for sub in _iter_subschemas(view if skip_defs else node):
            refs |= _collect_refs(sub, skip_defs=False)
    return refs


def _prune_defs(schema: JSONSchema) -> JSONSchema:
    """Drop ``$defs``/``definitions`` entries that nothing refers to any more."""
    wanted = _collect_refs(schema, skip_defs=True)
    seen: set[str] = set()
    while wanted - seen:
        ref = (wanted - seen).pop()
        seen.add(ref)
        target = _resolve_pointer(schema, ref)
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
        ref: _collect_refs(_resolve_pointer(schema, ref), skip_defs=False)
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
        target = _resolve_pointer(schema, ref) if isinstance(ref, str) else None
        if target is None or (ref in keep and not top):
            return _map_subschemas(node, walk)
        expanded = walk(target)
        if not isinstance(expanded, dict):  # boolean schema
            expanded = {} if expanded else {"not": {}}
        rest = _map_subschemas({k: v for k, v in node.items() if k != "$ref"}, walk)
        defs: JSONSchema = {k: rest.pop(k) for k in ("$defs", "definitions") if k in rest}
        validation = {k: v for k, v in rest.items() if k not in _ANNOTATIONS | _META_KEYS}
        if validation:
            merged: JSONSchema = {"allOf": [expanded, validation]}
            merged.update({k: v for k, v in rest.items() if k not in validation})
        else:
            merged = {**expanded, **rest}
        merged.update(defs)
        return merged

    out = walk(schema, top=True)
    return _prune_defs(out) if isinstance(out, dict) else out


def _merge_all_of(node: JSONSchema, *, lenient: bool) -> JSONSchema | None:
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
            if key not in merged or merged[key] == value or key in _ANNOTATIONS:
                merged.setdefault(key, value)
            elif key == "required":
                merged[key] = [*merged[key], *(r for r in value if r not in merged[key])]
            elif key == "properties" and not set(merged[key]) & set(value):
                merged[key] = {**merged[key], **value}
            elif not lenient:
                return None
    if "allOf" in merged:  # an allOf nested in a part
        return _merge_all_of(merged, lenient=lenient)
    return merged


def _json_type(value: Any) -> str:
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


def _accepts_null(node: Any) -> bool:
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
        return any(_accepts_null(b) for b in node.get("anyOf", []) + node.get("oneOf", []))
    return "$ref" not in node and "allOf" not in node


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
    if _accepts_null(node):
        return node
    kind = node.get("type")
    if "anyOf" in node and set(node) <= {"anyOf", *_ANNOTATIONS}:
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
        merged = _merge_all_of(node, lenient=False)
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
        if not isinstance(ref, str) or _resolve_pointer(root, ref) is None:
            raise _NotStrict(f"{path} has a $ref that does not resolve locally: {ref!r}")
        return {"$ref": ref}  # recursive reference: its siblings are annotations only
    if not {"type", "anyOf", "enum", "const"} & set(node):
        raise _NotStrict(f"{path} has no type")
    node = _map_subschemas(node, lambda s: s)  # shallow copy of containers
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
            target = _resolve_pointer(root, ref)
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
                if not (v is None and k in props and k not in required) or _accepts_null(props[k])
            }
        elif isinstance(val, list) and isinstance(node.get("items"), dict):
            val = [walk(v, node["items"]) for v in val]
        return val

    return walk(copy.deepcopy(value), schema)


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
        return _gemini(_merge_all_of(node, lenient=True))
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
        if k in _GEMINI_ALLOWED and not (k in _SCHEMA_KEYS and isinstance(v, bool))
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
    return _map_subschemas(node, _gemini)


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
        node["type"] = sorted({_json_type(v) for v in values})
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


# --------------------------------------------------------------------------- Anthropic

#: Keywords Anthropic's structured output rejects; they move into the description.
_ANTHROPIC_OUTPUT_MOVED = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
    "maxLength", "maxItems", "uniqueItems", "minProperties", "maxProperties",
)  # fmt: skip
_ANTHROPIC_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}
)


def _strip_meta(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    return _map_subschemas({k: v for k, v in node.items() if k not in _META_KEYS}, _strip_meta)


def _anthropic_root(schema: JSONSchema) -> JSONSchema:
    """Anthropic needs ``type: object`` at the top level and no ``anyOf``/``oneOf``/``allOf``
    there: merge them into one object (properties of every branch, required by all)."""
    if "allOf" in schema:
        schema = _merge_all_of(schema, lenient=True) or schema
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
    node = _merge_all_of(node, lenient=True) if "allOf" in node else dict(node)
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
    return _map_subschemas(node, lambda s: _anthropic_output(s, path + "/*"))


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
    out = _anthropic_root(_strip_meta(inline_refs(schema)))
    if output:
        if "$defs" in out or "definitions" in out:
            warnings.warn(
                "the schema is recursive; Anthropic structured output may reject it",
                StrictSchemaWarning,
                stacklevel=2,
            )
        out = _anthropic_output(out, "#")
    return out


# --------------------------------------------------------------------------- Ollama


def to_ollama(schema: JSONSchema) -> JSONSchema:
    """*schema* for Ollama's ``format``: a copy, as it is. Ollama compiles plain JSON Schema,
    local ``$ref`` included, into a grammar."""
    return copy.deepcopy(schema)
