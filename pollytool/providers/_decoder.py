"""The decoding half of the adapter contract: one response in, events out, an honest end.

An adapter's decoder is a :class:`Decoder` subclass. The base client feeds it every item the
vendor SDK yields for one response (a stream chunk, or the whole non-streamed response) and
yields the events :meth:`Decoder.feed` returns; when the SDK's iterator ends it calls
:meth:`Decoder.finish`, which is where a response that never really started, or that stopped
before the provider's end marker, becomes an error instead of a quiet success:

* nothing recognisable arrived at all (an empty 200 body, ``{}``, an HTML page):
  :class:`~pollytool.errors.ResponseError`;
* the response began but its end marker never came (Anthropic's ``message_stop``, a Gemini
  ``finishReason``, a Chat Completions ``finish_reason``, a Responses ``response.completed``,
  Ollama's ``done: true``): :class:`~pollytool.errors.StreamInterruptedError`.

A decoder sets :attr:`Decoder.started` when it sees the first item that belongs to a real
response and :attr:`Decoder.finished` when it sees the end marker. Decoders read whatever the
vendor yields (wire JSON dicts); only ``feed`` knows the provider's shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ResponseError, StreamInterruptedError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..events import StreamEvent
    from ._accumulator import StreamAccumulator

__all__ = ["NO_EVENTS", "Decoder"]

#: What ``feed`` returns when an item produces no event.
NO_EVENTS: tuple[StreamEvent, ...] = ()


class Decoder:
    """Turns the items of one response into events (see the module docstring).

    Attributes:
        acc: the accumulator every event goes through.
        started: an item of a real response has been seen.
        finished: the provider's end marker has been seen.
    """

    __slots__ = ("acc", "finished", "started")

    def __init__(self, acc: StreamAccumulator) -> None:
        self.acc = acc
        self.started = False
        self.finished = False

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        """The events of one item (:data:`NO_EVENTS` for none)."""
        raise NotImplementedError

    def finish(self) -> Sequence[StreamEvent]:
        """The events due when the response has ended; raises when it never started or was
        cut short (see the module docstring)."""
        self.check_complete()
        return NO_EVENTS

    def check_complete(self) -> None:
        """Raise :class:`ResponseError` or :class:`StreamInterruptedError` unless the response
        both started and finished."""
        provider = self.acc.provider
        if not self.started:
            raise ResponseError(
                "the provider answered with no usable response (an empty body, or data that "
                "is not this API's response format)",
                provider=provider,
            )
        if not self.finished:
            raise StreamInterruptedError(
                "the response ended before it was complete (its end marker never came)",
                provider=provider,
            )
