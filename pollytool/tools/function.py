"""Tools from plain Python functions: the ``@tool`` decorator and :class:`FunctionTool`.

::

    from typing import Literal
    from pollytool.tools import tool

    @tool
    async def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
        \"\"\"Get the current weather for a city.

        Args:
            city: The city and country, e.g. "Paris, France".
            unit: Temperature unit.
        \"\"\"
        return f"22 degrees {unit} in {city}"

The schema comes from the type hints (``str``, ``int``, ``float``, ``bool``, ``list[...]``,
``dict[...]``, ``Literal``, ``Enum``, ``X | None``, Pydantic models, dataclasses, …) and the
docstring (its description, and the ``Args:`` section for each parameter). Arguments are
checked against the schema before the function runs; a mismatch raises
:class:`~pollytool.errors.ToolArgumentsError`, which the agent hands back to the model.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

import anyio.to_thread

from ._signature import describe_function
from .base import BaseTool, ToolOutput, tool_output, tool_result_text
from .validation import ArgumentsValidator

__all__ = ["FunctionTool", "tool", "tool_result_text"]

P = ParamSpec("P")
R = TypeVar("R")


class FunctionTool(BaseTool, Generic[P, R]):
    """A tool that calls a Python function (what ``@tool`` returns).

    Async functions are awaited; sync functions run in a worker thread
    (:func:`anyio.to_thread.run_sync`) so they never block the event loop. A sync function
    cannot be interrupted: when the call is cancelled or times out the agent moves on at once
    and the thread finishes in the background.

    The tool stays callable like the original function, so decorated functions can still be
    used and tested directly.

    Results: a ``str`` or :class:`~pollytool.tools.base.ToolOutput` is returned as is, image
    bytes become a ``ToolOutput`` with the image, and any other value is JSON-encoded
    (Pydantic models, dataclasses, enums and dates included); see
    :func:`~pollytool.tools.base.tool_output`.

    Attributes:
        func: the wrapped function.
    """

    def __init__(
        self, func: Callable[P, R], *, name: str | None = None, description: str | None = None
    ) -> None:
        self.func = func
        self._name = name or func.__name__
        self._arguments = describe_function(func, self._name, description)
        self._validator = ArgumentsValidator(self._name, self._arguments.schema)
        self._is_async = inspect.iscoroutinefunction(func)
        self.__doc__ = func.__doc__

    def __repr__(self) -> str:
        return f"FunctionTool({self._name!r})"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)

    @property
    def name(self) -> str:
        return self._name

    @property
    def schema(self) -> dict[str, Any]:
        return self._arguments.schema

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        """Validate *args* against the schema, call the function and return its result as
        text (or the :class:`~pollytool.tools.base.ToolOutput` it returned)."""
        self._validator.validate(args)
        kwargs = self._arguments.convert(self._name, args)
        func: Callable[..., Any] = self.func
        if self._is_async:
            value = await func(**kwargs)
        else:
            value = await anyio.to_thread.run_sync(
                functools.partial(func, **kwargs), abandon_on_cancel=True
            )
        return tool_output(value)


@overload
def tool(func: Callable[P, R], /) -> FunctionTool[P, R]: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


def tool(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> FunctionTool[P, R] | Callable[[Callable[P, R]], FunctionTool[P, R]]:
    """Make a tool of a sync or async function: ``@tool`` or ``@tool(name=..., description=...)``.

    *name* defaults to the function's name and *description* to its docstring's description.
    Raises :class:`~pollytool.errors.ToolError` when a parameter cannot be described (``*args``,
    ``**kwargs``, positional-only parameters, types Pydantic cannot express).
    """
    if func is not None:
        return FunctionTool(func, name=name, description=description)

    def decorate(f: Callable[P, R]) -> FunctionTool[P, R]:
        return FunctionTool(f, name=name, description=description)

    return decorate
