"""A :class:`CompletionRequest` → the JSON body of a Messages API request.

Besides the history (:mod:`._messages`) this decides, per model (:mod:`._models`):

* **thinking**: :meth:`Thinking.default` sends nothing; an explicit :meth:`Thinking.off`
  sends ``{"type": "disabled"}``. Models with adaptive thinking get ``{"type": "adaptive"}``
  and the level as ``output_config.effort`` (``minimal`` is sent as ``low``; ``dynamic`` sends
  no effort, so the model decides). Older models get ``{"type": "enabled", "budget_tokens":
  N}`` with N from :meth:`Thinking.as_budget` (at least 1024, the API's minimum).
* **max_tokens** (required by the API): the request's value, else 8192, or the thinking budget
  plus 4096 when thinking, at most 64000 (the output limit of most current models; a larger
  budget shrinks to fit). With a thinking budget ``max_tokens`` always stays above it: a
  request value at or below the budget is added to it, and then limits the answer alone.
* **temperature** is left out while thinking is on (Anthropic rejects it) and for models that
  reject it altogether.
* **tool_choice**: ``"auto"``, ``"none"``, ``"required"`` (Anthropic's ``any``) or a tool name.
* **structured output**: ``output_config.format`` where the model supports it; otherwise one
  extra tool named after the schema whose input is the answer (forced, unless thinking is on
  or other tools are offered, since Anthropic forbids forcing a tool while thinking). The
  decoder turns that tool's input back into the reply text.
* **prompt caching**: ``provider_options={"cache": True}`` marks the system prompt, the tool
  list and the last user turn with ``cache_control: {"type": "ephemeral"}``, so a follow-up
  request within the cache lifetime reads that prefix from the cache. Cache reads and writes
  are reported in ``Usage.cache_read_tokens`` / ``cache_write_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import ConfigurationError
from ...thinking import ThinkingLevel
from ...tools.base import tool_spec
from ._dialect import to_anthropic
from ._messages import encode_history
from ._models import ModelCapabilities, capabilities

if TYPE_CHECKING:
    from ...request import CompletionRequest
    from ...schema import Schema
    from ...thinking import Thinking
    from ...tools.base import Tool

__all__ = ["DEFAULT_MAX_TOKENS", "EncodedRequest", "encode_request"]

#: ``max_tokens`` when the request sets none and does not think.
DEFAULT_MAX_TOKENS = 8192
#: Room for the answer on top of the thinking budget when the request sets no ``max_tokens``.
ANSWER_TOKENS = 4096
#: The largest ``max_tokens`` chosen when the request sets none.
MAX_DEFAULT_TOKENS = 64000
#: The smallest thinking budget Anthropic accepts.
MIN_BUDGET = 1024

_EPHEMERAL = {"type": "ephemeral"}


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """What :func:`encode_request` produces.

    Attributes:
        params: the JSON body (without ``stream``).
        output_tool: name of the tool that carries structured output, when one is used.
    """

    params: dict[str, Any]
    output_tool: str | None = None


def encode_request(req: CompletionRequest) -> EncodedRequest:
    """The Messages API body for *req*."""
    caps = capabilities(req.model)
    system, messages = encode_history(req.messages)
    if not messages:
        raise ConfigurationError("the request has no user message with content to send")
    params: dict[str, Any] = {"model": req.model, "messages": messages}
    if system:
        params["system"] = system
    output_config: dict[str, Any] = {}
    thinking_on = _apply_thinking(params, output_config, req, caps)
    if req.temperature is not None and not thinking_on and caps.temperature:
        params["temperature"] = req.temperature
    tools = [_tool_param(tool) for tool in req.tools]
    tool_choice = _tool_choice(req.tool_choice)
    output_tool = None
    if req.response_schema is not None:
        if caps.native_structured_output:
            output_config["format"] = {
                "type": "json_schema",
                "schema": to_anthropic(req.response_schema.json_schema, output=True),
            }
        else:
            output_tool = _add_output_tool(tools, req.response_schema)
            if tool_choice is None and not thinking_on and len(tools) == 1:
                tool_choice = {"type": "tool", "name": output_tool}
    if tools:
        params["tools"] = tools
    if tool_choice is not None:
        params["tool_choice"] = tool_choice
    if output_config:
        params["output_config"] = output_config
    if req.provider_options.get("cache"):
        _mark_cache(params)
    _plain_text_content(messages)
    return EncodedRequest(params, output_tool)


def _plain_text_content(messages: list[dict[str, Any]]) -> None:
    """Send a message that is one plain text block as a string: the same request, shorter."""
    for message in messages:
        content = message["content"]
        if (
            len(content) == 1
            and content[0].keys() == {"type", "text"}
            and content[0]["type"] == "text"
        ):
            message["content"] = content[0]["text"]


# --------------------------------------------------------------------------- thinking


def _apply_thinking(
    params: dict[str, Any],
    output_config: dict[str, Any],
    req: CompletionRequest,
    caps: ModelCapabilities,
) -> bool:
    """Set ``thinking``, ``max_tokens`` and the effort; return whether thinking is on."""
    thinking = req.thinking
    if not thinking.enabled:
        if thinking.explicit:
            params["thinking"] = {"type": "disabled"}
        params["max_tokens"] = req.max_tokens or DEFAULT_MAX_TOKENS
        return False
    budget = max(MIN_BUDGET, thinking.as_budget())
    if req.max_tokens is None:
        budget = min(budget, MAX_DEFAULT_TOKENS - ANSWER_TOKENS)
    if caps.adaptive_thinking:
        params["thinking"] = {"type": "adaptive"}
        effort = _effort(thinking, caps)
        if effort is not None:
            output_config["effort"] = effort
    else:
        params["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if req.max_tokens is None:
        params["max_tokens"] = budget + ANSWER_TOKENS
    elif req.max_tokens <= budget and not caps.adaptive_thinking:
        params["max_tokens"] = budget + req.max_tokens
    else:
        params["max_tokens"] = req.max_tokens
    return True


def _effort(thinking: Thinking, caps: ModelCapabilities) -> str | None:
    if thinking.mode == "dynamic":
        return None
    level = thinking.as_level()
    if level == ThinkingLevel.MINIMAL:
        return ThinkingLevel.LOW.value
    if level == ThinkingLevel.XHIGH and not caps.xhigh_effort:
        return ThinkingLevel.HIGH.value
    return level.value


# --------------------------------------------------------------------------- tools


def _tool_param(tool: Tool) -> dict[str, Any]:
    spec = tool_spec(tool)
    param: dict[str, Any] = {"name": spec.name, "input_schema": to_anthropic(spec.parameters)}
    if spec.description:
        param["description"] = spec.description
    return param


def _tool_choice(choice: str | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    if choice in ("auto", "none", "any"):
        return {"type": choice}
    if choice == "required":
        return {"type": "any"}
    return {"type": "tool", "name": choice}


def _add_output_tool(tools: list[dict[str, Any]], schema: Schema) -> str:
    if any(tool["name"] == schema.name for tool in tools):
        raise ConfigurationError(
            f"the response schema is named {schema.name!r} like one of the tools; "
            "give the schema another name"
        )
    tools.append(
        {
            "name": schema.name,
            "description": schema.description
            or "Give your final answer by calling this tool; its input is the answer.",
            "input_schema": to_anthropic(schema.json_schema),
        }
    )
    return schema.name


# --------------------------------------------------------------------------- caching


def _mark_cache(params: dict[str, Any]) -> None:
    """Put cache breakpoints on the system prompt, the tools and the last user turn."""
    targets: list[dict[str, Any]] = []
    if params.get("system"):
        targets.append(params["system"][-1])
    if params.get("tools"):
        targets.append(params["tools"][-1])
    last_user = next((m for m in reversed(params["messages"]) if m["role"] == "user"), None)
    if last_user is not None:
        targets.append(last_user["content"][-1])
    for block in targets:
        block["cache_control"] = dict(_EPHEMERAL)
