"""An MCP server's tools next to a local Python tool, driven by the tool loop.

    python examples/mcp_filesystem/mcp_filesystem.py ./some/dir --model openai/gpt-5.4

It starts ``npx -y @modelcontextprotocol/server-filesystem DIR`` over stdio (``--server`` picks
another command), publishes the server's tools next to a local ``word_count`` tool, and asks
for the files in DIR. Without ``--model`` a scripted fake model calls ``list_directory`` and
``word_count``, then answers with what they returned, so it runs without a key (it still
needs node for the real MCP server).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
from pathlib import Path

from pollytool import ChatMessage, CompletionRequest, MultiPass, ToolResultEvent
from pollytool.llm import Agent, tool
from pollytool.mcp import MCPClient
from pollytool.providers.fake import FakeLLM, tool_call
from pollytool.tools import ToolRegistry

SERVER = "npx -y @modelcontextprotocol/server-filesystem"


@tool
def word_count(text: str) -> int:
    """Count the words of a text.

    Args:
        text: The text to count.
    """
    return len(text.split())


def scripted_model(directory: str) -> FakeLLM:
    def answer(req: CompletionRequest) -> str:
        listing, words = req.messages[-3].content, req.messages[-1].content  # the tool results
        return f"The directory holds:\n{listing}\n(the listing is {words} words long)"

    return FakeLLM(
        [tool_call("list_directory", {"path": directory})],
        lambda req: [tool_call("word_count", {"text": req.messages[-1].content})],
        answer,
    )


async def main(directory: str, server: str, model: str | None) -> None:
    async with MCPClient("stdio", [*shlex.split(server), directory]) as files:
        mcp_tools = await files.get_tools()
        registry = ToolRegistry([word_count, *mcp_tools])  # local and MCP tools together
        print(f"{len(mcp_tools)} tools from {files.name}, e.g. {mcp_tools[0].name}")

        client = MultiPass() if model else MultiPass(clients={"fake": scripted_model(directory)})
        req = CompletionRequest(
            model or "fake/scripted",
            [ChatMessage.user(f"List the files in {directory}, then count the listing's words.")],
        )
        async with Agent(client, registry, max_iterations=6).stream(req) as events:
            async for event in events:
                if isinstance(event, ToolResultEvent):
                    print(f"  -> {event.tool_call.name}({event.tool_call.arguments})")
        result = events.result
        assert result is not None
        print(result.text)
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", nargs="?", default=".")
    parser.add_argument("--server", default=SERVER, help="the MCP server's command line")
    parser.add_argument("--model")
    args = parser.parse_args()
    asyncio.run(main(str(Path(args.directory).resolve()), args.server, args.model))
