"""The interactive ``polly`` driven through a pseudo-terminal against the loopback provider:
streamed Markdown answers, slash commands that persist, Ctrl-C during an answer, input history
and the resumed context across restarts."""

from __future__ import annotations

import json

from tests.cli.conftest import FakeProvider, messages_of
from tests.cli.polly import Polly, TerminalSession, text_reply

CTRL_C, CTRL_D, UP = "\x03", "\x04", "\x1b[A"


def test_answer_streams_and_a_model_change_persists(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(
        text_reply("# Greeting\n\n", "Hello **there**.\n\n", "```python\nprint(1)\n```\n"),
        text_reply("From the new model."),
    )
    term = TerminalSession(polly, "-c", "chat")
    term.expect("openai/gpt-test │ chat")  # the status line
    term.send("hello\r")
    shown = term.expect("print(1)")
    assert "Greeting" in shown and "Hello there." in shown  # rendered: no Markdown markers
    term.expect("│ chat")
    term.send("/model openai/gpt-new\r")
    term.expect("Model: openai/gpt-new")
    term.expect("│ chat")
    term.send("again\r")
    term.expect("From the new model.")
    term.expect("│ chat")  # the prompt is back
    term.send("/context\r")
    term.expect("Messages: 4 (assistant 2, user 2)")
    term.expect("│ chat")
    term.send("/tools\r")
    term.expect("No tools loaded")
    term.expect("│ chat")
    transcript = polly.home / "chat.md"
    term.send(f"/save {transcript}\r")
    term.expect("Saved 4 message(s)")
    term.expect("│ chat")
    term.send("/bogus\r")
    term.expect("Unknown command /bogus; /help lists the commands.")
    term.expect("│ chat")
    term.send(CTRL_D)
    assert term.wait() == 0
    assert transcript.read_text().startswith("## user\n\nhello\n")
    assert provider.last["model"] == "gpt-new"
    assert messages_of(provider.last)[-1] == ("user", "again")
    assert "Model:          openai/gpt-new" in polly.run("--show", "chat").stdout


def test_ctrl_c_stops_an_answer_and_the_session_goes_on(
    polly: Polly, provider: FakeProvider
) -> None:
    provider.reply(
        text_reply("First paragraph.\n\n", "never sent", hang_after=1),
        text_reply("Still here."),
    )
    term = TerminalSession(polly, "-c", "story")
    term.expect("story")
    term.send("tell a story\r")
    term.expect("First paragraph.")
    term.send(CTRL_C)
    term.expect("Interrupted.")
    term.expect("│ story")
    term.send("go on\r")
    term.expect("Still here.")
    term.expect("│ story")
    term.send(CTRL_D)
    assert term.wait() == 0
    saved = [json.loads(line) for line in (polly.contexts / "story.jsonl").read_text().splitlines()]
    assert [m["role"] for m in saved] == ["user", "assistant", "user", "assistant"]
    assert saved[1]["metadata"] == {"interrupted": True}
    assert saved[1]["content"] == "First paragraph.\n\n"
    # the next request carried the partial answer as history
    assert messages_of(provider.last)[1] == ("assistant", "First paragraph.\n\n")


def test_history_and_context_survive_a_restart(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("Noted."), text_reply("Noted again."))
    first = TerminalSession(polly, "-c", "notes")
    first.expect("notes")
    first.send("remember the milk\r")
    first.expect("Noted.")
    first.expect("│ notes")
    first.send(CTRL_D)
    assert first.wait() == 0

    second = TerminalSession(polly, "-c", "notes")
    second.expect("Resuming context 'notes'")
    second.expect("remember the milk")  # the last turns are shown again
    second.expect("Noted.")
    second.expect("notes")
    second.send(UP + "\r")  # the input history brings the line back
    second.expect("Noted again.")
    second.expect("│ notes")
    second.send(CTRL_C)
    second.expect("Ctrl-C again or Ctrl-D to leave")
    second.expect("│ notes")
    second.send(CTRL_C)
    assert second.wait() == 0
    assert messages_of(provider.last)[-1] == ("user", "remember the milk")
    assert len(provider.last["messages"]) == 3
