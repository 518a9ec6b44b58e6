"""MCP server configurations: the ``mcpServers`` JSON files other tools use, VS Code's
``servers`` form, and ``--mcp`` strings.

A config file holds servers under ``mcpServers`` (Claude Desktop, Claude Code, Cursor, Gemini
CLI) or ``servers`` (VS Code)::

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."]},
        "search": {"type": "http", "url": "https://example.com/mcp",
                   "headers": {"Authorization": "Bearer ${SEARCH_TOKEN}"}},
        "legacy": {"type": "sse", "url": "https://example.com/sse"}
    }}

Each entry is a stdio server (``command``, ``args``, ``env``, ``cwd``) or a remote one (``url``
with ``type`` ``"http"`` or ``"sse"``; a ``url`` without a type tries Streamable HTTP and falls
back to SSE; Gemini CLI's ``httpUrl`` means Streamable HTTP). Optional keys: ``timeout`` and
``connectTimeout`` (seconds, or a duration such as ``"30s"``/``"500ms"``), ``mode``
(``"auto"`` or ``"legacy"``, the MCP protocol negotiation), ``sandbox`` (stdio only: ``true``
or a sandbox policy object), ``includeTools``/``excludeTools``, ``disabled``. Other keys are
ignored. ``${VAR}``, ``${VAR:-default}`` and ``${env:VAR}`` are replaced by environment
variables in commands, arguments, env values, URLs and headers; ``${workspaceFolder}`` is the
folder the file belongs to. A file with a single server object (``{"command": ...}``) is
read as one server named after the file.

``"file.json#name"`` selects one server of a file. A ``--mcp`` string that is neither a file
nor an ``http(s)://`` URL is a command line, split with shell quoting rules.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

from ..errors import MCPConfigError, SandboxSpecError, redact
from ..tools.sandbox import SandboxSpec

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "MCPServerConfig",
    "Transport",
    "load_mcp_config",
    "parse_mcp_config",
    "parse_mcp_spec",
    "server_from_command",
]

Transport: TypeAlias = Literal["stdio", "http", "sse"]

#: Seconds allowed for starting a server and the MCP handshake.
DEFAULT_CONNECT_TIMEOUT = 30.0
#: Seconds allowed for each request (a tool call, a listing, a resource read).
DEFAULT_TIMEOUT = 120.0

_TRANSPORT_NAMES: dict[str, Transport] = {
    "stdio": "stdio",
    "http": "http",
    "streamable": "http",
    "streamable-http": "http",
    "streamable_http": "http",
    "streamablehttp": "http",
    "sse": "sse",
}
_MODES = ("auto", "legacy")


@dataclass(frozen=True, slots=True)
class MCPServerConfig:
    """How to start or reach one MCP server.

    Attributes:
        name: the server's name; its tools are published as ``name__tool``.
        transport: ``"stdio"`` (a local command), ``"http"`` (Streamable HTTP) or ``"sse"``.
        command: the program of a stdio server; ``args`` its arguments.
        env: extra environment variables for a stdio server. The server gets only these and a
            minimal set (``HOME``, ``PATH``, ``USER``, ``SHELL``, ``TERM``, ``LOGNAME``), never
            the rest of your environment (API keys stay with you).
        cwd: working directory of a stdio server.
        url: the endpoint of a remote server; ``headers`` are sent with every request.
        sse_fallback: the config gave a ``url`` without a type: try Streamable HTTP, then SSE.
        connect_timeout: seconds for starting the server and the MCP handshake.
        timeout: seconds each request may take.
        mode: MCP protocol negotiation, ``"auto"`` (newest version the server speaks) or
            ``"legacy"`` (the 2025 ``initialize`` handshake directly; for servers that never
            answer unknown requests).
        sandbox: run a stdio server in the sandbox: ``None`` (not set: the loader's default
            applies), ``False`` (never, even when the loader sandboxes by default), or a
            :class:`~pollytool.tools.sandbox.SandboxSpec` (``True`` and a policy mapping such
            as ``{"allowNetwork": true}`` are parsed into one).
        include_tools: when set, only these tools are offered.
        exclude_tools: tools never offered.
        source: where the config came from (``"mcp.json#files"``, ``"--mcp 'npx ...'"``).
    """

    name: str
    transport: Transport
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    sse_fallback: bool = False
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    timeout: float = DEFAULT_TIMEOUT
    mode: str = "auto"
    sandbox: SandboxSpec | bool | Mapping[str, Any] | None = None
    include_tools: tuple[str, ...] | None = None
    exclude_tools: tuple[str, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise MCPConfigError("an MCP server needs a non-empty name")
        if self.transport not in ("stdio", "http", "sse"):
            raise MCPConfigError(
                f"transport must be 'stdio', 'http' or 'sse', not {self.transport!r}",
                server=self.name,
            )
        if self.transport == "stdio" and not self.command:
            raise MCPConfigError("a stdio server needs a command", server=self.name)
        if self.transport != "stdio" and not re.match(r"https?://", self.url):
            raise MCPConfigError(
                f"a {self.transport} server needs an http:// or https:// url, got {self.url!r}",
                server=self.name,
            )
        if self.sandbox not in (None, False):
            if self.transport != "stdio":
                raise MCPConfigError(
                    "sandbox applies to stdio servers only (a remote server runs elsewhere)",
                    server=self.name,
                )
            try:
                object.__setattr__(self, "sandbox", SandboxSpec.parse(self.sandbox))
            except SandboxSpecError as exc:
                raise MCPConfigError(str(exc), server=self.name) from exc
        if self.mode not in _MODES:
            raise MCPConfigError(
                f"mode must be 'auto' or 'legacy', not {self.mode!r}", server=self.name
            )
        for label, value in (("connect_timeout", self.connect_timeout), ("timeout", self.timeout)):
            if not value > 0:
                raise MCPConfigError(
                    f"{label} must be a positive number of seconds", server=self.name
                )

    @property
    def argv(self) -> list[str]:
        """``[command, *args]`` of a stdio server."""
        return [self.command, *self.args]

    def describe(self) -> str:
        """A one-line description: the command line, or the URL and transport (API keys in
        them redacted)."""
        if self.transport == "stdio":
            return redact(shlex.join(self.argv))
        return redact(f"{self.url} ({self.transport})")

    def wants_tool(self, name: str) -> bool:
        """Whether the include/exclude lists let tool *name* through."""
        if name in self.exclude_tools:
            return False
        return self.include_tools is None or name in self.include_tools


# --------------------------------------------------------------------------- specs


def parse_mcp_spec(spec: str, *, environ: Mapping[str, str] | None = None) -> list[MCPServerConfig]:
    """The servers a ``--mcp`` value names.

    * ``"servers.json"`` / ``"servers.json#name"``: the file's servers (or the one named);
    * ``"https://host/mcp"``: a remote server (Streamable HTTP, falling back to SSE);
    * anything else: a command line, split with shell quoting (``"uvx mcp-server-time"``,
      ``"npx -y @modelcontextprotocol/server-filesystem '/my docs'"``).

    Reads the file when there is one (a blocking read: call it before the event loop
    starts, or use :func:`pollytool.mcp.load_mcp_servers`, which reads files without
    blocking).
    """
    path, _, _ = spec.partition("#")
    if path.strip().endswith(".json"):
        return load_mcp_config(spec, environ=environ)
    return [server_from_command(spec)]


def server_from_command(command: str, *, name: str | None = None) -> MCPServerConfig:
    """A server from a command line (``"npx -y @scope/server-x /data"``) or an
    ``http(s)://`` URL. The name, unless given, is derived from the command: the package or
    script a launcher (``npx``, ``uvx``, ``node``, ``python``...) runs, otherwise the program
    (``"server-x"``, ``"mcp-server-time"``)."""
    text = command.strip()
    if re.match(r"https?://", text):
        host = re.sub(r"^https?://([^/:?#]+).*$", r"\1", text)
        return MCPServerConfig(
            name or host, "http", url=text, sse_fallback=True, source=redact(f"--mcp {command!r}")
        )
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise MCPConfigError(f"cannot split the command {command!r}: {exc}") from None
    if not argv:
        raise MCPConfigError("the MCP server command is empty")
    return MCPServerConfig(
        name or _name_from_argv(argv),
        "stdio",
        command=argv[0],
        args=tuple(argv[1:]),
        source=redact(f"--mcp {command!r}"),
    )


def server_for_transport(transport: str, target: Sequence[str] | str | None) -> MCPServerConfig:
    """The server ``MCPClient(transport, target)`` names: ``("stdio", argv or command line)``,
    ``("http", url)`` or ``("sse", url)``."""
    if transport == "stdio":
        if isinstance(target, str):
            config = server_from_command(target)
            if config.transport != "stdio":
                raise MCPConfigError(f"a stdio server needs a command, not {target!r}")
            return config
        if not target:
            raise MCPConfigError("MCPClient('stdio', argv) needs a non-empty argv")
        return server_from_command(shlex.join(target))
    if transport in ("http", "sse"):
        if not isinstance(target, str):
            raise MCPConfigError(f"MCPClient({transport!r}, url) needs the URL as a string")
        kind: Transport = "sse" if transport == "sse" else "http"
        return dataclasses.replace(server_from_command(target), transport=kind, sse_fallback=False)
    raise MCPConfigError(
        f"unknown MCP transport {transport!r}; use 'stdio', 'http' or 'sse' (or pass an "
        "MCPServerConfig)"
    )


_LAUNCHERS = frozenset(
    {"npx", "uvx", "pipx", "bunx", "pnpx", "node", "deno", "bun", "python", "python3", "uv"}
)


_INLINE_CODE_FLAGS = frozenset({"-c", "-e", "--eval"})


def _name_from_argv(argv: list[str]) -> str:
    program = Path(argv[0]).name
    target = program
    if program in _LAUNCHERS:
        for previous, arg in itertools.pairwise(argv):
            if arg in _INLINE_CODE_FLAGS:
                break
            if previous == "-m" or not (arg.startswith("-") or arg in ("run", "x")):
                target = arg
                break
    target = target.rsplit("/", 1)[-1]  # "@scope/pkg" -> "pkg", "dir/server.py" -> "server.py"
    target = re.sub(r"@[^@]*$", "", target) if not target.startswith("@") else target
    target = re.sub(r"\.(m?js|py|ts)$", "", target)
    return target or program


# --------------------------------------------------------------------------- files


def load_mcp_config(
    ref: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> list[MCPServerConfig]:
    """The servers of a config file; ``"file.json#name"`` selects one. A blocking read (see
    :func:`parse_mcp_spec`)."""
    path, name = split_config_ref(ref)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise unreadable_config(path, exc) from None
    return parse_mcp_config_text(text, path=path, select=name, environ=environ)


def unreadable_config(path: Path, exc: OSError) -> MCPConfigError:
    """The error for a config file that cannot be read."""
    return MCPConfigError(f"cannot read MCP config {str(path)!r}: {exc.strerror or exc}")


def split_config_ref(ref: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """``"dir/mcp.json#files"`` → ``(Path("dir/mcp.json"), "files")``; ``~`` is expanded."""
    text = os.fspath(ref)
    path, sep, name = text.partition("#")
    if sep and not name:
        raise MCPConfigError(f"{text!r} names no server after '#'")
    return Path(path).expanduser(), (name if sep else None)


def parse_mcp_config_text(
    text: str,
    *,
    path: Path,
    select: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[MCPServerConfig]:
    """The servers of config file *path* whose content is *text*."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MCPConfigError(
            f"MCP config {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    return parse_mcp_config(
        data,
        source=str(path),
        select=select,
        environ=environ,
        workspace=_workspace_of(path),
        default_name=path.stem,
    )


def parse_mcp_config(
    data: Any,
    *,
    source: str = "<config>",
    select: str | None = None,
    environ: Mapping[str, str] | None = None,
    workspace: str | None = None,
    default_name: str = "server",
) -> list[MCPServerConfig]:
    """The servers of an already parsed config (``{"mcpServers": {...}}``,
    ``{"servers": {...}}`` or a single server object), in file order, without the disabled
    ones. *select* picks one server by name; *environ* (default ``os.environ``) supplies
    ``${VAR}`` values."""
    if not isinstance(data, Mapping):
        raise MCPConfigError(f"MCP config {source!r} must be a JSON object")
    env = os.environ if environ is None else environ
    key = "mcpServers" if "mcpServers" in data else "servers" if "servers" in data else None
    if key is None:
        if "command" not in data and "url" not in data and "httpUrl" not in data:
            raise MCPConfigError(
                f"MCP config {source!r} has no 'mcpServers' (or VS Code 'servers') object "
                "and is not a single server with 'command' or 'url'"
            )
        entries: Mapping[str, Any] = {default_name: data}
    else:
        entries = data[key]
        if not isinstance(entries, Mapping):
            raise MCPConfigError(f"'{key}' in MCP config {source!r} must be an object")
    if select is not None:
        if select not in entries:
            names = ", ".join(entries) or "none"
            raise MCPConfigError(f"MCP config {source!r} has no server {select!r}; it has: {names}")
        entries = {select: entries[select]}
    if not entries:
        raise MCPConfigError(f"MCP config {source!r} defines no servers")
    expand = _Expander(env, workspace)
    return [
        _parse_entry(name, entry, expand, f"{source}#{name}")
        for name, entry in entries.items()
        if not (isinstance(entry, Mapping) and entry.get("disabled") is True)
    ]


def _workspace_of(path: Path) -> str:
    folder = path.resolve().parent
    return str(folder.parent if folder.name in (".vscode", ".cursor", ".gemini") else folder)


def _parse_entry(name: str, entry: Any, expand: _Expander, source: str) -> MCPServerConfig:
    if not isinstance(entry, Mapping):
        raise MCPConfigError("the server entry must be a JSON object", server=name)
    fields = _EntryReader(name, entry, expand)
    declared = fields.string("type") or fields.string("transport") or fields.string("transportType")
    transport = _TRANSPORT_NAMES.get(declared.lower()) if declared else None
    if declared and transport is None:
        raise MCPConfigError(
            f"unknown transport type {declared!r}; use 'stdio', 'http' or 'sse'", server=name
        )
    common: dict[str, Any] = {
        "connect_timeout": fields.seconds("connectTimeout", DEFAULT_CONNECT_TIMEOUT),
        "timeout": fields.seconds("timeout", DEFAULT_TIMEOUT),
        "mode": fields.string("mode") or "auto",
        "include_tools": fields.optional_names("includeTools"),
        "exclude_tools": fields.optional_names("excludeTools") or (),
        "sandbox": fields.sandbox(),
        "source": source,
    }
    command = fields.string("command")
    if command:
        if transport not in (None, "stdio"):
            raise MCPConfigError(
                f"the entry has a command but its type is {declared!r}", server=name
            )
        return MCPServerConfig(
            name,
            "stdio",
            command=command,
            args=tuple(fields.strings("args")),
            env=fields.mapping("env"),
            cwd=fields.string("cwd") or None,
            **common,
        )
    http_url = fields.string("httpUrl")
    url = http_url or fields.string("url") or fields.string("serverUrl")
    if not url:
        raise MCPConfigError(
            "the entry needs a 'command' (stdio server) or a 'url' (remote server)",
            server=name,
        )
    if transport == "stdio":
        raise MCPConfigError("type 'stdio' needs a 'command', not a url", server=name)
    return MCPServerConfig(
        name,
        transport or "http",
        url=url,
        headers=fields.mapping("headers"),
        sse_fallback=transport is None and not http_url,
        **common,
    )


class _EntryReader:
    """Typed, variable-expanded access to one server entry, with errors naming the field."""

    def __init__(self, name: str, entry: Mapping[str, Any], expand: _Expander) -> None:
        self.name = name
        self.entry = entry
        self.expand = expand

    def _fail(self, key: str, expected: str) -> MCPConfigError:
        got = type(self.entry[key]).__name__
        return MCPConfigError(f"'{key}' must be {expected}, not {got}", server=self.name)

    def string(self, key: str) -> str:
        value = self.entry.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return self.expand(value, self.name, key)

    def strings(self, key: str) -> list[str]:
        value = self.entry.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings")
        return [self.expand(v, self.name, key) for v in value]

    def optional_names(self, key: str) -> tuple[str, ...] | None:
        return tuple(self.strings(key)) if key in self.entry else None

    def mapping(self, key: str) -> dict[str, str]:
        value = self.entry.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self._fail(key, "an object")
        out: dict[str, str] = {}
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, str | int | float):
                raise MCPConfigError(f"'{key}.{k}' must be a string or a number", server=self.name)
            out[str(k)] = self.expand(v if isinstance(v, str) else str(v), self.name, key)
        return out

    def seconds(self, key: str, default: float) -> float:
        value = self.entry.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self._fail(key, "a number of seconds or a duration such as '30s'")
        seconds = value if not isinstance(value, str) else parse_duration(value)
        if seconds is None or not seconds > 0:
            raise MCPConfigError(
                f"'{key}' must be a positive number of seconds or a duration such as '30s', "
                f"not {value!r}",
                server=self.name,
            )
        return float(seconds)

    def sandbox(self) -> bool | Mapping[str, Any] | None:
        value = self.entry.get("sandbox")
        if value is None or isinstance(value, bool | Mapping):
            return value
        raise self._fail("sandbox", "true, false or an object")


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """``"30s"``, ``"1m30s"``, ``"500ms"``, ``"2h"`` or a plain number of seconds → seconds;
    ``None`` when *text* is none of these."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


# --------------------------------------------------------------------------- ${VAR}

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _Expander:
    """Replaces ``${VAR}``, ``${VAR:-default}``, ``${env:VAR}``, ``${workspaceFolder}`` and
    ``${userHome}``; anything else (``${input:id}``, an unset variable without default) is
    an error naming the server and field."""

    def __init__(self, environ: Mapping[str, str], workspace: str | None) -> None:
        self.environ = environ
        self.workspace = workspace

    def __call__(self, text: str, server: str, key: str) -> str:
        def replace(match: re.Match[str]) -> str:
            return self._value(match.group(1), server, key)

        return _VARIABLE.sub(replace, text)

    def _value(self, expression: str, server: str, key: str) -> str:
        if expression == "workspaceFolder" and self.workspace is not None:
            return self.workspace
        if expression == "userHome":
            return str(Path.home())
        if expression.startswith("input:"):
            raise MCPConfigError(
                f"'{key}' uses ${{{expression}}}: VS Code input prompts are not supported; "
                "put the value in an environment variable and use ${env:NAME}",
                server=server,
            )
        variable, has_default, default = expression.removeprefix("env:").partition(":-")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
            raise MCPConfigError(
                f"'{key}' has an unknown variable ${{{expression}}}", server=server
            )
        value = self.environ.get(variable)
        if value is None and not has_default:
            raise MCPConfigError(
                f"'{key}' uses ${{{expression}}} but the environment variable {variable} is "
                "not set (write ${" + variable + ":-default} to give a default)",
                server=server,
            )
        return value if value is not None else default


def unique_names(configs: Iterable[MCPServerConfig]) -> list[MCPServerConfig]:
    """*configs* checked for two servers with one name (an :class:`MCPConfigError` naming
    both sources)."""
    seen: dict[str, MCPServerConfig] = {}
    out = []
    for config in configs:
        if config.name in seen:
            raise MCPConfigError(
                f"two MCP servers are named {config.name!r}: {seen[config.name].source} and "
                f"{config.source}; rename one"
            )
        seen[config.name] = config
        out.append(config)
    return out
