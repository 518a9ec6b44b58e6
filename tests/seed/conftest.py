"""The seed document's examples (``shared/seed/pollytool-api.md``), translated to the Python
API, run against the loopback provider server: each test names the section it translates."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pollytool import MultiPass
from tests.examples._support import provider_env
from tests.fakes.loopback import LoopbackServer


@pytest.fixture
async def router(loopback: LoopbackServer) -> AsyncIterator[MultiPass]:
    """``llm.GetDefaultClient()`` with the environment pointing every provider at the
    loopback server (``POLLYTOOL_<P>KEY`` and ``POLLYTOOL_<P>_BASEURL``)."""
    async with MultiPass(env=provider_env(loopback)) as client:
        yield client
