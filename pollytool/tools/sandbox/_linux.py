"""The Linux backend: bubblewrap (``bwrap``) with a seccomp filter.

The command line follows what was found by attacking it (see the package docstring):

- ``--unshare-user --cap-drop ALL``: as root, bwrap otherwise keeps every capability and the
  tool could unmount the masks;
- ``--unshare-pid`` (with ``--die-with-parent``): killing bwrap kills every process of the
  tool, ``setsid``'d ones included, and host processes (and their environments) are invisible;
- ``--new-session``: no terminal to inject keystrokes into;
- a private ``/tmp``; writable binds *before* the credential masks, or a writable home would
  expose ``~/.ssh`` again; every mount target resolved with ``realpath``;
- the seccomp filter from :mod:`._seccomp`.

bwrap is taken only from fixed, root-owned locations, never from ``PATH``.

The command starts with ``/bin/sh``, which opens the seccomp filter on descriptor 3 for bwrap,
so the command needs no inherited descriptors. bwrap's ``--die-with-parent`` follows the
*thread* that started it. Under asyncio that is the event loop's thread, so the shell execs
bwrap and the sandbox dies with the SDK process, even when that is SIGKILLed. trio starts
processes from worker threads that exit when idle (bwrap would die with them after ~10 s), so
there the shell stays bwrap's parent: timeouts and cancellation still kill everything, but a
SIGKILLed SDK leaves the sandbox running until its command ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...errors import SandboxUnavailableError
from ._paths import FilesystemPlan, is_within
from ._seccomp import UnsupportedArchitecture, seccomp_filter
from ._spec import SandboxSpec

__all__ = ["bwrap_command", "find_bwrap", "unavailable_hint"]

#: Where bwrap may be taken from; the first that exists and is trusted wins.
BWRAP_LOCATIONS = (
    "/usr/bin/bwrap",
    "/bin/bwrap",
    "/usr/local/bin/bwrap",
    "/run/current-system/sw/bin/bwrap",
)
SHELL = "/bin/sh"
#: The wrappers: run bwrap (``"$@"``) with the filter (``$0``) on fd 3, replacing the shell, or
#: as its child (``; exit`` keeps the shell from replacing itself with bwrap).
_EXEC_WRAPPER = 'exec "$@" 3<"$0"'
_CHILD_WRAPPER = '"$@" 3<"$0"; exit "$?"'
_TMP = "/tmp"
_RESOLV_CONF = "/etc/resolv.conf"
_NSSWITCH_CONF = "/etc/nsswitch.conf"


def find_bwrap() -> str:
    """The path of a trusted bwrap binary.

    Raises :class:`~pollytool.errors.SandboxUnavailableError` when there is none, or when the
    one found could be replaced by someone other than root.
    """
    for location in BWRAP_LOCATIONS:
        if not os.path.exists(location):
            continue
        real = os.path.realpath(location)
        problem = _untrusted(Path(real))
        if problem:
            raise SandboxUnavailableError(
                f"bubblewrap at {location} cannot be trusted: {problem}. {_DISABLE_HINT}"
            )
        return real
    raise SandboxUnavailableError(
        "the sandbox needs bubblewrap, which is not installed (looked in "
        f"{', '.join(BWRAP_LOCATIONS)}): install it (Debian/Ubuntu: apt-get install "
        f"bubblewrap; Fedora: dnf install bubblewrap). {_DISABLE_HINT}"
    )


_DISABLE_HINT = "To run tools without a sandbox instead, set POLLYTOOL_NOSANDBOX=true"


def _untrusted(path: Path) -> str:
    for item in (path, *path.parents):
        info = item.stat()
        if info.st_uid != 0:
            return f"{item} is not owned by root"
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not (
            item != path and info.st_mode & stat.S_ISVTX
        ):
            return f"{item} is writable by other users"
    return ""


def unavailable_hint(stderr: str) -> str:
    """Advice for a bwrap probe that failed with *stderr*."""
    lowered = stderr.lower()
    if any(s in lowered for s in ("no permissions to create new namespace", "uid map", "rtm_")):
        return (
            "unprivileged user namespaces are blocked on this machine. On Ubuntu 23.10 and "
            "later run 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' or install an "
            "AppArmor profile for bwrap; in a container allow user namespaces (e.g. Docker's "
            "--security-opt seccomp=unconfined)"
        )
    if "operation not permitted" in lowered:
        return "namespaces are not permitted here (a container without user namespace support?)"
    return "bubblewrap could not start a sandbox on this machine"


@dataclass(frozen=True, slots=True)
class _SupportFiles:
    """Files the command line refers to, written once per process into a private directory
    (readable by all, writable only by us): the seccomp filter, an empty file for masks, and
    an ``nsswitch.conf`` that resolves host names from ``/etc/hosts`` only."""

    seccomp: str
    empty: str
    nsswitch: str


_support: _SupportFiles | None = None


def _support_files() -> _SupportFiles:
    global _support  # noqa: PLW0603 -- one set of files per process
    if _support is not None and os.path.isdir(os.path.dirname(_support.empty)):
        return _support
    try:
        program = seccomp_filter()
    except UnsupportedArchitecture as exc:
        raise SandboxUnavailableError(f"{exc}. {_DISABLE_HINT}") from None
    directory = tempfile.mkdtemp(prefix="pollytool-sandbox-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.chmod(directory, 0o755)  # nothing secret; readable for tools run as another user
    files = _SupportFiles(
        seccomp=_write(directory, "seccomp.bpf", program),
        empty=_write(directory, "empty", b""),
        nsswitch=_write(directory, "nsswitch.conf", _nsswitch_files_only().encode()),
    )
    _support = files
    return files


def _write(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _nsswitch_files_only() -> str:
    try:
        lines = Path(_NSSWITCH_CONF).read_text().splitlines()
    except OSError:
        lines = []
    kept = [line for line in lines if not line.lstrip().startswith("hosts:")]
    return "\n".join([*kept, "hosts: files", ""])


def bwrap_command(
    bwrap: str,
    spec: SandboxSpec,
    plan: FilesystemPlan,
    argv: list[str],
    cwd: str,
    *,
    exec_bwrap: bool = False,
) -> list[str]:
    """The full command line that runs *argv* in *cwd* under *spec* (resolved as *plan*).
    *exec_bwrap*: the process is started from a thread that lives as long as the SDK's event
    loop, so bwrap may replace the shell (see the module docstring)."""
    files = _support_files()
    args = [
        bwrap,
        "--die-with-parent", "--new-session",
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try",
        "--cap-drop", "ALL",
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--tmpfs", _TMP,
    ]  # fmt: skip
    for path in _needed_under_tmp(argv[0], cwd):
        args += ["--ro-bind", path, path]
    for path in plan.writable:
        args += ["--bind", path, path]
    for mask in plan.masks:  # after the writable binds, or those would uncover them
        if mask.is_dir:
            args += ["--tmpfs", mask.path]
            for exposed in mask.exposed:
                args += ["--ro-bind", exposed, exposed]
            args += ["--remount-ro", mask.path]
        else:
            args += ["--ro-bind", files.empty, mask.path]
    if spec.deny_write:
        args += ["--remount-ro", _TMP, "--remount-ro", "/dev"]
    if not spec.allow_network:
        args.append("--unshare-net")
    elif spec.deny_dns:
        for conf, replacement in ((_RESOLV_CONF, files.empty), (_NSSWITCH_CONF, files.nsswitch)):
            if os.path.exists(conf):
                args += ["--ro-bind", replacement, os.path.realpath(conf)]
    args += ["--seccomp", "3", "--chdir", cwd, "--", *argv]
    wrapper = _EXEC_WRAPPER if exec_bwrap else _CHILD_WRAPPER
    return [SHELL, "-c", wrapper, files.seccomp, *args]


def _needed_under_tmp(program: str, cwd: str) -> list[str]:
    """Host paths inside ``/tmp`` the command cannot start without (the private ``/tmp``
    would hide them): its working directory and the directory holding the program, shown
    read-only. ``/tmp`` itself is never shown; a program directly in it is shown alone."""
    needed: list[str] = []
    if os.path.isabs(program):
        real = os.path.realpath(program)
        parent = os.path.dirname(real)
        needed.append(real if parent == _TMP else parent)
    needed.append(os.path.realpath(cwd))
    return list(
        dict.fromkeys(p for p in needed if is_within(p, _TMP) and p != _TMP and os.path.exists(p))
    )
