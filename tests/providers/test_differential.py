"""The oracle for wire-JSON decoding: every recorded cassette and every scripted reply is
decoded twice, from the same bytes on the loopback server, and the results must agree.

* **the vendor SDK's own typed accumulation**: OpenAI ``chat.completions.stream(...)`` /
  ``responses.stream(...)`` final objects (``create`` for whole replies), Anthropic
  ``messages.stream(...).get_final_message()``, the Gemini chunks joined, the Ollama chunks
  joined;
* **pollytool's adapter**, which reads the wire JSON itself.

Both final replies are reduced to the same plain form (:class:`Final`: text, reasoning,
signatures, tool calls, usage, the provider's stop word) following pollytool's documented
conventions (Anthropic's input tokens include the cache, Gemini's output tokens include
thoughts, reasoning items are separated by a blank line…), and must be equal. A reply the SDK
rejects with an exception must give pollytool the error class that exception maps to.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from pollytool.messages import ChatMessage
from pollytool.providers.ollama._think_tags import ThinkTagSplitter
from tests.fakes.cassettes import load_cassette
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import collect, final_message, only_error
from tests.providers._harness import HARNESSES, Call, Harness
from tests.providers.test_conformance_cassettes import APIS, CASES, _frames, _stream_items

pytestmark = pytest.mark.anyio

MODEL = "test-model"


@dataclass(frozen=True)
class Final:
    """A final reply in a form both decoders can be reduced to."""

    text: str
    reasoning: str
    signatures: tuple[str, ...]
    calls: tuple[tuple[str, Any], ...]  # (name, parsed arguments)
    usage: tuple[int, int] | None  # (input tokens, output tokens)
    stop: str | None


@dataclass
class _Pieces:
    """What the SDK side collects from a final reply, in order."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def final(self, usage: tuple[int, int] | None, stop: str | None, sep: str = "") -> Final:
        return Final("".join(self.text), sep.join(self.reasoning), tuple(self.signatures),
                     tuple(self.calls), usage, stop)  # fmt: skip


def _args(text: str) -> Any:
    return json.loads(text) if text.strip() else {}


def _signature(value: Any) -> str:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else str(value)


def _polly_final(message: ChatMessage, provider: str) -> Final:
    signatures = []
    for part in message.response_parts:
        data = part.provider_data.get(provider) if hasattr(part, "provider_data") else None
        if isinstance(data, dict):
            for key in ("signature", "encrypted_content", "thought_signature"):
                if data.get(key):
                    signatures.append(_signature(data[key]))
    for call in message.tool_calls:
        data = call.provider_data.get(provider)
        if isinstance(data, dict) and data.get("thought_signature"):
            signatures.append(_signature(data["thought_signature"]))
    usage = message.usage
    return Final(
        message.content,
        message.reasoning,
        tuple(signatures),
        tuple((c.name, _args(c.arguments)) for c in message.tool_calls),
        (usage.input_tokens, usage.output_tokens) if usage is not None else None,
        message.raw_stop_reason,
    )


# --------------------------------------------------------------------------- the SDK side


def _openai(url: str) -> Any:
    import openai

    return openai.AsyncOpenAI(api_key="sk-test", base_url=url + "/v1", max_retries=0)


async def _openai_chat(url: str, stream: bool) -> Final:
    from openai.lib.streaming.chat import ChatCompletionStreamState

    client = _openai(url)
    messages: Any = [{"role": "user", "content": "Hello"}]
    async with client:
        if stream:  # the accumulation of chat.completions.stream(), without its parsing step
            state: Any = ChatCompletionStreamState()
            chunks = await client.chat.completions.create(
                model=MODEL, messages=messages, stream=True
            )
            async for chunk in chunks:
                state.handle_chunk(chunk)
            completion: Any = state.current_completion_snapshot
        else:
            completion = await client.chat.completions.create(model=MODEL, messages=messages)
    choice = completion.choices[0]
    message = choice.message
    extra = message.model_extra or {}
    reasoning = extra.get("reasoning_content") or extra.get("reasoning") or ""
    usage = completion.usage
    return Final(
        (message.content or "") + (message.refusal or ""),
        reasoning,
        (),
        tuple((c.function.name, _args(c.function.arguments)) for c in message.tool_calls or ()),
        (usage.prompt_tokens, usage.completion_tokens) if usage is not None else None,
        "refusal" if message.refusal else (choice.finish_reason or "stop"),
    )


_RESPONSES_ENDS = ("response.completed", "response.incomplete")


async def _openai_responses(url: str, stream: bool) -> Final:
    client = _openai(url)
    async with client:
        if stream:  # the final Response the stream carries (responses.stream() insists on
            # content_part events that compatible servers do not always send)
            events = await client.responses.create(model=MODEL, input="Hello", stream=True)
            final = [e async for e in events if e.type in _RESPONSES_ENDS]
            response: Any = final[-1].response
        else:
            response = await client.responses.create(model=MODEL, input="Hello")
    got = _Pieces()
    refused = False
    for item in response.output:
        if item.type == "message":
            for part in item.content:
                refused = refused or part.type == "refusal"
                got.text.append(part.text if part.type == "output_text" else part.refusal)
        elif item.type == "reasoning":
            pieces = [s.text for s in item.summary] or [c.text for c in item.content or ()]
            got.reasoning.extend(p for p in pieces if p)
            if item.encrypted_content:
                got.signatures.append(item.encrypted_content)
        elif item.type == "function_call":
            got.calls.append((item.name, _args(item.arguments)))
    usage = response.usage
    if response.status == "incomplete":
        stop = (response.incomplete_details.reason if response.incomplete_details else None) or (
            "incomplete"
        )
    else:
        stop = "refusal" if refused else response.status
    counts = (usage.input_tokens, usage.output_tokens) if usage is not None else None
    return got.final(counts, stop, sep="\n\n")


async def _anthropic(url: str, stream: bool) -> Final:
    import anthropic

    params: Any = {"model": MODEL, "max_tokens": 1024,
                   "messages": [{"role": "user", "content": "Hello"}]}  # fmt: skip
    async with anthropic.AsyncAnthropic(api_key="sk-ant", base_url=url, max_retries=0) as client:
        if stream:
            async with client.messages.stream(**params) as s:
                message: Any = await s.get_final_message()
        else:
            message = await client.messages.create(**params)
    got = _Pieces()
    for block in message.content:
        if block.type == "text":
            got.text.append(block.text)
        elif block.type == "thinking":
            got.reasoning.append(block.thinking)
            got.signatures.append(block.signature)
        elif block.type == "tool_use":
            got.calls.append((block.name, block.input))
    usage = message.usage
    cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
    return got.final((usage.input_tokens + cached, usage.output_tokens), message.stop_reason)


async def _gemini(url: str, stream: bool) -> Final:
    import httpx2
    from google import genai
    from google.genai import types

    options = types.HttpOptions(
        base_url=url, api_version="v1beta",
        async_client_args={"transport": httpx2.AsyncHTTPTransport()},
    )  # fmt: skip
    client = genai.Client(api_key="AIza-test", http_options=options).aio
    try:
        model = "gemini-2.5-flash"
        if stream:
            chunks: list[Any] = [
                c async for c in await client.models.generate_content_stream(
                    model=model, contents="Hello")
            ]  # fmt: skip
        else:
            chunks = [await client.models.generate_content(model=model, contents="Hello")]
    finally:
        await client.aclose()
    got = _Pieces()
    stop, usage = None, None
    for chunk in chunks:
        usage = chunk.usage_metadata or usage
        if chunk.prompt_feedback and chunk.prompt_feedback.block_reason:
            stop = str(chunk.prompt_feedback.block_reason.value)
        for candidate in chunk.candidates or ()[:1]:
            for part in (candidate.content.parts if candidate.content else None) or ():
                if part.thought_signature is not None:
                    got.signatures.append(_signature(part.thought_signature))
                if part.function_call is not None:
                    got.calls.append((part.function_call.name, part.function_call.args or {}))
                elif part.text is not None:
                    (got.reasoning if part.thought else got.text).append(part.text)
            if candidate.finish_reason is not None:
                stop = str(getattr(candidate.finish_reason, "value", candidate.finish_reason))
    counts = None
    if usage is not None:
        thoughts = usage.thoughts_token_count or 0
        counts = (
            (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0),
            (usage.candidates_token_count or 0) + thoughts,
        )
    return got.final(counts, stop)


async def _ollama(url: str, stream: bool) -> Final:
    import ollama

    client = ollama.AsyncClient(host=url)
    messages = [{"role": "user", "content": "Hello"}]
    try:
        if stream:
            chunks = [c async for c in await client.chat(MODEL, messages, stream=True)]
        else:
            chunks = [await client.chat(MODEL, messages)]
    finally:
        await client._client.aclose()
    last = chunks[-1]
    calls = [(c.function.name, dict(c.function.arguments))
             for chunk in chunks for c in chunk.message.tool_calls or ()]  # fmt: skip
    usage = None
    if last.prompt_eval_count is not None or last.eval_count is not None:
        usage = (last.prompt_eval_count or 0, last.eval_count or 0)
    # pollytool's documented convention: a leading <think>…</think> in the text is reasoning
    tags = ThinkTagSplitter()
    pieces = [*tags.feed("".join(c.message.content or "" for c in chunks)), *tags.flush()]
    return Final(
        "".join(text for is_reasoning, text in pieces if not is_reasoning),
        "".join(c.message.thinking or "" for c in chunks)
        + "".join(text for is_reasoning, text in pieces if is_reasoning),
        (),
        tuple(calls),
        usage,
        last.done_reason,
    )


SDK: dict[str, Callable[[str, bool], Awaitable[Final]]] = {
    "openai-chat": _openai_chat,
    "openai-responses": _openai_responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "ollama": _ollama,
}

# --------------------------------------------------------------------------- the cases


#: Scripted replies: (name, text, tool calls).
SCRIPTS: dict[str, tuple[str, list[Call]]] = {
    "text": ("Hello there, how are you?", []),
    "tool-calls": (
        "Checking.",
        [("call_a", "get_weather", '{"city": "Paris"}'), ("call_b", "get_time", '{"tz": "UTC"}')],
    ),
    "emoji": ("ab\U0001f600cd", []),
}
SCRIPTED = [(h.name, script, stream, backend) for h in HARNESSES.values()
            for script in SCRIPTS for stream in (True, False)
            for backend in h.backends]  # fmt: skip


@pytest.fixture
def anyio_backend(case: tuple[Any, ...]) -> str:
    backend: str = case[-1]
    return backend


async def _both(
    harness: Harness, loopback: LoopbackServer, reply: Reply, stream: bool
) -> tuple[Final | type[BaseException], Final | type[BaseException]]:
    """(the SDK's result, pollytool's result): a :class:`Final`, or the error class the SDK's
    exception maps to / the class of pollytool's error."""
    loopback.add("POST", harness.path(stream=stream), reply, reply)
    async with harness.client(loopback.url) as client:
        req = harness.request(stream=stream)
        try:
            sdk: Final | type[BaseException] = await SDK[harness.name](loopback.url, stream)
        except Exception as exc:
            sdk = type(client._error(exc, client._call(req)))
        events = await collect(client, req)
    if events and type(events[-1]).__name__ == "ErrorEvent":
        return sdk, type(only_error(events))
    return sdk, _polly_final(final_message(events), client.provider)


@pytest.mark.parametrize("case", CASES, ids=[f"{c}#{n}-{b}" for c, n, b in CASES])
async def test_every_cassette_decodes_as_the_sdk_does(
    case: tuple[str, int, str], loopback: LoopbackServer
) -> None:
    cassette_id, number, _ = case
    interaction = load_cassette(cassette_id)["interactions"][number]
    harness = HARNESSES[APIS[interaction["api"]][0]]
    response = interaction["response"]
    stream = bool(interaction["stream"])
    if response["status"] >= 400:
        reply = Reply.json(json.loads(response["body"]), response["status"])
    elif stream:
        reply = _frames(harness, _stream_items(interaction["api"], response["body"]))
    else:
        reply = Reply.json(json.loads(response["body"]))
    sdk, polly = await _both(harness, loopback, reply, stream)
    assert polly == sdk


@pytest.mark.parametrize("case", SCRIPTED, ids=[f"{n}-{s}-{'stream' if st else 'whole'}-{b}"
                                                 for n, s, st, b in SCRIPTED])  # fmt: skip
async def test_every_scripted_reply_decodes_as_the_sdk_does(
    case: tuple[str, str, bool, str], loopback: LoopbackServer
) -> None:
    name, script, stream, _ = case
    harness = HARNESSES[name]
    text, calls = SCRIPTS[script]
    sdk, polly = await _both(harness, loopback, harness.reply(text, calls, stream=stream), stream)
    assert polly == sdk


@pytest.mark.parametrize("case", [(n, b) for n, h in HARNESSES.items() for b in h.backends])
async def test_an_error_status_maps_as_the_sdks_exception(
    case: tuple[str, str], loopback: LoopbackServer
) -> None:
    harness = HARNESSES[case[0]]
    for status in (400, 401, 404, 429, 500, 529):
        sdk, polly = await _both(harness, loopback, harness.status(status), True)
        assert polly == sdk, status


#: Where the SDK raises on an error inside a 200 stream (a Responses ``error`` event is
#: yielded to the caller as an event instead, and compared in the conformance suite).
IN_STREAM = [(n, b) for n, h in HARNESSES.items() if n != "openai-responses" for b in h.backends]


@pytest.mark.parametrize("case", IN_STREAM, ids=[f"{n}-{b}" for n, b in IN_STREAM])
async def test_an_error_inside_a_stream_maps_as_the_sdks_exception(
    case: tuple[str, str], loopback: LoopbackServer
) -> None:
    harness = HARNESSES[case[0]]
    sdk, polly = await _both(harness, loopback, harness.in_stream_error("Hel"), True)
    assert isinstance(sdk, type) and polly is sdk
