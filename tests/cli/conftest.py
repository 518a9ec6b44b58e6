"""Fixtures of the ``polly`` tests: the real command run as a subprocess against a loopback
provider server, with an isolated HOME.

The loopback server runs for the whole module in an anyio blocking portal (its own event loop
in a background thread), because the tests drive ``polly`` as a child process and wait for it
synchronously. It answers OpenAI Chat Completions requests (the CLI is pointed at it with
``POLLYTOOL_BASEURL``) from a queue of scripted replies, and GET requests from a table of
files (``-f URL`` downloads).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal

from tests.cli.polly import Polly
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply


@dataclass
class FakeProvider:
    """The scripted side of the loopback server.

    ``reply(...)`` queues replies for the next chat requests; ``requests`` holds the JSON body
    of every chat request received; ``files`` maps a path to a GET reply.
    """

    url: str = ""
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, Reply] = field(default_factory=dict)

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def chat(self, request: RecordedRequest) -> Reply:
        self.requests.append(request.json())
        if self.replies:
            return self.replies.popleft()
        return Reply.json(
            {"error": {"message": "no scripted reply", "type": "invalid_request_error"}},
            status=400,
        )

    def download(self, request: RecordedRequest) -> Reply:
        return self.files.get(request.path) or Reply(404, {"content-type": "text/plain"}, [b"no"])

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()
        self.files.clear()

    @property
    def last(self) -> dict[str, Any]:
        """The body of the last chat request."""
        return self.requests[-1]


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(LoopbackServer()) as server,
    ):
        server.always("POST", "/v1/chat/completions", provider.chat)
        server.always("GET", None, provider.download)
        provider.url = server.url
        yield provider


@pytest.fixture
def provider(_server: FakeProvider) -> Iterator[FakeProvider]:
    """The loopback provider, with nothing queued and no requests recorded."""
    _server.reset()
    yield _server
    leftover = len(_server.replies)
    _server.reset()
    assert leftover == 0, f"{leftover} scripted replies were not used"


@pytest.fixture
def polly(provider: FakeProvider, tmp_path: Path) -> Polly:
    """Runs ``polly`` with HOME in a fresh directory, model ``openai/gpt-test`` and the
    loopback server as the endpoint (both from the environment, so flags can override)."""
    home = tmp_path / "home"
    home.mkdir()
    return Polly(home, {"POLLYTOOL_MODEL": "openai/gpt-test",
                        "POLLYTOOL_BASEURL": provider.url + "/v1"})  # fmt: skip


def messages_of(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(role, content) of each message of a Chat Completions request body."""
    return [(m["role"], m.get("content")) for m in body["messages"]]


def dump(body: Any) -> str:
    return json.dumps(body, indent=1)
