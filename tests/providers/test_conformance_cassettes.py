"""Stream vs non-stream parity on every recorded chat cassette, for every adapter.

Each recorded response is turned into its counterpart by the API's own wire rules (a stream's
chunks merged into the whole response the API would have sent, or a whole response split into
the stream that carries it), both are served to the adapter's real SDK, and the two final
messages must be the same: text, reasoning, tool calls, stop reason, usage and provider data
(tool-call ids that the adapter makes up are compared by position). Recorded errors must give
the same error class either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from pollytool.events import StreamEvent
from pollytool.messages import ChatMessage
from tests.fakes.cassettes import cassette_ids, load_cassette
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import check_event_rules, collect, final_message, only_error
from tests.providers._harness import HARNESSES, Harness

pytestmark = pytest.mark.anyio

Items = list[Any]

# --------------------------------------------------------------------------- reading bodies


def _sse_data(body: str) -> Items:
    items = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        data = "".join(line[5:].strip() for line in block.splitlines() if line.startswith("data:"))
        if data and data != "[DONE]":
            items.append(json.loads(data))
    return items


def _stream_items(api: str, body: str) -> Items:
    if api == "gemini.streamGenerateContent" and body.lstrip().startswith("["):
        return list(json.loads(body))  # recorded without alt=sse: one JSON array
    if api == "ollama.chat":
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    return _sse_data(body)


# --------------------------------------------------------------------------- OpenAI Chat


def _chat_whole(chunks: Items) -> dict[str, Any]:
    text, refusal, reasoning = [], [], []
    calls: dict[int, dict[str, Any]] = {}
    finish, usage = None, None
    for chunk in chunks:
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0):
                continue
            delta = choice.get("delta") or {}
            text.append(delta.get("content") or "")
            refusal.append(delta.get("refusal") or "")
            reasoning.append(delta.get("reasoning_content") or delta.get("reasoning") or "")
            for call in delta.get("tool_calls") or ():
                empty = {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
                entry = calls.setdefault(call["index"], empty)
                entry["id"] = call.get("id") or entry["id"]
                function = call.get("function") or {}
                entry["function"]["name"] = function.get("name") or entry["function"]["name"]
                entry["function"]["arguments"] += function.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None,
                               "refusal": "".join(refusal) or None}  # fmt: skip
    if "".join(reasoning):
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    first = chunks[0]
    return {"id": first["id"], "object": "chat.completion", "created": first["created"],
            "model": first["model"], "usage": usage,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}]}  # fmt: skip


def _chat_stream(whole: dict[str, Any]) -> Items:
    head = {k: whole[k] for k in ("id", "created", "model")}

    def chunk(delta: dict[str, Any] | None, finish: str | None = None,
              usage: Any = None) -> dict[str, Any]:  # fmt: skip
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        return {**head, "object": "chat.completion.chunk", "choices": choices, "usage": usage}

    choice = whole["choices"][0]
    message = choice["message"]
    delta = {k: v for k, v in message.items() if k != "tool_calls" and v is not None}
    chunks = [chunk(delta)]
    for index, call in enumerate(message.get("tool_calls") or ()):
        chunks.append(chunk({"tool_calls": [{"index": index, **call}]}))
    chunks.append(chunk({}, choice["finish_reason"]))
    if whole.get("usage"):
        chunks.append(chunk(None, usage=whole["usage"]))
    return chunks


# --------------------------------------------------------------------------- OpenAI Responses


def _responses_whole(events: Items) -> dict[str, Any]:
    final = [e for e in events if e["type"] in ("response.completed", "response.incomplete")]
    response: dict[str, Any] = final[-1]["response"]
    return response


def _responses_stream(whole: dict[str, Any]) -> Items:
    def event(kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "sequence_number": 0, **fields}

    started = {**whole, "status": "in_progress", "output": [], "usage": None}
    events = [event("response.created", response=started)]
    for index, item in enumerate(whole["output"]):
        kind, item_id = item["type"], item.get("id")
        opened = {**item, **{"reasoning": {"summary": []}, "message": {"content": []},
                             "function_call": {"arguments": ""}}.get(kind, {})}  # fmt: skip
        events.append(event("response.output_item.added", output_index=index, item=opened))
        if kind == "reasoning":
            events += [event("response.reasoning_summary_text.delta", item_id=item_id,
                             output_index=index, summary_index=n, delta=s["text"])
                       for n, s in enumerate(item.get("summary") or ())]  # fmt: skip
        elif kind == "message":
            for n, part in enumerate(item["content"]):
                name = "output_text" if part["type"] == "output_text" else "refusal"
                text = part.get("text") or part.get("refusal") or ""
                events.append(event(f"response.{name}.delta", item_id=item_id,
                                    output_index=index, content_index=n, delta=text))  # fmt: skip
        elif kind == "function_call":
            events.append(event("response.function_call_arguments.delta", item_id=item_id,
                                output_index=index, delta=item["arguments"]))  # fmt: skip
        events.append(event("response.output_item.done", output_index=index, item=item))
    events.append(event(f"response.{whole['status']}", response=whole))
    return events


# --------------------------------------------------------------------------- Anthropic


def _anthropic_whole(events: Items) -> dict[str, Any]:
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    for event in events:
        kind = event["type"]
        if kind == "message_start":
            message = dict(event["message"])
            message["usage"] = dict(message["usage"])
        elif kind == "content_block_start":
            blocks[event["index"]] = dict(event["content_block"])
        elif kind == "content_block_delta":
            block, delta = blocks[event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = block.get("signature", "") + delta["signature"]
            elif delta["type"] == "input_json_delta":
                partial[event["index"]] = partial.get(event["index"], "") + delta["partial_json"]
        elif kind == "message_delta":
            message.update(stop_reason=event["delta"]["stop_reason"])
            message["usage"].update({k: v for k, v in event["usage"].items() if v is not None})
    for index, text in partial.items():
        blocks[index]["input"] = json.loads(text) if text.strip() else {}
    message["content"] = [blocks[i] for i in sorted(blocks)]
    return message


def _anthropic_stream(whole: dict[str, Any]) -> Items:
    start = {**whole, "content": [], "stop_reason": None}
    events: Items = [{"type": "message_start", "message": start}]
    for index, block in enumerate(whole["content"]):
        kind = block["type"]
        opened = {**block, **{"text": {"text": ""}, "thinking": {"thinking": "", "signature": ""},
                              "tool_use": {"input": {}}}.get(kind, {})}  # fmt: skip
        events.append({"type": "content_block_start", "index": index, "content_block": opened})
        deltas: list[dict[str, Any]] = []
        if kind == "text":
            deltas = [{"type": "text_delta", "text": block["text"]}]
        elif kind == "thinking":
            deltas = [{"type": "thinking_delta", "thinking": block["thinking"]},
                      {"type": "signature_delta", "signature": block["signature"]}]  # fmt: skip
        elif kind == "tool_use":
            deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}]
        events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
        events.append({"type": "content_block_stop", "index": index})
    delta = {"stop_reason": whole["stop_reason"], "stop_sequence": None}
    events.append({"type": "message_delta", "usage": whole["usage"], "delta": delta})
    events.append({"type": "message_stop"})
    return events


# --------------------------------------------------------------------------- Gemini, Ollama


def _gemini_whole(chunks: Items) -> dict[str, Any]:
    whole: dict[str, Any] = {k: v for k, v in chunks[0].items() if k != "candidates"}
    parts: list[Any] = []
    candidate: dict[str, Any] = {"index": 0}
    for chunk in chunks:
        for key in ("usageMetadata", "promptFeedback"):
            if key in chunk:
                whole[key] = chunk[key]
        for cand in chunk.get("candidates") or ():
            parts += (cand.get("content") or {}).get("parts") or []
            candidate.update({k: v for k, v in cand.items() if k != "content"})
    candidate["content"] = {"role": "model", "parts": parts}
    whole["candidates"] = [candidate]
    return whole


def _ollama_whole(lines: Items) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": ""}
    for line in lines:
        part = line.get("message") or {}
        message["content"] += part.get("content") or ""
        if part.get("thinking"):
            message["thinking"] = message.get("thinking", "") + part["thinking"]
        if part.get("tool_calls"):
            message["tool_calls"] = message.get("tool_calls", []) + part["tool_calls"]
    return {**lines[-1], "message": message}


def _ollama_stream(whole: dict[str, Any]) -> Items:
    head = {"model": whole["model"], "created_at": whole["created_at"], "done": False}
    final = {**whole, "message": {"role": "assistant", "content": ""}}
    return [{**head, "message": whole["message"]}, final]


# --------------------------------------------------------------------------- the cases

#: api -> (harness, stream items → whole body, whole body → stream items)
APIS: dict[str, tuple[str, Callable[[Items], Any], Callable[[Any], Items]]] = {
    "openai.chat.completions": ("openai-chat", _chat_whole, _chat_stream),
    "openai.responses": ("openai-responses", _responses_whole, _responses_stream),
    "anthropic.messages": ("anthropic", _anthropic_whole, _anthropic_stream),
    "gemini.streamGenerateContent": ("gemini", _gemini_whole, lambda whole: [whole]),
    "gemini.generateContent": ("gemini", _gemini_whole, lambda whole: [whole]),
    "ollama.chat": ("ollama", _ollama_whole, _ollama_stream),
}


def _cases() -> list[tuple[str, int, str]]:
    cases = []
    for cassette_id in cassette_ids():
        for number, interaction in enumerate(load_cassette(cassette_id)["interactions"]):
            if interaction["api"] in APIS:
                for backend in HARNESSES[APIS[interaction["api"]][0]].backends:
                    cases.append((cassette_id, number, backend))
    return cases


CASES = _cases()


@pytest.fixture
def anyio_backend(case: tuple[str, int, str]) -> str:
    return case[2]


def _frames(harness: Harness, items: Items) -> Reply:
    if not harness.sse:
        return Reply.ndjson(items)
    if harness.name == "anthropic":
        return Reply.sse([(item["type"], item) for item in items])
    if harness.name == "openai-responses":
        return Reply.sse([(item["type"], item) for item in items])
    return Reply.sse([(None, item) for item in items] + (
        ["data: [DONE]"] if harness.name == "openai-chat" else []))  # fmt: skip


def _normalised(message: ChatMessage) -> str:
    """The message as JSON with its tool-call ids replaced by their positions."""
    text = message.to_json()
    for index, call in enumerate(message.tool_calls):
        if call.id:
            text = text.replace(json.dumps(call.id), json.dumps(f"#{index}"))
    return text


async def _run(harness: Harness, server: LoopbackServer, reply: Reply,
               stream: bool) -> list[StreamEvent]:  # fmt: skip
    server.add("POST", harness.path(stream=stream), reply)
    async with harness.client(server.url) as client:
        return await collect(client, harness.request(stream=stream))


def test_every_chat_cassette_is_covered() -> None:
    covered = {case[0] for case in CASES}
    for provider in ("openai", "anthropic", "gemini", "ollama"):
        chat = [c for c in cassette_ids(provider) if load_cassette(c)["api"] in APIS]
        assert chat and set(chat) <= covered


@pytest.mark.parametrize("case", CASES, ids=[f"{c}#{n}-{b}" for c, n, b in CASES])
async def test_stream_and_whole_reply_agree(
    case: tuple[str, int, str], loopback: LoopbackServer
) -> None:
    cassette_id, number, _ = case
    interaction = load_cassette(cassette_id)["interactions"][number]
    harness = HARNESSES[APIS[interaction["api"]][0]]
    _, to_whole, to_stream = APIS[interaction["api"]]
    response = interaction["response"]
    if response["status"] >= 400:
        body = json.loads(response["body"])
        streamed = await _run(harness, loopback, Reply.json(body, response["status"]), True)
        whole = await _run(harness, loopback, Reply.json(body, response["status"]), False)
        assert type(only_error(streamed)) is type(only_error(whole))
        return
    if interaction["stream"]:
        items = _stream_items(interaction["api"], response["body"])
        whole_body = to_whole(items)
    else:
        whole_body = json.loads(response["body"])
        items = to_stream(whole_body)
    streamed = await _run(harness, loopback, _frames(harness, items), True)
    whole = await _run(harness, loopback, Reply.json(whole_body), False)
    check_event_rules(streamed)
    check_event_rules(whole)
    a, b = final_message(streamed), final_message(whole)
    assert re.sub(r'"call_[0-9a-f]{24}"', '"#"', _normalised(a)) == re.sub(
        r'"call_[0-9a-f]{24}"', '"#"', _normalised(b)
    )
