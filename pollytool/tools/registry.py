"""``ToolRegistry``: the tools an agent offers, under names every provider accepts.

Tool names must match ``^[A-Za-z_][A-Za-z0-9_-]{0,63}$`` for all providers to accept them
(OpenAI allows 64 characters of ``[A-Za-z0-9_-]``, Gemini wants a letter or underscore first).
The registry publishes each tool under such a name: characters outside the set become ``_``,
and a name longer than 64 characters is cut and given a short hash of the full name, so two
long names never end up the same. Tools loaded from a file or a server are namespaced
``source__tool``. The model only sees the published names; :meth:`ToolRegistry.original_name`
maps them back.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import DuplicateToolError, ToolNotFoundError
from .base import BaseTool, Tool, ToolOutput

__all__ = [
    "NAMESPACE_SEPARATOR",
    "NamespacedTool",
    "ToolRegistry",
    "namespaced_name",
    "sanitize_tool_name",
    "split_namespaced_name",
]

#: Joins a namespace (a shell tool's file, an MCP server) and a tool name.
NAMESPACE_SEPARATOR = "__"
#: The longest tool name every provider accepts.
MAX_TOOL_NAME_LENGTH = 64
_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_INVALID_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_HASH_LENGTH = 8


def namespaced_name(namespace: str, name: str) -> str:
    """``"weather"``, ``"get"`` → ``"weather__get"``."""
    return f"{namespace}{NAMESPACE_SEPARATOR}{name}"


def split_namespaced_name(name: str) -> tuple[str | None, str]:
    """``"weather__get"`` → ``("weather", "get")``; a name without ``__`` → ``(None, name)``."""
    namespace, sep, rest = name.partition(NAMESPACE_SEPARATOR)
    return (namespace, rest) if sep and namespace and rest else (None, name)


def sanitize_tool_name(name: str) -> str:
    """*name* made acceptable to every provider (``^[A-Za-z_][A-Za-z0-9_-]{0,63}$``).

    Valid names are returned unchanged. Otherwise other characters become ``_``, a leading
    digit or ``-`` gets a ``_`` in front, and a result longer than 64 characters keeps its
    first 55 characters followed by ``_`` and 8 hex digits of the SHA-1 of the full name.
    """
    if _VALID_NAME.match(name):
        return name
    cleaned = _INVALID_CHARS.sub("_", name) or "_"
    if not (cleaned[0].isascii() and (cleaned[0].isalpha() or cleaned[0] == "_")):
        cleaned = f"_{cleaned}"
    if len(cleaned) <= MAX_TOOL_NAME_LENGTH:
        return cleaned
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:_HASH_LENGTH]
    return f"{cleaned[: MAX_TOOL_NAME_LENGTH - _HASH_LENGTH - 1]}_{digest}"


class NamespacedTool(BaseTool):
    """A tool published under another name (a namespace prefix, a sanitised name).

    The schema's ``title`` is the published name; everything else, including execution, is
    the wrapped tool's.

    Attributes:
        tool: the wrapped tool.
        original_name: the name before sanitising, with its namespace (``"server__tool.x"``).
    """

    def __init__(self, tool: Tool, name: str, original_name: str) -> None:
        self.tool = tool
        self.original_name = original_name
        self._name = name
        self._schema = {**tool.schema, "title": name}

    def __repr__(self) -> str:
        return f"NamespacedTool({self._name!r}, {self.tool!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def schema(self) -> dict[str, Any]:
        return self._schema

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        return await self.tool.execute(args)


class ToolRegistry:
    """An ordered set of uniquely named tools.

    ``ToolRegistry([weather, search])`` or :meth:`register` one at a time. Tools keep their
    registration order everywhere (:meth:`all`, :meth:`schemas`, iteration), so the tool list
    sent to a provider is stable from one request to the next and prompt caching keeps
    working. Registering a second tool under a name already taken raises
    :class:`~pollytool.errors.DuplicateToolError` instead of replacing the first.

    A tool whose name is already valid is stored as it is; otherwise (a namespace was given,
    or the name needed sanitising) it is wrapped in a :class:`NamespacedTool` carrying the
    published name. Iterating yields the tools; ``name in registry`` checks a published name.
    """

    def __init__(self, tools: Iterable[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        self._originals: dict[str, str] = {}
        self._visible: Callable[[str], bool] | None = None
        for item in tools or ():
            self.register(item)

    def __repr__(self) -> str:
        return f"ToolRegistry({list(self._tools)})"

    def register(self, tool: Tool, *, namespace: str | None = None) -> Tool:
        """Add *tool*, published as ``namespace__name`` when *namespace* is given, and
        return it as registered (wrapped when its published name differs from ``tool.name``).

        Raises :class:`~pollytool.errors.DuplicateToolError` naming both tools when the
        published name is taken, also when two different names sanitise to the same one.
        """
        original = tool.name if namespace is None else namespaced_name(namespace, tool.name)
        name = sanitize_tool_name(original)
        existing = self._tools.get(name)
        if existing is not None:
            raise DuplicateToolError(
                f"two tools are named {name!r}: {_describe(self._originals[name], existing)} "
                f"is registered and {_describe(original, tool)} cannot be added; remove one "
                "or register it under a namespace",
                tool_name=name,
            )
        registered = tool if name == tool.name else NamespacedTool(tool, name, original)
        self._tools[name] = registered
        self._originals[name] = original
        return registered

    def get(self, name: str) -> Tool | None:
        """The tool published as *name*, or ``None``."""
        return self._tools.get(name)

    def remove(self, name: str) -> Tool:
        """Remove and return the tool published as *name*; raises
        :class:`~pollytool.errors.ToolNotFoundError` when there is none."""
        tool = self._tools.pop(name, None)
        if tool is None:
            raise ToolNotFoundError(f"no tool named {name!r} is registered", tool_name=name)
        del self._originals[name]
        return tool

    def original_name(self, name: str) -> str:
        """The name (with namespace) a published *name* was made from; raises
        :class:`~pollytool.errors.ToolNotFoundError` for an unknown name."""
        try:
            return self._originals[name]
        except KeyError:
            raise ToolNotFoundError(
                f"no tool named {name!r} is registered", tool_name=name
            ) from None

    def set_visibility(self, visible: Callable[[str], bool] | None) -> None:
        """List only the tools whose published name *visible* accepts; ``None`` lists all.

        The filter applies to what a model is offered: :meth:`all`, :meth:`names`,
        :meth:`schemas` and iteration, each time they are called (the
        :class:`~pollytool.llm.Agent` calls :meth:`all` before every model call, so a change
        shows from the next turn). Lookups are not filtered: :meth:`get`, ``in``, ``len``,
        :meth:`original_name` and :meth:`remove` still see hidden tools, and a hidden tool's
        name still collides. :class:`~pollytool.tools.SkillRuntime` sets it for skills'
        ``allowed-tools``; one filter at a time (setting replaces the previous one).
        """
        self._visible = visible

    def names(self) -> list[str]:
        """The published names of the listed tools, in registration order."""
        visible = self._visible
        return [name for name in self._tools if visible is None or visible(name)]

    def all(self) -> list[Tool]:
        """The listed tools, in registration order (what to put in
        ``CompletionRequest.tools``)."""
        return self._listed()

    def schemas(self) -> list[dict[str, Any]]:
        """Copies of the listed tools' schemas (``title`` = published name), in registration
        order."""
        return [copy.deepcopy(tool.schema) for tool in self._listed()]

    def get_schemas(self) -> list[dict[str, Any]]:
        """Alias of :meth:`schemas` with the seed's name."""
        return self.schemas()

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._listed())

    def _listed(self) -> list[Tool]:
        visible = self._visible
        if visible is None:
            return list(self._tools.values())
        return [tool for name, tool in self._tools.items() if visible(name)]


def _describe(original: str, tool: Tool) -> str:
    inner = tool.tool if isinstance(tool, NamespacedTool) else tool
    source = getattr(inner, "source", None)
    origin = source if isinstance(source, str) and source else repr(inner)
    return f"{original!r} ({origin})"
