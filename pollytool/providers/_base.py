"""What every provider client shares: the event-stream contract, deadlines and error typing.

An adapter subclasses :class:`ProviderClient` and writes two things:

* ``_events(req, acc)``: an async generator that calls the vendor SDK, feeds the
  :class:`~pollytool.providers._accumulator.StreamAccumulator` and yields the events it
  returns. It does not emit ``complete`` (the base does, from the accumulator) and does not
  catch vendor exceptions (the base does).
* ``_map_error(exc)``: turn a vendor exception into a :class:`~pollytool.errors.PollyError`.

The base guarantees the rules of :mod:`pollytool.events`: exactly one ``complete`` on success,
exactly one ``error`` (and no ``complete``) on failure, nothing raised out of the iterator except
cancellation, and the vendor response closed as soon as the consumer stops iterating.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from contextlib import aclosing
from typing import TYPE_CHECKING, ClassVar

import anyio

from ..errors import APITimeoutError, PollyError, ResponseError, redact
from ..events import ErrorEvent
from ..stream import BaseLLM, EventStream
from ._accumulator import StreamAccumulator
from ._errors import transport_error

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from ..events import StreamEvent
    from ..request import CompletionRequest

__all__ = ["ProviderClient"]


class ProviderClient(BaseLLM):
    """Base class of the provider adapters (see the module docstring)."""

    #: Provider name: the router prefix and the ``provider_metadata`` key.
    provider: ClassVar[str]

    def __init__(self, *, api_key: str | None = None) -> None:
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def stream(self, req: CompletionRequest) -> EventStream:
        """Send *req* and return its events (see :class:`~pollytool.stream.EventStream`)."""
        return EventStream(self._run(req))

    @abstractmethod
    def _events(
        self, req: CompletionRequest, acc: StreamAccumulator
    ) -> AsyncGenerator[StreamEvent, None]:
        """Provider-specific: call the SDK, feed *acc*, yield its events."""

    def _map_error(self, exc: Exception) -> PollyError:
        """Provider-specific error typing; the default handles transport errors."""
        mapped = transport_error(exc, provider=self.provider, secrets=self._secrets())
        if mapped is not None:
            return mapped
        return ResponseError(
            f"{type(exc).__name__}: {redact(str(exc), self._secrets())}", provider=self.provider
        )

    def _secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key else ()

    async def _run(self, req: CompletionRequest) -> AsyncIterator[StreamEvent]:
        if req.skills is not None:
            req = dataclasses.replace(req, messages=req.resolved_messages(), skills=None)
        acc = StreamAccumulator(self.provider)
        try:
            async with aclosing(self._events(req, acc)) as events:
                if req.timeout is None:
                    async for event in events:
                        yield event
                else:
                    deadline = anyio.current_time() + req.timeout
                    while True:
                        try:
                            with anyio.fail_after(deadline - anyio.current_time()):
                                event = await events.__anext__()
                        except StopAsyncIteration:
                            break
                        except TimeoutError:
                            raise APITimeoutError(
                                f"the request did not finish within its {req.timeout:g}s timeout",
                                provider=self.provider,
                            ) from None
                        yield event
            for event in acc.finish():
                yield event
        except PollyError as exc:
            yield ErrorEvent(_redacted(exc, req.api_key))
        except Exception as exc:
            yield ErrorEvent(_redacted(self._map_error(exc), req.api_key))


def _redacted(error: PollyError, request_key: str | None) -> PollyError:
    """*error* with a per-request API key removed from its message too."""
    if request_key:
        error.message = redact(error.message, (request_key,))
    return error
