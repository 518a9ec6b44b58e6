"""The settings a conversation runs with, and where each comes from.

Precedence, highest first: the command line, the context's stored settings, the
``POLLYTOOL_*`` environment variables, the built-in defaults. A context remembers what it was
created with and every setting later given on the command line with it, so the environment
only supplies defaults for new contexts and runs without one. Stored values are taken as they
are: ``temperature 0`` stays 0, and a context whose history limit is unset sends its whole
history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from ..sessions import MetadataChanges, SessionMetadata
from ..thinking import Thinking

__all__ = ["DEFAULTS", "Settings", "changes_for", "initial_metadata", "resolve_settings"]

#: Built-in defaults (settings missing here default to "not sent": the provider decides).
DEFAULTS: dict[str, Any] = {
    "model": "anthropic/claude-sonnet-4-6",
    "max_iterations": 50,
    "tool_timeout": 30.0,
}

#: Option name -> SessionMetadata field.
_METADATA_FIELDS = {
    "model": "model",
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "max_iterations": "max_iterations",
    "thinking": "thinking",
    "system_prompt": "system_prompt",
    "tool_timeout": "tool_timeout",
    "max_context": "max_history_tokens",
}


@dataclass(frozen=True, slots=True)
class Settings:
    """What one conversation runs with.

    Attributes:
        model: ``provider/model``.
        temperature: ``None`` leaves it to the provider.
        max_tokens: ``None`` leaves it to the adapter.
        max_iterations: most model calls per prompt.
        thinking: the thinking setting (``off`` unless asked).
        system_prompt: ``None`` for none.
        tool_timeout: seconds per tool call.
        max_context: most estimated history tokens sent; ``None`` for no limit.
    """

    model: str
    temperature: float | None
    max_tokens: int | None
    max_iterations: int
    thinking: Thinking
    system_prompt: str | None
    tool_timeout: float
    max_context: int | None


def _stored(metadata: SessionMetadata) -> dict[str, Any]:
    """The settings a context has (``None`` fields are unset, except the history limit,
    where ``None`` means no limit)."""
    values = {name: getattr(metadata, field) for name, field in _METADATA_FIELDS.items()}
    stored = {k: v for k, v in values.items() if v is not None}
    stored["max_context"] = metadata.max_history_tokens
    return stored


def resolve_settings(
    flags: dict[str, Any], env: dict[str, Any], metadata: SessionMetadata | None = None
) -> Settings:
    """Combine the layers: *flags* over *metadata* (a context's) over *env* over defaults."""
    layers = [flags, _stored(metadata) if metadata is not None else {}, env, DEFAULTS]

    def pick(name: str) -> Any:
        for layer in layers:
            if name in layer:
                return layer[name]
        return None

    max_context = pick("max_context")
    thinking = pick("thinking")
    return Settings(
        model=pick("model"),
        temperature=pick("temperature"),
        max_tokens=pick("max_tokens"),
        max_iterations=pick("max_iterations"),
        thinking=Thinking.parse(thinking) if thinking is not None else Thinking.default(),
        system_prompt=pick("system_prompt"),
        tool_timeout=pick("tool_timeout"),
        max_context=max_context or None,
    )


def changes_for(values: dict[str, Any]) -> MetadataChanges:
    """Metadata changes that store *values* (option name -> value) in a context."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name in _METADATA_FIELDS:
            stored = value or None if name == "max_context" else value
            changes[_METADATA_FIELDS[name]] = stored
    return cast(MetadataChanges, changes)


def initial_metadata(flags: dict[str, Any], env: dict[str, Any]) -> SessionMetadata:
    """The metadata a new context starts with: every setting in effect (flags over the
    environment over the defaults), so it keeps them whatever the environment says later."""
    effective = {**DEFAULTS, **env, **flags}
    return SessionMetadata().with_changes(**changes_for(effective))
