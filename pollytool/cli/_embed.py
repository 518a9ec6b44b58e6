"""``polly embed``: embedding vectors for texts, printed as JSON.

::

    polly embed "first text" "second text"                 # positional arguments
    polly embed -i "a query" --task-type RETRIEVAL_QUERY -m gemini/gemini-embedding-001
    polly embed -f doc1.md -f doc2.md --dimensions 256     # a whole file is one input
    cut -f2 titles.tsv | polly embed --raw                 # one input per stdin line

The inputs are the ``-i`` values, then the ``-f`` files' contents, then the positional
arguments; with none of these, every non-empty line of standard input (trimmed) is one input.
The output is ``{"model", "embeddings": [[...], ...], "input_tokens"}`` (pretty JSON), or with
``--raw`` one JSON array per line, in input order.

``embed`` is a subcommand only as the very first argument (``polly embed ...``); the chat
command takes its prompt from ``-p`` or standard input and no positional arguments, so a
prompt that is the word "embed" is written ``polly -p embed``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from ..embeddings import EmbeddingRequest, EmbeddingResult
from ..llm import MultiPass
from ._errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    AttachmentError,
    UsageError,
    error_line,
    exit_code,
    secret_values,
)
from ._options import _checked, _Parser, parse_count, parse_duration, parse_model

__all__ = ["DEFAULT_EMBED_MODEL", "embed_main"]

#: The model used without ``-m`` and ``POLLYTOOL_EMBED_MODEL``.
DEFAULT_EMBED_MODEL = "openai/text-embedding-3-large"
#: Providers whose embeddings take a task type.
_TASK_TYPE_PROVIDERS = ("gemini",)


@dataclass(slots=True)
class EmbedOptions:
    """A checked ``polly embed`` command line."""

    model: str = DEFAULT_EMBED_MODEL
    dimensions: int = 0
    base_url: str | None = None
    timeout: float = 120.0
    inputs: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    task_type: str | None = None
    raw: bool = False


def _parser() -> _Parser:
    p = _Parser(
        prog="polly embed",
        description="Print embedding vectors of texts as JSON (OpenAI, Gemini, Ollama).",
        epilog="Inputs: -i values, then -f files, then TEXT arguments; without any, each "
        "non-empty line of standard input. Keys: POLLYTOOL_OPENAIKEY, POLLYTOOL_GEMINIKEY, "
        "POLLYTOOL_OLLAMAKEY. Exit status: 0 ok, 1 error, 2 usage, 130 interrupted.",
        allow_abbrev=False,
    )
    p.add_argument("texts", nargs="*", metavar="TEXT", help="a text to embed (one vector each)")
    p.add_argument(
        "-m",
        "--model",
        type=_checked(parse_model, "--model"),
        help=f"provider/model [$POLLYTOOL_EMBED_MODEL] (default {DEFAULT_EMBED_MODEL})",
    )
    p.add_argument(
        "--dimensions",
        type=_checked(parse_count(0, "dimensions"), "--dimensions"),
        default=0,
        help="vector length; 0 for the model's own (default 0)",
    )
    p.add_argument(
        "-i", "--input", dest="inputs", action="append", default=[], help="a text (repeatable)"
    )
    p.add_argument(
        "-f",
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="PATH",
        help="a UTF-8 text file, embedded whole as one input (repeatable)",
    )
    p.add_argument(
        "--task-type",
        dest="task_type",
        help="what the vectors are for, Gemini only: RETRIEVAL_QUERY, RETRIEVAL_DOCUMENT, "
        "SEMANTIC_SIMILARITY, CLASSIFICATION, CLUSTERING… [$POLLYTOOL_EMBED_TASKTYPE]",
    )
    p.add_argument(
        "--baseurl", dest="base_url", help="send requests to this endpoint [$POLLYTOOL_BASEURL]"
    )
    p.add_argument(
        "--timeout",
        type=_checked(parse_duration, "--timeout"),
        help="limit for the whole call, e.g. 30s, 5m; 0 for none (default 2m)",
    )
    p.add_argument("--raw", action="store_true", help="print one JSON array per line")
    return p


def parse_embed_options(argv: Sequence[str], environ: Mapping[str, str]) -> EmbedOptions:
    """Parse and check ``polly embed``'s *argv* with defaults from *environ*; raises
    :class:`UsageError`."""
    ns = _parser().parse_args(list(argv))
    opts = EmbedOptions(
        dimensions=ns.dimensions, inputs=ns.inputs, files=ns.files, texts=ns.texts, raw=ns.raw
    )
    model = ns.model or environ.get("POLLYTOOL_EMBED_MODEL")
    if model:
        try:
            opts.model = parse_model(model)
        except ValueError as exc:
            raise UsageError(f"POLLYTOOL_EMBED_MODEL: {exc}") from None
    opts.task_type = ns.task_type or environ.get("POLLYTOOL_EMBED_TASKTYPE") or None
    opts.base_url = ns.base_url or environ.get("POLLYTOOL_BASEURL") or None
    if ns.timeout is not None:
        opts.timeout = ns.timeout
    return opts


def _read_files(paths: list[str]) -> list[str]:
    texts = []
    for path in paths:
        try:
            texts.append(Path(path).read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise AttachmentError(f"cannot embed {path!r}: not UTF-8 text") from None
        except OSError as exc:
            raise AttachmentError(f"cannot embed {path!r}: {exc.strerror}") from None
    return texts


def _stdin_lines() -> list[str]:
    if sys.stdin is None or sys.stdin.isatty():
        return []
    data = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    return [line.strip() for line in data.splitlines() if line.strip()]


def collect_inputs(opts: EmbedOptions) -> list[str]:
    """The texts to embed (see the module docstring); raises :class:`UsageError` when there
    are none."""
    texts = [*opts.inputs, *_read_files(opts.files), *opts.texts] or _stdin_lines()
    if not texts:
        raise UsageError("no input provided: use -i, -f, TEXT arguments, or standard input")
    return texts


def render(result: EmbeddingResult, *, raw: bool) -> str:
    """*result* as ``polly embed`` prints it."""
    if raw:
        return "".join(json.dumps(vector) + "\n" for vector in result.vectors)
    return json.dumps(result.to_dict(), indent=2) + "\n"


async def _embed(opts: EmbedOptions, texts: list[str]) -> EmbeddingResult:
    req = EmbeddingRequest(
        opts.model, texts, dimensions=opts.dimensions or None, task_type=opts.task_type,
        timeout=opts.timeout or None, base_url=opts.base_url,
    )  # fmt: skip
    async with MultiPass() as router:
        return await router.embed(req)


def embed_main(argv: Sequence[str]) -> int:
    """Run ``polly embed`` with *argv* (the arguments after ``embed``); returns the exit
    status."""
    secrets = secret_values(os.environ)
    try:
        opts = parse_embed_options(argv, os.environ)
        texts = collect_inputs(opts)
        provider = opts.model.partition("/")[0]
        if opts.task_type and provider not in _TASK_TYPE_PROVIDERS:
            print(f"polly: --task-type applies to Gemini only; ignored for {provider}",
                  file=sys.stderr)  # fmt: skip
        result = anyio.run(_embed, opts, texts)
        sys.stdout.write(render(result, raw=opts.raw))
        sys.stdout.flush()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout was closed early (``polly embed ... | head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:
        print(error_line(exc, secrets), file=sys.stderr, flush=True)
        return exit_code(exc)
    return EXIT_OK
