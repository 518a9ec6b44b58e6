"""Agent Skills: the model discovers a skill, activates it and runs its script in the sandbox.

    python examples/skills/skills_example.py --model openai/gpt-5.4

The catalog comes from ``examples/skills/skills`` (``--skills DIR`` for others; by default
pollytool looks in ``~/.pollytool/skills``). Without ``--model`` a scripted fake model plays
the three turns (activate the skill, run its script with ``bash``, answer with the script's
output), so the example runs without a key. ``bash`` runs inside the sandbox (bubblewrap on
Linux); set ``POLLYTOOL_NOSANDBOX=true`` to run skills' scripts without it.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from pollytool import ChatMessage, CompletionRequest, MultiPass, ToolResultEvent
from pollytool.llm import Agent
from pollytool.providers.fake import FakeLLM, tool_call
from pollytool.skills import load_catalog
from pollytool.tools import SkillRuntime, ToolRegistry

SKILLS = Path(__file__).with_name("skills")
TEXT = "the quick brown fox"


def answer_from_script(req: CompletionRequest) -> str:
    return f"Your text has {req.messages[-1].content.strip()}."


def scripted_model() -> FakeLLM:
    return FakeLLM(
        [tool_call("activate_skill", {"name": "word-stats"})],
        [
            tool_call(
                "bash",
                {"skill": "word-stats", "command": f"./scripts/word_stats.sh '{TEXT}'"},
            )
        ],
        answer_from_script,
    )


async def main(model: str | None, skills_dir: Path) -> None:
    catalog = load_catalog([skills_dir])  # None when the directories hold no skill
    if catalog is None:
        raise SystemExit(f"no skills in {skills_dir}")
    print(f"skills: {', '.join(catalog.names())}")
    registry = ToolRegistry()
    runtime = SkillRuntime(catalog, registry)  # registers activate_skill, read_skill_file, bash
    print(f"tools: {', '.join(t.name for t in registry)}")

    client = MultiPass() if model else MultiPass(clients={"fake": scripted_model()})
    req = CompletionRequest(
        model or "fake/scripted",
        [ChatMessage.system("You are helpful."), ChatMessage.user(f"How long is '{TEXT}'?")],
        skills=runtime,  # the skills' names and descriptions join the system prompt
    )
    async with Agent(client, registry, max_iterations=5).stream(req) as events:
        async for event in events:
            if isinstance(event, ToolResultEvent):
                first_line = event.result.splitlines()[0] if event.result else ""
                print(f"  -> {event.tool_call.name}: {first_line}")
    result = events.result
    assert result is not None
    print(result.text)
    print(f"active skills: {runtime.activated_skills()}")
    await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--skills", type=Path, default=SKILLS)
    args = parser.parse_args()
    asyncio.run(main(args.model, args.skills))
