"""Which thinking controls each Gemini model family takes, and the ``thinkingConfig`` to send.

Gemini models differ in how thinking is set:

* **Gemini 3** (``gemini-3-pro``, ``gemini-3-flash``, ``gemini-3.x-…``) take a named
  ``thinking_level``. Pro models cannot stop thinking; other Gemini 3 models come closest to
  "off" with ``MINIMAL``.
* **Gemini 2.5** take a token ``thinking_budget`` (``-1`` lets the model decide, ``0`` turns
  thinking off). 2.5 Pro cannot turn it off; budgets top out at 32,768 tokens on Pro and
  24,576 on Flash and Flash-Lite.
* **Gemini 1.x, 2.0 and Gemma** do not think; no thinking setting is sent to them.
* Any other name (``gemini-flash-latest``, tuned models, names this table does not know yet) is
  given a budget, which every thinking Gemini model accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ...thinking import Thinking, ThinkingLevel

__all__ = ["ThinkingSupport", "thinking_config", "thinking_support"]

ThinkingStyle = Literal["level", "budget", "none"]

#: Gemini's ``ThinkingLevel`` names for each pollytool level.
_LEVELS: dict[ThinkingLevel, str] = {
    ThinkingLevel.MINIMAL: "MINIMAL",
    ThinkingLevel.LOW: "LOW",
    ThinkingLevel.MEDIUM: "MEDIUM",
    ThinkingLevel.HIGH: "HIGH",
    ThinkingLevel.XHIGH: "XHIGH",
    ThinkingLevel.MAX: "XHIGH",
}


@dataclass(frozen=True, slots=True)
class ThinkingSupport:
    """How a model takes its thinking setting.

    Attributes:
        style: ``"level"`` (``thinking_level``), ``"budget"`` (``thinking_budget``) or
            ``"none"`` (the model does not think; nothing is sent).
        can_disable: whether thinking can be turned off (budget 0, or level ``MINIMAL``).
        max_budget: the largest budget the model accepts, where known; larger budgets are
            lowered to it.
    """

    style: ThinkingStyle
    can_disable: bool = True
    max_budget: int | None = None


def thinking_support(model: str) -> ThinkingSupport:
    """The thinking controls of *model* (a bare name or ``models/<name>``), by its family."""
    name = model.rsplit("/", 1)[-1].lower()
    is_pro = "-pro" in name
    if name.startswith("gemini-3"):
        return ThinkingSupport("level", can_disable=not is_pro)
    if name.startswith("gemini-2.5"):
        return ThinkingSupport("budget", can_disable=not is_pro,
                               max_budget=32768 if is_pro else 24576)  # fmt: skip
    if name.startswith(("gemini-1", "gemini-2.0", "gemma")):
        return ThinkingSupport("none", can_disable=False)
    return ThinkingSupport("budget")


def thinking_config(model: str, thinking: Thinking) -> dict[str, Any] | None:
    """The ``thinkingConfig`` (wire JSON) for *thinking* on *model*, or ``None`` to send
    nothing.

    Nothing is sent for the request default (:meth:`Thinking.default`), for models that do
    not think, and for an explicit off on a model that cannot stop thinking. Whenever thinking
    is on, thought summaries are requested (``includeThoughts``) so they stream as
    ``reasoning`` events. Dynamic thinking is budget ``-1`` (Gemini 3 decides by itself when
    no level is given); a level on a budget model becomes that level's budget; a budget on a
    level model becomes the nearest level.
    """
    support = thinking_support(model)
    if not thinking.explicit or support.style == "none":
        return None
    if not thinking.enabled:
        if not support.can_disable:
            return None
        if support.style == "level":
            return {"thinkingLevel": "MINIMAL"}
        return {"thinkingBudget": 0}
    if support.style == "level":
        if thinking.mode == "dynamic":
            return {"includeThoughts": True}
        return {"includeThoughts": True, "thinkingLevel": _LEVELS[thinking.as_level()]}
    if thinking.mode == "dynamic":
        return {"includeThoughts": True, "thinkingBudget": -1}
    budget = thinking.as_budget()
    if support.max_budget is not None:
        budget = min(budget, support.max_budget)
    return {"includeThoughts": True, "thinkingBudget": budget}
