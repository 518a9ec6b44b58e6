"""The environment a sandboxed process gets, and the switch that turns sandboxing off.

The environment is filtered here, in Python, before the sandbox program starts: ``bwrap``'s
own ``--unsetenv`` does not hide anything, because the tool can read bwrap's environment from
``/proc/1/environ``.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping

from ...errors import ConfigurationError

__all__ = [
    "CREDENTIAL_ENV_PATTERNS",
    "NOSANDBOX_ENV",
    "filter_environment",
    "sandboxing_disabled",
]

#: Variables a sandboxed process never sees unless its spec's ``allowEnv`` names them
#: (shell-style patterns, matched case-insensitively). ``POLLYTOOL_*`` holds pollytool's own
#: API keys; the others are the usual shapes of secrets and of handles to credential agents.
CREDENTIAL_ENV_PATTERNS: tuple[str, ...] = (
    "POLLYTOOL_*",
    "*_API_KEY",
    "*_APIKEY",
    "*_TOKEN",
    "*SECRET*",
    "*PASSWORD*",
    "*_CREDENTIALS",
    "SSH_AUTH_SOCK",
    "GPG_AGENT_INFO",
)

#: Set to ``true`` to run every tool without a sandbox (the CLI's ``--nosandbox``).
NOSANDBOX_ENV = "POLLYTOOL_NOSANDBOX"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def filter_environment(env: Mapping[str, str], allow_env: tuple[str, ...] | None) -> dict[str, str]:
    """The variables of *env* a sandboxed process may see.

    With *allow_env* (a spec's ``allowEnv``) exactly the listed variables that are set;
    without, every variable except those matching :data:`CREDENTIAL_ENV_PATTERNS`.
    """
    if allow_env is not None:
        return {name: env[name] for name in allow_env if name in env}
    return {name: value for name, value in env.items() if not _looks_secret(name)}


def _looks_secret(name: str) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in CREDENTIAL_ENV_PATTERNS)


def sandboxing_disabled(nosandbox: bool | None = None) -> bool:
    """Whether sandboxing is switched off: *nosandbox* when given, else the
    ``POLLYTOOL_NOSANDBOX`` environment variable (``true``/``1``/``yes``/``on``).

    Raises :class:`~pollytool.errors.ConfigurationError` for a value that is neither true
    nor false, rather than guessing.
    """
    if nosandbox is not None:
        return nosandbox
    raw = os.environ.get(NOSANDBOX_ENV, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigurationError(
        f"{NOSANDBOX_ENV} must be true or false, got {os.environ[NOSANDBOX_ENV]!r}"
    )
