"""Each provider's error phrases (its one table of wording for failures it gives no other
signal for), one test per phrase: the provider's own example message, sent back with a 400
through its real SDK, becomes the phrase's error class and code."""

from __future__ import annotations

from typing import Any

import pytest

from pollytool.providers._errors import Phrase
from pollytool.providers.anthropic._errors import PHRASES as ANTHROPIC
from pollytool.providers.gemini._errors import PHRASES as GEMINI
from pollytool.providers.ollama._errors import PHRASES as OLLAMA
from pollytool.providers.openai._errors import PHRASES as OPENAI
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import collect, only_error
from tests.providers._harness import HARNESSES

pytestmark = pytest.mark.anyio


def _body(provider: str, message: str) -> dict[str, Any]:
    if provider.startswith("openai"):
        return {"error": {"message": message, "type": "invalid_request_error", "code": None}}
    if provider == "anthropic":
        return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    if provider == "gemini":
        return {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": message}}
    return {"error": message}


TABLES = {"openai-chat": OPENAI, "anthropic": ANTHROPIC, "gemini": GEMINI, "ollama": OLLAMA}
CASES = [(provider, phrase) for provider, table in TABLES.items() for phrase in table]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(("provider", "phrase"), CASES,
                         ids=[f"{p}:{ph.code}:{ph.pattern}" for p, ph in CASES])  # fmt: skip
async def test_phrase(provider: str, phrase: Phrase, loopback: LoopbackServer) -> None:
    harness = HARNESSES[provider]
    loopback.add("POST", harness.path(), Reply.json(_body(provider, phrase.example), 400))
    async with harness.client(loopback.url) as client:
        error = only_error(await collect(client, harness.request()))
    assert type(error) is phrase.cls
    assert (error.status_code, error.code) == (400, phrase.code)
