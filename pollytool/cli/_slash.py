"""The interactive session's slash commands (``/help`` lists them). Setting changes are kept
in the context, so the next session starts with them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from ._attachments import load_attachments
from ._options import parse_count, parse_model, parse_temperature, parse_thinking

if TYPE_CHECKING:
    from ._repl import Repl

__all__ = ["COMMANDS", "command_names", "run_command"]

#: ``handler(repl, argument)``; returns ``True`` to end the session.
Handler = Callable[["Repl", str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Command:
    names: tuple[str, ...]
    usage: str
    help: str
    run: Handler


def _setting(option: str, label: str, parse: Callable[[str], Any]) -> Handler:
    """A command that shows a setting, or changes it (``default`` unsets it)."""

    async def handler(repl: Repl, argument: str) -> bool:
        if argument:
            await repl.change(option, None if argument == "default" else parse(argument))
        value = getattr(repl.conversation.settings, option)
        repl.say(f"{label}: {'default' if value is None else value}")
        return False

    return handler


async def _exit(repl: Repl, argument: str) -> bool:
    return True


async def _help(repl: Repl, argument: str) -> bool:
    for command in COMMANDS:
        repl.say(f"{command.usage:<22} {command.help}")
    repl.say("Enter sends; Alt-Enter or Esc Enter starts a new line; Ctrl-C stops an answer; "
             "Ctrl-D quits.")  # fmt: skip
    return False


async def _clear(repl: Repl, argument: str) -> bool:
    repl.say("\x1b[2J\x1b[H", end="")
    return False


async def _reset(repl: Repl, argument: str) -> bool:
    await repl.session.clear()
    repl.say("History cleared (settings kept).")
    return False


async def _system(repl: Repl, argument: str) -> bool:
    if argument:
        await repl.change("system_prompt", argument)
        await repl.session.clear()
        repl.say("System prompt set; history cleared.")
    else:
        repl.say(f"System prompt: {repl.conversation.settings.system_prompt or '-'}")
    return False


async def _history(repl: Repl, argument: str) -> bool:
    history = await repl.session.get_history(full=True)
    for message in history:
        repl.say(f"[{message.role}] {message.text}".rstrip())
        for call in message.tool_calls:
            repl.say(f"  → {call.name} {call.arguments}")
    if not history:
        repl.say("(no messages yet)")
    return False


async def _save(repl: Repl, argument: str) -> bool:
    if not argument:
        repl.say("Usage: /save FILE")
        return False
    blocks = []
    for message in await repl.session.get_history(full=True):
        text = message.text or "".join(f"`{c.name}({c.arguments})`\n" for c in message.tool_calls)
        heading = f"{message.role}" + (f" ({message.tool_name})" if message.tool_name else "")
        blocks.append(f"## {heading}\n\n{text.strip()}\n")
    path = await anyio.Path(argument).expanduser()
    await path.write_text("\n".join(blocks), encoding="utf-8")
    repl.say(f"Saved {len(blocks)} message(s) to {path}")
    return False


async def _file(repl: Repl, argument: str) -> bool:
    if not argument:
        repl.say("Usage: /file PATH_OR_URL")
        return False
    attachments = await load_attachments([argument])
    repl.pending.extend(attachments)
    for attachment in attachments:
        repl.say(f"Attached {attachment.name} ({attachment.kind}, {len(attachment.data):,} "
                 "bytes) to your next message")  # fmt: skip
    return False


async def _tools(repl: Repl, argument: str) -> bool:
    tools = repl.agent.registry.all()
    for tool in tools:
        description = str(tool.schema.get("description", "")).splitlines()
        repl.say(f"{tool.name}  {description[0] if description else ''}".rstrip())
    if not tools:
        repl.say("No tools loaded (start polly with -t or --mcp).")
    return False


async def _mcp(repl: Repl, argument: str) -> bool:
    metadata = repl.conversation.metadata
    servers = [t["source"] for t in (metadata.tools if metadata else []) if t.get("type") == "mcp"]
    servers += metadata.mcp_servers if metadata else []
    for server in servers:
        repl.say(str(server))
    if not servers:
        repl.say("No MCP servers (start polly with -t file.json or --mcp COMMAND).")
    return False


async def _skills(repl: Repl, argument: str) -> bool:
    metadata = repl.conversation.metadata
    skills = metadata.skills if metadata else []
    repl.say(", ".join(skills) if skills else "No skills active.")
    return False


async def _context(repl: Repl, argument: str) -> bool:
    stats = await repl.session.stats()
    settings = repl.conversation.settings
    repl.say(f"Context: {repl.conversation.context or '(none: this session is not saved)'}")
    repl.say(f"Model: {settings.model}")
    counts = ", ".join(f"{r} {n}" for r, n in sorted(stats.message_counts.items()))
    repl.say(f"Messages: {sum(stats.message_counts.values())} ({counts or 'none'}), "
             f"about {stats.total_tokens} tokens")  # fmt: skip
    used = repl.total_usage
    repl.say(f"Tokens used this session: {used.input_tokens} in, {used.output_tokens} out")
    return False


COMMANDS = [
    Command(("/help", "/?"), "/help", "this list", _help),
    Command(("/exit", "/quit", "/q"), "/exit", "leave", _exit),
    Command(("/clear",), "/clear", "clear the screen", _clear),
    Command(("/reset",), "/reset", "clear the conversation history", _reset),
    Command(("/model", "/m"), "/model [NAME]", "show or change the model",
            _setting("model", "Model", parse_model)),
    Command(("/temp",), "/temp [0-2|default]", "show or change the temperature",
            _setting("temperature", "Temperature", parse_temperature)),
    Command(("/thinking",), "/thinking [LEVEL]", "off, dynamic, minimal … max, or a budget",
            _setting("thinking", "Thinking", parse_thinking)),
    Command(("/maxtokens",), "/maxtokens [N|default]", "show or change the reply limit",
            _setting("max_tokens", "Max tokens", parse_count(1, "max tokens"))),
    Command(("/system",), "/system [PROMPT]", "show or set the system prompt (clears history)",
            _system),
    Command(("/history",), "/history", "show the conversation", _history),
    Command(("/save",), "/save FILE", "save the conversation as Markdown", _save),
    Command(("/file", "/f"), "/file PATH", "attach a file or URL to the next message", _file),
    Command(("/tools",), "/tools", "list the tools", _tools),
    Command(("/mcp",), "/mcp", "list the MCP servers", _mcp),
    Command(("/skills",), "/skills", "list the active skills", _skills),
    Command(("/context", "/c"), "/context", "context, model, size and tokens used", _context),
]  # fmt: skip

_BY_NAME = {name: command for command in COMMANDS for name in command.names}


def command_names() -> list[str]:
    """Every command name, for completion."""
    return list(_BY_NAME)


async def run_command(repl: Repl, line: str) -> bool:
    """Carry out the slash command *line*; ``True`` ends the session. A setting that cannot
    be read is reported without changing anything."""
    name, _, argument = line.strip().partition(" ")
    command = _BY_NAME.get(name.lower())
    if command is None:
        repl.say(f"Unknown command {name}; /help lists the commands.")
        return False
    try:
        return await command.run(repl, argument.strip())
    except ValueError as exc:
        repl.say(f"Error: {exc}")
        return False
