"""Which paths a spec makes writable and which credential paths it hides, resolved on disk.

Every path is resolved with ``realpath`` first: mount targets must not be symlinks (a symlink
would either fail to mount or be re-pointed), and a symlink planted in a writable directory
then leads to the mask, not to the secret.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ...errors import SandboxSpecError
from ._spec import SandboxSpec

__all__ = ["CREDENTIAL_PATHS", "FilesystemPlan", "Mask", "credential_homes", "plan_filesystem"]

#: Paths (relative to a home directory) hidden from every sandboxed process unless a spec's
#: ``readPaths`` exempts them. The seed's list, plus ``~/.cargo/credentials.toml`` (the name
#: newer versions of cargo use).
CREDENTIAL_PATHS: tuple[str, ...] = (
    "~/.ssh",
    "~/.gnupg",
    "~/.gpg",
    "~/.aws",
    "~/.azure",
    "~/.config/gcloud",
    "~/.kube",
    "~/.docker/config.json",
    "~/.npmrc",
    "~/.pypirc",
    "~/.gem/credentials",
    "~/.cargo/credentials",
    "~/.cargo/credentials.toml",
    "~/.config/gh",
    "~/.netrc",
    "~/.git-credentials",
    "~/.local/share/keyrings",
    "~/Library/Keychains",
)


@dataclass(frozen=True, slots=True)
class Mask:
    """A credential path to hide: a directory becomes an empty read-only directory, a file
    an empty read-only file. ``exposed`` are ``readPaths`` inside a hidden directory that
    stay visible (read-only)."""

    path: str
    is_dir: bool
    exposed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FilesystemPlan:
    """A spec resolved against the disk: real paths only, in mount order."""

    writable: tuple[str, ...]
    masks: tuple[Mask, ...]


def credential_homes(env: Mapping[str, str], home: str | None) -> list[str]:
    """The home directories whose credential paths are hidden: *home* when given, else
    ``$HOME`` of *env* and of this process and the account's home from the password
    database (they can differ, and tools may use any of them)."""
    if home is not None:
        return [home]
    candidates = [env.get("HOME"), os.environ.get("HOME")]
    with contextlib.suppress(KeyError):  # no passwd entry (some containers)
        candidates.append(pwd.getpwuid(os.geteuid()).pw_dir)
    return list(dict.fromkeys(c for c in candidates if c and os.path.isabs(c)))


def expand(path: str, home: str) -> str:
    """``~`` and ``~/x`` expanded against *home*; other paths as they are."""
    if path == "~":
        return home
    if path.startswith("~/"):
        return os.path.join(home, path[2:])
    return path


def is_within(path: str, parent: str) -> bool:
    """*path* is *parent* or lies below it (both real, absolute paths)."""
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def plan_filesystem(spec: SandboxSpec, homes: Iterable[str]) -> FilesystemPlan:
    """Resolve *spec*'s paths for a process whose home directories are *homes* (the first
    one expands ``~`` in the spec).

    Raises :class:`~pollytool.errors.SandboxSpecError` when a writable path does not exist,
    or lies inside a credential path the spec does not exempt with ``readPaths``.
    """
    homes = list(homes)
    tilde = homes[0] if homes else "/"
    read_paths = [
        real for real in (os.path.realpath(expand(p, tilde)) for p in spec.read_paths)
        if os.path.exists(real)
    ]  # fmt: skip
    masks = _masks(homes, read_paths)
    writable: list[str] = []
    if not spec.deny_write:
        for path in spec.writable_paths:
            real = os.path.realpath(expand(path, tilde))
            if not os.path.exists(real):
                raise SandboxSpecError(f"writable path {path!r} ({real}) does not exist")
            hiding = next((m for m in masks if is_within(real, m.path)), None)
            if hiding is not None:
                raise SandboxSpecError(
                    f"writable path {path!r} lies inside the credential path {hiding.path}, "
                    "which stays hidden; list the credential path in readPaths to expose it"
                )
            writable.append(real)
    return FilesystemPlan(tuple(dict.fromkeys(writable)), masks)


def _masks(homes: list[str], read_paths: list[str]) -> tuple[Mask, ...]:
    found: dict[str, Mask] = {}
    for home in homes:
        for relative in CREDENTIAL_PATHS:
            path = expand(relative, home)
            if not os.path.lexists(path):
                continue
            real = os.path.realpath(path)
            if not os.path.exists(real) or any(is_within(real, r) for r in read_paths):
                continue
            is_dir = os.path.isdir(real)
            exposed = tuple(r for r in read_paths if is_dir and is_within(r, real))
            found[real] = Mask(real, is_dir, exposed)
    ordered = sorted(found.values(), key=lambda m: m.path)
    # A mask inside another (hidden) one has nothing left to hide.
    return tuple(
        m for m in ordered if not any(o is not m and is_within(m.path, o.path) for o in ordered)
    )
