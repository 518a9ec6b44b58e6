"""``SandboxSpec``: what a sandboxed process may do, parsed from a tool's ``"sandbox"`` value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ...errors import SandboxSpecError

__all__ = ["SandboxSpec"]

#: JSON field name -> attribute name, in the order the seed's table lists them.
_JSON_FIELDS = {
    "allowNetwork": "allow_network",
    "denyDNS": "deny_dns",
    "writablePaths": "writable_paths",
    "readPaths": "read_paths",
    "allowEnv": "allow_env",
    "denyWrite": "deny_write",
}
_BOOL_FIELDS = ("allow_network", "deny_dns", "deny_write")
_PATH_FIELDS = ("writable_paths", "read_paths")


@dataclass(frozen=True, slots=True)
class SandboxSpec:
    """What a sandboxed process may do. ``SandboxSpec()`` is the default sandbox
    (``"sandbox": true``):

    - writes: nowhere but a private, empty ``/tmp`` (discarded afterwards);
    - network: none;
    - reads: everything except the credential paths (``~/.ssh``, ``~/.aws``, ``~/.netrc``…, see
      :data:`~pollytool.tools.sandbox.CREDENTIAL_PATHS`);
    - environment: everything except ``POLLYTOOL_*`` and other credential-shaped variables
      (see :data:`~pollytool.tools.sandbox.CREDENTIAL_ENV_PATTERNS`).

    Attributes (JSON names in brackets):
        allow_network (``allowNetwork``): allow network access. Note that this includes
            services listening on the host's loopback interface.
        deny_dns (``denyDNS``): with ``allow_network``, the system resolver cannot look names
            up (``/etc/hosts`` still answers); connect by IP address. Raw DNS packets to a
            resolver's IP address are not blocked on Linux. No effect without the network.
        writable_paths (``writablePaths``): existing directories (or files) that stay
            writable; ``~`` is the user's home. Ignored when ``deny_write`` is set.
        read_paths (``readPaths``): paths exempted from the credential deny list, read-only.
        allow_env (``allowEnv``): when set, only these environment variables are passed
            (``POLLYTOOL_*`` ones included only when listed); ``None`` passes all but the
            credential-shaped ones.
        deny_write (``denyWrite``): no writes anywhere, not even ``/tmp``; overrides
            ``writable_paths``.

    Paths must be absolute or start with ``~/``. Invalid values raise
    :class:`~pollytool.errors.SandboxSpecError`.
    """

    allow_network: bool = False
    deny_dns: bool = False
    writable_paths: tuple[str, ...] = ()
    read_paths: tuple[str, ...] = ()
    allow_env: tuple[str, ...] | None = None
    deny_write: bool = False

    def __post_init__(self) -> None:
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise SandboxSpecError(
                    f"sandbox field {_json_name(name)!r} must be true or false, "
                    f"got {getattr(self, name)!r}"
                )
        for name in _PATH_FIELDS:
            paths = _strings(name, getattr(self, name))
            for path in paths:
                _check_path(name, path)
            object.__setattr__(self, name, paths)
        if self.allow_env is not None:
            names = _strings("allow_env", self.allow_env)
            for env_name in names:
                if "=" in env_name or "\0" in env_name:
                    raise SandboxSpecError(
                        f"sandbox field 'allowEnv' holds {env_name!r}, which is not a variable name"
                    )
            object.__setattr__(self, "allow_env", names)

    @classmethod
    def parse(cls, value: object) -> SandboxSpec | None:
        """The spec a tool's ``"sandbox"`` value asks for: ``true`` → the defaults, ``false`` or
        ``None`` → ``None`` (no sandbox), an object → its fields (JSON names as in the seed's
        table; unknown names are an error, so a typo never silently loosens the sandbox).
        A :class:`SandboxSpec` is returned as it is.

        Raises :class:`~pollytool.errors.SandboxSpecError` naming the wrong field.
        """
        if isinstance(value, SandboxSpec):
            return value
        if value is True:
            return cls()
        if value is False or value is None:
            return None
        if not isinstance(value, Mapping):
            raise SandboxSpecError(
                f"unsupported sandbox value {value!r}: use true, false or an object with the "
                f"fields {', '.join(_JSON_FIELDS)}"
            )
        unknown = [key for key in value if key not in _JSON_FIELDS]
        if unknown:
            raise SandboxSpecError(
                f"unknown sandbox field {unknown[0]!r}; the fields are {', '.join(_JSON_FIELDS)}"
            )
        kwargs: dict[str, Any] = {_JSON_FIELDS[key]: item for key, item in value.items()}
        if kwargs.get("allow_env", ()) is None:
            del kwargs["allow_env"]
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the seed's field names); :meth:`parse` reads it back."""
        out: dict[str, Any] = {}
        for json_name, attr in _JSON_FIELDS.items():
            item = getattr(self, attr)
            if item is not None:
                out[json_name] = list(item) if isinstance(item, tuple) else item
        return out

    def merge(self, other: SandboxSpec) -> SandboxSpec:
        """A base spec combined with a tool's own: booleans are or-ed and lists joined
        (as the reference implementation merges a registry's base with a tool's spec);
        ``allow_env`` stays ``None`` (everything) only when both are ``None``."""
        values: dict[str, Any] = {}
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, bool):
                values[item.name] = mine or theirs
            elif mine is None or theirs is None:
                values[item.name] = mine if theirs is None else theirs
            else:
                values[item.name] = tuple(dict.fromkeys((*mine, *theirs)))
        return SandboxSpec(**values)


def _json_name(attr: str) -> str:
    return next(key for key, value in _JSON_FIELDS.items() if value == attr)


def _strings(attr: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise SandboxSpecError(
            f"sandbox field {_json_name(attr)!r} must be a list of strings, got {value!r}"
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, str) or not item:
            raise SandboxSpecError(
                f"sandbox field {_json_name(attr)!r} must hold non-empty strings, got {item!r}"
            )
    return items


def _check_path(attr: str, path: str) -> None:
    if "\0" in path or not (path.startswith(("/", "~/")) or path == "~"):
        raise SandboxSpecError(
            f"sandbox field {_json_name(attr)!r} holds {path!r}: paths must be absolute or "
            "start with '~/'"
        )
