"""``polly embed``, run as the real command against a loopback OpenAI/Ollama server: every
input source (``-i``, ``-f``, positional arguments, standard input lines) and their order,
``--raw``, the flags and environment variables that reach the request, usage errors (exit 2)
and provider errors (exit 1, never showing the key)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal

from tests.cli.polly import Polly
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply

KEY = "sk-embed-cli-test-0123456789abcdef"


@dataclass
class EmbedServer:
    """Answers ``/v1/embeddings`` and ``/api/embed`` with a vector per text ``[len(text),
    position]``; ``status`` makes the next reply an error."""

    url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    fail: dict[str, Any] | None = None

    def openai(self, request: RecordedRequest) -> Reply:
        self.requests.append(request)
        if self.fail is not None:
            return Reply.json(self.fail, status=404)
        texts = request.json()["input"]
        data = [{"object": "embedding", "index": i, "embedding": _vector(t, i)}
                for i, t in enumerate(texts)]  # fmt: skip
        usage = {"prompt_tokens": 7, "total_tokens": 7}
        return Reply.json({"object": "list", "data": data, "model": "m", "usage": usage})

    def ollama(self, request: RecordedRequest) -> Reply:
        self.requests.append(request)
        texts = request.json()["input"]
        return Reply.json({"model": "m", "embeddings": [_vector(t, i) for i, t in
                                                        enumerate(texts)]})  # fmt: skip

    @property
    def last(self) -> dict[str, Any]:
        body: dict[str, Any] = self.requests[-1].json()
        return body


def _vector(text: str, position: int) -> list[float]:
    return [float(len(text)), float(position)]


@pytest.fixture(scope="module")
def _server() -> Iterator[EmbedServer]:
    backend = EmbedServer()
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(LoopbackServer()) as server,
    ):
        server.always("POST", "/v1/embeddings", backend.openai)
        server.always("POST", "/api/embed", backend.ollama)
        backend.url = server.url
        yield backend


@pytest.fixture
def server(_server: EmbedServer) -> Iterator[EmbedServer]:
    _server.requests.clear()
    _server.fail = None
    yield _server
    _server.fail = None


@pytest.fixture
def polly(server: EmbedServer, tmp_path: Path) -> Polly:
    home = tmp_path / "home"
    home.mkdir()
    return Polly(home, {"POLLYTOOL_OPENAIKEY": KEY, "POLLYTOOL_BASEURL": server.url + "/v1"})


def _ok(polly: Polly, *args: str, stdin: str = "", env: dict[str, str | None] | None = None
        ) -> dict[str, Any]:  # fmt: skip
    result = polly.run("embed", *args, stdin=stdin, env=env)
    assert result.code == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout)
    return output


def test_positional_arguments(polly: Polly, server: EmbedServer) -> None:
    out = _ok(polly, "one", "three")
    assert out == {"model": "openai/text-embedding-3-large",
                   "embeddings": [[3.0, 0.0], [5.0, 1.0]], "input_tokens": 7}  # fmt: skip
    assert server.last == {"model": "text-embedding-3-large", "input": ["one", "three"],
                           "encoding_format": "float"}  # fmt: skip
    assert server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_inputs_files_and_arguments_in_that_order(
    polly: Polly, server: EmbedServer, tmp_path: Path
) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nA whole file is one input.\n", encoding="utf-8")
    out = _ok(polly, "last", "-i", "first", "-f", str(doc), "-i", "second")
    assert server.last["input"] == ["first", "second", doc.read_text(encoding="utf-8"), "last"]
    assert len(out["embeddings"]) == 4


def test_standard_input_lines_when_nothing_else_is_given(polly: Polly, server: EmbedServer) -> None:
    out = _ok(polly, stdin="  alpha  \n\n beta\n   \ngamma")
    assert server.last["input"] == ["alpha", "beta", "gamma"]
    assert [v[1] for v in out["embeddings"]] == [0.0, 1.0, 2.0]


def test_standard_input_is_ignored_when_inputs_are_given(polly: Polly, server: EmbedServer) -> None:
    _ok(polly, "-i", "given", stdin="not this\n")
    assert server.last["input"] == ["given"]


def test_raw_prints_one_array_per_line(polly: Polly) -> None:
    result = polly.run("embed", "--raw", "ab", "abcd")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == ["[2.0, 0.0]", "[4.0, 1.0]"]


def test_flags_and_environment_reach_the_request(polly: Polly, server: EmbedServer) -> None:
    _ok(polly, "--dimensions", "256", "-m", "openai/text-embedding-3-small", "x")
    assert server.last == {"model": "text-embedding-3-small", "input": ["x"],
                           "encoding_format": "float", "dimensions": 256}  # fmt: skip
    out = _ok(polly, "x", env={"POLLYTOOL_EMBED_MODEL": "ollama/nomic-embed-text",
                               "POLLYTOOL_BASEURL": None,
                               "POLLYTOOL_OLLAMA_BASEURL": server.url})  # fmt: skip
    assert out["model"] == "ollama/nomic-embed-text" and out["input_tokens"] is None
    assert server.requests[-1].path == "/api/embed"
    assert server.last == {"model": "nomic-embed-text", "input": ["x"]}


def test_task_type_outside_gemini_is_ignored_with_a_notice(
    polly: Polly, server: EmbedServer
) -> None:
    result = polly.run("embed", "--task-type", "RETRIEVAL_QUERY", "x")
    assert result.code == 0
    assert "--task-type applies to Gemini only; ignored for openai" in result.stderr
    assert "task" not in json.dumps(server.last).lower()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "no input provided"),
        (["--dimensions", "-3", "x"], {}, "dimensions must be at least 0"),
        (["--dimensions", "many", "x"], {}, "dimensions must be a whole number"),
        (["-m", "text-embedding-3-small", "x"], {}, "model must be written provider/model"),
        (["-m", "nosuch/m", "x"], {}, "unknown provider 'nosuch'"),
        (["--bogus", "x"], {}, "unrecognized arguments: --bogus"),
        (["x"], {"POLLYTOOL_EMBED_MODEL": "nomodel"}, "POLLYTOOL_EMBED_MODEL: model must"),
    ],
)
def test_usage_errors_exit_2(
    polly: Polly, server: EmbedServer, args: list[str], env: dict[str, str], message: str
) -> None:
    result = polly.run("embed", *args, env=dict(env))
    assert result.code == 2, result.stderr
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stdout == "" and not server.requests


def test_an_unreadable_file_is_an_error(polly: Polly, server: EmbedServer, tmp_path: Path) -> None:
    missing = polly.run("embed", "-f", str(tmp_path / "nope.txt"))
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    undecodable = polly.run("embed", "-f", str(binary))
    assert (missing.code, undecodable.code) == (1, 1)
    assert "No such file or directory" in missing.stderr
    assert "not UTF-8 text" in undecodable.stderr
    assert not server.requests


def test_provider_errors_are_typed_and_never_show_the_key(
    polly: Polly, server: EmbedServer
) -> None:
    message = f"The model `nope` does not exist ({KEY})"
    server.fail = {"error": {"message": message, "type": "invalid_request_error",
                             "code": "model_not_found"}}  # fmt: skip
    result = polly.run("embed", "-m", "openai/nope", "x")
    assert result.code == 1
    assert result.stderr.startswith("Error: openai: ") and "does not exist" in result.stderr
    assert KEY not in result.stderr and result.stdout == ""


def test_anthropic_has_no_embeddings(polly: Polly, server: EmbedServer) -> None:
    result = polly.run("embed", "-m", "anthropic/claude-sonnet-4-6", "x",
                       env={"POLLYTOOL_ANTHROPICKEY": "sk-ant-test-0123456789"})  # fmt: skip
    assert result.code == 1
    assert "anthropic has no embeddings API" in result.stderr
    assert not server.requests


def test_embed_is_a_subcommand_only_as_the_first_argument(
    polly: Polly, server: EmbedServer
) -> None:
    result = polly.run("-q", "embed", "x")  # the chat command takes no positional arguments
    assert result.code == 2 and "unrecognized arguments: embed x" in result.stderr
    assert not server.requests


def test_help_lists_the_flags(polly: Polly) -> None:
    result = polly.run("embed", "--help")
    assert result.code == 0
    for flag in ("--model", "--dimensions", "--input", "--file", "--task-type", "--raw"):
        assert flag in result.stdout
