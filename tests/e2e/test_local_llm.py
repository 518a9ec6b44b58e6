"""pollytool against a real local model behind an OpenAI-compatible server (llama.cpp).

Nothing here is scripted: every reply comes from SmolLM2-135M-Instruct, so the tests assert
what such a server guarantees (event order, stop reasons, forced tool calls, JSON shape), not
what a 135M model happens to say.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import anyio
import pytest
from pydantic import BaseModel

from pollytool import (
    ChatMessage,
    CompleteEvent,
    CompletionRequest,
    ContentEvent,
    ErrorEvent,
    MultiPass,
    StopReason,
)
from pollytool.llm import Agent, OpenAIClient, ToolRegistry, structured_complete, tool
from pollytool.schema import SchemaFormatWarning
from tests.e2e.conftest import LocalServer

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

MODEL = "smollm2"


@pytest.fixture
async def client(local_llm: LocalServer) -> AsyncIterator[OpenAIClient]:
    async with OpenAIClient(base_url=local_llm.base_url) as llm:
        yield llm


def _request(prompt: str, max_tokens: int = 24, **fields: Any) -> CompletionRequest:
    return CompletionRequest(MODEL, [ChatMessage.user(prompt)], max_tokens=max_tokens, **fields)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_a_completion_ends_with_one_complete_event(
    client: OpenAIClient, stream: bool
) -> None:
    events = [e async for e in client.stream(_request("Say hello.", stream=stream))]

    assert [type(e) for e in events].count(CompleteEvent) == 1
    assert isinstance(events[-1], CompleteEvent)
    message = events[-1].message
    assert message.content.strip()
    assert message.content == "".join(e.content for e in events if isinstance(e, ContentEvent))
    assert message.stop_reason in (StopReason.END_TURN, StopReason.MAX_TOKENS)
    # llama.cpp sends no usage chunk when streaming, even when asked; that is no failure.
    assert message.usage is None or message.usage.output_tokens > 0


async def test_max_tokens_stops_the_reply(client: OpenAIClient) -> None:
    message = await client.stream(_request("Count from one to one hundred.", 5)).collect()

    assert message.stop_reason == StopReason.MAX_TOKENS
    assert message.raw_stop_reason == "length"


async def test_the_agent_runs_a_forced_tool_and_then_answers(client: OpenAIClient) -> None:
    calls: list[str] = []

    @tool
    async def get_weather(city: str) -> str:
        """The current weather in a city.

        Args:
            city: The city name, e.g. Paris.
        """
        calls.append(city)
        return f"It is sunny and 21 degrees in {city}."

    agent = Agent(client, ToolRegistry([get_weather]), max_iterations=3)
    req = _request("What is the weather in Paris?", 48, tool_choice="get_weather")
    result = await agent.run(req)

    assert len(calls) == 1 and calls[0].strip()
    assert result.iterations == 2
    first, tool_message, answer = result.new_messages
    assert first.tool_calls[0].name == "get_weather"
    assert tool_message.tool_call_id == first.tool_calls[0].id
    assert "sunny" in tool_message.content
    assert answer is result.message and not answer.tool_calls


class Verdict(BaseModel):
    """A yes/no answer (an enum keeps the grammar-constrained reply short)."""

    answer: Literal["yes", "no"]


async def test_structured_output_falls_back_to_json_object_once(client: OpenAIClient) -> None:
    # llama-cpp-python rejects response_format json_schema (a 500) and takes json_object with
    # the schema: the first call warns and falls back, the next goes straight to json_object.
    with pytest.warns(SchemaFormatWarning):
        first = await structured_complete(MODEL, "Is Paris in France?", Verdict, 32, client=client)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SchemaFormatWarning)
        second = await structured_complete(MODEL, "Is the sea dry?", Verdict, 32, client=client)
    assert isinstance(first, Verdict) and isinstance(second, Verdict)


async def test_structured_output_with_json_object_asked_for(client: OpenAIClient) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SchemaFormatWarning)
        verdict = await structured_complete(
            MODEL,
            "Is water wet?",
            Verdict,
            32,
            client=client,
            provider_options={"schema_format": "json_object"},
        )
    assert verdict.answer in ("yes", "no")


async def test_eight_concurrent_streams_all_complete(client: OpenAIClient) -> None:
    results: list[ChatMessage] = []

    async def one(n: int) -> None:
        results.append(await client.stream(_request(f"Say the number {n}.", 8)).collect())

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(one, n)

    assert len(results) == 8
    assert all(m.content for m in results)


async def test_a_stream_cancelled_mid_generation_leaves_the_server_usable(
    client: OpenAIClient,
) -> None:
    seen = 0
    async with client.stream(_request("Write a long story about a cat.", 400)) as events:
        async for event in events:
            if isinstance(event, ContentEvent):
                seen += 1
                if seen == 3:
                    break

    assert seen == 3
    with anyio.fail_after(60):
        message = await client.stream(_request("Say yes.", 8)).collect()
    assert message.content


async def test_the_router_reaches_a_keyless_server_through_its_base_url(
    local_llm: LocalServer,
) -> None:
    env = {"POLLYTOOL_OPENAI_BASEURL": local_llm.base_url}
    async with MultiPass(env=env) as router:
        req = CompletionRequest(f"openai/{MODEL}", [ChatMessage.user("Say hi.")], max_tokens=8)
        events = [e async for e in router.stream(req)]
    assert not any(isinstance(e, ErrorEvent) for e in events), events[-1]
    assert isinstance(events[-1], CompleteEvent)


async def test_the_polly_command_answers_from_the_local_server(
    local_llm: LocalServer, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POLLYTOOL_")},
        "HOME": str(tmp_path),
    }
    argv = [
        sys.executable, "-m", "pollytool", "-m", f"openai/{MODEL}",
        "--baseurl", local_llm.base_url, "--maxtokens", "16", "-p", "Say hello.",
    ]  # fmt: skip
    result = await anyio.run_process(argv, env=env, check=False)

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip()
    assert b"Error" not in result.stderr
