"""The adapter contract: one base class owns everything provider clients have in common.

A provider adapter subclasses :class:`ProviderClient` and writes only what is specific to its
vendor SDK:

=========================================  ================================================
hook                                       what it does
=========================================  ================================================
class attributes                           ``provider`` (the router prefix and the key of
                                           provider data), ``api_key_env`` /
                                           ``base_url_env`` (the vendor's environment
                                           variables), ``requires_key``, ``base_retries``
``_build_vendor()``                        import the SDK and build its client from
                                           :attr:`api_key`, :attr:`base_url`,
                                           :attr:`max_retries` and :attr:`timeout`; runs once,
                                           in a worker thread
``_close_vendor(vendor)``                  close it
``_encode(call)``                          the request body for :class:`Call` (pure, sync)
``_open(vendor, call, body)``              send it; return the SDK's iterator of response
                                           items (stream chunks, or one whole response;
                                           wire dicts where the SDK can give them),
                                           using the call's own key and base URL on the same
                                           connection pool when they differ from the client's
``_decoder(call, body, stream, acc)``      a :class:`~pollytool.providers._decoder.Decoder`
                                           for those items
``_map_error(exc, call)``                  a vendor exception as a
                                           :class:`~pollytool.errors.PollyError` (or ``None``
                                           to leave it to the shared transport mapping)
=========================================  ================================================

A decoder reads whatever ``_open`` yields. Every adapter has the SDK send the body it
encoded and hands the decoder the wire JSON as dicts (the SDK's own transport, auth, retries,
SSE/NDJSON parsing and errors, without a typed object per chunk).
``tests/providers/test_conformance*.py`` (stream/whole parity over every recorded cassette,
the scripted scenarios) and
``tests/providers/test_differential.py`` (every cassette and scripted reply decoded by the
SDK's own typed accumulation must give the same final message) check that a decoder change
changes nothing else.

Everything else is here, the same for every provider:

* **Configuration.** ``api_key`` and ``base_url`` arguments, else the vendor's environment
  variables (read once, at construction). A key from the environment is only ever sent to the
  endpoint it goes with (the client's own base URL, itself from the environment or the
  vendor's default); an explicit key also goes to a request's own ``base_url``. A request's
  ``api_key`` and ``base_url`` win over the client's and use the same connection pool.
* **One vendor client** per provider client, built on first use in a worker thread (importing
  a vendor SDK and building its client takes 0.1-1 s that would otherwise stall the event
  loop), or ahead of time with :meth:`ProviderClient.warm_up`; released by
  :meth:`ProviderClient.aclose`, after which the client can be used again.
* **Retries and timeouts.** ``max_retries`` and ``timeout`` mean the same for every client.
  Where the SDK retries well (OpenAI, Anthropic) it does; where it cannot honour the server's
  ``Retry-After`` / ``RetryInfo`` or has no retries (Gemini, Ollama; ``base_retries``), this
  class retries the attempt instead, before any event was produced: waiting what the server
  asked for (up to :data:`MAX_RETRY_WAIT` seconds; a longer wait is not retried) or else an
  exponential backoff with jitter. A response that has produced events is never retried.
  ``CompletionRequest.timeout`` bounds a whole call, retries included.
* **The event rules** of :mod:`pollytool.events`: exactly one ``complete`` on success,
  exactly one ``error`` (and no ``complete``) on failure, nothing raised out of the iterator
  except cancellation, and the vendor response closed as soon as the consumer stops
  iterating, also when it is cancelled.
* **Errors**, always typed and safe: every error is chained to the vendor exception it came
  from through a redacted stand-in, and its message and body never contain a key (see
  :func:`~pollytool.providers._errors.sanitized`); ``repr`` never shows a key or the
  credentials of a base URL.
"""

from __future__ import annotations

import dataclasses
import os
import random
from abc import abstractmethod
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import anyio

from ..errors import (
    APITimeoutError,
    ConfigurationError,
    MissingAPIKeyError,
    PollyError,
    ProviderError,
    ProviderUnavailableError,
    ResponseError,
    redact,
)
from ..events import ErrorEvent
from ..stream import BaseLLM, EventStream
from ._accumulator import StreamAccumulator
from ._errors import display_url, sanitized, transport_error

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable

    from ..events import StreamEvent
    from ..request import CompletionRequest
    from ._decoder import Decoder

__all__ = [
    "CONNECT_TIMEOUT",
    "MAX_RETRY_WAIT",
    "Call",
    "ProviderClient",
    "Single",
    "check_settings",
]

#: The longest wait a server may ask for (``Retry-After``) that is still retried, in seconds.
MAX_RETRY_WAIT = 60.0
#: The first backoff wait and the longest one, in seconds, when the server names none.
BACKOFF_START, BACKOFF_MAX = 0.5, 8.0
#: The longest wait for a connection, in seconds (``timeout`` when that is shorter).
CONNECT_TIMEOUT = 10.0
#: How many per-request variants of a vendor client (other key or base URL) are kept.
MAX_VARIANTS = 32

V = TypeVar("V")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """One request as an adapter sees it.

    Attributes:
        req: the request.
        api_key: the key to send (the request's, else the client's where it may go), or
            ``None``.
        base_url: where to send it (the request's, else the client's; ``None`` means the
            vendor's default endpoint).
        secrets: every key this call knows, for redaction.
    """

    req: CompletionRequest
    api_key: str | None
    base_url: str | None
    secrets: tuple[str, ...]


class ProviderClient(BaseLLM, Generic[V]):
    """Base class of the provider clients (see the module docstring).

    Args:
        api_key: the key; ``None`` reads the first of :attr:`api_key_env` that is set.
        base_url: the endpoint; ``None`` reads the first of :attr:`base_url_env` that is set,
            else the vendor's default.
        max_retries: how often a failed request is tried again (429, 5xx, a lost
            connection) before the error is reported.
        timeout: seconds to wait for a connection and for each piece of the reply.
    """

    #: Provider name: the router prefix and the key of provider data on messages.
    provider: ClassVar[str]
    #: The vendor's environment variables for a key, first match wins.
    api_key_env: ClassVar[tuple[str, ...]] = ()
    #: The vendor's environment variables for a base URL, first match wins.
    base_url_env: ClassVar[tuple[str, ...]] = ()
    #: Whether a request without any key is an error.
    requires_key: ClassVar[bool] = True
    #: Whether this class retries (True) or the vendor SDK does (False).
    base_retries: ClassVar[bool] = False
    #: Whether ``_build_vendor`` imports or builds something slow (run in a worker thread).
    build_in_thread: ClassVar[bool] = True

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        timeout: float = 600.0,
    ) -> None:
        check_settings(max_retries, timeout)
        self.base_url: str | None = base_url or _first_env(self.base_url_env)
        from_env = None if api_key or base_url else _first_env(self.api_key_env)
        self.api_key: str | None = api_key or from_env
        self._key_from_env = from_env is not None
        self.max_retries = max_retries
        self.timeout = float(timeout)
        self._vendor: V | None = None
        self._building: anyio.Event | None = None  # set while one request builds the client
        self._variants: dict[tuple[str | None, str | None], V] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={display_url(self.base_url)!r})"

    # ------------------------------------------------------------------ adapter hooks

    @abstractmethod
    def _build_vendor(self) -> V:
        """Import the vendor SDK and build its client (in a worker thread)."""

    @abstractmethod
    async def _close_vendor(self, vendor: V) -> None:
        """Close a client made by :meth:`_build_vendor`."""

    @abstractmethod
    def _encode(self, call: Call) -> Any:
        """The request body (or SDK arguments) for *call*."""

    @abstractmethod
    async def _open(self, vendor: V, call: Call, body: Any) -> AsyncIterator[Any]:
        """Send *body*; the SDK's iterator of response items."""

    @abstractmethod
    def _decoder(
        self, call: Call, body: Any, stream: AsyncIterator[Any], acc: StreamAccumulator
    ) -> Decoder:
        """The decoder for the items of *stream*."""

    def _map_error(self, exc: Exception, call: Call) -> PollyError | None:
        """A vendor exception as a pollytool error; ``None`` leaves it to the shared
        transport mapping (then a generic :class:`~pollytool.errors.ResponseError`)."""
        del exc, call
        return None

    def _key_required(self, base_url: str | None) -> bool:
        """Whether a request to *base_url* needs a key."""
        del base_url
        return self.requires_key

    # ------------------------------------------------------------------ lifecycle

    async def warm_up(self) -> None:
        """Import the vendor SDK and build its client now (in a worker thread), instead of
        on the first request. Never needed, useful at service start-up."""
        await self._vendor_client()

    async def aclose(self) -> None:
        """Close the connection pool (a later request opens a new one)."""
        vendor, self._vendor = self._vendor, None
        self._variants.clear()
        if vendor is not None:
            await self._close_vendor(vendor)

    def _variant(self, call: Call, make: Callable[[], V]) -> V:
        """A copy of the vendor client for *call*'s own key and base URL, made by *make* so
        that it shares the client's connection pool (it is never closed on its own); the
        most recently used copies are kept for the next request with the same settings."""
        key = (call.api_key, call.base_url)
        variant = self._variants.pop(key, None)
        if variant is None:
            variant = make()
        self._variants[key] = variant
        if len(self._variants) > MAX_VARIANTS:
            del self._variants[next(iter(self._variants))]
        return variant

    async def _vendor_client(self) -> V:
        """The SDK client, built by the first request that needs it. Requests that arrive
        while it is being built wait for that one build (a burst at start-up must not build
        a client, TLS context included, per request); if the build fails, the next waiter
        tries again."""
        while (vendor := self._vendor) is None and (building := self._building) is not None:
            await building.wait()
        if vendor is not None:
            return vendor
        self._building = building = anyio.Event()
        try:
            if self.build_in_thread:
                built = await anyio.to_thread.run_sync(self._build_vendor)
            else:
                built = self._build_vendor()
        except ImportError as exc:
            raise ProviderUnavailableError(
                f"the {self.provider} adapter needs its vendor SDK, which cannot be imported "
                f"({exc}); install pollytool with its dependencies"
            ) from exc
        finally:
            self._building = None
            building.set()
        self._vendor = built
        return built

    # ------------------------------------------------------------------ one call

    def stream(self, req: CompletionRequest) -> EventStream:
        """Send *req* and return its events (see :class:`~pollytool.stream.EventStream`)."""
        return EventStream(self._run(req))

    def _call(self, req: CompletionRequest) -> Call:
        own_endpoint = req.base_url is None or req.base_url == self.base_url
        base_url = req.base_url or self.base_url
        api_key = req.api_key
        if not api_key and (own_endpoint or not self._key_from_env):
            api_key = self.api_key
        if not api_key and self._key_required(base_url):
            names = " or ".join(self.api_key_env) or "none"
            raise MissingAPIKeyError(
                f"{type(self).__name__} has no API key: pass api_key= (to the client or the "
                f"request) or set {names}",
                provider=self.provider,
                env_var=self.api_key_env[0] if self.api_key_env else "",
            )
        secrets = tuple(s for s in (self.api_key, req.api_key) if s)
        return Call(req, api_key, base_url, secrets)

    async def _run(self, req: CompletionRequest) -> AsyncIterator[StreamEvent]:
        secrets = tuple(s for s in (self.api_key, req.api_key) if s)
        try:
            if req.skills is not None:
                req = dataclasses.replace(req, messages=req.resolved_messages(), skills=None)
            call = self._call(req)
            async with aclosing(self._attempts(call)) as events:
                if req.timeout is None:
                    async for event in events:
                        yield event
                    return
                deadline = anyio.current_time() + req.timeout
                while True:
                    try:
                        with anyio.fail_after(deadline - anyio.current_time()):
                            event = await events.__anext__()
                    except StopAsyncIteration:
                        return
                    except TimeoutError:
                        raise APITimeoutError(
                            f"the request did not finish within its {req.timeout:g}s timeout",
                            provider=self.provider,
                        ) from None
                    yield event
        except PollyError as exc:
            yield ErrorEvent(sanitized(exc, secrets))

    async def _attempts(self, call: Call) -> AsyncGenerator[StreamEvent, None]:
        """The events of *call*: one attempt, or several while a failure before the first
        event may be retried (see the module docstring). Raises the typed error."""
        prepared = await self._prepare(call)
        if isinstance(prepared, PollyError):
            raise prepared
        vendor, body = prepared
        attempt = 0
        while True:
            acc = StreamAccumulator(self.provider)
            produced = False
            try:
                stream = await self._open(vendor, call, body)
                try:
                    decoder = self._decoder(call, body, stream, acc)
                    async for item in stream:
                        for event in decoder.feed(item):
                            produced = True
                            yield event
                finally:
                    await _close_stream(stream)
                for event in decoder.finish():
                    yield event
                for event in acc.finish():
                    yield event
                return
            except PollyError as exc:
                error = exc
            except Exception as exc:
                error = self._error(exc, call)
            delay = None if produced else self._retry_delay(error, attempt)
            if delay is None:
                raise error
            attempt += 1
            await anyio.sleep(delay)

    async def _prepare(self, call: Call) -> tuple[V, Any] | PollyError:
        """The vendor client and the encoded body, or the error that prevents the call."""
        try:
            return await self._vendor_client(), self._encode(call)
        except PollyError as exc:
            return exc
        except Exception as exc:
            return self._error(exc, call)

    def _error(self, exc: Exception, call: Call) -> PollyError:
        """*exc* as a typed, sanitized pollytool error chained to it."""
        mapped = self._map_error(exc, call) or transport_error(
            exc, provider=self.provider, secrets=call.secrets
        )
        if mapped is None:
            mapped = ResponseError(
                f"{type(exc).__name__}: {redact(str(exc), call.secrets)}", provider=self.provider
            )
        return sanitized(mapped, call.secrets, cause=exc)

    def _retry_delay(self, error: PollyError, attempt: int) -> float | None:
        """Seconds to wait before trying again after *error*, or ``None`` not to."""
        if not self.base_retries or attempt >= self.max_retries:
            return None
        if not isinstance(error, ProviderError) or not error.retryable:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= MAX_RETRY_WAIT else None
        wait: float = min(BACKOFF_START * 2.0**attempt, BACKOFF_MAX)
        return wait * (1 - 0.25 * random.random())


def check_settings(max_retries: object, timeout: object) -> None:
    """Raise :class:`~pollytool.errors.ConfigurationError` unless *max_retries* is an int of 0
    or more and *timeout* a positive number of seconds."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be an int of 0 or more, got {max_retries!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, got {timeout!r}")


class Single(Generic[T]):
    """An async iterator of one item: how ``_open`` returns a non-streamed response."""

    __slots__ = ("_item",)

    def __init__(self, item: T) -> None:
        self._item = [item]

    def __aiter__(self) -> Single[T]:
        return self

    async def __anext__(self) -> T:
        if not self._item:
            raise StopAsyncIteration
        return self._item.pop()


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


async def _close_stream(stream: object) -> None:
    """Close an SDK response iterator (``aclose`` or ``close``), even while being cancelled:
    a response left open keeps its connection busy until the garbage collector finds it."""
    close = getattr(stream, "aclose", None) or getattr(stream, "close", None)
    if close is None:
        return
    with anyio.CancelScope(shield=True):
        await close()
