"""Synthetic long streams in each provider's exact wire format, for the overhead benchmark.

Each body carries ``chunks`` text deltas ("w0 ", "w1 ", …) framed the way the provider frames
them (shapes taken from the recorded cassettes in ``tests/cassettes``), plus the provider's
start and end frames with usage.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.loopback import Reply

__all__ = ["ROUTES", "expected_text", "replies"]

MODEL = "bench-model"

#: (provider key, HTTP path) of each synthetic stream.
ROUTES: dict[str, str] = {
    "openai-chat": "/v1/chat/completions",
    "openai-responses": "/v1/responses",
    "anthropic": "/v1/messages",
    "gemini": f"/v1beta/models/{MODEL}:streamGenerateContent",
    "gemini-json": f"/v1beta/models/{MODEL}:generateContent",
    "ollama": "/api/chat",
}


def _words(chunks: int) -> list[str]:
    return [f"w{i} " for i in range(chunks)]


def expected_text(chunks: int) -> str:
    return "".join(_words(chunks))


def _openai_chat(chunks: int) -> Reply:
    base = {
        "id": "chatcmpl-b",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "system_fingerprint": None,
    }
    frames: list[tuple[str | None, Any]] = [
        (
            None,
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                ],
                "usage": None,
            },
        ),
    ]
    frames += [
        (
            None,
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"content": w}, "logprobs": None, "finish_reason": None}
                ],
                "usage": None,
            },
        )
        for w in _words(chunks)
    ]
    frames.append(
        (
            None,
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
                "usage": None,
            },
        )
    )
    frames.append(
        (
            None,
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": 5,
                    "completion_tokens": chunks,
                    "total_tokens": chunks + 5,
                },
            },
        )
    )
    frames.append("data: [DONE]")
    return Reply.sse(frames)


def _openai_responses(chunks: int) -> Reply:
    response = {
        "id": "resp_b",
        "object": "response",
        "created_at": 1700000000,
        "status": "in_progress",
        "model": MODEL,
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "usage": None,
    }
    item = {
        "id": "msg_b",
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    seq = iter(range(10**9))
    frames: list[tuple[str | None, Any]] = [
        (
            "response.created",
            {"type": "response.created", "sequence_number": next(seq), "response": response},
        ),
        (
            "response.output_item.added",
            {
                "type": "response.output_item.added",
                "sequence_number": next(seq),
                "output_index": 0,
                "item": item,
            },
        ),
        (
            "response.content_part.added",
            {
                "type": "response.content_part.added",
                "sequence_number": next(seq),
                "item_id": "msg_b",
                "output_index": 0,
                "content_index": 0,
                "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
            },
        ),
    ]
    frames += [
        (
            "response.output_text.delta",
            {
                "type": "response.output_text.delta",
                "sequence_number": next(seq),
                "item_id": "msg_b",
                "output_index": 0,
                "content_index": 0,
                "delta": w,
                "logprobs": [],
            },
        )
        for w in _words(chunks)
    ]
    text = expected_text(chunks)
    done_part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    done_item = {**item, "status": "completed", "content": [done_part]}
    frames += [
        (
            "response.output_text.done",
            {
                "type": "response.output_text.done",
                "sequence_number": next(seq),
                "item_id": "msg_b",
                "output_index": 0,
                "content_index": 0,
                "text": text,
                "logprobs": [],
            },
        ),
        (
            "response.output_item.done",
            {
                "type": "response.output_item.done",
                "sequence_number": next(seq),
                "output_index": 0,
                "item": done_item,
            },
        ),
        (
            "response.completed",
            {
                "type": "response.completed",
                "sequence_number": next(seq),
                "response": {
                    **response,
                    "status": "completed",
                    "output": [done_item],
                    "usage": {
                        "input_tokens": 5,
                        "input_tokens_details": {"cached_tokens": 0},
                        "output_tokens": chunks,
                        "output_tokens_details": {"reasoning_tokens": 0},
                        "total_tokens": chunks + 5,
                    },
                },
            },
        ),
    ]
    return Reply.sse(frames)


def _anthropic(chunks: int) -> Reply:
    message = {
        "id": "msg_b",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 5,
            "output_tokens": 1,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    frames: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    frames += [
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}},
        )
        for w in _words(chunks)
    ]
    frames += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": chunks},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return Reply.sse(frames)


def _gemini(chunks: int) -> Reply:
    frames: list[tuple[str | None, Any]] = [
        (
            None,
            {
                "candidates": [{"content": {"role": "model", "parts": [{"text": w}]}, "index": 0}],
                "modelVersion": MODEL,
                "responseId": "r",
            },
        )
        for w in _words(chunks)
    ]
    frames.append(
        (
            None,
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": ""}]},
                        "index": 0,
                        "finishReason": "STOP",
                    }
                ],
                "modelVersion": MODEL,
                "responseId": "r",
                "usageMetadata": {
                    "promptTokenCount": 5,
                    "candidatesTokenCount": chunks,
                    "totalTokenCount": chunks + 5,
                },
            },
        )
    )
    return Reply.sse(frames)


def _ollama(chunks: int) -> Reply:
    lines: list[Any] = [
        {
            "model": MODEL,
            "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": w},
            "done": False,
        }
        for w in _words(chunks)
    ]
    lines.append(
        {
            "model": MODEL,
            "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 5,
            "eval_count": chunks,
        }
    )
    return Reply.ndjson(lines)


_BUILDERS = {
    "openai-chat": _openai_chat,
    "openai-responses": _openai_responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "ollama": _ollama,
}


def replies(chunks: int) -> dict[str, Reply]:
    """The reply for each route key, with *chunks* text deltas."""
    return {key: build(chunks) for key, build in _BUILDERS.items()}


def json_replies() -> dict[str, Reply]:
    """Tiny non-streamed replies (for the request-encoding benchmark), by route key."""
    return {
        "openai-chat": Reply.json(
            {
                "id": "chatcmpl-b",
                "object": "chat.completion",
                "created": 1700000000,
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "logprobs": None,
                        "message": {"role": "assistant", "content": "ok"},
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            }
        ),
        "openai-responses": Reply.json(
            {
                "id": "resp_b",
                "object": "response",
                "created_at": 1700000000,
                "status": "completed",
                "model": MODEL,
                "parallel_tool_calls": True,
                "tool_choice": "auto",
                "tools": [],
                "error": None,
                "incomplete_details": None,
                "output": [
                    {
                        "id": "msg_b",
                        "type": "message",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": "ok", "annotations": []}],
                    }
                ],
                "usage": {
                    "input_tokens": 5,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 1,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": 6,
                },
            }
        ),
        "gemini": Reply.json(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": "ok"}]},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "modelVersion": MODEL,
                "responseId": "r",
                "usageMetadata": {
                    "promptTokenCount": 5,
                    "candidatesTokenCount": 1,
                    "totalTokenCount": 6,
                },
            }
        ),
        "ollama": Reply.json(
            {
                "model": MODEL,
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": "ok"},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 5,
                "eval_count": 1,
            }
        ),
        "anthropic": Reply.json(
            {
                "id": "msg_b",
                "type": "message",
                "role": "assistant",
                "model": MODEL,
                "content": [{"type": "text", "text": "ok"}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": 1},
            }
        ),
    }
