"""Structured output into a Pydantic model, with one repair round if the reply is invalid.

    python examples/extract_structured.py --model gemini/gemini-2.5-flash

Without ``--model`` a scripted fake model first answers with invalid JSON, is asked to repair
it, and then answers correctly, so you can watch the repair without a key.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import BaseModel

from pollytool import MultiPass, PollyError
from pollytool.llm import structured_complete
from pollytool.providers.fake import FakeLLM


class UserInfo(BaseModel):
    name: str
    age: int | None = None
    email: str


async def main(model: str | None) -> None:
    scripted = FakeLLM(
        '{"name": "John Doe", "age": "thirty"}',
        '{"name": "John Doe", "age": 30, "email": "john@example.com"}',
    )
    client = MultiPass() if model else MultiPass(clients={"fake": scripted})
    async with client:
        user = await structured_complete(
            model or "fake/scripted",
            "Extract: John Doe, 30, john@example.com",
            UserInfo,
            500,  # max_tokens
            client=client,
            max_retries=1,
        )
    print(repr(user))  # a UserInfo, for type checkers too
    if not model:
        print(f"(the fake model was asked {len(scripted.requests)} times)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    try:
        asyncio.run(main(parser.parse_args().model))
    except PollyError as exc:
        sys.exit(f"error: {exc}")
