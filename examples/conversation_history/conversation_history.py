"""A conversation kept in a list: each turn sends the history plus one new message.

    python examples/conversation_history/conversation_history.py --model ollama/gpt-oss

``chat_with_history`` never changes the history you pass; append the question and the reply
yourself to go on.
"""

from __future__ import annotations

import argparse
import asyncio

from pollytool import ChatMessage, MultiPass
from pollytool.llm import chat_with_history


async def main(model: str) -> None:
    history = [
        ChatMessage.system("You are helpful"),
        ChatMessage.user("Hi"),
        ChatMessage.assistant("Hello! How can I help?"),
    ]
    async with MultiPass() as client:
        for question in ["What did I just say?", "And what did you answer?"]:
            reply = await chat_with_history(model, history, question, 1000, client=client)
            print(f"> {question}\n{reply.content}")
            history += [ChatMessage.user(question), reply]
    print(f"({len(history)} messages in the conversation)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="openai/gpt-5.4")
    asyncio.run(main(parser.parse_args().model))
