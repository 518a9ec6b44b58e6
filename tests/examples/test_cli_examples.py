"""The command-line examples, run as a user runs them, against the loopback provider server
replaying recorded traffic (``POLLYTOOL_*_BASEURL``), or keyless with the fake model where
that is the example's point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.examples._support import (
    EXAMPLES,
    SECRET,
    cassette_text,
    chat_error,
    chat_stream,
    clean_environ,
    provider_env,
    replay,
    run_example,
)
from tests.fakes.loopback import LoopbackServer
from tests.mcp.conftest import npm_server
from tests.sandbox.helpers import require, require_bwrap

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """The examples run in their own process under ``asyncio.run``; the test's loop only
    hosts the loopback server, so one backend is enough."""
    return "asyncio"


async def test_quick_start(loopback: LoopbackServer, tmp_path: Path) -> None:
    replay(loopback, "openai/chat__stream_text", "openai/chat__stream_text")
    done = await run_example(
        EXAMPLES / "quick_start" / "quick_start.py",
        env=clean_environ(tmp_path, **provider_env(loopback)),
    )
    text = cassette_text("openai/chat__stream_text")
    assert done.stdout.decode() == f"{text}\n\nWriting a story:\n{text}\n"
    first, second = (r.json() for r in loopback.requests)
    assert first["model"] == "gpt-5.4" and first["max_tokens"] == 500
    assert first["messages"] == [{"role": "user", "content": "Tell me a joke"}]
    assert second["messages"] == [{"role": "user", "content": "Write a short story"}]
    assert second["stream"] is True and second["max_tokens"] == 500


async def test_conversation_history_carries_every_turn(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    replay(loopback, "ollama/chat__stream_text_multiturn", "ollama/chat__stream_text")
    done = await run_example(
        EXAMPLES / "conversation_history" / "conversation_history.py",
        "--model", "ollama/gemma3:1b",
        env=clean_environ(tmp_path, **provider_env(loopback)),
    )  # fmt: skip
    first_reply = cassette_text("ollama/chat__stream_text_multiturn")
    second_reply = cassette_text("ollama/chat__stream_text")
    assert done.stdout.decode() == (
        f"> What did I just say?\n{first_reply}\n"
        f"> And what did you answer?\n{second_reply}\n"
        "(7 messages in the conversation)\n"
    )
    first, second = (r.json() for r in loopback.requests)
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant", "user"]
    assert first["options"]["num_predict"] == 1000
    assert second["messages"][:4] == first["messages"]
    assert second["messages"][4:] == [
        {"role": "assistant", "content": first_reply},
        {"role": "user", "content": "And what did you answer?"},
    ]


async def test_builder_execute_stream_and_tools(loopback: LoopbackServer, tmp_path: Path) -> None:
    replay(loopback, "openai/chat__stream_text", "openai/chat__stream_text")
    loopback.add("POST", "/v1/chat/completions",
                 chat_stream(tool_calls=[("get_weather", {"location": "New York, NY"})]),
                 chat_stream("It is sunny and 72°F in New York."))  # fmt: skip
    done = await run_example(
        EXAMPLES / "builder" / "builder.py", env=clean_environ(tmp_path, **provider_env(loopback))
    )
    text = cassette_text("openai/chat__stream_text")
    assert done.stdout.decode() == (
        f"{text}\n\nA haiku:\n{text}\n\nWith tools: It is sunny and 72°F in New York.\n"
    )
    execute, streaming, tool_turn, answer_turn = (r.json() for r in loopback.requests)
    assert execute["messages"] == [
        {"role": "system", "content": "You are a helpful assistant"},
        {"role": "user", "content": "Tell me about Python"},
    ]
    assert execute["temperature"] == 0.8 and execute["max_tokens"] == 500
    assert streaming["messages"][0] == {"role": "system", "content": "You are a creative writer"}
    assert "temperature" not in streaming and "max_tokens" not in streaming
    (offered,) = tool_turn["tools"]
    assert offered["function"]["name"] == "get_weather"
    assert offered["function"]["parameters"]["required"] == ["location"]
    tool_message = answer_turn["messages"][-1]
    assert tool_message == {
        "role": "tool",
        "tool_call_id": "call_0",
        "content": "The weather in New York, NY is sunny and 72°F",
    }


async def test_error_handling_waits_trims_and_recovers(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    rate_limited = chat_error(429, "Rate limit reached", "rate_limit_exceeded",
                              {"retry-after-ms": "10"})  # fmt: skip
    too_long = chat_error(400, "This model's maximum context length is 128000 tokens.",
                          "context_length_exceeded")  # fmt: skip
    # The vendor client retries a 429 twice itself; the example's own retry comes after that.
    loopback.add("POST", "/v1/chat/completions", rate_limited, rate_limited, rate_limited, too_long)
    replay(loopback, "openai/chat__stream_text")
    done = await run_example(
        EXAMPLES / "error_handling" / "error_handling.py",
        env=clean_environ(tmp_path, **provider_env(loopback)),
    )
    assert done.stdout.decode() == (
        "[rate limited by openai; retrying in 0.01s]\n"
        "[context too long; keeping the last 5 messages]\n"
        f"{cassette_text('openai/chat__stream_text')}\n"
    )
    bodies = [r.json() for r in loopback.requests]
    assert len(bodies) == 5
    assert len(bodies[3]["messages"]) == 42
    assert [m["content"] for m in bodies[4]["messages"]] == [
        "You are terse.", "Fact 18?", "Fact 18.", "Fact 19?", "Fact 19.", "Summarise the facts.",
    ]  # fmt: skip


async def test_error_handling_reports_a_bad_key(loopback: LoopbackServer, tmp_path: Path) -> None:
    replay(loopback, "openai/chat__error_401_stream")
    done = await run_example(
        EXAMPLES / "error_handling" / "error_handling.py",
        env=clean_environ(tmp_path, **provider_env(loopback)),
        check=False,
    )
    assert done.returncode == 2
    stderr = done.stderr.decode()
    assert stderr.startswith("authentication failed, check the API key: openai: Incorrect API key")
    assert "status 401" in stderr and "invalid_api_key" in stderr
    assert SECRET not in stderr and len(loopback.requests) == 1


async def test_mcp_filesystem_lists_through_the_real_server(tmp_path: Path) -> None:
    server = npm_server("mcp-server-filesystem")
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha")
    (folder / "b.md").write_text("beta")
    (folder / "drafts").mkdir()
    done = await run_example(
        EXAMPLES / "mcp_filesystem" / "mcp_filesystem.py", str(folder), "--server", server,
        env=clean_environ(tmp_path),
    )  # fmt: skip
    lines = done.stdout.decode().splitlines()
    assert lines[0].endswith("tools from mcp-server-filesystem, e.g. read_file")
    assert lines[1] == f'  -> list_directory({{"path": "{folder}"}})'
    assert lines[2].startswith("  -> word_count(")
    assert lines[3:] == [
        "The directory holds:", "[FILE] a.txt", "[FILE] b.md", "[DIR] drafts",
        "(the listing is 6 words long)",
    ]  # fmt: skip


async def test_skills_activate_and_run_the_script_sandboxed(tmp_path: Path) -> None:
    require_bwrap()
    require(shutil.which("awk") is not None, "awk is not installed")
    done = await run_example(EXAMPLES / "skills" / "skills_example.py", env=clean_environ(tmp_path))
    assert done.stdout.decode().splitlines() == [
        "skills: word-stats",
        "tools: activate_skill, read_skill_file, bash",
        '  -> activate_skill: <skill_content name="word-stats">',
        "  -> bash: 4 words, 1 lines, 19 characters",
        "Your text has 4 words, 1 lines, 19 characters.",
        "active skills: ['word-stats']",
    ]
