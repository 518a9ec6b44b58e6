"""Type-checked, not run: how user code is typed against the public API.

``nox -s typecheck`` runs ``mypy --strict`` over this directory. A ``# type: ignore[...]``
marks code that must NOT type-check; strict mode reports an unused ignore, so if such a line
starts to type-check the session fails.
"""

from __future__ import annotations

from pydantic import BaseModel

from pollytool import ChatMessage, CompletionRequest, EventType, MultiPass, Thinking
from pollytool.llm import Agent, ToolRegistry, structured_complete, tool


class UserInfo(BaseModel):
    name: str


# ``thinking`` and ``response_schema`` take what the request converts at run time.
request = CompletionRequest(
    "openai/gpt-5.4",
    [ChatMessage.user("hi")],
    thinking="high",
    response_schema=UserInfo,
    max_tokens=500,
)
budget = CompletionRequest("anthropic/claude-sonnet-4-6", thinking=12000)
parsed: Thinking = request.thinking  # and reading gives the parsed value

wrong = CompletionRequest("m", thinking=1.5)  # type: ignore[arg-type]


@tool
async def lookup(city: str) -> str:
    """Look a city up."""
    return city


async def flows() -> None:
    async with MultiPass() as client:
        async for event in client.stream(request):
            if event.type == EventType.CONTENT:
                pass
        agent = Agent(client, ToolRegistry([lookup]))
        result = await agent.run(request)
        text: str = result.text
        user = await structured_complete("openai/gpt-5.4", "Extract", UserInfo, client=client)
        del text, user
