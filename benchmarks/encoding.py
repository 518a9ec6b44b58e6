"""Per-turn request-building cost at 1, 100 and 500 history messages.

Two figures per provider and size, for a history of N alternating user/assistant messages:

* ``encode_ms``: pollytool's own request building (its messages to the provider's request
  parameters), timed alone (best of the samples). It must grow linearly with N and stay under
  1 ms at 500.
* ``raw_ms`` / ``pollytool_ms`` / ``added_ms`` / ``ratio``: the whole non-streamed call
  (against a tiny JSON reply from the loopback server) through the raw SDK with pre-built
  parameters and through pollytool (which sends its encoded body through the SDK's low-level
  ``post`` where it can, skipping the SDK's parameter transformation and typed response).
  ``ratio`` is pollytool / raw SDK; at 500 messages it is checked against issue 23's target.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.streams import MODEL

__all__ = ["SIZES", "measure_encoding"]

SIZES = (1, 100, 500)


def _history(n: int) -> list[dict[str, str]]:
    return [
        {"role": "user" if i % 2 == 0 else "assistant",
         "content": f"message number {i} with a few words of text in it"}
        for i in range(n)
    ]  # fmt: skip


async def _cpu(call: Callable[[], Awaitable[Any]], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.thread_time()
        await call()
        samples.append(time.thread_time() - start)
    return statistics.median(samples)


def _providers(url: str) -> dict[str, tuple[Any, Any, Callable[[Any, int], Any], dict[str, Any]]]:
    """provider -> (raw client, pollytool client, raw call factory, provider_options)."""
    import anthropic
    import httpx2
    import ollama
    import openai
    from google import genai
    from google.genai import types

    from pollytool.llm import AnthropicClient, GeminiClient, OllamaClient, OpenAIClient

    raw_openai = openai.AsyncOpenAI(api_key="sk-bench", base_url=url + "/v1", max_retries=0)
    raw_gemini = genai.Client(
        api_key="AIza-bench",
        http_options=types.HttpOptions(
            base_url=url, api_version="v1beta",
            async_client_args={"transport": httpx2.AsyncHTTPTransport()},
        ),
    ).aio  # fmt: skip

    def openai_chat(client: Any, n: int) -> Callable[[], Awaitable[Any]]:
        params = {"model": MODEL, "messages": _history(n)}
        return lambda: client.chat.completions.create(**params)

    def openai_responses(client: Any, n: int) -> Callable[[], Awaitable[Any]]:
        params = {"model": MODEL, "input": _history(n)}
        return lambda: client.responses.create(**params)

    def anthropic_call(client: Any, n: int) -> Callable[[], Awaitable[Any]]:
        params = {"model": MODEL, "max_tokens": 1024, "messages": _history(n)}
        return lambda: client.messages.create(**params)

    def gemini_call(client: Any, n: int) -> Callable[[], Awaitable[Any]]:
        contents = [
            {"role": "user" if m["role"] == "user" else "model", "parts": [{"text": m["content"]}]}
            for m in _history(n)
        ]
        return lambda: client.models.generate_content(model=MODEL, contents=contents)

    def ollama_call(client: Any, n: int) -> Callable[[], Awaitable[Any]]:
        params = {"model": MODEL, "messages": _history(n)}
        return lambda: client.chat(**params)

    polly_openai = OpenAIClient(api_key="sk-bench", base_url=url + "/v1", max_retries=0)
    return {
        "openai-chat": (raw_openai, polly_openai, openai_chat, {"api": "chat"}),
        "openai-responses": (raw_openai, polly_openai, openai_responses, {"api": "responses"}),
        "anthropic": (
            anthropic.AsyncAnthropic(api_key="sk-bench", base_url=url, max_retries=0),
            AnthropicClient(api_key="sk-bench", base_url=url, max_retries=0),
            anthropic_call,
            {},
        ),
        "gemini": (
            raw_gemini,
            GeminiClient(api_key="AIza-bench", base_url=url, api_version="v1beta", max_retries=0),
            gemini_call,
            {},
        ),
        "ollama": (ollama.AsyncClient(host=url), OllamaClient(base_url=url), ollama_call, {}),
    }


def _encoders() -> dict[str, Callable[[Any], Any]]:
    """provider -> pollytool's request-building function for it."""
    from pollytool.providers.anthropic._encode import encode_request as anthropic_encode
    from pollytool.providers.gemini._encode import encode_request as gemini_encode
    from pollytool.providers.ollama._encode import build_chat_body
    from pollytool.providers.openai._chat import encode_chat
    from pollytool.providers.openai._responses_encode import encode_responses

    return {
        "openai-chat": lambda req: encode_chat(req, openai_host=False),
        "openai-responses": encode_responses,
        "anthropic": anthropic_encode,
        "gemini": gemini_encode,
        "ollama": lambda req: build_chat_body(req, None),
    }


def _encode_seconds(encode: Callable[[Any], Any], req: Any, repeat: int) -> float:
    """Best of *repeat* samples of 10 calls: for a pure-CPU function on a shared VM the minimum
    is the stable estimate (noise only ever adds time)."""
    samples = []
    for _ in range(repeat):
        start = time.thread_time()
        for _ in range(10):
            encode(req)
        samples.append((time.thread_time() - start) / 10)
    return min(samples)


async def measure_encoding(url: str, repeat: int) -> list[dict[str, Any]]:
    """Rows ``{provider, messages, encode_ms, raw_ms, pollytool_ms, added_ms, ratio}``."""
    from pollytool import ChatMessage, CompletionRequest

    rows = []
    encoders = _encoders()
    for provider, (raw, polly, raw_call, options) in _providers(url).items():
        for n in SIZES:
            history = [ChatMessage(m["role"], m["content"]) for m in _history(n)]
            req = CompletionRequest(
                MODEL, history, stream=False, max_tokens=1024, provider_options=options
            )

            async def polly_call(req: CompletionRequest = req, client: Any = polly) -> None:
                await client.stream(req).collect()

            call = raw_call(raw, n)
            await call()
            await polly_call()
            raw_s = await _cpu(call, repeat)
            polly_s = await _cpu(polly_call, repeat)
            encode_s = _encode_seconds(encoders[provider], req, max(repeat, 200))
            rows.append({"provider": provider, "messages": n, "encode_ms": encode_s * 1000,
                         "raw_ms": raw_s * 1000,
                         "pollytool_ms": polly_s * 1000,
                         "added_ms": (polly_s - raw_s) * 1000,
                         "ratio": polly_s / raw_s})  # fmt: skip
    return rows
