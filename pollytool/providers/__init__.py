"""Provider adapters and the registry that maps a provider name to its client factory.

Adapters are imported on first use: ``import pollytool.providers`` loads no vendor SDK, and
neither does importing an adapter (each imports its SDK when it builds its vendor client, in
a worker thread). Register your own provider with :func:`register_provider`::

    register_provider("mycloud", MyCloudClient, requires_key=True)
    # "mycloud/some-model" now routes to MyCloudClient(api_key=..., base_url=...)

An adapter over a vendor SDK subclasses :class:`ProviderClient` (the contract is documented
in :mod:`pollytool.providers._base`) with a :class:`Decoder` for its responses, and is
registered with ``shared=True``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_exports
from ..errors import ProviderUnavailableError

if TYPE_CHECKING:
    from ..stream import LLM
    from ._base import Call, ProviderClient
    from ._decoder import Decoder

__all__ = [
    "Call",
    "Decoder",
    "ProviderClient",
    "ProviderInfo",
    "get_provider",
    "provider_names",
    "register_provider",
]

__getattr__, __dir__ = lazy_exports(
    __name__, {"Call": "_base", "ProviderClient": "_base", "Decoder": "_decoder"}
)

ClientFactory = Callable[..., "LLM"]


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """How the router builds a client for one provider.

    Attributes:
        name: the ``provider/`` prefix.
        factory: a callable taking ``api_key=`` and ``base_url=`` keywords, or a
            ``"module:attribute"`` string imported on first use.
        requires_key: whether a request without an API key is an error.
        keyless_with_base_url: a key is optional once a base URL is set (OpenAI-compatible
            servers such as vLLM or llama.cpp).
        shared: the factory builds a :class:`ProviderClient`, which takes ``max_retries``
            and ``timeout`` keywords and each request's own ``api_key`` and ``base_url``, so
            the router keeps one per provider and event loop. Otherwise the factory is
            called as ``factory(api_key=..., base_url=...)`` once per key and base URL.
    """

    name: str
    factory: ClientFactory | str
    requires_key: bool = True
    keyless_with_base_url: bool = False
    shared: bool = False

    @property
    def key_env_var(self) -> str:
        """The environment variable holding this provider's key: ``POLLYTOOL_<NAME>KEY``."""
        return f"POLLYTOOL_{self.name.upper()}KEY"

    @property
    def base_url_env_var(self) -> str:
        """The environment variable holding a base URL: ``POLLYTOOL_<NAME>_BASEURL``."""
        return f"POLLYTOOL_{self.name.upper()}_BASEURL"

    @property
    def loaded(self) -> bool:
        """Whether the factory is at hand without importing anything."""
        if not isinstance(self.factory, str):
            return True
        return self.factory.partition(":")[0] in sys.modules

    def load_factory(self) -> ClientFactory:
        """Import (once) and return the client factory."""
        if not isinstance(self.factory, str):
            return self.factory
        module_name, _, attr = self.factory.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ProviderUnavailableError(
                f"provider '{self.name}' is registered but its adapter cannot be loaded "
                f"({module_name}: {exc})"
            ) from exc
        factory: Any = getattr(module, attr, None)
        if not callable(factory):
            raise ProviderUnavailableError(
                f"provider '{self.name}' is registered but {module_name} has no {attr}"
            )
        return factory  # type: ignore[no-any-return]


_REGISTRY: dict[str, ProviderInfo] = {
    info.name: info
    for info in (
        ProviderInfo("openai", "pollytool.providers.openai:OpenAIClient",
                     keyless_with_base_url=True, shared=True),
        ProviderInfo("anthropic", "pollytool.providers.anthropic:AnthropicClient", shared=True),
        ProviderInfo("gemini", "pollytool.providers.gemini:GeminiClient", shared=True),
        ProviderInfo("ollama", "pollytool.providers.ollama:OllamaClient", requires_key=False,
                     shared=True),
        ProviderInfo("fake", "pollytool.providers.fake:FakeLLM", requires_key=False,
                     shared=True),
    )
}  # fmt: skip


def register_provider(
    name: str,
    factory: ClientFactory | str,
    *,
    requires_key: bool = True,
    keyless_with_base_url: bool = False,
    shared: bool = False,
) -> ProviderInfo:
    """Register (or replace) a provider under *name* (lower-case letters, digits, ``-``,
    ``_``). The factory is called as ``factory(api_key=..., base_url=...)``, or, with
    *shared* (a :class:`ProviderClient` subclass), as ``factory(max_retries=...,
    timeout=...)`` once per event loop (see :class:`ProviderInfo`)."""
    key = name.strip().lower()
    if not key or "/" in key or not key.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"invalid provider name {name!r}")
    info = ProviderInfo(key, factory, requires_key, keyless_with_base_url, shared)
    _REGISTRY[key] = info
    return info


def get_provider(name: str) -> ProviderInfo | None:
    """The registered provider called *name* (case-insensitive), or ``None``."""
    return _REGISTRY.get(name.lower())


def provider_names() -> list[str]:
    """Registered provider names, sorted."""
    return sorted(_REGISTRY)
