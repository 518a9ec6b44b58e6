"""Contexts through the real ``polly``: every management command, settings that persist
(temperature 0 included) with flags taking precedence, history across runs, a changed system
prompt, and confirmation questions answered on the terminal or with ``--yes``."""

from __future__ import annotations

import json

from tests.cli.conftest import FakeProvider, messages_of
from tests.cli.polly import Polly, text_reply


def _show(polly: Polly, name: str) -> dict[str, str]:
    result = polly.run("--show", name)
    assert result.code == 0, result.stderr
    rows = {}
    for line in result.stdout.splitlines():
        label, sep, value = line.partition(":")
        if sep and not line.startswith(" "):
            rows[label] = value.strip()
    return rows


def test_a_context_remembers_settings_and_history(polly: Polly, provider: FakeProvider) -> None:
    created = polly.run("--create", "work", "-m", "openai/gpt-work", "--temp", "0", "-s", "Sys A")
    assert created.code == 0, created.stderr
    assert "Temperature:    0.00" in created.stdout and "System prompt:  Sys A" in created.stdout

    # temperature 0 and the system prompt come back; the environment does not override them
    provider.reply(text_reply("first answer"), text_reply("second answer"))
    first = polly.run("-c", "work", "-p", "one", env={"POLLYTOOL_TEMP": "1.5"})
    assert (first.code, first.stdout) == (0, "first answer\n")
    assert provider.last["model"] == "gpt-work" and provider.last["temperature"] == 0
    assert messages_of(provider.last) == [("system", "Sys A"), ("user", "one")]

    # -L continues it with the whole history; a flag given now is kept for later runs
    second = polly.run("-L", "-p", "two", "--temp", "0.7")
    assert second.code == 0, second.stderr
    assert messages_of(provider.last) == [
        ("system", "Sys A"), ("user", "one"), ("assistant", "first answer"), ("user", "two"),
    ]  # fmt: skip
    assert provider.last["temperature"] == 0.7
    shown = _show(polly, "work")
    assert shown["Temperature"] == "0.70" and shown["Model"] == "openai/gpt-work"
    assert shown["Messages"].startswith("5 (assistant 2, system 1, user 2)")

    listing = polly.run("--list")
    assert listing.stdout == "work [openai/gpt-work] - last used: just now *\n"


def test_a_new_system_prompt_starts_over_with_it(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("a1"), text_reply("a2"))
    assert polly.run("-c", "chat", "-s", "Old prompt", "-p", "q1").code == 0
    result = polly.run("-c", "chat", "-s", "New prompt", "-p", "q2")
    assert result.code == 0
    assert "System prompt changed: the history of 'chat' was cleared." in result.stderr
    assert messages_of(provider.last) == [("system", "New prompt"), ("user", "q2")]
    assert _show(polly, "chat")["System prompt"] == "New prompt"


def test_implicit_creation_and_name_checks(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("hi"))
    result = polly.run("-p", "hello", env={"POLLYTOOL_CONTEXT": "from-env"})
    assert result.code == 0
    assert result.stderr == "Created new context 'from-env'\n"
    assert (polly.contexts / "from-env.jsonl").exists()

    bad = polly.run("-c", "../escape", "-p", "x")
    assert bad.code == 2 and bad.stderr.startswith("Error: ") and "../escape" in bad.stderr
    missing = polly.run("--show", "nothing")
    assert (missing.code, missing.stderr) == (
        1, "Error: no context named 'nothing' (polly --list shows them)\n"
    )  # fmt: skip
    assert polly.run("--create", "from-env").code == 1
    assert polly.run("-L", "-p", "x", env={"HOME": str(polly.home / "empty")}).stderr == (
        "Error: -L/--last has nothing to continue: no context has been used yet\n"
    )


def test_reset_keeps_settings_and_clears_history(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("a1"), text_reply("a2"))
    assert polly.run("-c", "r", "--temp", "0", "-s", "Keep me", "-p", "q1").code == 0
    refused = polly.run("--reset", "r")
    assert refused.code == 2 and "there is no terminal; pass --yes" in refused.stderr
    reset = polly.run("--reset", "r", "--yes")
    assert reset.code == 0
    assert "Reset context 'r' (history cleared, settings kept)" in reset.stderr
    assert polly.run("-c", "r", "-p", "q2").code == 0
    assert messages_of(provider.last) == [("system", "Keep me"), ("user", "q2")]
    assert provider.last["temperature"] == 0


def test_add_stores_text_and_files_without_a_model(polly: Polly, provider: FakeProvider) -> None:
    notes = polly.home / "notes.txt"
    notes.write_text("line one\n")
    provider.reply(text_reply("a1"), text_reply("a2"))
    assert polly.run("-c", "kb", "-p", "start").code == 0
    added = polly.run("--add", "-c", "kb", "-f", str(notes), stdin="Remember this.")
    assert (added.code, added.stderr) == (0, "Added 2 message(s) to context 'kb'\n")
    # without -c, --add offers the last context; --yes accepts
    assert polly.run("--add", "-p", "And this.", "--yes").code == 0
    assert polly.run("-L", "-p", "q").code == 0
    assert messages_of(provider.last)[2:] == [
        ("user", "Remember this."),
        ("user", '<file name="notes.txt">\nline one\n</file>'),
        ("user", "And this."),
        ("user", "q"),
    ]
    assert len(provider.requests) == 2  # --add never called the model
    empty = polly.run("--add", "-c", "kb")
    assert empty.code == 2 and "--add needs text" in empty.stderr


def test_questions_are_asked_on_the_terminal(polly: Polly, provider: FakeProvider) -> None:
    for name in ("keep", "gone", "other"):
        assert polly.run("--create", name).code == 0
    declined = polly.run_tty("--delete", "keep", answers=[("permanently?", "n\n")])
    assert declined.code == 0 and "Nothing was deleted." in declined.stderr
    accepted = polly.run_tty("--delete", "gone", answers=[("permanently?", "y\n")])
    assert accepted.code == 0 and "Context 'gone' deleted" in accepted.stderr
    assert polly.run("--list").stdout.count("\n") == 2
    purged = polly.run("--purge", "--yes")
    assert (purged.code, purged.stderr) == (0, "Purged 2 context(s)\n")
    assert polly.run("--list").stdout == "No contexts found\n"


def test_context_files_hold_the_exchange(polly: Polly, provider: FakeProvider) -> None:
    provider.reply(text_reply("stored answer"))
    assert polly.run("-c", "disk", "-p", "stored question", "--maxcontext", "5000").code == 0
    lines = (polly.contexts / "disk.jsonl").read_text().splitlines()
    assert [json.loads(line)["content"] for line in lines] == ["stored question", "stored answer"]
    meta = json.loads((polly.contexts / "disk.meta.json").read_text())
    assert meta["model"] == "openai/gpt-test" and meta["max_history_tokens"] == 5000
    # a tight history limit sends only the newest turn; nothing stored is lost
    provider.reply(text_reply("short"))
    assert polly.run("-c", "disk", "-p", "next", "--maxcontext", "1").code == 0
    assert messages_of(provider.last) == [("user", "next")]
    assert len((polly.contexts / "disk.jsonl").read_text().splitlines()) == 4


def test_questions_use_the_terminal_while_stdin_carries_text(
    polly: Polly, provider: FakeProvider
) -> None:
    assert polly.run("--create", "last-one").code == 0
    text = polly.home / "input.txt"
    text.write_text("Piped text.\n")
    result = polly.run_tty("--add", stdin_file=text, answers=[("'last-one'?", "\n")])
    assert result.code == 0, result.stderr
    assert "No context given. Add to the last used context 'last-one'? [Y/n]" in result.stderr
    assert "Added 1 message(s) to context 'last-one'" in result.stderr
    lines = (polly.contexts / "last-one.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["content"] == "Piped text."
