"""Anthropic (Claude) adapter over the official ``anthropic`` SDK's Messages API.

:class:`AnthropicClient` streams (or, with ``stream=False``, fetches) a reply and produces the
normalised events. How a :class:`~pollytool.request.CompletionRequest` is mapped:

* ``thinking``: adaptive thinking with an effort level on models that have it (Claude 4.6 and
  later), a token budget on older ones; :meth:`~pollytool.thinking.Thinking.off` sends
  ``{"type": "disabled"}``, the default sends nothing. Thinking blocks and their signatures
  are kept in ``provider_metadata["anthropic"]`` and replayed on the next turn, also after a
  JSON round trip of the history.
* ``response_schema``: native ``output_config.format`` where the model supports it, else a
  forced tool; either way the JSON arrives as the reply text.
* ``tool_choice``: ``"auto"``, ``"none"``, ``"required"`` or a tool name.
* ``max_tokens``: 8192 when unset (more with thinking; always above the thinking budget).
* ``provider_options={"cache": True}``: prompt caching; the system prompt, the tools and the
  last user turn get ``cache_control: {"type": "ephemeral"}``. Cache reads and writes appear
  in ``Usage.cache_read_tokens`` and ``Usage.cache_write_tokens``.
* Stop reason ``pause_turn`` (a paused server-tool turn) is reported as ``end_turn`` with
  ``raw_stop_reason="pause_turn"``; send the history back to let the model continue.

Model-dependent choices are listed in :mod:`pollytool.providers.anthropic._models`.
"""

from ._client import AnthropicClient

__all__ = ["AnthropicClient"]
