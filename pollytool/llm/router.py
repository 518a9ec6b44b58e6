"""``MultiPass``: one client for every provider, routed by the ``provider/`` model prefix."""

from __future__ import annotations

import dataclasses
import os
import weakref
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import anyio

from ..errors import (
    InvalidModelError,
    MissingAPIKeyError,
    PollyError,
    UnknownProviderError,
    UnsupportedFeatureError,
)
from ..events import ErrorEvent
from ..providers import get_provider, provider_names
from ..providers._base import check_settings
from ..stream import LLM, BaseLLM, EventStream

if TYPE_CHECKING:
    from ..embeddings import Embedder, EmbeddingRequest, EmbeddingResult
    from ..events import StreamEvent
    from ..providers import ClientFactory, ProviderInfo
    from ..request import CompletionRequest

__all__ = ["MAX_CLIENTS", "MultiPass", "get_default_client"]

#: How many clients of providers that take their key at construction (see
#: :func:`~pollytool.providers.register_provider`) are kept per event loop; the least recently
#: used idle one is closed when another is needed.
MAX_CLIENTS = 16

_ClientKey = tuple[str, str | None, str | None]


class _Clients:
    """The clients of one event loop."""

    __slots__ = ("busy", "per_key", "shared")

    def __init__(self) -> None:
        self.shared: dict[str, LLM] = {}
        self.per_key: OrderedDict[_ClientKey, LLM] = OrderedDict()
        self.busy: Counter[_ClientKey] = Counter()

    def all(self) -> list[LLM]:
        return [*self.shared.values(), *self.per_key.values()]


class MultiPass(BaseLLM):
    """Routes ``"provider/model"`` requests to the right provider client.

    Keys come from a request's own ``api_key``, else *api_keys* (``{"openai": "sk-…"}``), else
    the environment variable ``POLLYTOOL_<PROVIDER>KEY``; base URLs from the request,
    *base_urls* or ``POLLYTOOL_<PROVIDER>_BASEURL``. The environment is read for every request
    (a changed key or base URL applies to the next call) unless *env* is given, which is then
    the fixed set of variables. *clients* supplies ready-made clients per provider (for
    example a scripted :class:`~pollytool.providers.fake.FakeLLM` under ``"fake"``);
    *max_retries* and *timeout* configure every client the router builds (see
    :class:`~pollytool.providers._base.ProviderClient`).

    Routing errors (no prefix, unknown provider, missing key) arrive as one ``error`` event,
    like provider errors. The router never changes the caller's request. It keeps one client,
    so one connection pool, per provider and event loop: keys and base URLs travel with each
    request, so any number of users' keys share that pool. Providers registered with a
    factory that takes its key at construction get one client per key and base URL instead,
    at most :data:`MAX_CLIENTS` per loop (the least recently used idle one is closed). The
    router is safe to share between tasks; ``await router.aclose()`` (or ``async with``)
    releases the clients of the current loop.

    The first request through a provider imports its adapter and vendor SDK in a worker
    thread, never on the event loop; :meth:`warm_up` does that ahead of time.
    """

    def __init__(
        self,
        api_keys: Mapping[str, str] | None = None,
        *,
        base_urls: Mapping[str, str] | None = None,
        clients: Mapping[str, LLM] | None = None,
        env: Mapping[str, str] | None = None,
        max_retries: int = 2,
        timeout: float = 600.0,
    ) -> None:
        check_settings(max_retries, timeout)
        self._env = (
            None
            if env is None
            else {k: v for k, v in env.items() if k.startswith("POLLYTOOL_") and v}
        )
        self._keys = {k.lower(): v for k, v in (api_keys or {}).items() if v}
        self._base_urls = {k.lower(): v for k, v in (base_urls or {}).items() if v}
        self._fixed = {k.lower(): v for k, v in (clients or {}).items()}
        self._settings: dict[str, Any] = {"max_retries": max_retries, "timeout": timeout}
        self._factories: dict[ProviderInfo, ClientFactory] = {}
        self._loops: weakref.WeakKeyDictionary[Any, _Clients] = weakref.WeakKeyDictionary()
        self._unweakable: dict[int, _Clients] = {}

    def __repr__(self) -> str:
        configured = sorted({*self._keys, *self._fixed})
        return f"MultiPass(providers={configured})"

    # ------------------------------------------------------------------ routing

    def stream(self, req: CompletionRequest) -> EventStream:
        """Route *req* by its model prefix and return the provider's events."""
        try:
            provider, model = _split(req.model)
            fixed = self._fixed.get(provider)
            if fixed is not None:
                routed = dataclasses.replace(req, model=model, api_key=None, base_url=None)
                return _as_stream(fixed.stream(routed))
            info = _registered(provider)
            api_key, base_url = self._credentials(provider, info, req)
        except PollyError as exc:
            return EventStream(_single_error(exc))
        routed = dataclasses.replace(req, model=model, api_key=api_key, base_url=base_url)
        factory = self._factories.get(info)
        if factory is not None and info.shared:
            clients = self._clients()
            client = clients.shared.get(provider)
            if client is not None:  # the common case: straight to the provider's stream
                return _as_stream(client.stream(routed))
        return EventStream(self._route(info, routed, api_key, base_url))

    def _credentials(
        self, provider: str, info: ProviderInfo, req: CompletionRequest
    ) -> tuple[str | None, str | None]:
        env: Mapping[str, str] = os.environ if self._env is None else self._env
        base_url = (
            req.base_url or self._base_urls.get(provider) or env.get(info.base_url_env_var) or None
        )
        api_key = req.api_key or self._keys.get(provider) or env.get(info.key_env_var) or None
        if not api_key and info.requires_key and not (info.keyless_with_base_url and base_url):
            raise MissingAPIKeyError(
                f"missing API key for provider '{provider}'. Set the {info.key_env_var} "
                "environment variable or pass api_keys to MultiPass.",
                provider=provider,
                env_var=info.key_env_var,
            )
        return api_key, base_url

    async def _route(
        self,
        info: ProviderInfo,
        routed: CompletionRequest,
        api_key: str | None,
        base_url: str | None,
    ) -> AsyncIterator[StreamEvent]:
        try:
            clients = self._clients()
            client, key = await self._client_for(info, clients, api_key, base_url)
            if key is not None:
                routed = dataclasses.replace(routed, api_key=None, base_url=None)
            events = _as_stream(client.stream(routed))
            if key is not None:
                clients.busy[key] += 1
        except PollyError as exc:
            yield ErrorEvent(exc)
            return
        try:
            async with events:
                async for event in events:
                    yield event
        finally:
            if key is not None:
                clients.busy[key] -= 1

    async def _client_for(
        self, info: ProviderInfo, clients: _Clients, api_key: str | None, base_url: str | None
    ) -> tuple[LLM, _ClientKey | None]:
        """The client for *info*: the provider's shared one (key ``None``: the request
        carries its key and base URL), or the one made for this key and base URL."""
        factory = await self._factory(info)
        if info.shared:
            client = clients.shared.get(info.name)
            if client is None:
                client = clients.shared[info.name] = factory(**self._settings)
            return client, None
        key = (info.name, api_key, base_url)
        return await self._per_key_client(clients, key, factory), key

    # ------------------------------------------------------------------ embeddings

    async def embed(self, req: EmbeddingRequest) -> EmbeddingResult:
        """Route *req* by its model prefix to the provider's ``embed`` (keys and base URLs
        as for :meth:`stream`) and return its vectors, in input order; raises the typed
        error. A provider without an embeddings API (Anthropic) raises
        :class:`~pollytool.errors.UnsupportedFeatureError` before anything is sent."""
        provider, model = _split(req.model)
        fixed = self._fixed.get(provider)
        if fixed is not None:
            routed = dataclasses.replace(req, model=model, api_key=None, base_url=None)
            result = await _embedder(fixed, provider).embed(routed)
            return dataclasses.replace(result, model=req.model)
        info = _registered(provider)
        factory = await self._factory(info)
        if isinstance(factory, type):  # a client class: it must have ``embed``
            _embedder(factory, provider)
        api_key, base_url = self._credentials(provider, info, req.endpoint())
        clients = self._clients()
        client, key = await self._client_for(info, clients, api_key, base_url)
        if key is None:
            routed = dataclasses.replace(req, model=model, api_key=api_key, base_url=base_url)
        else:
            routed = dataclasses.replace(req, model=model, api_key=None, base_url=None)
            clients.busy[key] += 1
        try:
            result = await _embedder(client, provider).embed(routed)
        finally:
            if key is not None:
                clients.busy[key] -= 1
        return dataclasses.replace(result, model=req.model)

    async def _factory(self, info: ProviderInfo) -> ClientFactory:
        """The provider's client factory; its module (and so its vendor SDK) is imported in a
        worker thread the first time."""
        factory = self._factories.get(info)
        if factory is None:
            if info.loaded:
                factory = info.load_factory()
            else:
                factory = await anyio.to_thread.run_sync(info.load_factory)
            self._factories[info] = factory
        return factory

    async def _per_key_client(
        self, clients: _Clients, key: _ClientKey, factory: ClientFactory
    ) -> LLM:
        client = clients.per_key.get(key)
        if client is not None:
            clients.per_key.move_to_end(key)
            return client
        client = clients.per_key[key] = factory(api_key=key[1], base_url=key[2])
        if len(clients.per_key) > MAX_CLIENTS:
            idle = next((k for k in clients.per_key if not clients.busy[k]), None)
            if idle is not None:
                await _close(clients.per_key.pop(idle))
                del clients.busy[idle]
        return client

    def _clients(self) -> _Clients:
        loop = _current_loop()
        try:
            return self._loops.setdefault(loop, _Clients())
        except TypeError:  # not weak-referenceable
            return self._unweakable.setdefault(id(loop), _Clients())

    # ------------------------------------------------------------------ lifecycle

    async def warm_up(self, *providers: str) -> None:
        """Import the adapters and vendor SDKs of *providers* and build their clients now
        (in worker threads) rather than on the first request."""
        for name in providers:
            info = _registered(name.strip().lower())
            factory = await self._factory(info)
            if info.shared:
                clients = self._clients()
                client = clients.shared.get(info.name)
                if client is None:
                    client = clients.shared[info.name] = factory(**self._settings)
                warm = getattr(client, "warm_up", None)
                if warm is not None:
                    await warm()

    async def aclose(self) -> None:
        """Close the clients this router made on the current event loop."""
        loop = _current_loop()
        try:
            clients = self._loops.pop(loop, None)
        except TypeError:
            clients = self._unweakable.pop(id(loop), None)
        for client in clients.all() if clients is not None else ():
            await _close(client)


def _split(model: str) -> tuple[str, str]:
    provider, sep, name = model.partition("/")
    provider = provider.strip().lower()
    if not sep or not provider or not name.strip():
        raise InvalidModelError(
            "model must include a provider prefix, e.g. 'openai/gpt-5.4' or "
            f"'anthropic/claude-sonnet-4-6'; got {model!r}"
        )
    return provider, name


def _registered(provider: str) -> ProviderInfo:
    info = get_provider(provider)
    if info is None:
        valid = provider_names()
        raise UnknownProviderError(
            f"unknown provider '{provider}'. Valid providers: {', '.join(valid)}",
            provider=provider,
            valid=valid,
        )
    return info


def _embedder(client: object, provider: str) -> Embedder:
    """*client* (or a client class) as an :class:`~pollytool.embeddings.Embedder`, or
    :class:`~pollytool.errors.UnsupportedFeatureError` when it has no ``embed``."""
    if not callable(getattr(client, "embed", None)):
        raise UnsupportedFeatureError(
            f"{provider} has no embeddings API; use an openai/, gemini/ or ollama/ embedding model",
            provider=provider,
            feature="embeddings",
        )
    return cast("Embedder", client)


def _as_stream(events: AsyncIterator[StreamEvent]) -> EventStream:
    return events if isinstance(events, EventStream) else EventStream(events)


async def _close(client: LLM) -> None:
    aclose = getattr(client, "aclose", None)
    if aclose is not None:
        with anyio.CancelScope(shield=True):
            await aclose()


class _NoLoop:
    """Stands for "no event loop running" in the client cache."""


_NO_LOOP = _NoLoop()


def _current_loop() -> object:
    try:
        import sniffio

        library = sniffio.current_async_library()
    except Exception:
        return _NO_LOOP
    if library == "trio":
        import trio

        return trio.lowlevel.current_trio_token()
    import asyncio

    return asyncio.get_running_loop()


async def _single_error(exc: PollyError) -> AsyncIterator[StreamEvent]:
    yield ErrorEvent(exc)


def get_default_client() -> MultiPass:
    """A new :class:`MultiPass` configured from the ``POLLYTOOL_*`` environment variables."""
    return MultiPass()
