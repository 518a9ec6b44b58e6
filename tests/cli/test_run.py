"""One-shot runs of the real ``polly`` against the loopback provider: output streams,
flags and their environment defaults, errors and exit codes, terminal behaviour."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import FakeProvider, messages_of
from tests.cli.polly import (
    Polly,
    interrupt,
    reasoning_reply,
    text_reply,
    tool_call_reply,
)
from tests.fakes.loopback import Reply


def test_piped_output_is_only_the_answer(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(reasoning_reply("Let me think.", "Hello"))
    result = polly.run("-p", "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == "Hello\n"
    assert result.stderr == ""
    body = provider.last
    assert body["model"] == "gpt-test"
    assert messages_of(body) == [("user", "hi")]
    assert "temperature" not in body and body["stream"] is True


def test_flags_reach_the_request(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("ok"))
    result = polly.run(
        "--temp", "0", "--maxtokens", "123", "-s", "Be brief.", "--thinking", "high",
        "-m", "openai/gpt-other", "--baseurl", provider.url + "/v1",
        stdin="from stdin\n", env={"POLLYTOOL_BASEURL": "http://127.0.0.1:9/unused"},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    body = provider.last
    assert body["model"] == "gpt-other"
    assert body["temperature"] == 0
    assert 123 in (body.get("max_tokens"), body.get("max_completion_tokens"))
    assert body["reasoning_effort"] == "high"
    assert messages_of(body)[-1] == ("user", "from stdin")
    assert messages_of(body)[0][1] == "Be brief."


def test_environment_supplies_defaults(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("ok"))
    env = {"POLLYTOOL_TEMP": "0.25", "POLLYTOOL_MAXTOKENS": "77", "POLLYTOOL_SYSTEM": "Sys.",
           "POLLYTOOL_THINKING": "low"}  # fmt: skip
    result = polly.run("-p", "x", env=env)
    assert result.code == 0, result.stderr
    body = provider.last
    assert body["temperature"] == 0.25
    assert 77 in (body.get("max_tokens"), body.get("max_completion_tokens"))
    assert body["reasoning_effort"] == "low"
    assert messages_of(body)[0][1] == "Sys."


def test_truncated_answer_warns_on_stderr(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("The beginning of", finish="length"))
    result = polly.run("-p", "tell me", "--maxtokens", "5")
    assert result.code == 0
    assert result.stdout == "The beginning of\n"
    assert result.stderr.strip() == (
        "Warning: response truncated at 5 tokens; use --maxtokens to allow more"
    )


def test_provider_error_is_one_line_naming_the_key(polly: Polly, provider: FakeProvider) -> None:
    error = {"message": "Incorrect API key provided: sk-abc***", "type": "invalid_request_error"}
    provider.reply(Reply.json({"error": error}, status=401))
    result = polly.run("-p", "hi", env={"POLLYTOOL_OPENAIKEY": "sk-secret-value-123456"})
    assert result.code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: openai: ")
    assert "status 401" in lines[0] and "POLLYTOOL_OPENAIKEY" in lines[0]
    assert "sk-secret-value-123456" not in result.stderr


def test_version_and_help(polly: Polly) -> None:
    from pollytool import __version__

    assert polly.run("--version").stdout == f"polly {__version__}\n"
    helped = polly.run("--help")
    assert helped.code == 0 and "[$POLLYTOOL_TEMP]" in helped.stdout


def test_missing_key_names_the_variable(polly: Polly) -> None:
    result = polly.run("-p", "hi", "-m", "anthropic/claude-sonnet-4-6")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: no API key for anthropic: set the POLLYTOOL_ANTHROPICKEY environment variable\n"
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["-p", "x", "-m", "gpt-4o"], {}, "model must be written provider/model"),
        (["-p", "x", "-m", "nope/model"], {}, "unknown provider 'nope'"),
        (["-p", "x", "--temp", "2.5"], {}, "temperature must be from 0 to 2"),
        (["-p", "x"], {"POLLYTOOL_TEMP": "warm"}, "POLLYTOOL_TEMP: temperature must be a number"),
        (["-p", "x", "--thinking", "lots"], {}, "invalid thinking setting 'lots'"),
        (["-p", "x", "--maxtokens", "0"], {}, "max tokens must be at least 1"),
        (["-p", "x", "--timeout", "soon"], {}, "invalid duration 'soon'"),
        (["--list", "--purge"], {}, "--list and --purge cannot be used together"),
        (["--show", "a", "-p", "x"], {}, "--show does not take a prompt (-p) or files (-f)"),
        (["--list", "-c", "a"], {}, "--list does not take -c/--context or -L/--last"),
        (["-c", "a", "-L", "-p", "x"], {}, "-c/--context and -L/--last cannot be used together"),
        (["--purge", "--temp", "1"], {}, "--purge cannot be combined with other flags"),
        (["--add", "--schema", "s.json"], {}, "--add does not call a model"),
        (["-p", "x", "--bogus"], {}, "unrecognized arguments: --bogus"),
        (["-p", " "], {}, "the prompt is empty"),
        (["-p", "x", "--confirm"], {}, "--confirm asks on the terminal"),
    ],
)
def test_usage_errors_exit_2(
    polly: Polly, args: list[str], env: dict[str, str | None], message: str
) -> None:
    result = polly.run(*args, env=env)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_no_prompt_on_a_terminal_means_an_interactive_session(polly: Polly) -> None:
    result = polly.run_tty("--schema", "person.json")  # (which cannot be interactive)
    assert result.code == 2
    assert "Error: --schema needs a prompt (-p or standard input)" in result.stderr


def test_terminal_shows_reasoning_and_tool_activity(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(
        tool_call_reply(("call_1", "get_weather", '{"city": "Paris"}'), reasoning="Pondering."),
        text_reply("It is sunny."),
    )
    result = polly.run_tty("-p", "weather?")
    assert result.code == 0, result.stderr
    assert result.stdout == "It is sunny.\n"
    assert "Pondering." in result.stderr
    assert '→ get_weather {"city": "Paris"}' in result.stderr
    assert (
        "✗" in result.stderr and "get_weather — tool 'get_weather' does not exist" in result.stderr
    )
    # the model read the failure and answered
    tool_message = provider.last["messages"][-1]
    assert tool_message["role"] == "tool" and "does not exist" in tool_message["content"]


def test_quiet_terminal_shows_only_the_answer(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(
        tool_call_reply(("call_1", "get_weather", "{}")), reasoning_reply("Hmm.", "Done.")
    )
    result = polly.run_tty("-p", "weather?", "--quiet", stdout_tty=True)
    assert result.code == 0
    assert result.stdout == "Done.\r\n"  # the whole terminal: no spinner, tools or reasoning


def test_debug_logs_go_to_stderr(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("answer"))
    result = polly.run("-p", "hi", "--debug", env={"POLLYTOOL_OPENAIKEY": "sk-debugsecret-999999"})
    assert result.code == 0
    assert result.stdout == "answer\n"
    assert "DEBUG" in result.stderr and "sk-debugsecret-999999" not in result.stderr


def test_timeout_ends_a_stalled_answer(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("slow", hang_after=0))
    result = polly.run("-p", "hi", "--timeout", "1s")
    provider.replies.clear()  # on a busy machine the second may pass before the request is sent
    assert result.code == 1
    assert result.stderr == "Error: openai: the request did not finish within its 1s timeout\n"


def test_max_iterations_stops_the_tool_loop(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(tool_call_reply(("c1", "lookup", "{}")))
    result = polly.run("-p", "loop", "--maxiterations", "1")
    assert result.code == 1
    assert "max_iterations=1" in result.stderr


def test_interrupt_exits_130_and_keeps_the_partial_answer(
    polly: Polly, provider: FakeProvider
) -> None:
    provider.reply(text_reply("Once upon", " a time", hang_after=1))
    proc = polly.start("-c", "story", "-p", "tell a story")
    result = interrupt(proc, b"Once upon")
    assert result.code == 130
    assert result.stdout.startswith("Once upon")
    log = (polly.contexts / "story.jsonl").read_text().splitlines()
    saved = [json.loads(line) for line in log]
    assert [m["role"] for m in saved] == ["user", "assistant"]
    assert saved[1]["content"] == "Once upon" and saved[1]["metadata"] == {"interrupted": True}


def test_confirm_asks_on_the_terminal_before_each_call(
    polly: Polly, provider: FakeProvider
) -> None:
    provider.reply(
        tool_call_reply(("call_1", "delete_files", '{"path": "/"}')), text_reply("I did not.")
    )
    question = 'Run delete_files {"path": "/"}? [y/N/a]'
    result = polly.run_tty("-p", "clean up", "--confirm", answers=[(question, "n\n")])
    assert result.code == 0, result.stderr
    assert question in result.stderr and result.stdout == "I did not.\n"
    tool_message = provider.last["messages"][-1]
    assert tool_message == {
        "role": "tool", "tool_call_id": "call_1", "content": "the user denied this tool call"
    }  # fmt: skip
