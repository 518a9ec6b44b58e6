"""An incremental parser for JSON that is still arriving: each character is read once.

:class:`PartialJSON` is fed the pieces of a reply as they stream and can tell, at any point,
the value so far: open strings, arrays and objects closed, an unfinished key or a key without
its value left out, an unfinished ``true``/``false``/``null`` completed, an unfinished number
cut to the part that parses. A Markdown code fence before the document and anything after it
are ignored.

The work is linear in the reply's size. Feeding reads each character once (runs of string
characters, digits and whitespace are consumed by regular expressions). A snapshot copies only
the containers still open (completed values are shared, never copied again), and
:meth:`PartialJSON.ready` spaces snapshots out as they grow dearer, so the copying also stays
proportional to what was fed: every piece gets a snapshot while the reply is small; for a reply
of thousands of items, snapshots come every few hundred characters.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["PartialJSON", "parse_partial_json"]

#: Snapshots may copy this many items (open containers' entries, string characters / 32)
#: per character fed, in total.
_COPY_BUDGET_PER_CHAR: Final = 16
#: Strings are copied with ``memcpy``; a character costs this fraction of a container entry.
_STRING_CHARS_PER_ITEM: Final = 32

_WHITESPACE = re.compile(r"[ \t\r\n]*")
_STRING_RUN = re.compile(r'[^"\\]*')
_NUMBER_RUN = re.compile(r"[-+0-9.eE]*")
_LITERAL_RUN = re.compile(r"[a-z]*")
_FENCE_TAG = re.compile(r"[A-Za-z0-9_+-]*")
_LITERALS: Final = {"true": True, "false": False, "null": None}


class _Missing:
    """No value (yet)."""


_MISSING: Final = _Missing()

# what a container expects next
_KEY_OR_END, _KEY, _COLON, _VALUE, _VALUE_OR_END, _COMMA_OR_END = range(6)


class _Frame:
    """An array or object that is still open."""

    __slots__ = ("container", "expect", "key")

    def __init__(self, container: dict[str, Any] | list[Any]) -> None:
        self.container = container
        self.expect = _KEY_OR_END if isinstance(container, dict) else _VALUE_OR_END
        self.key: str | None = None


class _Scalar:
    """A string, key, number or literal being read."""

    __slots__ = ("escape", "kind", "parts", "size", "value")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "string", "key", "number" or "literal"
        self.parts: list[str] = []
        self.size = 0  # characters in parts
        self.escape = ""  # an escape sequence cut by the end of a piece
        self.value: Any = _MISSING  # the partial value of a number or literal

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


class PartialJSON:
    """Parses a JSON document fed piece by piece (see the module docstring).

    ``feed(piece)`` reads more text; :attr:`changed` says whether the value changed since the
    last :meth:`snapshot`; :meth:`ready` whether a snapshot is both new and affordable;
    :meth:`snapshot` returns the value so far (``None`` before anything usable arrived).
    Treat snapshots as read-only: completed parts are shared between them.

    Args:
        max_depth: deeper nesting stops the parse (the value stays what it was); the final
            validation then reports the reply.
    """

    def __init__(self, max_depth: int = 64) -> None:
        self._max_depth = max_depth
        self._stack: list[_Frame] = []
        self._scalar: _Scalar | None = None
        self._root: Any = _MISSING
        self._started = False
        self._stopped = False  # the document ended, or is not JSON, or is too deep
        self._fence_tag = False
        self._fed = 0
        self._copied = 0
        self.changed = False

    # ------------------------------------------------------------------ feeding

    def feed(self, piece: str) -> None:
        """Read *piece*, the next part of the text."""
        self._fed += len(piece)
        i, end = 0, len(piece)
        while i < end and not self._stopped:
            if self._scalar is not None:
                i = self._read_scalar(self._scalar, piece, i)
            elif not self._started:
                i = self._read_preamble(piece, i)
            else:
                i = _WHITESPACE.match(piece, i).end()  # type: ignore[union-attr]
                if i < end:
                    i = self._read_structure(piece, i)

    def _read_preamble(self, piece: str, i: int) -> int:
        """Skip whitespace and a code fence (```json) before the document."""
        char = piece[i]
        if char == "`":
            self._fence_tag = True
            return i + 1
        if char in " \t\r\n":
            self._fence_tag = False
            return i + 1
        if self._fence_tag:
            tag_end = _FENCE_TAG.match(piece, i).end()  # type: ignore[union-attr]
            if tag_end > i:
                return tag_end
        self._started = True
        return self._begin_value(piece, i)

    def _read_structure(self, piece: str, i: int) -> int:
        """One character between values: a bracket, comma, colon or the start of a value."""
        char = piece[i]
        if not self._stack:
            self._stopped = True  # text after the document
            return i
        frame = self._stack[-1]
        expect = frame.expect
        closer = "}" if isinstance(frame.container, dict) else "]"
        if char == closer and expect in (_KEY_OR_END, _VALUE_OR_END, _COMMA_OR_END):
            self._stack.pop()
            self._complete(frame.container)
        elif expect == _COMMA_OR_END and char == ",":
            frame.expect = _KEY if isinstance(frame.container, dict) else _VALUE
        elif expect in (_KEY_OR_END, _KEY) and char == '"':
            self._scalar = _Scalar("key")
        elif expect == _COLON and char == ":":
            frame.expect = _VALUE
        elif expect in (_VALUE, _VALUE_OR_END):
            return self._begin_value(piece, i)
        else:
            self._stopped = True  # not JSON
            return i
        return i + 1

    def _begin_value(self, piece: str, i: int) -> int:
        char = piece[i]
        if char in "{[":
            if len(self._stack) >= self._max_depth:
                self._stopped = True
                return i
            self._stack.append(_Frame({} if char == "{" else []))
            self.changed = True
            return i + 1
        if char == '"':
            self._scalar = _Scalar("string")
            self.changed = True
            return i + 1
        if char == "-" or char.isdigit():
            self._scalar = _Scalar("number")
        elif char in "tfn":
            self._scalar = _Scalar("literal")
        else:
            self._stopped = True
        return i

    def _read_scalar(self, scalar: _Scalar, piece: str, i: int) -> int:
        if scalar.kind in ("string", "key"):
            return self._read_string(scalar, piece, i)
        pattern = _NUMBER_RUN if scalar.kind == "number" else _LITERAL_RUN
        run_end = pattern.match(piece, i).end()  # type: ignore[union-attr]
        scalar.add(piece[i:run_end])
        if run_end < len(piece):  # the token ended
            self._scalar = None
            value = _token_value(scalar.kind, scalar.text(), final=True)
            if value is _MISSING:
                self._stopped = True
            else:
                self._complete(value)
            return run_end
        value = _token_value(scalar.kind, scalar.text(), final=False)
        if value is _MISSING and scalar.kind == "literal":
            self._stopped = True
        elif value != scalar.value or type(value) is not type(scalar.value):
            scalar.value = value
            self.changed = True
        return run_end

    def _read_string(self, scalar: _Scalar, piece: str, i: int) -> int:
        end = len(piece)
        while i < end:
            if scalar.escape:
                i = self._read_escape(scalar, piece, i)
                continue
            run_end = _STRING_RUN.match(piece, i).end()  # type: ignore[union-attr]
            if run_end > i:
                scalar.add(piece[i:run_end])
                self.changed = self.changed or scalar.kind == "string"
            if run_end == end:
                return end
            if piece[run_end] == '"':
                self._scalar = None
                self._end_string(scalar)
                return run_end + 1
            scalar.escape = "\\"
            i = run_end + 1
        return end

    def _read_escape(self, scalar: _Scalar, piece: str, i: int) -> int:
        """Add characters to the escape sequence until it is whole, then decode it."""
        escape, end = scalar.escape, len(piece)
        while (whole := _whole_escape(escape, piece[i] if i < end else None)) is None:
            if i == end:
                scalar.escape = escape
                return end
            escape += piece[i]
            i += 1
        scalar.escape = escape[whole:]  # "\\" when a lone high surrogate preceded an escape
        try:
            decoded: str = json.loads(f'"{escape[:whole]}"')
        except ValueError:
            self._stopped = True
            return end
        scalar.add(decoded)
        self.changed = self.changed or scalar.kind == "string"
        return i

    def _end_string(self, scalar: _Scalar) -> None:
        if scalar.kind == "string":
            self._complete(scalar.text())
            return
        frame = self._stack[-1]
        frame.key = scalar.text()
        frame.expect = _COLON

    def _complete(self, value: Any) -> None:
        """A value is whole: put it into its container (or make it the document)."""
        self.changed = True
        if not self._stack:
            self._root = value
            self._stopped = True
            return
        frame = self._stack[-1]
        if isinstance(frame.container, dict):
            frame.container[frame.key or ""] = value
            frame.key = None
        else:
            frame.container.append(value)
        frame.expect = _COMMA_OR_END

    # ------------------------------------------------------------------ reading

    def _cost(self) -> int:
        """What a snapshot would copy now."""
        cost = len(self._stack) + sum(len(frame.container) for frame in self._stack)
        if self._scalar is not None and self._scalar.kind == "string":
            cost += self._scalar.size // _STRING_CHARS_PER_ITEM
        return cost

    def ready(self) -> bool:
        """Whether the value changed since the last snapshot and a snapshot now keeps the
        total copying within its budget (proportional to the text fed)."""
        return self.changed and self._copied + self._cost() <= self._fed * _COPY_BUDGET_PER_CHAR

    def snapshot(self) -> Any:
        """The value so far (``None`` when nothing usable arrived); resets :attr:`changed`."""
        self._copied += self._cost()
        self.changed = False
        if self._root is not _MISSING:
            return self._root
        child = self._open_scalar_value()
        for frame in reversed(self._stack):
            if isinstance(frame.container, dict):
                fields = dict(frame.container)
                if child is not _MISSING and frame.key is not None and frame.expect == _VALUE:
                    fields[frame.key] = child
                child = fields
            else:
                items = list(frame.container)
                if child is not _MISSING:
                    items.append(child)
                child = items
        return None if child is _MISSING else child

    def _open_scalar_value(self) -> Any:
        scalar = self._scalar
        if scalar is None or scalar.kind == "key":
            return _MISSING
        if scalar.kind == "string":
            return scalar.text()
        return scalar.value


def _whole_escape(escape: str, following: str | None) -> int | None:
    """How many characters of *escape* (which starts with a backslash) form one whole escape
    sequence, given the *following* character (``None``: not arrived yet); ``None`` when it
    needs more. A high surrogate (``\\uD83D``) waits to see whether its low half follows."""
    size = len(escape)
    if size < 2:
        return None
    if escape[1] != "u":
        return 2
    if size < 6:
        return None
    if not "d800" <= escape[2:6].lower() <= "dbff":
        return 6
    if size in (6, 7):
        if following is None:
            return None
        expected = "\\" if size == 6 else "u"
        return None if following == expected else 6
    return None if size < 12 else 12


def _token_value(kind: str, token: str, *, final: bool) -> Any:
    """The value of a number or literal token (cut when not *final*), or ``_MISSING``."""
    if kind == "literal":
        if final:
            return _LITERALS.get(token, _MISSING)
        matches = [value for name, value in _LITERALS.items() if name.startswith(token)]
        return matches[0] if matches else _MISSING
    candidate = token if final else token.rstrip(".eE+-")
    try:
        return json.loads(candidate) if candidate and len(candidate) < 4000 else _MISSING
    except ValueError:
        return _MISSING


def parse_partial_json(text: str) -> Any:
    """The value of a JSON document cut off at any point, best effort; ``None`` when nothing
    usable has arrived yet.

    Open strings, arrays and objects are closed; an unfinished key or a key without its value
    is left out; an unfinished ``true``/``false``/``null`` is completed; an unfinished number
    is cut to the part that parses. A leading Markdown code fence is skipped.
    """
    parser = PartialJSON()
    parser.feed(text)
    return parser.snapshot()
