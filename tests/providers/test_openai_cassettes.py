"""Every recorded OpenAI chat and responses exchange, replayed through the adapter.

The loopback server serves each cassette's recorded responses to the real ``openai`` SDK. The
request comes from the recorded request body; follow-up turns are built the way a caller
would: the adapter's own reply is appended to the history, then the recorded tool results or
user message. Everything asserted is derived from the recorded bodies
(see ``_openai_support``).
"""

from __future__ import annotations

from typing import Any

import pytest

from pollytool.errors import ProviderError
from pollytool.events import CompleteEvent, ErrorEvent, UsageEvent
from pollytool.messages import ChatMessage
from tests.fakes.cassettes import cassette_ids, load_cassette
from tests.fakes.loopback import LoopbackServer
from tests.providers._openai_support import (
    check_event_rules,
    client_for,
    collect,
    expected_reply,
    messages_from_items,
    new_items,
    request_from_recorded,
    request_shape,
)

pytestmark = pytest.mark.anyio

CHAT = cassette_ids(provider="openai", api="openai.chat.completions")
RESPONSES = cassette_ids(provider="openai", api="openai.responses")
COMPAT = ["ollama/openai_compat__chat_text"]


def test_the_corpus_is_all_here() -> None:
    # guards against a cassette loader change silently emptying the parametrisation
    assert len(CHAT) == 18 and len(RESPONSES) == 15


@pytest.mark.parametrize("cassette_id", CHAT + RESPONSES + COMPAT)
async def test_cassette_replays(cassette_id: str, loopback: LoopbackServer) -> None:
    cassette = load_cassette(cassette_id)
    api = "responses" if cassette["api"] == "openai.responses" else "chat"
    loopback.replay(cassette)
    history: list[ChatMessage] = []
    previous: dict[str, Any] | None = None
    async with client_for(loopback) as client:
        for turn, interaction in enumerate(cassette["interactions"]):
            body = interaction["request"]["body"]
            # the compatible server gets no "api" option: a non-OpenAI base URL means Chat
            messages = None
            if previous is not None:
                messages = history + messages_from_items(new_items(previous, body))
            req = request_from_recorded(body, api if cassette_id not in COMPAT else None, messages)
            events = await collect(client, req)
            check_event_rules(events)

            sent = loopback.requests[turn]
            assert sent.path == interaction["request"]["path"]
            assert request_shape(sent.json()) == request_shape(body)
            _check_request_options(sent.json(), body)

            expected = expected_reply(interaction, api)
            last = events[-1]
            if expected.error is not None:
                assert isinstance(last, ErrorEvent)
                error = last.error
                assert type(error) is expected.error and isinstance(error, ProviderError)
                assert error.status_code == expected.status
                assert error.code == expected.error_code
                assert error.provider == "openai"
                headers = interaction["response"]["headers"]
                if "x-request-id" in headers:
                    assert error.request_id == headers["x-request-id"]
                continue
            assert isinstance(last, CompleteEvent)
            message = last.message
            assert message.content == expected.text
            assert message.reasoning == expected.reasoning
            assert [(c.id, c.name, c.args) for c in message.tool_calls] == expected.tool_calls
            assert message.usage == expected.usage
            assert [e.usage for e in events if isinstance(e, UsageEvent)][-1:] == (
                [expected.usage] if expected.usage else []
            )
            assert (message.stop_reason, message.raw_stop_reason) == (
                expected.stop,
                expected.raw_stop,
            )
            # the history as a caller would keep it: saved as JSON and loaded again
            history = [ChatMessage.from_json(m.to_json()) for m in [*req.messages, message]]
            previous = body
    assert loopback.pending == 0


def _check_request_options(sent: dict[str, Any], recorded: dict[str, Any]) -> None:
    """Streaming, tools, tool choice and the structured-output format were sent as recorded."""
    assert bool(sent.get("stream")) == bool(recorded.get("stream"))
    if sent.get("stream") and "messages" in sent:
        assert sent["stream_options"] == {"include_usage": True}

    def names(body: dict[str, Any]) -> list[str]:
        return [t.get("function", t)["name"] for t in body.get("tools") or []]

    assert names(sent) == names(recorded)
    assert sent.get("tool_choice") == recorded.get("tool_choice")

    def schema_format(body: dict[str, Any]) -> tuple[str, bool] | None:
        fmt = (body.get("response_format") or {}).get("json_schema") or (
            (body.get("text") or {}).get("format")
        )
        return (fmt["name"], bool(fmt.get("strict"))) if fmt else None

    assert schema_format(sent) == schema_format(recorded)
