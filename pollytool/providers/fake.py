"""A scripted fake model for tests: yours and ours.

:class:`FakeLLM` implements the same client interface as the real adapters and goes through the
same event machinery, so code under test sees exactly what a provider would produce. Each call
plays the next scripted *turn*::

    from pollytool.providers.fake import FakeLLM, text, reasoning, tool_call, fail

    model = FakeLLM(
        [reasoning("Need the weather."), tool_call("get_weather", {"city": "Paris"})],
        "It is sunny in Paris.",           # a plain string is one text reply
    )
    agent = Agent(model, registry)
    result = await agent.run(CompletionRequest("fake", [ChatMessage.user("Weather?")]))
    assert model.requests[1].messages[-1].role == "tool"

A turn may also be a callable receiving the request and returning a turn. Without a script
the fake echoes the last user message (``"fake/<anything>"`` through the router does that).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import anyio

from ..errors import PollyError, ResponseError
from ..messages import MessageRole, StopReason, Usage
from ._base import Call, ProviderClient
from ._decoder import Decoder

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from ..events import StreamEvent
    from ..request import CompletionRequest
    from ._accumulator import StreamAccumulator

__all__ = [
    "FakeLLM",
    "Step",
    "Turn",
    "delay",
    "fail",
    "metadata",
    "reasoning",
    "stop",
    "text",
    "tool_call",
    "usage",
]


@dataclass(frozen=True, slots=True)
class _Text:
    text: str
    chunk_size: int | None = None


@dataclass(frozen=True, slots=True)
class _Reasoning:
    text: str
    chunk_size: int | None = None


@dataclass(frozen=True, slots=True)
class _ToolCall:
    name: str
    arguments: str
    id: str | None = None
    chunk_size: int | None = None


@dataclass(frozen=True, slots=True)
class _Usage:
    usage: Usage


@dataclass(frozen=True, slots=True)
class _Fail:
    error: PollyError


@dataclass(frozen=True, slots=True)
class _Stop:
    reason: StopReason
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class _Delay:
    seconds: float


@dataclass(frozen=True, slots=True)
class _Metadata:
    data: dict[str, Any] = field(default_factory=dict)


Step: TypeAlias = _Text | _Reasoning | _ToolCall | _Usage | _Fail | _Stop | _Delay | _Metadata
Turn: TypeAlias = str | Sequence[Step] | Callable[["CompletionRequest"], "str | Sequence[Step]"]


def text(content: str, *, chunk_size: int | None = None) -> Step:
    """Reply text, streamed in pieces of *chunk_size* characters (one piece by default)."""
    return _Text(content, chunk_size)


def reasoning(content: str, *, chunk_size: int | None = None) -> Step:
    """Visible reasoning."""
    return _Reasoning(content, chunk_size)


def tool_call(
    name: str,
    arguments: dict[str, Any] | str | None = None,
    *,
    id: str | None = None,
    chunk_size: int | None = None,
) -> Step:
    """A tool call; *arguments* as a dict or as raw JSON text (which may be invalid on
    purpose). The id is generated when not given."""
    if arguments is None:
        arguments = {}
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return _ToolCall(name, raw, id, chunk_size)


def usage(input_tokens: int = 0, output_tokens: int = 0, **more: int) -> Step:
    """Token usage for this turn."""
    return _Usage(Usage(input_tokens, output_tokens, **more))


def fail(error: PollyError) -> Step:
    """End the turn with *error* (as an ``error`` event), after the steps before it."""
    return _Fail(error)


def stop(reason: StopReason | str, raw: str | None = None) -> Step:
    """Set the stop reason (default: ``tool_use`` with calls, else ``end_turn``)."""
    return _Stop(StopReason(reason), raw)


def delay(seconds: float) -> Step:
    """Wait before the next step (to test timeouts, cancellation and overlap)."""
    return _Delay(seconds)


def metadata(**data: Any) -> Step:
    """Put opaque data into the reply's ``provider_metadata["fake"]``."""
    return _Metadata(data)


def _chunks(value: str, size: int | None) -> list[str]:
    if not size or size <= 0 or len(value) <= size:
        return [value]
    return [value[i : i + size] for i in range(0, len(value), size)]


class FakeLLM(ProviderClient[None]):
    """A scripted model (see the module docstring).

    Attributes:
        requests: every request received, in order.
    """

    provider: ClassVar[str] = "fake"
    requires_key: ClassVar[bool] = False
    build_in_thread: ClassVar[bool] = False

    def __init__(
        self,
        *turns: Turn,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = 0,
        timeout: float = 600.0,
    ) -> None:
        super().__init__(api_key, base_url, max_retries=max_retries, timeout=timeout)
        self._turns: list[Turn] = list(turns)
        self._scripted = bool(turns)
        self.requests: list[CompletionRequest] = []

    def __repr__(self) -> str:
        return f"FakeLLM(turns_left={len(self._turns)}, calls={len(self.requests)})"

    def add_turns(self, *turns: Turn) -> None:
        """Append more scripted turns."""
        self._turns.extend(turns)
        self._scripted = True

    def _build_vendor(self) -> None:
        return None

    async def _close_vendor(self, vendor: None) -> None:
        del vendor

    def _encode(self, call: Call) -> Sequence[Step]:
        """The steps of the next turn (the fake's "request")."""
        req = call.req
        self.requests.append(req)
        if not self._scripted:
            last_user = next(
                (m.text for m in reversed(req.messages) if m.role == MessageRole.USER), ""
            )
            return [_Text(last_user)]
        if not self._turns:
            raise ResponseError(
                f"FakeLLM has no scripted turn left for call {len(self.requests) - 1}",
                provider=self.provider,
            )
        turn = self._turns.pop(0)
        if callable(turn):
            turn = turn(req)
        if isinstance(turn, str):
            return [_Text(turn)]
        return turn

    async def _open(
        self, vendor: None, call: Call, body: Sequence[Step]
    ) -> AsyncGenerator[tuple[int, Step], None]:
        return _play(body)

    def _decoder(
        self, call: Call, body: Sequence[Step], stream: AsyncIterator[Any], acc: StreamAccumulator
    ) -> Decoder:
        return _StepDecoder(acc)


async def _play(steps: Sequence[Step]) -> AsyncGenerator[tuple[int, Step], None]:
    """The steps with their positions, waiting at delays and raising at failures."""
    for position, step in enumerate(steps):
        await anyio.lowlevel.checkpoint()
        if isinstance(step, _Delay):
            await anyio.sleep(step.seconds)
        elif isinstance(step, _Fail):
            raise step.error
        else:
            yield position, step


class _StepDecoder(Decoder):
    """Scripted steps → events (a script always starts and finishes)."""

    __slots__ = ()

    def __init__(self, acc: StreamAccumulator) -> None:
        super().__init__(acc)
        self.started = self.finished = True

    def feed(self, item: tuple[int, Step]) -> Sequence[StreamEvent]:
        position, step = item
        acc = self.acc
        events: list[StreamEvent | None] = []
        match step:
            case _Text(content, size):
                events.extend(acc.text(piece) for piece in _chunks(content, size))
            case _Reasoning(content, size):
                events.extend(acc.reasoning(piece) for piece in _chunks(content, size))
            case _ToolCall(name, arguments, call_id, size):
                events.append(acc.start_tool_call(position, call_id, name))
                events.extend(acc.tool_call_delta(position, p) for p in _chunks(arguments, size))
                events.extend(acc.finish_tool_call(position))
            case _Usage(value):
                events.append(acc.set_usage(value))
            case _Stop(reason, raw):
                acc.set_stop_reason(reason, raw)
            case _Metadata(data):
                acc.metadata.update(data)
        return [event for event in events if event is not None]
