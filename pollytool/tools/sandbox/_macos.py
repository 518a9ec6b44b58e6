"""The macOS backend: a Seatbelt profile for ``/usr/bin/sandbox-exec``, generated from the
same spec.

The profile denies everything by default, then allows process basics, reads of everything
but the credential paths (later rules win, so the ``readPaths`` exemptions come last),
writes to the temp directories and ``writablePaths`` (unless ``denyWrite``), and the network
with ``allowNetwork`` (never Unix sockets; with ``denyDNS`` not ports 53/853 or the
mDNSResponder socket either).

Limits compared with Linux: there is no private ``/tmp`` (writes go to the real temp
directories), and no PID namespace, so a tool's ``setsid``'d descendants can outlive a
timeout. This profile is unit-tested as text; it has not been run on macOS.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ...errors import SandboxUnavailableError
from ._paths import FilesystemPlan
from ._spec import SandboxSpec

__all__ = ["SANDBOX_EXEC", "find_sandbox_exec", "seatbelt_command", "seatbelt_profile"]

SANDBOX_EXEC = "/usr/bin/sandbox-exec"
#: A profile that allows everything, to probe that ``sandbox-exec`` works at all.
PROBE_PROFILE = "(version 1)(allow default)"

_BASE = """\
(version 1)
(deny default)
(allow process-exec process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))
(allow sysctl-read)
(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo")
                   (global-name "com.apple.PowerManagement.control"))
(allow ipc-posix-sem ipc-posix-shm)
(allow user-preference-read)
(allow file-ioctl (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty"))
(allow file-write-data (literal "/dev/null") (literal "/dev/zero") (literal "/dev/stdout")
                       (literal "/dev/stderr") (literal "/dev/tty"))
(allow file-read*)"""

_NETWORK = """\
(allow network-outbound)
(allow network-inbound (local ip "localhost:*"))
(allow system-socket)
(allow mach-lookup (global-name "com.apple.trustd.agent")
                   (global-name "com.apple.SystemConfiguration.configd")
                   (global-name "com.apple.SystemConfiguration.DNSConfiguration")
                   (global-name "com.apple.dnssd.service"))
(deny network-outbound (remote unix-socket))"""

_DENY_DNS = """\
(deny network-outbound (remote udp "*:53") (remote tcp "*:53")
                       (remote udp "*:853") (remote tcp "*:853")
                       (literal "/private/var/run/mDNSResponder"))
(deny mach-lookup (global-name "com.apple.dnssd.service")
                  (global-name "com.apple.SystemConfiguration.DNSConfiguration"))"""

#: The temp directories writes go to (macOS has no private /tmp); ``$TMPDIR`` is added.
_TEMP_DIRS = ("/private/tmp", "/private/var/tmp")


def find_sandbox_exec() -> str:
    """The path of ``sandbox-exec``; raises
    :class:`~pollytool.errors.SandboxUnavailableError` when it is missing."""
    if not os.path.exists(SANDBOX_EXEC):
        raise SandboxUnavailableError(
            f"the sandbox needs {SANDBOX_EXEC}, which is missing. To run tools without a "
            "sandbox instead, set POLLYTOOL_NOSANDBOX=true"
        )
    return SANDBOX_EXEC


def seatbelt_profile(spec: SandboxSpec, plan: FilesystemPlan, temp_dirs: Iterable[str]) -> str:
    """The profile text for *spec*, resolved as *plan*; writes are allowed in *temp_dirs*
    (real paths) unless ``denyWrite``."""
    lines = [_BASE]
    if plan.masks:
        lines.append(_rule("deny file-read*", (_filter(m.path, m.is_dir) for m in plan.masks)))
        exposed = [path for m in plan.masks for path in m.exposed]
        if exposed:
            lines.append(_rule("allow file-read*", (_filter(p, True) for p in exposed)))
    if not spec.deny_write:
        writable = [*temp_dirs, *plan.writable]
        lines.append(_rule("allow file-write*", (_filter(p, True) for p in writable)))
        if plan.masks:  # credential paths inside a writable directory stay read-only
            lines.append(_rule("deny file-write*", (_filter(m.path, m.is_dir) for m in plan.masks)))
    if spec.allow_network:
        lines.append(_NETWORK)
        if spec.deny_dns:
            lines.append(_DENY_DNS)
    return "\n".join(lines) + "\n"


def seatbelt_command(
    sandbox_exec: str, spec: SandboxSpec, plan: FilesystemPlan, argv: list[str], tmpdir: str
) -> list[str]:
    """The command line that runs *argv* under *spec*; *tmpdir* is the process's ``$TMPDIR``."""
    temp_dirs = dict.fromkeys([*_TEMP_DIRS, os.path.realpath(tmpdir)])
    return [sandbox_exec, "-p", seatbelt_profile(spec, plan, temp_dirs), *argv]


def _rule(head: str, filters: Iterable[str]) -> str:
    return f"({head}\n  " + "\n  ".join(filters) + ")"


def _filter(path: str, is_dir: bool) -> str:
    return f"({'subpath' if is_dir else 'literal'} {_quote(path)})"


def _quote(text: str) -> str:
    """A Seatbelt (Scheme) string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
