"""The HTTP API for other programs: OpenAI's chat completions with citations (``rag api``).

- ``POST /v1/chat/completions``: the last user message is the question, the
  earlier turns are the chat history (a follow-up is rewritten into a
  standalone question by ``rag.followup``, as in the web chat). The answer
  text carries the ``[n]`` markers; the response adds ``citations`` (one per
  verified claim: the paragraph with its article, date and outlet, the
  evidence sentence, the support, "also reported by"), ``abstained``,
  ``note`` and ``question`` (the question as searched). Standard clients
  ignore those fields; aware ones render them.
- ``GET /v1/models``: the model the engine answers with.
- ``POST /v1/search``: retrieval only, the paragraphs with their scores.

Streaming (``"stream": true``) sends server-sent events in OpenAI's chunk
format, but only after the answer is verified, claim by claim: a client
cannot take back text it was sent, so nothing the verifier removes is ever
streamed. Errors are OpenAI-shaped (``{"error": {...}}``) with the right
status codes; no traceback reaches a client. One question is answered at a
time (the model runs in-process); a request that waits longer than
``max_wait`` gets ``429`` with ``Retry-After``.
"""

from rag.api.server import make_app

__all__ = ["make_app"]
