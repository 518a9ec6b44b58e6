"""OpenAI and OpenAI-compatible servers, through the official ``openai`` SDK.

::

    from pollytool.providers.openai import OpenAIClient

    async with OpenAIClient(api_key="sk-…") as client:
        print(await client.stream(CompletionRequest("gpt-5.4", [ChatMessage.user("Hi")])).text())

    local = OpenAIClient(base_url="http://localhost:8000/v1")   # vLLM: no key, Chat Completions

**Which API.** The Responses API for api.openai.com (the default), Chat Completions for any
other base URL; ``provider_options={"api": "responses" | "chat"}`` overrides.

**What is sent.** All system messages in place and in order; user text, images (URL, or bytes
as a data URL) and files (bytes as ``file_data``; Responses also takes file URLs, both take
``file-…`` ids); assistant text and tool calls; tool results by call id. Tools are function
tools, sent ``strict`` when their schema already satisfies strict mode (every object closed,
every property required) and unchanged and non-strict otherwise; ``tool_choice`` is
``"auto"``, ``"none"``, ``"required"`` or a tool name. Thinking levels become
``reasoning.effort`` with ``summary: "auto"`` (Chat: ``reasoning_effort``); a budget maps to
the nearest level, dynamic asks for a summary at the model's default effort, off sends nothing.
``response_schema`` becomes a ``json_schema`` format, converted to strict mode when
``Schema.strict`` is set and the schema allows it; a server other than api.openai.com that
rejects that format is asked again with ``json_object`` and the schema (with a
:class:`~pollytool.schema.SchemaFormatWarning`; ``provider_options={"schema_format": …}``
chooses the form). Other ``provider_options`` keys are merged
into the request body as they are (``extra_body``), e.g. ``{"service_tier": "flex"}`` or
``{"store": True}``.

**Reasoning round trip (Responses).** With thinking on, or reasoning items in the history, the
request is stateless (``store: false``, ``include: ["reasoning.encrypted_content"]``). The
reply's reasoning items are kept as the provider data of its reasoning parts, in output order
(``ChatMessage.response_parts``), and sent back before the message and calls they preceded,
also after the history was saved as JSON and loaded again.

**What comes back.** Text and refusals as ``content`` (a refusal ends with
``StopReason.CONTENT_FILTER``), reasoning summaries (and the ``reasoning_content`` /
``reasoning`` deltas of compatible servers) as ``reasoning``, tool calls as
``tool_call_start`` / ``tool_call_delta`` / ``tool_call``, token usage (input, output,
reasoning, cached) as ``usage``; the response id and model are in the final message's
``metadata``. A non-streamed request (``stream=False``) yields the same kinds of event.

**Errors** arrive as one typed ``error`` event: HTTP statuses by code (a context-length 400 is
:class:`~pollytool.errors.ContextLengthError`, ``retry_after`` comes from the headers), errors
inside a stream by their code, a cut stream as
:class:`~pollytool.errors.StreamInterruptedError`, timeouts as
:class:`~pollytool.errors.APITimeoutError`. An ``incomplete`` response is not an error: it
completes with ``StopReason.MAX_TOKENS`` (or ``CONTENT_FILTER``); a stream that ends before
the response is complete is a :class:`~pollytool.errors.StreamInterruptedError`.
"""

from ._client import OpenAIClient

__all__ = ["OpenAIClient"]
