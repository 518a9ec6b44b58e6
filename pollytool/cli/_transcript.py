"""The messages one prompt adds to a conversation, kept consistent whatever happens.

A finished tool loop adds exactly what :class:`~pollytool.llm.AgentResult` reports. A loop
that fails or is interrupted keeps what had been completed: every finished model turn and the
results of tools that ran, but never an assistant turn whose tool calls have no results (a
provider would reject the history). An interrupted answer's partial text is kept as an
assistant message marked ``metadata["interrupted"] = True``.
"""

from __future__ import annotations

from ..events import AgentEvent, CompleteEvent, ContentEvent, ToolResultEvent
from ..llm import AgentResult
from ..messages import ChatMessage, MessageRole

__all__ = ["Transcript"]


class Transcript:
    """Collects the messages of one prompt, starting with the user's message."""

    def __init__(self, user: ChatMessage) -> None:
        self._committed: list[ChatMessage] = [user]
        self._pending: list[ChatMessage] = []
        self._partial = ""

    def observe(self, event: AgentEvent) -> None:
        """Follow the tool loop's events (so a failure keeps what was done)."""
        if isinstance(event, ContentEvent):
            self._partial += event.content
        elif isinstance(event, CompleteEvent):
            self._pending.append(event.message)
            self._partial = ""
        elif isinstance(event, ToolResultEvent):
            call = event.tool_call
            self._pending.append(
                ChatMessage.tool_result(
                    call.id, event.result, tool_name=call.name, is_error=event.is_error
                )
            )

    def commit(self, result: AgentResult) -> None:
        """A tool loop finished: keep exactly its messages."""
        self._committed.extend(result.new_messages)
        self._pending.clear()
        self._partial = ""

    def add(self, message: ChatMessage) -> None:
        """Add a message of our own (a repair request, say)."""
        self._committed.append(message)

    @property
    def messages(self) -> list[ChatMessage]:
        """Everything kept so far (after a commit: the complete exchange)."""
        return list(self._committed)

    def salvage(self, *, interrupted: bool) -> list[ChatMessage]:
        """What to keep after a failure or an interruption; empty when the model produced
        nothing (the prompt is not stored without an answer)."""
        kept = [*self._committed, *self._pending]
        if kept[-1].role == MessageRole.ASSISTANT and kept[-1].tool_calls:
            kept.pop()  # its tools did not finish: a call without results cannot be sent again
        if interrupted and self._partial:
            kept.append(ChatMessage.assistant(self._partial))
            kept[-1].metadata["interrupted"] = True
        has_reply = any(m.role != MessageRole.USER for m in kept)
        return kept if has_reply else []
