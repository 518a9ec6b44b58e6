"""Which sandbox a tool or server ends up in: its own ``"sandbox"`` value, the caller's
default, and the switch that turns sandboxing off."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import SandboxSpecError
from ._env import sandboxing_disabled
from ._spec import SandboxSpec

if TYPE_CHECKING:
    import logging

__all__ = ["effective_sandbox"]


def effective_sandbox(
    asked: object,
    default: object,
    *,
    subject: str,
    logger: logging.Logger,
    nosandbox: bool | None = None,
    may_opt_out: bool,
) -> SandboxSpec | None:
    """The spec to run *subject* in, or ``None`` to run it unsandboxed.

    *asked* is the subject's own ``"sandbox"`` value and *default* the caller's (each ``true``,
    ``false``/``None``, an object or a :class:`SandboxSpec`). Rules:

    * sandboxing disabled (*nosandbox*, else ``POLLYTOOL_NOSANDBOX``): ``None``, with a warning
      on *logger* when either side asked for a sandbox;
    * no default: the subject's own value decides (the seed's rule);
    * a default and ``"sandbox": false``: ``None`` when the subject *may_opt_out* (an MCP
      server in the user's own config file), otherwise a :class:`SandboxSpecError` (a shell
      script, the thing being contained, may not lift its caller's policy);
    * a default and the subject's own spec: both merged (:meth:`SandboxSpec.merge`).

    Raises :class:`SandboxSpecError` for a value that is not a sandbox spec.
    """
    own = SandboxSpec.parse(asked)
    base = SandboxSpec.parse(default)
    if sandboxing_disabled(nosandbox):
        if own is not None or base is not None:
            logger.warning("sandboxing is disabled: %s runs unsandboxed", subject)
        return None
    if base is None:
        return own
    if asked is False:
        if may_opt_out:
            return None
        raise SandboxSpecError(
            f'{subject} says "sandbox": false, but it is loaded with a default sandbox for '
            "every tool; load it without sandbox_default to run it unsandboxed"
        )
    return base if own is None else base.merge(own)
