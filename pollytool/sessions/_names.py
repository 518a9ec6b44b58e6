"""Session names: which names are allowed, so that a name is always one safe file name."""

from __future__ import annotations

from ..errors import InvalidSessionNameError

__all__ = ["MAX_NAME_BYTES", "validate_session_name"]

#: Longest allowed name in UTF-8 bytes; leaves room for the file suffixes within the usual
#: 255-byte file name limit.
MAX_NAME_BYTES = 200

_RESERVED = frozenset('/\\:*?"<>|')


def validate_session_name(name: str) -> str:
    """Return *name* if it can name a session, else raise
    :class:`~pollytool.errors.InvalidSessionNameError` saying why.

    A name is one file name: not empty, at most :data:`MAX_NAME_BYTES` bytes of UTF-8, no path
    separators or other reserved characters (``/ \\ : * ? " < > |``), no control characters,
    not ``.`` or ``..``, and no leading or trailing space or dot.
    """
    if not isinstance(name, str):
        raise InvalidSessionNameError(f"session name must be a string, got {type(name).__name__}")
    reason = _problem(name)
    if reason is not None:
        raise InvalidSessionNameError(f"invalid session name {name!r}: {reason}")
    return name


def _problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if name in {".", ".."}:
        return "'.' and '..' are reserved"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    for char in name:
        if char in _RESERVED:
            return f"it contains the reserved character {char!r}"
        if ord(char) < 32 or ord(char) == 127:
            return f"it contains the control character {char!r}"
        if 0xD800 <= ord(char) <= 0xDFFF:
            return "it contains a lone surrogate"
    if name[0] in " ." or name[-1] in " .":
        return "it starts or ends with a space or a dot"
    return None
