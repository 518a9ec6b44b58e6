"""The ``polly`` command line: flags, their ``POLLYTOOL_*`` environment defaults, and the
checks that reject a command line before anything runs."""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .._version import __version__
from ..thinking import Thinking
from ._errors import UsageError

__all__ = [
    "MANAGEMENT_FLAGS",
    "Options",
    "parse_count",
    "parse_duration",
    "parse_model",
    "parse_options",
    "parse_temperature",
    "parse_thinking",
]

#: Settings a context remembers, by option name.
SETTING_NAMES = (
    "model",
    "temperature",
    "max_tokens",
    "max_iterations",
    "thinking",
    "system_prompt",
    "tool_timeout",
    "max_context",
)

#: Context-management flags (option name -> flag as typed); at most one per command.
MANAGEMENT_FLAGS = {
    "list_contexts": "--list",
    "show": "--show",
    "create": "--create",
    "reset": "--reset",
    "delete": "--delete",
    "purge": "--purge",
    "add": "--add",
    "list_skills": "--listskills",
}

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``90``, ``1.5s``, ``2m``, ``1h30m`` or ``500ms``."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        pieces = _DURATION.findall(value)
        if not pieces or "".join(n + u for n, u in pieces) != value:
            raise ValueError(
                f"invalid duration {text!r}: use seconds (90) or units like 30s, 2m, 1h30m"
            ) from None
        seconds = sum(float(n) * _UNITS[u] for n, u in pieces)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"invalid duration {text!r}: must be 0 or more")
    return seconds


def parse_temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"temperature must be a number from 0 to 2, got {text!r}") from None
    if not 0.0 <= value <= 2.0:
        raise ValueError(f"temperature must be from 0 to 2, got {text}")
    return value


def parse_count(minimum: int, what: str) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{what} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise ValueError(f"{what} must be at least {minimum}, got {value}")
        return value

    return convert


def _positive_duration(text: str) -> float:
    seconds = parse_duration(text)
    if seconds == 0:
        raise ValueError(f"invalid duration {text!r}: must be more than 0")
    return seconds


def parse_thinking(text: str) -> str:
    return str(Thinking.parse(text))  # InvalidThinkingError (a ValueError) names the choices


def parse_model(text: str) -> str:
    from ..providers import provider_names

    provider, sep, name = text.strip().partition("/")
    if not sep or not provider or not name:
        raise ValueError(
            f"model must be written provider/model, e.g. anthropic/claude-sonnet-4-6 or "
            f"openai/gpt-5.4; got {text!r}"
        )
    valid = provider_names()
    if provider.lower() not in valid:
        raise ValueError(f"unknown provider {provider!r} in {text!r}; valid: {', '.join(valid)}")
    return f"{provider.lower()}/{name}"


def _context_name(text: str) -> str:
    from ..sessions import validate_session_name

    try:
        return validate_session_name(text)
    except ValueError as exc:
        raise ValueError(str(exc).replace("session name", "context name")) from None


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


#: Flags that read a default from the environment: option -> (variable, converter).
ENV_DEFAULTS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "model": ("POLLYTOOL_MODEL", parse_model),
    "temperature": ("POLLYTOOL_TEMP", parse_temperature),
    "max_tokens": ("POLLYTOOL_MAXTOKENS", parse_count(1, "max tokens")),
    "max_iterations": ("POLLYTOOL_MAXITERATIONS", parse_count(1, "max iterations")),
    "timeout": ("POLLYTOOL_TIMEOUT", parse_duration),
    "thinking": ("POLLYTOOL_THINKING", parse_thinking),
    "base_url": ("POLLYTOOL_BASEURL", str),
    "system_prompt": ("POLLYTOOL_SYSTEM", str),
    "context": ("POLLYTOOL_CONTEXT", _context_name),
    "skill_dirs": ("POLLYTOOL_SKILLDIR", lambda v: [p for p in v.split(os.pathsep) if p]),
    "no_sandbox": ("POLLYTOOL_NOSANDBOX", _boolean),
    "tool_timeout": ("POLLYTOOL_TOOLTIMEOUT", _positive_duration),
    "max_context": ("POLLYTOOL_MAXCONTEXT", parse_count(0, "max context")),
}


#: Flags (not settings) whose value falls back to the environment, then to a default.
_ENV_FALLBACKS: dict[str, Any] = {
    "base_url": None,
    "timeout": 600.0,
    "no_sandbox": False,
}


@dataclass(slots=True)
class Options:
    """A checked command line.

    ``flags`` holds the settings typed on the command line, ``env`` those found in
    ``POLLYTOOL_*`` variables (each converted and checked); the other attributes are the
    remaining flags with the environment already applied.
    """

    flags: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    prompt: str | None = None
    files: list[str] = field(default_factory=list)
    schema: str | None = None
    base_url: str | None = None
    timeout: float = 0.0
    tools: list[str] = field(default_factory=list)
    mcp: list[str] = field(default_factory=list)
    context: str | None = None
    context_from_env: bool = False
    last: bool = False
    list_contexts: bool = False
    show: str | None = None
    create: str | None = None
    reset: str | None = None
    delete: str | None = None
    purge: bool = False
    add: bool = False
    skill_dirs: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    no_skills: bool = False
    list_skills: bool = False
    confirm: bool = False
    no_sandbox: bool = False
    quiet: bool = False
    debug: bool = False
    yes: bool = False

    @property
    def management(self) -> str | None:
        """The context-management flag given (``"--list"``…), or ``None`` for a chat run."""
        for name, flag in MANAGEMENT_FLAGS.items():
            if getattr(self, name):
                return flag
        return None


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as one ``Error:`` line (exit status 2), not usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see polly --help)")


def _checked(convert: Callable[[str], Any], flag: str) -> Callable[[str], Any]:
    def run(text: str) -> Any:
        try:
            return convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    run.__name__ = flag
    return run


def _build_parser() -> _Parser:
    p = _Parser(
        prog="polly",
        description="Chat with OpenAI, Anthropic, Gemini and Ollama models from the shell.",
        epilog="Keys: POLLYTOOL_OPENAIKEY, POLLYTOOL_ANTHROPICKEY, POLLYTOOL_GEMINIKEY, "
        "POLLYTOOL_OLLAMAKEY. Most flags read a default from the POLLYTOOL_* variable "
        "named in their help. Exit status: 0 ok, 1 error, 2 usage, 130 interrupted.",
        allow_abbrev=False,
    )
    add = p.add_argument
    chat = p.add_argument_group("conversation")
    chat.add_argument("-p", "--prompt", help="the prompt (default: read standard input)")
    chat.add_argument(
        "-m",
        "--model",
        type=_checked(parse_model, "--model"),
        help="provider/model [$POLLYTOOL_MODEL] (default anthropic/claude-sonnet-4-6)",
    )
    chat.add_argument(
        "-s", "--system", dest="system_prompt", help="system prompt [$POLLYTOOL_SYSTEM]"
    )
    chat.add_argument(
        "--temp",
        dest="temperature",
        type=_checked(parse_temperature, "--temp"),
        help="temperature 0-2 [$POLLYTOOL_TEMP] (default: the model's)",
    )
    chat.add_argument(
        "--maxtokens",
        dest="max_tokens",
        type=_checked(parse_count(1, "max tokens"), "--maxtokens"),
        help="most tokens to generate [$POLLYTOOL_MAXTOKENS]",
    )
    chat.add_argument(
        "--thinking",
        type=_checked(parse_thinking, "--thinking"),
        help="off, dynamic, minimal, low, medium, high, xhigh, max or a token "
        "budget [$POLLYTOOL_THINKING]",
    )
    chat.add_argument(
        "--timeout",
        type=_checked(parse_duration, "--timeout"),
        help="limit per model call, e.g. 90s, 10m; 0 for none [$POLLYTOOL_TIMEOUT] (default 10m)",
    )
    chat.add_argument(
        "--baseurl", dest="base_url", help="send requests to this endpoint [$POLLYTOOL_BASEURL]"
    )
    chat.add_argument(
        "-f",
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="PATH_OR_URL",
        help="attach a text file, image, PDF or URL (repeatable)",
    )
    chat.add_argument(
        "--schema", metavar="FILE", help="answer as JSON following this JSON Schema file"
    )
    chat.add_argument(
        "--maxcontext",
        dest="max_context",
        type=_checked(parse_count(0, "max context"), "--maxcontext"),
        help="most estimated history tokens sent; 0 for no limit [$POLLYTOOL_MAXCONTEXT]",
    )
    tools = p.add_argument_group("tools")
    tools.add_argument(
        "-t",
        "--tool",
        dest="tools",
        action="append",
        default=[],
        metavar="SPEC",
        help="a shell tool script, or an MCP config file.json[#server] (repeatable)",
    )
    tools.add_argument(
        "--mcp",
        action="append",
        default=[],
        metavar="COMMAND",
        help='an MCP server to start, e.g. "npx server-foo --flag" (repeatable)',
    )
    tools.add_argument(
        "--maxiterations",
        dest="max_iterations",
        type=_checked(parse_count(1, "max iterations"), "--maxiterations"),
        help="most model calls per prompt [$POLLYTOOL_MAXITERATIONS] (default 50)",
    )
    tools.add_argument(
        "--tooltimeout",
        dest="tool_timeout",
        type=_checked(_positive_duration, "--tooltimeout"),
        help="limit per tool call [$POLLYTOOL_TOOLTIMEOUT] (default 30s)",
    )
    tools.add_argument(
        "--confirm", action="store_true", help="ask on the terminal before each tool call"
    )
    tools.add_argument(
        "--nosandbox",
        dest="no_sandbox",
        action="store_true",
        default=None,
        help="run shell tools without the sandbox [$POLLYTOOL_NOSANDBOX]",
    )
    tools.add_argument(
        "--skilldir",
        dest="skill_dirs",
        action="append",
        default=None,
        metavar="DIR",
        help="a directory of Agent Skills (repeatable) [$POLLYTOOL_SKILLDIR]",
    )
    tools.add_argument(
        "-S",
        "--skill",
        dest="skills",
        action="append",
        default=[],
        metavar="SOURCE",
        help="a skill to activate: a directory, git URL or archive URL (repeatable)",
    )
    tools.add_argument("--noskills", dest="no_skills", action="store_true", help="load no skills")
    tools.add_argument(
        "--listskills", dest="list_skills", action="store_true", help="list the skills found"
    )
    ctx = p.add_argument_group("contexts (saved conversations)")
    name = _checked(_context_name, "NAME")
    ctx.add_argument(
        "-c", "--context", type=name, help="continue or start this context [$POLLYTOOL_CONTEXT]"
    )
    ctx.add_argument("-L", "--last", action="store_true", help="continue the last used context")
    ctx.add_argument("--list", dest="list_contexts", action="store_true", help="list contexts")
    ctx.add_argument("--show", metavar="NAME", type=name, help="show a context's settings and size")
    ctx.add_argument(
        "--create", metavar="NAME", type=name, help="create a context with the given settings"
    )
    ctx.add_argument(
        "--reset", metavar="NAME", type=name, help="clear a context's history, keep its settings"
    )
    ctx.add_argument("--delete", metavar="NAME", type=name, help="delete a context")
    ctx.add_argument("--purge", action="store_true", help="delete every context")
    ctx.add_argument(
        "--add",
        action="store_true",
        help="add standard input, -p and -f files to a context without asking a model",
    )
    ctx.add_argument(
        "-y", "--yes", action="store_true", help="answer yes to confirmation questions"
    )
    add("-q", "--quiet", action="store_true", help="no status, tool activity or notices on stderr")
    add("-d", "--debug", action="store_true", help="log what happens to stderr")
    add("-V", "--version", action="version", version=f"polly {__version__}")
    return p  # fmt: skip


def parse_options(argv: Sequence[str], environ: Mapping[str, str]) -> Options:
    """Parse and check *argv* with defaults from *environ*; raises :class:`UsageError`."""
    ns = vars(_build_parser().parse_args(list(argv)))
    opts = Options()
    for name in SETTING_NAMES:
        value = ns.pop(name)
        if value is not None:
            opts.flags[name] = value
    env = _read_environment(environ)
    for name in SETTING_NAMES:
        if name in env:
            opts.env[name] = env[name]
    if "skill_dirs" in env:  # the lowest-precedence source of skill directories
        opts.env["skill_dirs"] = env["skill_dirs"]
    ns["skill_dirs"] = ns["skill_dirs"] or []
    for name, fallback in _ENV_FALLBACKS.items():
        if ns[name] is None:
            ns[name] = env.get(name, fallback)
    if ns["context"] is None and "context" in env:
        ns["context"], opts.context_from_env = env["context"], True
    for name, value in ns.items():
        setattr(opts, name, value)
    _check_combinations(opts)
    return opts


def _read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (variable, convert) in ENV_DEFAULTS.items():
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        try:
            values[name] = convert(raw)
        except ValueError as exc:
            raise UsageError(f"{variable}: {exc}") from None
    return values


def _check_combinations(opts: Options) -> None:
    given = [flag for name, flag in MANAGEMENT_FLAGS.items() if getattr(opts, name)]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)} cannot be used together")
    explicit_context = opts.context is not None and not opts.context_from_env
    if explicit_context and opts.last:
        raise UsageError("-c/--context and -L/--last cannot be used together")
    if opts.no_skills and opts.skills:
        raise UsageError("--noskills and -S/--skill cannot be used together")
    management = given[0] if given else None
    if management is None or management == "--add":
        if management == "--add" and opts.schema:
            raise UsageError("--add does not call a model, so it takes no --schema")
        return
    if opts.prompt is not None or opts.files:
        raise UsageError(f"{management} does not take a prompt (-p) or files (-f)")
    if explicit_context or opts.last:
        raise UsageError(f"{management} does not take -c/--context or -L/--last")
    if management == "--purge":
        _check_alone(opts)


def _check_alone(opts: Options) -> None:
    """--purge takes nothing but --yes, --quiet and --debug."""
    extra = [*opts.flags, *(["--schema"] if opts.schema else []), *opts.tools, *opts.mcp]
    if extra or opts.skills or opts.confirm:
        raise UsageError("--purge cannot be combined with other flags (except -y, -q, -d)")
