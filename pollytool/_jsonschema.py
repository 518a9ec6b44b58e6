"""JSON-Schema machinery the provider dialects share: walking subschemas, resolving and
inlining local ``$ref``, merging ``allOf``, undoing the ``null`` values OpenAI strict mode adds,
and the limits that keep all of it bounded.

Every conversion starts with :func:`check_schema`, which walks the schema without recursion
and refuses (with :class:`~pollytool.errors.SchemaError`) one nested more than
:data:`MAX_SCHEMA_DEPTH` levels or holding more than :data:`MAX_SCHEMA_NODES` subschemas, both
as written and as it would be with its ``$ref`` inlined (computed once per definition, so a
graph of references that would expand exponentially is refused after linear work).

Each provider's own dialect lives in its package (``providers/<name>/_dialect.py``); the
conversions only ever loosen or annotate a schema, except where a provider's rules demand
otherwise, so replies are always validated against the *original* schema (see
:class:`~pollytool.schema.Schema`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from .errors import SchemaError

__all__ = [
    "ANNOTATIONS",
    "MAX_SCHEMA_DEPTH",
    "MAX_SCHEMA_NODES",
    "META_KEYS",
    "SCHEMA_KEYS",
    "JSONSchema",
    "StrictSchemaWarning",
    "accepts_null",
    "check_schema",
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


def inline_refs(schema: JSONSchema) -> JSONSchema:
    """A copy of *schema* with every local ``$ref`` replaced by what it points at.

    Recursive references cannot be inlined; they stay ``$ref`` and keep the definitions they
    need (a recursive reference at the top level is expanded once, so the top level has its own
    ``type``). References that do not resolve locally are left as they are. Annotation siblings of a
    ``$ref`` (``description``, ``title``…) override the target's; other siblings are combined
    with it through ``allOf``. Definitions nothing refers to any more are dropped. Raises
    :class:`~pollytool.errors.SchemaError` for a schema beyond the limits (see the module).
    """
    keep = check_schema(schema)

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
    original *schema* (or in any ``$ref``/``allOf``/``anyOf``/``oneOf`` part that applies) is
    dropped when its value is ``null``: under strict mode the model sends ``null`` to mean
    "left out". The work is bounded by the size of *value* times the size of *schema*.
    """
    targets: dict[str, Any] = {}

    def applicable(nodes: list[Any]) -> list[JSONSchema]:
        """*nodes* and every part they bring in, each once."""
        found: list[JSONSchema] = []
        seen: set[int] = set()
        pending = list(nodes)
        while pending:
            node = pending.pop()
            if not isinstance(node, dict) or id(node) in seen:
                continue
            seen.add(id(node))
            found.append(node)
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref not in targets:
                    targets[ref] = resolve_pointer(schema, ref)
                pending.append(targets[ref])
            for key in ("allOf", "anyOf", "oneOf"):
                branches = node.get(key)
                if isinstance(branches, list):
                    pending.extend(branches)
        return found

    def walk(val: Any, nodes: list[Any]) -> Any:
        if isinstance(val, dict):
            parts = applicable(nodes)
            props = [p for p in (node.get("properties") for node in parts) if isinstance(p, dict)]
            return {
                key: walk(item, [p[key] for p in props if key in p])
                for key, item in val.items()
                if item is not None or not any(_added_null(node, key) for node in parts)
            }
        if isinstance(val, list):
            items = [
                node["items"] for node in applicable(nodes) if isinstance(node.get("items"), dict)
            ]
            return [walk(item, items) for item in val]
        return val

    return walk(value, [schema])


def _added_null(node: JSONSchema, key: str) -> bool:
    """Whether ``null`` for property *key* can only be strict mode's "left out" in *node*."""
    props = node.get("properties")
    required = node.get("required")
    return (
        isinstance(props, dict)
        and key in props
        and not (isinstance(required, list) and key in required)
        and not accepts_null(props[key])
    )


def strip_meta(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    return map_subschemas({k: v for k, v in node.items() if k not in META_KEYS}, strip_meta)


# --------------------------------------------------------------------------- limits

#: The deepest nesting of subschemas accepted (as written, and with ``$ref`` inlined).
MAX_SCHEMA_DEPTH = 48
#: The most subschemas a schema may hold (as written, and with ``$ref`` inlined).
MAX_SCHEMA_NODES = 20_000


def _subschemas(node: JSONSchema) -> Iterator[Any]:
    """The direct subschemas of *node* (without copying it)."""
    for key in SCHEMA_KEYS:
        if isinstance(sub := node.get(key), dict):
            yield sub
    if isinstance(items := node.get("items"), list):
        yield from items
    for key in LIST_KEYS:
        if isinstance(subs := node.get(key), list):
            yield from subs
    for key in MAP_KEYS:
        if isinstance(named := node.get(key), dict):
            yield from named.values()


def _too_deep() -> SchemaError:
    return SchemaError(
        f"the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep (counting its $ref "
        "inlined); providers reject such schemas"
    )


def _too_large() -> SchemaError:
    return SchemaError(
        f"the schema has more than {MAX_SCHEMA_NODES} subschemas (counting its $ref inlined); "
        "providers reject such schemas"
    )


class _Walk:
    """One pass over a schema as written: its size and depth, its references, and the
    ``$id``/``$anchor`` names it declares."""

    def __init__(self, schema: JSONSchema) -> None:
        self.refs: dict[str, None] = {}
        self.ids: set[str] = set()
        self.anchors: set[str] = set()
        count = 0
        pending: list[tuple[JSONSchema, int]] = [(schema, 1)]
        while pending:
            node, depth = pending.pop()
            count += 1
            if count > MAX_SCHEMA_NODES:
                raise _too_large()
            if depth > MAX_SCHEMA_DEPTH:
                raise _too_deep()
            if isinstance(ref := node.get("$ref"), str):
                self.refs[ref] = None
            if isinstance(name := node.get("$id"), str):
                self.ids.add(name.partition("#")[0])
            if isinstance(name := node.get("$anchor"), str):
                self.anchors.add(name)
            pending.extend((sub, depth + 1) for sub in _subschemas(node) if isinstance(sub, dict))

    def is_local(self, ref: str) -> bool:
        base, _, fragment = ref.partition("#")
        if base:
            return base in self.ids
        return not fragment.startswith("/") and fragment in self.anchors


def _refs_within(node: JSONSchema) -> set[str]:
    """Every ``$ref`` inside *node* (not following references)."""
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(ref := current.get("$ref"), str):
            found.add(ref)
        pending.extend(sub for sub in _subschemas(current) if isinstance(sub, dict))
    return found


def _on_cycles(edges: dict[str, set[str]]) -> set[str]:
    """The vertices of *edges* that lie on a cycle (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cyclic: set[str] = set()

    def enter(vertex: str) -> tuple[str, Iterator[str]]:
        index[vertex] = low[vertex] = len(index)
        stack.append(vertex)
        on_stack.add(vertex)
        return vertex, iter(edges.get(vertex, ()))

    for root in edges:
        if root in index:
            continue
        work = [enter(root)]
        while work:
            vertex, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    work.append(enter(successor))
                    break
                if successor in on_stack:
                    low[vertex] = min(low[vertex], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                if low[vertex] == index[vertex]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == vertex:
                            break
                    if len(component) > 1 or vertex in edges.get(vertex, ()):
                        cyclic.update(component)
    return cyclic


def check_schema(schema: JSONSchema, *, local_refs_only: bool = False) -> set[str]:
    """Check that *schema* stays within the limits (see the module) and return its recursive
    references: those whose target refers back to itself, directly or not.

    With *local_refs_only*, a ``$ref`` to anything outside the schema (another document, a
    URL, a pointer to nothing) is a :class:`~pollytool.errors.SchemaError` too: pollytool never
    fetches schemas. Raises :class:`~pollytool.errors.SchemaError`; the work is linear in the
    size of the schema (times its depth, at most :data:`MAX_SCHEMA_DEPTH`).
    """
    walk = _Walk(schema)
    targets = {ref: resolve_pointer(schema, ref) for ref in walk.refs}
    if local_refs_only:
        for ref, target in targets.items():
            if target is None and not walk.is_local(ref):
                raise SchemaError(
                    f"the schema refers to {ref!r}, which is not part of the schema; "
                    "references to other documents are not fetched"
                )
    within: dict[int, set[str]] = {}
    for target in targets.values():
        if isinstance(target, dict) and id(target) not in within:
            within[id(target)] = _refs_within(target)
    edges = {
        ref: {r for r in within[id(target)] if isinstance(targets.get(r), dict)}
        for ref, target in targets.items()
        if isinstance(target, dict)
    }
    keep = _on_cycles(edges)
    _Expansion(schema, targets, keep).measure(schema, 1, top=True)
    return keep


class _Expansion:
    """Size and height of a schema with its non-recursive ``$ref`` inlined, computed once per
    node (so shared definitions cost their size once, however often they are used)."""

    def __init__(self, root: JSONSchema, targets: dict[str, Any], keep: set[str]) -> None:
        self.root = root
        self.targets = targets
        self.keep = keep
        self.known: dict[int, tuple[int, int]] = {}

    def measure(
        self, node: JSONSchema, depth: int, hops: int = 0, *, top: bool = False
    ) -> tuple[int, int]:
        """``(size, height)`` of *node* expanded, entered at *depth* after *hops* references."""
        if depth > MAX_SCHEMA_DEPTH or hops > MAX_SCHEMA_DEPTH:
            raise _too_deep()
        known = self.known.get(id(node))
        if known is None:
            ref = node.get("$ref")
            target = self.targets.get(ref) if isinstance(ref, str) else None
            size, height = 1, 1
            for part in _subschemas(node):
                if isinstance(part, dict):
                    part_size, part_height = self.measure(part, depth + 1, hops)
                    size, height = size + part_size, max(height, part_height + 1)
            if isinstance(target, dict) and (top or ref not in self.keep):
                target_size, target_height = self.measure(target, depth, hops + 1)
                size, height = size + target_size, max(height, target_height)
            if size > MAX_SCHEMA_NODES:
                raise _too_large()
            known = (size, height)
            if not top:
                self.known[id(node)] = known
        if depth + known[1] - 1 > MAX_SCHEMA_DEPTH:
            raise _too_deep()
        return known
