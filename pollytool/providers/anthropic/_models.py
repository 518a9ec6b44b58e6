"""What each Claude model accepts, derived from its name.

Anthropic's request options changed across model generations, and sending an option a model
does not know gets a 400. The adapter therefore decides per model name:

=============================  ===========================================================
capability                     models
=============================  ===========================================================
adaptive thinking + effort     Claude 4.6 and later (``claude-opus-4-6``, ``claude-sonnet-4-6``,
                               ``claude-opus-4-7``, every ``claude-*-5*``), dated variants
                               included, and ``claude-mythos-preview``. Older models get
                               ``{"type": "enabled", "budget_tokens": N}``.
``xhigh`` effort               Claude 4.7 and later (4.6 accepts ``low``..``high`` and ``max``;
                               ``xhigh`` is sent as ``high`` there).
native structured output       Claude 4.5 and later, and ``claude-opus-4-1``:
(``output_config.format``)     the others get a forced tool whose input is the answer.
no ``temperature``             ``claude-opus-4-7`` and later Opus models reject it.
=============================  ===========================================================

The version is read from names such as ``claude-opus-4-6``, ``claude-sonnet-4-5-20250929``,
``claude-sonnet-4-20250514`` (4.0), ``claude-3-7-sonnet-latest`` (3.7) or ``claude-opus-5``
(5.0). A name without a recognisable version (a proxy alias, a fine-tune) is treated as an
older model, which is the choice every current model still accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

__all__ = ["ModelCapabilities", "capabilities"]

# "claude-<family>-<major>[-<minor>]" or the older "claude-<major>[-<minor>]-<family>"; a minor
# version is one digit, so the "-2025…" date suffix is never read as one.
_VERSION = re.compile(r"claude-(?:(?P<family>[a-z]+)-)?(?P<major>\d+)(?:-(?P<minor>\d)(?!\d))?")

#: Names without a version that behave like the newest generation.
_NEWEST_BY_PREFIX = ("claude-mythos-preview",)


@dataclass(frozen=True, slots=True)
class ModelCapabilities:
    """The request options one model accepts (see the module docstring)."""

    adaptive_thinking: bool = False
    xhigh_effort: bool = False
    native_structured_output: bool = False
    temperature: bool = True


_NEWEST = ModelCapabilities(True, True, True, True)


@cache
def capabilities(model: str) -> ModelCapabilities:
    """The capabilities of *model* (a bare Anthropic model name)."""
    name = model.lower()
    if name.startswith(_NEWEST_BY_PREFIX):
        return _NEWEST
    match = _VERSION.search(name)
    if match is None:
        return ModelCapabilities()
    version = (int(match["major"]), int(match["minor"] or 0))
    family = match["family"] or ""
    return ModelCapabilities(
        adaptive_thinking=version >= (4, 6),
        xhigh_effort=version >= (4, 7),
        native_structured_output=version >= (4, 5) or (family == "opus" and version == (4, 1)),
        temperature=not (family == "opus" and version >= (4, 7)),
    )
