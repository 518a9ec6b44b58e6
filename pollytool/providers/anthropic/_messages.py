"""Conversation history → the Messages API's ``system`` and ``messages``.

Rules (each one fixes a way a request could be rejected or lose information):

* Every system message goes into ``system``, as text blocks in their original order.
* Consecutive messages of one role become one API message. In particular all tool results of
  a turn form ONE user message of ``tool_result`` blocks, ordered like the calls of the
  assistant turn before them, with ``is_error`` for failed tools.
* An assistant turn is sent as its response items (see :mod:`pollytool.messages`): thinking
  and redacted-thinking blocks Anthropic produced go back unchanged and where they stood,
  between its text and ``tool_use`` blocks (a history saved by an earlier version, with the
  blocks in ``provider_metadata``, goes back the same way). An assistant message with
  neither text nor tool calls is left out, and so is a user message with no content: empty
  blocks are never sent.
* Images go as base64 (:class:`ImagePart`, ``data:`` URLs) or URL sources
  (:class:`ImageURLPart`); PDFs and plain text files as ``document`` blocks.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from ...errors import ConfigurationError, ToolArgumentsError
from ...messages import (
    ChatMessage,
    ChatMessageToolCall,
    ContentPart,
    FilePart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    ReasoningPart,
    ResponsePart,
    TextPart,
    ToolCallPart,
    UnknownPart,
)

__all__ = ["PROVIDER", "encode_history"]

#: The ``provider_metadata`` key of this adapter.
PROVIDER = "anthropic"

Block = dict[str, Any]


def encode_history(messages: list[ChatMessage]) -> tuple[list[Block], list[dict[str, Any]]]:
    """``(system_blocks, api_messages)`` for *messages*."""
    system: list[Block] = []
    out: list[dict[str, Any]] = []
    call_order: dict[str, int] = {}
    results: list[ChatMessage] = []
    for msg in messages:
        if msg.role == MessageRole.TOOL:
            results.append(msg)
            continue
        if results:
            _append(out, "user", _tool_results(results, call_order))
            results = []
        if msg.role == MessageRole.SYSTEM:
            system.extend(_text_blocks(msg))
        elif msg.role == MessageRole.USER:
            _append(out, "user", _user_blocks(msg))
        else:
            call_order = {call.id: i for i, call in enumerate(msg.tool_calls)}
            _append(out, "assistant", _assistant_blocks(msg))
    if results:
        _append(out, "user", _tool_results(results, call_order))
    return system, out


def _append(out: list[dict[str, Any]], role: str, blocks: list[Block]) -> None:
    if not blocks:
        return
    if out and out[-1]["role"] == role:
        out[-1]["content"].extend(blocks)
    else:
        out.append({"role": role, "content": blocks})


def _text_blocks(msg: ChatMessage) -> list[Block]:
    texts = [msg.content, *(p.text for p in msg.parts if isinstance(p, TextPart))]
    return [{"type": "text", "text": text} for text in texts if text]


def _user_blocks(msg: ChatMessage) -> list[Block]:
    blocks: list[Block] = [{"type": "text", "text": msg.content}] if msg.content else []
    for part in msg.parts:
        block = _part_block(part)
        if block is not None:
            blocks.append(block)
    return blocks


def _part_block(part: ContentPart) -> Block | None:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, ImagePart):
        return _base64_block("image", part.mime_type, part.data)
    if isinstance(part, ImageURLPart):
        if part.url.startswith("data:"):
            mime, data = _parse_data_url(part.url)
            return {"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}}
        return {"type": "image", "source": {"type": "url", "url": part.url}}
    if isinstance(part, FilePart):
        if part.mime_type == "text/plain":
            source = {"type": "text", "media_type": "text/plain", "data": part.data.decode()}
            return _titled({"type": "document", "source": source}, part.filename)
        _require_pdf(part.mime_type, part.filename)
        return _titled(_base64_block("document", part.mime_type, part.data), part.filename)
    if isinstance(part, UnknownPart):
        raise part.unsendable()
    _require_pdf(part.mime_type, part.filename)
    document = {"type": "document", "source": {"type": "url", "url": part.url}}
    return _titled(document, part.filename)


def _base64_block(kind: str, mime_type: str, data: bytes) -> Block:
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": kind, "source": {"type": "base64", "media_type": mime_type, "data": encoded}}


def _titled(block: Block, filename: str | None) -> Block:
    if filename:
        block["title"] = filename
    return block


def _require_pdf(mime_type: str, filename: str | None) -> None:
    if mime_type != "application/pdf":
        raise ConfigurationError(
            f"Anthropic accepts PDF and plain-text documents only; file {filename or ''!r} "
            f"has type {mime_type!r}"
        )


def _parse_data_url(url: str) -> tuple[str, str]:
    header, sep, data = url.partition(",")
    mime, _, encoding = header[len("data:") :].partition(";")
    if not sep or encoding != "base64" or not mime:
        raise ConfigurationError(
            "an image data URL must look like 'data:<mime type>;base64,<data>'"
        )
    return mime, data


def _tool_results(results: list[ChatMessage], call_order: dict[str, int]) -> list[Block]:
    ordered = sorted(results, key=lambda m: call_order.get(m.tool_call_id, len(call_order)))
    blocks: list[Block] = []
    for msg in ordered:
        if not msg.tool_call_id:
            raise ConfigurationError(
                f"a tool message (tool {msg.tool_name or '?'!r}) has no tool_call_id; "
                "Anthropic needs the id of the tool_use it answers"
            )
        block: Block = {"type": "tool_result", "tool_use_id": msg.tool_call_id}
        content = _user_blocks(msg)
        if len(content) == 1 and content[0]["type"] == "text":
            block["content"] = content[0]["text"]
        elif content:
            block["content"] = content
        if msg.is_error:
            block["is_error"] = True
        blocks.append(block)
    return blocks


def _assistant_blocks(msg: ChatMessage) -> list[Block]:
    if not msg.response_parts:
        legacy = _from_earlier_layout(msg)
        if legacy is None:  # the common case: text, then tool calls
            visible = _text_blocks(msg)
            visible.extend(_tool_use(call) for call in msg.tool_calls)
            return visible
        msg = legacy
    blocks: list[Block] = []
    visible_count = 0
    for item in msg.response_items():
        if isinstance(item, ChatMessageToolCall):
            blocks.append(_tool_use(item))
            visible_count += 1
        elif isinstance(item, TextPart):
            if item.text:
                blocks.append({"type": "text", "text": item.text})
                visible_count += 1
        elif (block := _thinking_block(item)) is not None:
            blocks.append(block)
    return blocks if visible_count else []


def _tool_use(call: ChatMessageToolCall) -> Block:
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": _call_input(call)}


def _thinking_block(part: ReasoningPart) -> Block | None:
    """A reasoning part Anthropic produced, as the block it came in (others are not sent)."""
    data = part.provider_data.get(PROVIDER)
    if not isinstance(data, dict):
        return None
    if "redacted_data" in data:
        return {"type": "redacted_thinking", "data": data["redacted_data"]}
    if "signature" in data:
        return {"type": "thinking", "thinking": part.text, "signature": data["signature"]}
    return None


def _call_input(call: ChatMessageToolCall) -> dict[str, Any]:
    try:
        return call.args
    except ToolArgumentsError:
        # The model's own arguments were not a JSON object (typically cut off by max_tokens);
        # the API needs an object here, and the tool result already told the model.
        return {}


def _from_earlier_layout(msg: ChatMessage) -> ChatMessage | None:
    """A message saved by an earlier version, which kept thinking blocks in
    ``provider_metadata["anthropic"]`` as ``{"blocks": [...], "positions": [...]}`` (a
    position: how many text and tool_use blocks came before the block), with those blocks as
    response parts; ``None`` when it has none."""
    meta = msg.provider_metadata.get(PROVIDER)
    blocks = meta.get("blocks") if isinstance(meta, dict) else None
    if not isinstance(meta, dict) or not isinstance(blocks, list) or not blocks:
        return None
    positions = meta.get("positions")
    if not isinstance(positions, list) or len(positions) != len(blocks):
        positions = [0] * len(blocks)
    texts = [msg.content, *(p.text for p in msg.parts if isinstance(p, TextPart))]
    visible: list[ResponsePart] = [TextPart(text) for text in texts if text]
    visible.extend(ToolCallPart(call.id) for call in msg.tool_calls)
    kept = [(int(p), b) for p, b in zip(positions, blocks, strict=True) if isinstance(b, dict)]
    parts: list[ResponsePart] = []
    for slot in range(len(visible) + 1):
        for position, block in kept:
            if min(position, len(visible)) == slot:
                parts.append(_earlier_block(block))
        if slot < len(visible):
            parts.append(visible[slot])
    return dataclasses.replace(msg, response_parts=parts)


def _earlier_block(block: dict[str, Any]) -> ReasoningPart:
    if block.get("type") == "redacted_thinking":
        return ReasoningPart("", {PROVIDER: {"redacted_data": block.get("data", "")}})
    data = {"signature": block.get("signature", "")}
    return ReasoningPart(str(block.get("thinking", "")), {PROVIDER: data})
