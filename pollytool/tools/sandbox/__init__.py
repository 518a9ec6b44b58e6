"""Run a command inside a sandbox: bubblewrap on Linux, Seatbelt (``sandbox-exec``) on macOS.

Shell tools, stdio MCP servers and the skills' ``bash`` tool share this module::

    import os, signal, anyio
    from pollytool.tools.sandbox import SandboxSpec, check_sandbox, sandboxed_command

    spec = SandboxSpec.parse(True)                        # or {"allowNetwork": true, ...}
    await check_sandbox(spec)                             # at load time: fail early and clearly
    cmd = await sandboxed_command(spec, ["./tool.sh", "--execute", "{}"], cwd=".")
    async with await anyio.open_process(
        cmd.argv, env=cmd.env, cwd=cmd.cwd, start_new_session=True
    ) as process:
        ...                                               # os.killpg(process.pid, signal.SIGKILL)
                                                          # stops everything it started

The spec (the ``"sandbox"`` value of a tool: ``true``, ``false`` or an object):

====================  ==========  =======  ==================================================
field                 type        default  meaning
====================  ==========  =======  ==================================================
``allowNetwork``      bool        false    allow network access (host loopback included)
``denyDNS``           bool        false    with ``allowNetwork``: no name lookups through the
                                           system resolver (connect by IP)
``writablePaths``     string[]    []       existing paths that stay writable (``~`` allowed)
``readPaths``         string[]    []       paths exempted from the credential deny list
``allowEnv``          string[]    all      only these environment variables are passed
``denyWrite``         bool        false    no writes anywhere, not even ``/tmp``; overrides
                                           ``writablePaths``
====================  ==========  =======  ==================================================

Defaults (``true``): writes only to a private, empty ``/tmp``; no network; every file readable
except :data:`CREDENTIAL_PATHS`; the environment without ``POLLYTOOL_*`` and other
credential-shaped variables (:data:`CREDENTIAL_ENV_PATTERNS`) unless ``allowEnv`` names them.
``denyDNS`` has no effect without ``allowNetwork``.

What the Linux sandbox adds to the spec, each found necessary by attacking it: no
capabilities even as root, its own PID namespace (host processes and their environments are
invisible; killing the sandbox kills everything in it, ``setsid``'d processes too), no
controlling terminal, no Unix-domain sockets (a seccomp filter; ``docker.sock``, agents and
D-Bus stay out of reach even with the network allowed), no nested user namespaces, no
``ptrace``. Known limits: ``denyDNS`` stops the system resolver, not raw DNS packets sent to a
resolver's IP address or DNS over HTTPS; ``allowNetwork`` includes services on the host's
loopback interface; a hard link to a credential file made before the run is not hidden; the
number of processes is not bounded for root.

Sandboxing is never skipped silently: when a spec is given and no backend works,
:class:`~pollytool.errors.SandboxUnavailableError` is raised. It is switched off only
explicitly, by ``POLLYTOOL_NOSANDBOX=true`` or a caller's ``nosandbox=True`` (see
:func:`sandboxing_disabled`).
"""

from __future__ import annotations

from ._command import SandboxCommand, check_sandbox, sandboxed_command
from ._env import (
    CREDENTIAL_ENV_PATTERNS,
    NOSANDBOX_ENV,
    filter_environment,
    sandboxing_disabled,
)
from ._paths import CREDENTIAL_PATHS
from ._policy import effective_sandbox
from ._spec import SandboxSpec

__all__ = [
    "CREDENTIAL_ENV_PATTERNS",
    "CREDENTIAL_PATHS",
    "NOSANDBOX_ENV",
    "SandboxCommand",
    "SandboxSpec",
    "check_sandbox",
    "effective_sandbox",
    "filter_environment",
    "sandboxed_command",
    "sandboxing_disabled",
]
