"""Embeddings: the request and the result, the same for every provider.

::

    from pollytool.llm import embed

    result = await embed("openai/text-embedding-3-small", ["first text", "second text"])
    result.vectors          # two lists of floats, in the order of the inputs
    result.usage            # Usage(input_tokens=...), or None when the provider reports none

    one = await embed("gemini/gemini-embedding-001", "a single text", dimensions=768)
    one.vector              # the only vector (a str input gives exactly one)

An :class:`EmbeddingRequest` goes to ``MultiPass.embed`` (``"provider/model"``) or to a provider
client's ``embed`` (the bare model name). OpenAI, Gemini and Ollama have an embeddings API;
Anthropic has none and answers with :class:`~pollytool.errors.UnsupportedFeatureError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .errors import ConfigurationError
from .request import CompletionRequest

if TYPE_CHECKING:
    from .messages import Usage

__all__ = ["Embedder", "EmbeddingRequest", "EmbeddingResult"]


@dataclass(slots=True)
class EmbeddingRequest:
    """One embeddings call: any number of texts, one vector each.

    Every field is checked when the request is made; a mistake raises :class:`TypeError` or
    :class:`~pollytool.errors.ConfigurationError` naming the field.

    Attributes:
        model: ``"provider/model"`` for the router (``MultiPass``), the bare model name for a
            direct client.
        inputs: the texts, in order; a single ``str`` is one input. Large lists are sent in
            batches the provider accepts, several at once, and the vectors come back in the
            order of the inputs.
        dimensions: ask for vectors of this length (OpenAI ``text-embedding-3-*``, Gemini,
            Ollama); ``None`` gives the model's own length. Gemini vectors shortened this way
            are scaled back to length 1 (Gemini normalises only full-length vectors).
        task_type: what the vectors are for, for Gemini (``RETRIEVAL_QUERY``,
            ``RETRIEVAL_DOCUMENT``, ``SEMANTIC_SIMILARITY``, ``CLASSIFICATION``,
            ``CLUSTERING``, ``QUESTION_ANSWERING``, ``FACT_VERIFICATION``,
            ``CODE_RETRIEVAL_QUERY``); other providers have no such setting and ignore it.
        timeout: seconds for the whole call, every batch and retry included.
        base_url: send the request to this endpoint instead of the client's.
        api_key: use this key instead of the client's or the router's (never printed).
    """

    model: str
    inputs: list[str]
    dimensions: int | None = None
    task_type: str | None = None
    timeout: float | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)

    if TYPE_CHECKING:

        def __init__(  # noqa: PLR0917 - mirrors the dataclass fields, in order
            self,
            model: str,
            inputs: Sequence[str] | str,
            dimensions: int | None = None,
            task_type: str | None = None,
            timeout: float | None = None,
            base_url: str | None = None,
            api_key: str | None = None,
        ) -> None: ...

    def __post_init__(self) -> None:
        """Check every field; a single ``str`` becomes a list of one input."""
        inputs: Any = self.inputs
        if isinstance(inputs, str):
            inputs = [inputs]
        elif isinstance(inputs, bytes | bytearray) or not isinstance(inputs, Sequence):
            raise TypeError(
                "EmbeddingRequest.inputs must be a str or a list of str, got "
                f"{type(inputs).__name__}"
            )
        self.inputs = list(inputs)
        if not self.inputs:
            raise ConfigurationError("EmbeddingRequest.inputs is empty; give at least one text")
        for index, text in enumerate(self.inputs):
            if not isinstance(text, str):
                raise TypeError(
                    f"EmbeddingRequest.inputs[{index}] must be a str, got {type(text).__name__}"
                )
        if self.dimensions is not None and (
            isinstance(self.dimensions, bool)
            or not isinstance(self.dimensions, int)
            or self.dimensions < 1
        ):
            raise ConfigurationError(
                f"EmbeddingRequest.dimensions must be a positive int, got {self.dimensions!r}"
            )
        if self.task_type is not None and (
            not isinstance(self.task_type, str) or not self.task_type.strip()
        ):
            raise ConfigurationError(
                f"EmbeddingRequest.task_type must be a non-empty str, got {self.task_type!r}"
            )
        # the model, timeout, base URL and key follow CompletionRequest's rules exactly
        self.endpoint()

    def endpoint(self) -> CompletionRequest:
        """The model and endpoint settings of this request as a (message-less)
        :class:`~pollytool.request.CompletionRequest`: the form in which the providers' shared
        machinery resolves keys and base URLs and types errors."""
        return CompletionRequest(
            self.model, timeout=self.timeout, base_url=self.base_url, api_key=self.api_key
        )


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """The vectors of an :class:`EmbeddingRequest`.

    Attributes:
        model: the model as the request named it.
        vectors: one vector per input, in the order of the inputs.
        usage: the input tokens counted by the provider (summed over the batches), or
            ``None`` when it reports none (Gemini).
    """

    model: str
    vectors: list[list[float]]
    usage: Usage | None = None

    @property
    def vector(self) -> list[float]:
        """The only vector, for a request with one input; raises :class:`ValueError` when
        there are several."""
        if len(self.vectors) != 1:
            raise ValueError(
                f"this result has {len(self.vectors)} vectors; use .vectors to get them all"
            )
        return self.vectors[0]

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: ``{"model", "embeddings", "input_tokens"}`` (the
        shape ``polly embed`` prints; ``input_tokens`` is ``None`` when unknown)."""
        tokens = self.usage.input_tokens if self.usage is not None else None
        return {"model": self.model, "embeddings": self.vectors, "input_tokens": tokens}


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns an :class:`EmbeddingRequest` into an :class:`EmbeddingResult`:
    ``MultiPass`` and the OpenAI, Gemini and Ollama clients. Failures raise the typed
    :mod:`pollytool.errors` exception."""

    async def embed(self, req: EmbeddingRequest) -> EmbeddingResult: ...
