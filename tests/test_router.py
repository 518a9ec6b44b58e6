"""MultiPass routing: errors as single events, keys, base URLs, no mutation, client reuse."""

from __future__ import annotations

import copy

import pytest

from pollytool import ChatMessage, CompletionRequest, MultiPass
from pollytool.errors import (
    ConfigurationError,
    InvalidModelError,
    MissingAPIKeyError,
    ProviderUnavailableError,
    RateLimitError,
    UnknownProviderError,
)
from pollytool.events import CompleteEvent, ErrorEvent, StreamEvent
from pollytool.llm import EventStream
from pollytool.llm.router import MAX_CLIENTS
from pollytool.providers import ProviderInfo, get_provider, provider_names, register_provider
from pollytool.providers.fake import FakeLLM
from tests.fakes.loopback import LoopbackServer
from tests.providers._contract import collect, only_error
from tests.providers._harness import HARNESSES

pytestmark = pytest.mark.anyio


async def _events(router: MultiPass, req: CompletionRequest) -> list[StreamEvent]:
    return [event async for event in router.stream(req)]


@pytest.mark.parametrize("model", ["gpt-4o", "/gpt-4o", "  /x"])
async def test_model_without_prefix_is_one_error_event(model: str) -> None:
    events = await _events(MultiPass(env={}), CompletionRequest(model))
    assert len(events) == 1
    assert isinstance(events[0], ErrorEvent)
    assert isinstance(events[0].error, InvalidModelError)
    assert "provider prefix" in str(events[0].error)
    assert "'openai/gpt-5.4'" in str(events[0].error)


async def test_unknown_provider_lists_valid_ones() -> None:
    events = await _events(MultiPass(env={}), CompletionRequest("mistral/large"))
    assert len(events) == 1
    error = events[0].error  # type: ignore[union-attr]
    assert isinstance(error, UnknownProviderError)
    assert str(error) == (
        "unknown provider 'mistral'. Valid providers: " + ", ".join(provider_names())
    )
    assert {"openai", "anthropic", "gemini", "ollama"} <= set(error.valid)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
async def test_missing_key_names_the_env_var(provider: str) -> None:
    events = await _events(MultiPass(env={}), CompletionRequest(f"{provider}/m"))
    assert len(events) == 1
    error = events[0].error  # type: ignore[union-attr]
    assert isinstance(error, MissingAPIKeyError)
    assert f"POLLYTOOL_{provider.upper()}KEY" in str(error)
    assert error.env_var == f"POLLYTOOL_{provider.upper()}KEY"


def _capture_factory(made: list[dict[str, object]]) -> object:
    def factory(*, api_key: str | None, base_url: str | None) -> FakeLLM:
        made.append({"api_key": api_key, "base_url": base_url})
        return FakeLLM()

    return factory


@pytest.fixture
def capture_provider() -> list[dict[str, object]]:
    made: list[dict[str, object]] = []
    saved = {name: get_provider(name) for name in ("openai", "ollama", "mycloud")}
    register_provider("openai", _capture_factory(made), keyless_with_base_url=True)  # type: ignore[arg-type]
    register_provider("ollama", _capture_factory(made), requires_key=False)  # type: ignore[arg-type]
    register_provider("mycloud", _capture_factory(made))  # type: ignore[arg-type]
    yield made
    from pollytool import providers

    for name, info in saved.items():
        if info is None:
            providers._REGISTRY.pop(name, None)
        else:
            providers._REGISTRY[name] = info


async def test_openai_needs_no_key_with_a_base_url(
    capture_provider: list[dict[str, object]],
) -> None:
    req = CompletionRequest("openai/local", [ChatMessage.user("hi")], base_url="http://x/v1")
    events = await _events(MultiPass(env={}), req)
    assert isinstance(events[-1], CompleteEvent)
    assert capture_provider == [{"api_key": None, "base_url": "http://x/v1"}]


async def test_ollama_needs_no_key(capture_provider: list[dict[str, object]]) -> None:
    events = await _events(
        MultiPass(env={}), CompletionRequest("ollama/llama3", [ChatMessage.user("hi")])
    )
    assert isinstance(events[-1], CompleteEvent)


async def test_keys_and_base_urls_from_env_are_snapshotted(
    capture_provider: list[dict[str, object]],
) -> None:
    env = {"POLLYTOOL_MYCLOUDKEY": "k-env", "POLLYTOOL_MYCLOUD_BASEURL": "http://cloud"}
    router = MultiPass(env=env)
    env["POLLYTOOL_MYCLOUDKEY"] = "changed"
    await _events(router, CompletionRequest("mycloud/m", [ChatMessage.user("x")]))
    assert capture_provider == [{"api_key": "k-env", "base_url": "http://cloud"}]


async def test_argument_keys_win_over_env_and_request_key_wins_over_both(
    capture_provider: list[dict[str, object]],
) -> None:
    router = MultiPass({"mycloud": "k-arg"}, env={"POLLYTOOL_MYCLOUDKEY": "k-env"})
    await _events(router, CompletionRequest("mycloud/m", [ChatMessage.user("x")]))
    await _events(router, CompletionRequest("mycloud/m", [ChatMessage.user("x")], api_key="k-req"))
    assert [m["api_key"] for m in capture_provider] == ["k-arg", "k-req"]


async def test_one_client_per_provider_key_and_url(
    capture_provider: list[dict[str, object]],
) -> None:
    router = MultiPass({"mycloud": "k"}, env={})
    for _ in range(3):
        await _events(router, CompletionRequest("mycloud/m", [ChatMessage.user("x")]))
    assert len(capture_provider) == 1
    await router.aclose()
    await _events(router, CompletionRequest("mycloud/m", [ChatMessage.user("x")]))
    assert len(capture_provider) == 2


async def test_request_is_not_mutated_and_prefix_is_stripped() -> None:
    fake = FakeLLM("ok")
    router = MultiPass(clients={"fake": fake}, env={})
    req = CompletionRequest("fake/some-model", [ChatMessage.user("x")], api_key="secret",
                            base_url="http://b")  # fmt: skip
    before = copy.deepcopy(req)
    events = await _events(router, req)
    assert isinstance(events[-1], CompleteEvent)
    assert req == before
    assert fake.requests[0].model == "some-model"
    assert fake.requests[0].api_key is None


async def test_fake_provider_through_the_router_echoes() -> None:
    router = MultiPass(env={})
    message = await router.stream(
        CompletionRequest("fake/echo", [ChatMessage.user("ping")])
    ).collect()
    assert message.content == "ping"
    assert isinstance(router.stream(CompletionRequest("fake/echo")), EventStream)


async def test_registered_provider_with_missing_module_is_a_clear_error() -> None:
    register_provider("ghost", "pollytool.providers.does_not_exist:Client", requires_key=False)
    try:
        events = await _events(MultiPass(env={}), CompletionRequest("ghost/m"))
    finally:
        from pollytool import providers

        providers._REGISTRY.pop("ghost")
    assert len(events) == 1
    error = events[0].error  # type: ignore[union-attr]
    assert isinstance(error, ProviderUnavailableError)
    assert "provider 'ghost' is registered but its adapter cannot be loaded" in str(error)


def test_provider_info_env_names() -> None:
    info = ProviderInfo("openai", "x:y")
    assert info.key_env_var == "POLLYTOOL_OPENAIKEY"
    assert info.base_url_env_var == "POLLYTOOL_OPENAI_BASEURL"
    with pytest.raises(ValueError, match="invalid provider name"):
        register_provider("a/b", "x:y")


def test_repr_hides_keys() -> None:
    router = MultiPass({"openai": "sk-verysecretkey123"}, env={"POLLYTOOL_GEMINIKEY": "AIzaSecret"})
    assert "secret" not in repr(router).lower()
    req = CompletionRequest("openai/m", api_key="sk-verysecretkey123")
    assert "sk-verysecret" not in repr(req)


# --------------------------------------------------------------------------- one pool, bounded


async def test_many_users_keys_share_one_client_and_pool(loopback: LoopbackServer) -> None:
    harness = HARNESSES["openai-chat"]
    keys = [f"sk-user-{n:04d}-0123456789" for n in range(30)]
    loopback.always("POST", harness.path(), lambda _: harness.reply("ok"))
    router = MultiPass(base_urls={"openai": loopback.url + "/v1"}, env={}, max_retries=0)
    async with router:
        for key in keys:
            req = CompletionRequest("openai/m", [ChatMessage.user("x")], api_key=key)
            assert (await router.stream(req).collect()).content == "ok"
    assert [r.headers["authorization"] for r in loopback.requests] == [f"Bearer {k}" for k in keys]
    assert loopback.connections == 1  # one client, one pool, for every key


async def test_clients_that_take_their_key_at_construction_are_bounded() -> None:
    made: list[FakeLLM] = []
    closed: list[FakeLLM] = []

    class Counted(FakeLLM):
        async def aclose(self) -> None:
            closed.append(self)

    def factory(*, api_key: str | None, base_url: str | None) -> FakeLLM:
        made.append(Counted())
        return made[-1]

    register_provider("perkey", factory)  # type: ignore[arg-type]
    try:
        router = MultiPass(env={})
        for n in range(MAX_CLIENTS + 10):
            req = CompletionRequest("perkey/m", [ChatMessage.user("x")], api_key=f"key-{n}")
            assert (await router.stream(req).collect()).content == "x"
        assert len(made) == MAX_CLIENTS + 10
        assert closed == made[:10]  # the least recently used ones, closed when evicted
        await router.aclose()
        assert closed == made
    finally:
        from pollytool import providers

        providers._REGISTRY.pop("perkey")


# --------------------------------------------------------------------------- settings, environment


async def test_max_retries_and_timeout_reach_every_client(loopback: LoopbackServer) -> None:
    harness = HARNESSES["openai-chat"]
    loopback.always("POST", harness.path(), lambda _: harness.status(429, 0.01))
    router = MultiPass({"openai": "sk-test-0123456789"},
                       base_urls={"openai": loopback.url + "/v1"}, env={}, max_retries=1,
                       timeout=7.5)  # fmt: skip
    async with router:
        error = only_error(
            await collect(router, CompletionRequest("openai/m", [ChatMessage.user("x")]))
        )
        client = router._clients().shared["openai"]
        assert (client.max_retries, client.timeout) == (1, 7.5)  # type: ignore[attr-defined]
    assert isinstance(error, RateLimitError)
    assert len(loopback.requests) == 2
    with pytest.raises(ConfigurationError, match="max_retries"):
        MultiPass(max_retries=-1)
    with pytest.raises(ConfigurationError, match="timeout"):
        MultiPass(timeout=0)


async def test_the_helpers_read_the_environment_for_every_call(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pollytool.llm import quick_complete

    harness = HARNESSES["openai-chat"]
    async with LoopbackServer() as other:
        for server in (loopback, other):
            server.always("POST", harness.path(), lambda _: harness.reply("ok"))
        monkeypatch.setenv("POLLYTOOL_OPENAIKEY", "sk-first-0123456789")
        monkeypatch.setenv("POLLYTOOL_OPENAI_BASEURL", loopback.url + "/v1")
        assert await quick_complete("openai/m", "hi") == "ok"
        monkeypatch.setenv("POLLYTOOL_OPENAIKEY", "sk-second-0123456789")
        monkeypatch.setenv("POLLYTOOL_OPENAI_BASEURL", other.url + "/v1")
        assert await quick_complete("openai/m", "hi") == "ok"
        assert [r.headers["authorization"] for r in loopback.requests] == [
            "Bearer sk-first-0123456789"
        ]
        assert [r.headers["authorization"] for r in other.requests] == [
            "Bearer sk-second-0123456789"
        ]
        from pollytool.llm import shared_client

        await shared_client().aclose()


async def test_warm_up_builds_the_client_ahead_of_the_first_request() -> None:
    router = MultiPass({"openai": "sk-test-0123456789"}, env={})
    async with router:
        await router.warm_up("openai")
        client = router._clients().shared["openai"]
        assert client._vendor is not None  # type: ignore[attr-defined]
        with pytest.raises(UnknownProviderError):
            await router.warm_up("nope")
