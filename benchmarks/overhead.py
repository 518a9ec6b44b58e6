"""Per-event streaming overhead: pollytool vs the raw vendor SDK (and LiteLLM) in one run.

For each provider the same synthetic stream (``CHUNKS`` text deltas, served from a separate
process) is consumed by the raw vendor SDK's own async stream, by pollytool's ``stream()``, and
by LiteLLM where it is installed. Each consumer keeps the text deltas, as an application would.
The figure is the CPU time of the thread running the event loop (``time.thread_time``: no
background thread of any library counts), median over interleaved runs, each started after a
garbage collection with the long-lived objects frozen out of the collector's reach. Each run
times every contender back to back (in alternating order); the overhead is the median over
runs of the ratio pollytool / raw SDK within a run. The raw SDK builds a typed object per chunk;
pollytool reads the wire JSON through the same SDK client (``client.post`` with
``AsyncStream[object]`` for OpenAI and Anthropic, ``_request(dict, ...)`` for Ollama,
``_api_client.async_request_streamed`` for Gemini), so a ratio well below 1 is expected there.

A fourth contender, the **transport floor**, reads the same stream's bytes with the HTTP
library the SDK is built on (``httpx2`` for OpenAI, Anthropic and Gemini, ``httpx`` for
Ollama) and parses nothing: no adapter that keeps the SDK's transport can go below it. It
shows how much of each ratio is decoding and how much is the transport itself.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.streams import MODEL, expected_text

__all__ = ["measure_overhead"]

#: Consumes one stream; returns the text deltas, or ``None`` for the transport floor (which
#: reads bytes only and checks the stream's last line itself).
Consume = Callable[[], Awaitable[str | None]]


@dataclass
class _Contender:
    name: str
    consume: Consume
    close: Callable[[], Awaitable[None]]


async def _noop() -> None:
    return None


def _user_messages() -> list[dict[str, str]]:
    return [{"role": "user", "content": "Say many words."}]


# --------------------------------------------------------------------------- raw SDKs


def _raw_openai_chat(base_url: str) -> _Contender:
    import openai

    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url + "/v1", max_retries=0)

    async def consume() -> str:
        parts: list[str] = []
        stream = await client.chat.completions.create(
            model=MODEL, messages=_user_messages(), stream=True,  # type: ignore[arg-type]
            stream_options={"include_usage": True},
        )  # fmt: skip
        async for chunk in stream:
            if chunk.choices and (delta := chunk.choices[0].delta.content):
                parts.append(delta)
        return "".join(parts)

    return _Contender("raw SDK", consume, client.close)


def _raw_openai_responses(base_url: str) -> _Contender:
    import openai

    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url + "/v1", max_retries=0)

    async def consume() -> str:
        parts: list[str] = []
        stream = await client.responses.create(model=MODEL, input="Say many words.", stream=True)
        async for event in stream:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)
        return "".join(parts)

    return _Contender("raw SDK", consume, client.close)


def _raw_anthropic(base_url: str) -> _Contender:
    import anthropic

    client = anthropic.AsyncAnthropic(api_key="sk-ant-bench", base_url=base_url, max_retries=0)

    async def consume() -> str:
        parts: list[str] = []
        stream = await client.messages.create(
            model=MODEL, max_tokens=4096, messages=_user_messages(), stream=True,  # type: ignore[arg-type]
        )  # fmt: skip
        async for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                parts.append(event.delta.text)
        return "".join(parts)

    return _Contender("raw SDK", consume, client.close)


def _raw_gemini(base_url: str) -> _Contender:
    import httpx2
    from google import genai
    from google.genai import types

    config = types.GenerateContentConfig(max_output_tokens=4096)
    client = genai.Client(
        api_key="AIza-bench",
        http_options=types.HttpOptions(
            base_url=base_url, api_version="v1beta",
            async_client_args={"transport": httpx2.AsyncHTTPTransport()},
        ),
    )  # fmt: skip

    async def consume() -> str:
        parts: list[str] = []
        # any config (even an empty one) costs the SDK ~20 extra calls per chunk, and every
        # real request carries one, so the baseline sets the same output limit as pollytool
        stream = await client.aio.models.generate_content_stream(
            model=MODEL, contents="Say many words.", config=config
        )
        async for chunk in stream:
            for part in (chunk.candidates or [])[0].content.parts or []:  # type: ignore[union-attr]
                if part.text:
                    parts.append(part.text)
        return "".join(parts)

    return _Contender("raw SDK", consume, client.aio.aclose)


def _raw_ollama(base_url: str) -> _Contender:
    import ollama

    client = ollama.AsyncClient(host=base_url)

    async def consume() -> str:
        parts: list[str] = []
        async for part in await client.chat(model=MODEL, messages=_user_messages(), stream=True):
            if part.message.content:
                parts.append(part.message.content)
        return "".join(parts)

    return _Contender("raw SDK", consume, client._client.aclose)


# --------------------------------------------------------------------------- pollytool


def _polly(make_client: Callable[[str], Any], **request: Any) -> Callable[[str], _Contender]:
    def build(base_url: str) -> _Contender:
        from pollytool import ChatMessage, CompletionRequest, ContentEvent

        client = make_client(base_url)
        req = CompletionRequest(MODEL, [ChatMessage.user("Say many words.")], **request)

        async def consume() -> str:
            parts: list[str] = []
            async for event in client.stream(req):
                if isinstance(event, ContentEvent):
                    parts.append(event.content)
            return "".join(parts)

        return _Contender("pollytool", consume, client.aclose)

    return build


def _polly_openai(base_url: str) -> Any:
    from pollytool.llm import OpenAIClient

    return OpenAIClient(api_key="sk-bench", base_url=base_url + "/v1", max_retries=0)


def _polly_anthropic(base_url: str) -> Any:
    from pollytool.llm import AnthropicClient

    return AnthropicClient(api_key="sk-ant-bench", base_url=base_url, max_retries=0)


def _polly_gemini(base_url: str) -> Any:
    from pollytool.llm import GeminiClient

    return GeminiClient(api_key="AIza-bench", base_url=base_url, api_version="v1beta",
                        max_retries=0)  # fmt: skip


def _polly_ollama(base_url: str) -> Any:
    from pollytool.llm import OllamaClient

    return OllamaClient(base_url=base_url)


# --------------------------------------------------------------------------- LiteLLM


def _litellm(model: str, path_base: str) -> Callable[[str], _Contender] | None:
    import importlib.util

    if importlib.util.find_spec("litellm") is None:  # installed by ``nox -s bench`` only
        return None

    def build(base_url: str) -> _Contender:
        import litellm

        async def consume() -> str:
            parts: list[str] = []
            stream = await litellm.acompletion(
                model=model, messages=_user_messages(), stream=True,
                api_base=base_url + path_base, api_key="sk-bench", max_tokens=4096,
            )  # fmt: skip
            async for chunk in stream:
                if chunk.choices and (delta := chunk.choices[0].delta.content):
                    parts.append(delta)
            return "".join(parts)

        return _Contender("LiteLLM", consume, _noop)

    return build


# --------------------------------------------------------------------------- transport floor

#: The text of each stream's last line (how the floor knows it read the whole stream).
_LAST_LINE = {"openai-chat": b"[DONE]", "openai-responses": b"response.completed",
              "anthropic": b"message_stop", "gemini": b"finishReason",
              "ollama": b"done_reason"}  # fmt: skip


def _floor(provider: str) -> Callable[[str], _Contender]:
    """The SDK's HTTP library reading *provider*'s stream with no parsing at all."""

    def build(base_url: str) -> _Contender:
        if provider == "ollama":
            import httpx as http
        else:
            import httpx2 as http
        from benchmarks.streams import ROUTES

        client = http.AsyncClient(base_url=base_url)
        path = ROUTES[provider]
        marker = _LAST_LINE[provider]

        async def consume() -> None:
            before = last = b""
            async with client.stream("POST", path, json={"model": MODEL}) as response:
                async for piece in response.aiter_raw():
                    before, last = last, piece
            if marker not in before + last:
                raise AssertionError(f"{provider}: the stream's last piece lacks {marker!r}")

        return _Contender("transport floor", consume, client.aclose)

    return build


# --------------------------------------------------------------------------- the run

CONTENDERS: dict[str, list[Callable[[str], _Contender] | None]] = {
    "openai-chat": [_raw_openai_chat, _polly(_polly_openai, provider_options={"api": "chat"}),
                    _floor("openai-chat"), _litellm(f"openai/{MODEL}", "/v1")],
    "openai-responses": [_raw_openai_responses,
                         _polly(_polly_openai, provider_options={"api": "responses"}),
                         _floor("openai-responses")],
    "anthropic": [_raw_anthropic, _polly(_polly_anthropic, max_tokens=4096),
                  _floor("anthropic"), _litellm(f"anthropic/{MODEL}", "")],
    "gemini": [_raw_gemini, _polly(_polly_gemini, max_tokens=4096), _floor("gemini")],
    "ollama": [_raw_ollama, _polly(_polly_ollama), _floor("ollama"),
               _litellm(f"ollama_chat/{MODEL}", "")],
}  # fmt: skip


#: Contenders measured with every run (peers only need the order of magnitude).
_FULL_RUNS = frozenset({"pollytool", "transport floor"})


async def _cpu_seconds(consume: Consume, expected: str) -> float:
    gc.collect()  # start each sample clean: no contender pays for another's garbage
    start = time.thread_time()
    text = await consume()
    elapsed = time.thread_time() - start
    if text is not None and text != expected:
        raise AssertionError(f"consumer produced {len(text)} chars, expected {len(expected)}")
    return elapsed


async def _paired(
    raw: _Contender, other: _Contender, expected: str, runs: int
) -> tuple[list[float], list[float]]:
    """CPU samples of *raw* and *other*, measured back to back in alternating order."""
    raw_samples: list[float] = []
    other_samples: list[float] = []
    for run in range(runs):
        first_raw = run % 2 == 0
        for contender in (raw, other) if first_raw else (other, raw):
            seconds = await _cpu_seconds(contender.consume, expected)
            (raw_samples if contender is raw else other_samples).append(seconds)
    return raw_samples, other_samples


async def measure_overhead(base_url: str, chunks: int, runs: int) -> list[dict[str, Any]]:
    """Rows ``{provider, contender, cpu_ms, ratio}``; ratio is relative to the raw SDK.

    pollytool and each peer are measured against the raw SDK in separate paired phases, so a
    heavy peer's caches and garbage never sit between a raw sample and its pollytool pair.
    """
    expected = expected_text(chunks)
    rows: list[dict[str, Any]] = []
    for provider, builders in CONTENDERS.items():
        raw, *others = [build(base_url) for build in builders if build is not None]
        for contender in (raw, *others):  # warm-up: connections, imports, caches
            await _cpu_seconds(contender.consume, expected)
        gc.collect()
        gc.freeze()  # imported modules and clients: not every contender's collection work
        phases = []
        for other in others:  # peers get fewer runs: they only need the order of magnitude
            phase_runs = runs if other.name in _FULL_RUNS else max(3, runs // 3)
            phases.append((other, *await _paired(raw, other, expected, phase_runs)))
        for contender in (raw, *others):
            await contender.close()
        gc.unfreeze()
        raw_all = [s for _, raw_samples, _ in phases for s in raw_samples]
        median = statistics.median(raw_all)
        rows.append({"provider": provider, "contender": raw.name, "cpu_ms": median * 1000,
                     "per_event_us": median / chunks * 1e6, "ratio": 1.0})  # fmt: skip
        for other, raw_samples, values in phases:
            median = statistics.median(values)
            # each pair is measured back to back, so its ratio is immune to the slow and
            # fast phases of a shared VM; the median of the pairs' ratios is reported
            ratio = statistics.median(v / r for v, r in zip(values, raw_samples, strict=True))
            rows.append({"provider": provider, "contender": other.name, "cpu_ms": median * 1000,
                         "per_event_us": median / chunks * 1e6, "ratio": ratio})  # fmt: skip
    return rows
