"""Shared fixtures: the async backends every async test runs on, and the loopback server.

Async tests run on asyncio and trio. Test modules for a vendor SDK that supports only asyncio
override the fixture in the module::

    @pytest.fixture
    def anyio_backend() -> str:
        return "asyncio"
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.loopback import LoopbackServer


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
async def loopback() -> AsyncIterator[LoopbackServer]:
    """A running :class:`LoopbackServer` on 127.0.0.1."""
    async with LoopbackServer() as server:
        yield server
