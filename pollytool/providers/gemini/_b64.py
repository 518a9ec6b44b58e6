"""Bytes on Gemini's wire: base64 text.

The API takes and returns ``bytes`` fields (``inlineData.data``, ``thoughtSignature``) as
base64. pollytool sends the URL-safe alphabet (as google-genai does) and reads either
alphabet, padded or not.
"""

from __future__ import annotations

import base64

__all__ = ["from_wire", "to_wire"]

_TO_URL_SAFE = str.maketrans("+/", "-_")


def to_wire(data: bytes) -> str:
    """*data* as URL-safe base64 text."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def from_wire(text: str) -> bytes:
    """The bytes of base64 *text* (standard or URL-safe alphabet, padding optional).

    Raises:
        binascii.Error: *text* is not base64.
    """
    text = text.translate(_TO_URL_SAFE)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
