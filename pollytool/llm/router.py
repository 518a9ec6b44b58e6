"""``MultiPass``: one client for every provider, routed by the ``provider/`` model prefix."""

from __future__ import annotations

import dataclasses
import os
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidModelError,
    MissingAPIKeyError,
    PollyError,
    UnknownProviderError,
)
from ..events import ErrorEvent
from ..providers import get_provider, provider_names
from ..stream import LLM, BaseLLM, EventStream

if TYPE_CHECKING:
    from ..events import StreamEvent
    from ..request import CompletionRequest

__all__ = ["MultiPass", "get_default_client"]

_ClientKey = tuple[str, str | None, str | None]


class MultiPass(BaseLLM):
    """Routes ``"provider/model"`` requests to the right provider client.

    Keys come from *api_keys* (``{"openai": "sk-…"}``), else from the environment variables
    ``POLLYTOOL_<PROVIDER>KEY`` as they were when the router was made; a request's own
    ``api_key`` wins over both. Base URLs come from the request, *base_urls* or
    ``POLLYTOOL_<PROVIDER>_BASEURL``. *clients* supplies ready-made clients per provider
    (for example a scripted :class:`~pollytool.providers.fake.FakeLLM` under ``"fake"``).

    Routing errors (no prefix, unknown provider, missing key) arrive as one ``error`` event,
    like provider errors. The router never changes the caller's request. It keeps one client
    (and so one connection pool) per provider, key and base URL for each event loop, and is
    safe to share between tasks. ``await router.aclose()`` (or ``async with``) releases them.
    """

    def __init__(
        self,
        api_keys: Mapping[str, str] | None = None,
        *,
        base_urls: Mapping[str, str] | None = None,
        clients: Mapping[str, LLM] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        source = os.environ if env is None else env
        self._env = {k: v for k, v in source.items() if k.startswith("POLLYTOOL_") and v}
        self._keys = {k.lower(): v for k, v in (api_keys or {}).items() if v}
        self._base_urls = {k.lower(): v for k, v in (base_urls or {}).items() if v}
        self._fixed = {k.lower(): v for k, v in (clients or {}).items()}
        self._pools: weakref.WeakKeyDictionary[Any, dict[_ClientKey, LLM]] = (
            weakref.WeakKeyDictionary()
        )
        self._unweakable: dict[int, dict[_ClientKey, LLM]] = {}

    def __repr__(self) -> str:
        configured = sorted({*self._keys, *self._fixed})
        return f"MultiPass(providers={configured})"

    # ------------------------------------------------------------------ routing

    def stream(self, req: CompletionRequest) -> EventStream:
        """Route *req* by its model prefix and return the provider's events."""
        try:
            client, routed = self._route(req)
        except PollyError as exc:
            return EventStream(_single_error(exc))
        events = client.stream(routed)
        return events if isinstance(events, EventStream) else EventStream(events)

    def _route(self, req: CompletionRequest) -> tuple[LLM, CompletionRequest]:
        provider, sep, model = req.model.partition("/")
        provider = provider.strip().lower()
        if not sep or not provider or not model.strip():
            raise InvalidModelError(
                "model must include a provider prefix, e.g. 'openai/gpt-5.4' or "
                f"'anthropic/claude-sonnet-4-6'; got {req.model!r}"
            )
        routed = dataclasses.replace(req, model=model, api_key=None, base_url=None)
        fixed = self._fixed.get(provider)
        if fixed is not None:
            return fixed, routed
        info = get_provider(provider)
        if info is None:
            valid = provider_names()
            raise UnknownProviderError(
                f"unknown provider '{provider}'. Valid providers: {', '.join(valid)}",
                provider=provider,
                valid=valid,
            )
        base_url = (
            req.base_url or self._base_urls.get(provider) or self._env.get(info.base_url_env_var)
        )
        api_key = req.api_key or self._keys.get(provider) or self._env.get(info.key_env_var)
        if not api_key and info.requires_key and not (info.keyless_with_base_url and base_url):
            raise MissingAPIKeyError(
                f"missing API key for provider '{provider}'. Set the {info.key_env_var} "
                "environment variable or pass api_keys to MultiPass.",
                provider=provider,
                env_var=info.key_env_var,
            )
        cache = self._cache()
        key: _ClientKey = (provider, api_key, base_url)
        client = cache.get(key)
        if client is None:
            client = info.load_factory()(api_key=api_key, base_url=base_url)
            cache[key] = client
        return client, routed

    def _cache(self) -> dict[_ClientKey, LLM]:
        loop = _current_loop()
        try:
            return self._pools.setdefault(loop, {})
        except TypeError:  # not weak-referenceable
            return self._unweakable.setdefault(id(loop), {})

    async def aclose(self) -> None:
        """Close the clients this router made on the current event loop."""
        loop = _current_loop()
        try:
            clients = self._pools.pop(loop, {})
        except TypeError:
            clients = self._unweakable.pop(id(loop), {})
        for client in clients.values():
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
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
