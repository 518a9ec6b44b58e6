"""Every error pollytool raises or reports, in one hierarchy.

::

    PollyError
    ├── ConfigurationError (also ValueError)       a request or client that cannot work as set up
    │   ├── InvalidModelError                      model id without "provider/" prefix, or empty
    │   ├── UnknownProviderError                   prefix names no registered provider
    │   ├── MissingAPIKeyError                     no key given and none in POLLYTOOL_<P>KEY
    │   ├── ProviderUnavailableError               registered provider whose adapter cannot load
    │   ├── InvalidThinkingError                   Thinking.parse got something it cannot read
    │   └── UnsupportedFeatureError                the provider has no such API (Anthropic
    │                                              embeddings)
    ├── ProviderError                              the provider or the way to it failed
    │   ├── APIConnectionError                     no usable connection: refused, reset, DNS
    │   │   ├── APITimeoutError                    connect/read timeout or request deadline
    │   │   └── StreamInterruptedError             the response stream was cut mid-way
    │   ├── APIStatusError                         the provider answered with an error status
    │   │   ├── InvalidRequestError                400/409/422: the request was rejected
    │   │   │   ├── ContextLengthError             the prompt is longer than the model's window
    │   │   │   └── RequestTooLargeError           413: the HTTP body is too large
    │   │   ├── AuthenticationError                401 (Gemini: 400 API_KEY_INVALID)
    │   │   ├── PermissionDeniedError              403
    │   │   ├── ModelNotFoundError                 404 for the model
    │   │   ├── RateLimitError                     429; ``retry_after`` when the provider said
    │   │   └── ServerError                        5xx
    │   │       └── OverloadedError                529 / overloaded_error / 503 UNAVAILABLE
    │   └── ResponseError                          an error inside a 200 stream, malformed data
    ├── ContentFilterError                         the response was blocked by a safety filter
    ├── ToolError                                  a tool could not be loaded, called or run
    │   ├── DuplicateToolError                     two tools with one name in a registry
    │   ├── ToolNotFoundError                      the model called a tool nobody registered
    │   ├── ToolArgumentsError (also ValueError)   arguments not JSON or not valid for the schema
    │   ├── ToolTimeoutError                       the tool ran past its timeout
    │   ├── ToolExecutionError                     the tool itself failed
    │   └── ToolLoadError                          a tool (a shell script…) cannot be loaded
    ├── SandboxError                               a sandbox cannot be set up as asked
    │   ├── SandboxSpecError (also ValueError)     a "sandbox" value or one of its fields is wrong
    │   └── SandboxUnavailableError                no sandbox backend works here; nothing runs
    │                                              unsandboxed instead
    ├── MCPError                                   an MCP server cannot be set up, reached or used
    │   ├── MCPConfigError (also ConfigurationError)  bad server config or --mcp string
    │   ├── MCPConnectionError                     connecting failed, or the server went away
    │   ├── MCPTimeoutError                        the handshake or a request ran past its timeout
    │   └── MCPRequestError                        the server answered a request with an error
    ├── MaxIterationsError                         the tool loop hit max_iterations
    ├── SkillError                                 an Agent Skill cannot be found, loaded or used
    │   ├── SkillDirectoryError (also ValueError)  a skill directory is missing or not a directory
    │   ├── SkillFormatError (also ValueError)     a SKILL.md cannot be read as a skill
    │   ├── DuplicateSkillError (also ValueError)  two skills with one name in a catalog
    │   ├── SkillNotFoundError (also LookupError)  no skill of that name in the catalog
    │   └── SkillFileError                         a skill file is outside the skill, missing,
    │                                              too large or not text
    ├── SchemaError                                a response schema cannot be built or used
    │   └── SchemaValidationError                  the model's output does not match the schema
    └── SessionError                               a session store failed
        ├── InvalidSessionNameError (also ValueError)
        ├── SessionNotFoundError (also KeyError)
        ├── SessionCorruptError                    a session file cannot be read back
        ├── UnstorableMessageError (also ValueError) a message JSON cannot represent; nothing stored
        └── SessionUnavailableError                the store's server or database cannot be reached

Provider errors carry ``provider``, ``status_code``, ``request_id``, ``retry_after`` (seconds)
and ``code`` where the provider told us. No error message, repr or attribute ever contains an API
key: messages taken from providers go through :func:`redact` first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ContentFilterError",
    "ContextLengthError",
    "DuplicateSkillError",
    "DuplicateToolError",
    "InvalidModelError",
    "InvalidRequestError",
    "InvalidSessionNameError",
    "InvalidThinkingError",
    "MCPConfigError",
    "MCPConnectionError",
    "MCPError",
    "MCPRequestError",
    "MCPTimeoutError",
    "MaxIterationsError",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "PollyError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitError",
    "RequestTooLargeError",
    "ResponseError",
    "SandboxError",
    "SandboxSpecError",
    "SandboxUnavailableError",
    "SchemaError",
    "SchemaValidationError",
    "ServerError",
    "SessionCorruptError",
    "SessionError",
    "SessionNotFoundError",
    "SessionUnavailableError",
    "SkillDirectoryError",
    "SkillError",
    "SkillFileError",
    "SkillFormatError",
    "SkillNotFoundError",
    "StreamInterruptedError",
    "ToolArgumentsError",
    "ToolError",
    "ToolExecutionError",
    "ToolLoadError",
    "ToolNotFoundError",
    "ToolTimeoutError",
    "UnknownProviderError",
    "UnstorableMessageError",
    "UnsupportedFeatureError",
    "redact",
]

_SECRET_PATTERNS = re.compile(
    r"(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,})"  # OpenAI / Anthropic keys
    r"|(?:AIza[0-9A-Za-z_\-]{20,})"  # Google API keys
    r"|(?:(?<=Bearer )[A-Za-z0-9._\-~+/]{8,}=*)"  # bearer tokens
    r"|(?:(?<=key=)[A-Za-z0-9._\-]{8,})"  # key= query parameters
    r"|(?:(?<=://)[^/@\s]+(?=@))"  # user:password@ in URLs
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return *text* with API keys and bearer tokens replaced by ``[REDACTED]``.

    Known key shapes (``sk-…``, ``AIza…``, ``Bearer …``, ``key=…``, the ``user:password`` of
    ``https://user:password@host``) are always removed; the exact values in *secrets* are
    removed too, whatever they look like.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[REDACTED]")
    return _SECRET_PATTERNS.sub("[REDACTED]", text)


class PollyError(Exception):
    """Base class of every error pollytool raises or puts into an ``error`` event."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


# --------------------------------------------------------------------------- configuration


class ConfigurationError(PollyError, ValueError):
    """The request or client cannot work as configured; fix the code or the environment."""


class InvalidModelError(ConfigurationError):
    """A model id is empty or lacks the ``provider/`` prefix the router needs."""


class UnknownProviderError(ConfigurationError):
    """A model id names a provider that is not registered."""

    def __init__(self, message: str, *, provider: str, valid: list[str]) -> None:
        super().__init__(message)
        self.provider = provider
        self.valid = valid


class MissingAPIKeyError(ConfigurationError):
    """No API key was given for a provider that needs one."""

    def __init__(self, message: str, *, provider: str, env_var: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.env_var = env_var


class ProviderUnavailableError(ConfigurationError):
    """A registered provider's adapter (or its vendor SDK) cannot be imported."""


class InvalidThinkingError(ConfigurationError):
    """A thinking setting could not be parsed."""


class UnsupportedFeatureError(ConfigurationError):
    """The provider (or client) has no API for what was asked, such as embeddings on
    Anthropic; nothing was sent.

    Attributes:
        provider: the provider's name.
        feature: what it lacks (``"embeddings"``).
    """

    def __init__(self, message: str, *, provider: str, feature: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.feature = feature


# --------------------------------------------------------------------------- provider


class ProviderError(PollyError):
    """The provider, or the connection to it, failed.

    Attributes:
        provider: provider name (``"openai"``, ``"anthropic"``, ``"gemini"``, ``"ollama"``…).
        status_code: HTTP status when there was one.
        request_id: the provider's request id, for support tickets.
        retry_after: seconds the provider asked us to wait, when it said.
        code: the provider's own error code or type (``"context_length_exceeded"``…).
        retryable: whether trying the same request again later can succeed.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        code: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        self.request_id = request_id
        self.retry_after = retry_after
        self.code = code
        self.body = body

    def __str__(self) -> str:
        details = []
        if self.status_code is not None:
            details.append(f"status {self.status_code}")
        if self.code:
            details.append(self.code)
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if self.retry_after is not None:
            details.append(f"retry after {self.retry_after:g}s")
        prefix = f"{self.provider}: " if self.provider else ""
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{prefix}{self.message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"status_code={self.status_code!r})"
        )


class APIConnectionError(ProviderError):
    """No usable connection to the provider (refused, reset, DNS failure…)."""

    retryable = True


class APITimeoutError(APIConnectionError):
    """A connect or read timeout, or the request's own deadline, expired."""


class StreamInterruptedError(APIConnectionError):
    """The response stream broke off before it was complete."""


class APIStatusError(ProviderError):
    """The provider answered with an HTTP error status."""


class InvalidRequestError(APIStatusError):
    """The provider rejected the request as invalid (400, 409, 422)."""


class ContextLengthError(InvalidRequestError):
    """The conversation is longer than the model's context window; trim the history."""


class RequestTooLargeError(InvalidRequestError):
    """The request body is larger than the provider accepts (413)."""


class AuthenticationError(APIStatusError):
    """The API key is missing, invalid or expired."""


class PermissionDeniedError(APIStatusError):
    """The key is valid but may not use this model or resource."""


class ModelNotFoundError(APIStatusError):
    """The model does not exist or is not available to this key."""


class RateLimitError(APIStatusError):
    """Too many requests or tokens; wait ``retry_after`` seconds when it is set."""

    retryable = True


class ServerError(APIStatusError):
    """The provider failed (5xx)."""

    retryable = True


class OverloadedError(ServerError):
    """The provider is overloaded; try again later."""


class ResponseError(ProviderError):
    """The provider reported an error inside an otherwise successful response, or sent
    data that cannot be understood."""


# --------------------------------------------------------------------------- outcomes


class ContentFilterError(PollyError):
    """The provider blocked the response with a safety or content filter."""


class MaxIterationsError(PollyError):
    """The tool loop reached ``max_iterations``; ``result`` holds what was produced so far."""

    def __init__(self, message: str, *, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


# --------------------------------------------------------------------------- tools


class ToolError(PollyError):
    """A tool could not be loaded, found, called or run."""

    def __init__(self, message: str, *, tool_name: str = "") -> None:
        super().__init__(message)
        self.tool_name = tool_name


class DuplicateToolError(ToolError, ValueError):
    """Two tools were registered under one name."""


class ToolNotFoundError(ToolError, LookupError):
    """The model asked for a tool that is not registered."""


class ToolArgumentsError(ToolError, ValueError):
    """Tool-call arguments are not a JSON object, or do not match the tool's schema."""


class ToolTimeoutError(ToolError):
    """A tool ran longer than its timeout and was cancelled."""


class ToolExecutionError(ToolError):
    """The tool itself failed."""


class ToolLoadError(ToolError):
    """A tool cannot be loaded: a shell script that is missing, not executable, or prints no
    valid schema.

    Attributes:
        source: what was being loaded (a script's path); empty when ``failures`` lists several.
        failures: when several tools were loaded at once, one error per tool that failed.
    """

    def __init__(
        self,
        message: str,
        *,
        tool_name: str = "",
        source: str = "",
        failures: tuple[ToolLoadError, ...] = (),
    ) -> None:
        super().__init__(message, tool_name=tool_name)
        self.source = source
        self.failures = failures


# --------------------------------------------------------------------------- sandbox


class SandboxError(PollyError):
    """A sandbox cannot be set up as asked."""


class SandboxSpecError(SandboxError, ValueError):
    """A ``sandbox`` value is not ``true``, ``false`` or an object, or one of its fields is
    wrong (unknown name, wrong type, a path that does not exist or cannot be used)."""


class SandboxUnavailableError(SandboxError):
    """A sandbox was asked for but no backend works on this machine (``bwrap`` missing or
    untrusted, user namespaces blocked, unsupported OS or CPU). Nothing is run unsandboxed
    instead; disable sandboxing explicitly (``POLLYTOOL_NOSANDBOX=true``) to run without."""


# --------------------------------------------------------------------------- MCP


class MCPError(PollyError):
    """An MCP server could not be configured, connected to or used.

    Attributes:
        server: the server's name (its key in the config file, or the name given).
        code: the JSON-RPC error code when the server or the MCP client reported one.
        stderr: the last lines the server wrote to its standard error (stdio servers),
            which usually say why it failed to start; secrets are redacted.
    """

    def __init__(
        self, message: str, *, server: str = "", code: int | None = None, stderr: str = ""
    ) -> None:
        super().__init__(message)
        self.server = server
        self.code = code
        self.stderr = stderr

    def __str__(self) -> str:
        prefix = f"MCP server {self.server!r}: " if self.server else ""
        suffix = f"\nserver stderr:\n{self.stderr}" if self.stderr else ""
        return f"{prefix}{self.message}{suffix}"


class MCPConfigError(MCPError, ConfigurationError):
    """An MCP config file, server entry or ``--mcp`` command string cannot be used."""


class MCPConnectionError(MCPError):
    """Connecting to the server failed, or the connection was lost (the server exited)."""


class MCPTimeoutError(MCPError):
    """The handshake or a request took longer than its timeout."""


class MCPRequestError(MCPError):
    """The server answered a request with a JSON-RPC error (``code`` says which)."""


# --------------------------------------------------------------------------- skills


class SkillError(PollyError):
    """An Agent Skill cannot be found, loaded or used."""


class SkillDirectoryError(SkillError, ValueError):
    """A directory given to look for skills in does not exist or is not a directory."""


class SkillFormatError(SkillError, ValueError):
    """A ``SKILL.md`` cannot be read as a skill (no front matter, broken YAML, a required
    field missing)."""


class DuplicateSkillError(SkillError, ValueError):
    """Two skills in one catalog have the same name."""


class SkillNotFoundError(SkillError, LookupError):
    """No skill of that name is in the catalog."""


class SkillFileError(SkillError):
    """A file of a skill cannot be read: the path leaves the skill's directory, or the file
    is missing, not a regular file, too large or not UTF-8 text."""


# --------------------------------------------------------------------------- schemas


class SchemaError(PollyError):
    """A response schema cannot be built from the given type or used as given."""


class SchemaValidationError(SchemaError):
    """The model's output is not valid JSON for the schema, even after repair attempts."""

    def __init__(self, message: str, *, errors: list[str] | None = None, raw: str = "") -> None:
        super().__init__(message)
        self.errors = errors or []
        self.raw = raw


# --------------------------------------------------------------------------- sessions


class SessionError(PollyError):
    """A session store operation failed."""


class InvalidSessionNameError(SessionError, ValueError):
    """A session name cannot be used (path separators, ``..``, control characters…)."""


class SessionNotFoundError(SessionError, KeyError):
    """The named session does not exist."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class SessionCorruptError(SessionError):
    """A session or metadata file cannot be read back; nothing was changed."""


class UnstorableMessageError(SessionError, ValueError):
    """A message, or data in its ``metadata``/``provider_metadata``, cannot be stored as JSON
    (an object JSON has no form for, a lone surrogate, nesting too deep); nothing was
    stored."""


class SessionUnavailableError(SessionError):
    """The session store's server or database cannot be used right now (connection lost or
    refused, timeout, database locked). A write that fails this way was applied whole or not
    at all, never partly."""
