"""What every provider's embeddings have in common: batching, order, concurrency, retries,
deadlines and errors.

A provider with an embeddings API describes it in its own ``_embed.py`` as an
:class:`EmbeddingAPI` (how many inputs one request may carry, and how to send one batch with
the vendor SDK) and gives its client an ``embed`` method that calls :func:`run_embedding`.
Everything else is here and uses the client's own machinery
(:class:`~pollytool.providers._base.ProviderClient`): the one cached vendor client, the key
and base-URL rules (a request's own ``api_key`` and ``base_url`` included), the error mapping
and redaction, and the retries of providers whose SDK does not retry well.

* The inputs are cut into batches of at most ``max_inputs`` texts and about ``max_chars``
  characters (a single longer text is sent alone), sent at most
  :data:`MAX_CONCURRENT_BATCHES` at a time, and the vectors are put back in input order.
* A failed batch is retried like a chat request that has produced nothing yet; once it
  fails for good, the other batches are cancelled and its typed error is raised.
* ``EmbeddingRequest.timeout`` bounds the whole call (every batch and retry).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

from ..embeddings import EmbeddingResult
from ..errors import APITimeoutError, PollyError, ResponseError
from ..messages import Usage
from ._errors import sanitized

if TYPE_CHECKING:
    from ..embeddings import EmbeddingRequest
    from ._base import Call, ProviderClient

__all__ = ["MAX_CONCURRENT_BATCHES", "BatchReply", "EmbeddingAPI", "normalized", "run_embedding"]

#: How many batches of one call are in flight at once.
MAX_CONCURRENT_BATCHES = 4

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class BatchReply:
    """What one request returned: a vector per text, and the input tokens it counted
    (``None`` when the provider does not say)."""

    vectors: list[list[float]]
    input_tokens: int | None = None


#: Sends one batch: ``send(client, vendor, call, req, texts)``.
BatchSender = Callable[
    ["ProviderClient[V]", V, "Call", "EmbeddingRequest", list[str]], Awaitable[BatchReply]
]


@dataclass(frozen=True, slots=True)
class EmbeddingAPI(Generic[V]):
    """One provider's embeddings endpoint.

    Attributes:
        max_inputs: the most texts one request may carry.
        max_chars: about the most characters one request should carry (the providers limit
            tokens per request; this keeps a batch well under that).
        send: sends one batch through the vendor SDK and returns its vectors in order.
    """

    max_inputs: int
    max_chars: int
    send: BatchSender[V]


def batches(texts: list[str], max_inputs: int, max_chars: int) -> list[tuple[int, list[str]]]:
    """*texts* cut into ``(offset, texts)`` runs of at most *max_inputs* texts and
    *max_chars* characters (a longer text forms a batch of its own), in order."""
    runs: list[tuple[int, list[str]]] = []
    start, size = 0, 0
    for index, text in enumerate(texts):
        if index > start and (index - start >= max_inputs or size + len(text) > max_chars):
            runs.append((start, texts[start:index]))
            start, size = index, 0
        size += len(text)
    runs.append((start, texts[start:]))
    return runs


def normalized(vector: list[float]) -> list[float]:
    """*vector* scaled to length 1 (a zero vector is returned unchanged)."""
    norm = math.sqrt(math.fsum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


async def run_embedding(
    client: ProviderClient[V], req: EmbeddingRequest, api: EmbeddingAPI[V]
) -> EmbeddingResult:
    """Embed *req*'s inputs with *client* through *api* (see the module docstring); raises
    the typed, redacted :class:`~pollytool.errors.PollyError`."""
    endpoint = req.endpoint()
    secrets = tuple(s for s in (client.api_key, req.api_key) if s)
    try:
        call = client._call(endpoint)
        vendor = await client._vendor_client()
        runs = batches(req.inputs, api.max_inputs, api.max_chars)
        vectors: list[list[float]] = [[] for _ in req.inputs]
        counts: list[int | None] = [None] * len(runs)
        limiter = anyio.CapacityLimiter(MAX_CONCURRENT_BATCHES)
        failure: list[PollyError] = []

        async def embed_run(number: int, offset: int, texts: list[str]) -> None:
            try:
                async with limiter:
                    reply = await _with_retries(
                        client, call, lambda: api.send(client, vendor, call, req, texts)
                    )
                _check_count(reply, texts, client.provider)
            except PollyError as exc:
                failure.append(exc)
                group.cancel_scope.cancel()
                return
            vectors[offset : offset + len(texts)] = reply.vectors
            counts[number] = reply.input_tokens

        with anyio.move_on_after(math.inf if req.timeout is None else req.timeout) as deadline:
            async with anyio.create_task_group() as group:
                for number, (offset, texts) in enumerate(runs):
                    group.start_soon(embed_run, number, offset, texts)
        if failure:
            raise failure[0]
        if deadline.cancelled_caught:
            raise APITimeoutError(
                f"the embeddings request did not finish within its {req.timeout:g}s timeout",
                provider=client.provider,
            )
    except PollyError as exc:
        error = sanitized(exc, secrets)
        raise error from error.__cause__
    known = [count for count in counts if count is not None]
    usage = Usage(input_tokens=sum(known)) if known else None
    return EmbeddingResult(req.model, vectors, usage)


async def _with_retries(
    client: ProviderClient[Any], call: Call, send: Callable[[], Awaitable[BatchReply]]
) -> BatchReply:
    """``await send()``, tried again while the client's retry rules allow (see
    :meth:`~pollytool.providers._base.ProviderClient._retry_delay`); a vendor exception
    becomes the client's typed error."""
    attempt = 0
    while True:
        try:
            return await send()
        except PollyError as exc:
            error = exc
        except Exception as exc:
            error = client._error(exc, call)
        delay = client._retry_delay(error, attempt)
        if delay is None:
            raise error
        attempt += 1
        await anyio.sleep(delay)


def _check_count(reply: BatchReply, texts: list[str], provider: str) -> None:
    """Raise :class:`~pollytool.errors.ResponseError` unless *reply* holds exactly one vector
    per text (a provider that merged or dropped inputs would shift every later vector)."""
    if len(reply.vectors) != len(texts):
        raise ResponseError(
            f"the embeddings response has {len(reply.vectors)} vectors for {len(texts)} inputs",
            provider=provider,
        )
