"""The ``async with`` protocol shared by everything that holds a connection or a handle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["AsyncResource"]


class AsyncResource:
    """Mixin: ``async with obj:`` returns *obj* and awaits ``obj.aclose()`` on the way out,
    whatever happened inside the block. Subclasses implement :meth:`aclose`."""

    __slots__ = ()

    async def aclose(self) -> None:
        """Release what the object holds."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
