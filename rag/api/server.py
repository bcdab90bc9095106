"""The FastAPI app of ``rag api`` (see ``rag.api``): routes, OpenAI-shaped errors, the API key, the queue.

The engine answers one question at a time (one model in this process):
requests wait for it up to ``max_wait`` seconds, then get ``429`` with
``Retry-After``. A streamed answer is computed and verified before its first
chunk, so a request never holds the engine after its response began (a
client that disconnects mid-stream cannot leave it locked).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from rag import followup
from rag.api.schema import ChatRequest, SearchRequest, claims, hit_json, question_and_history, rag_fields
from rag.errors import RagError
from rag.pipeline import Engine, QuestionError
from rag.records import Answer

log = logging.getLogger(__name__)
MAX_WAIT = 120.0  # seconds a request waits for the engine before 429
MAX_BODY = 1024 * 1024  # bytes: a chat history of questions and cited answers is far smaller


class ApiError(RagError):
    """An error sent to the client as OpenAI's ``{"error": {...}}`` with ``status``."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code


def error_response(err: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": err.message, "type": err.kind, "param": None, "code": err.code}}
    return JSONResponse(body, status_code=err.status, headers=headers)


def make_app(engine: Engine, api_key: str | None = None, max_wait: float = MAX_WAIT) -> FastAPI:
    """The API over ``engine``; with ``api_key``, every request must send ``Authorization: Bearer <key>``."""
    app = FastAPI(title="rag news API", docs_url=None, redoc_url=None, openapi_url=None)
    busy = threading.Lock()
    model = engine.settings.model

    @app.middleware("http")
    async def guard(request: Request, call_next):
        """The API key, then the request's size: a question is short, a huge body is refused unread."""
        if api_key is not None:
            sent = request.headers.get("authorization", "")
            expected = f"Bearer {api_key}"
            if not hmac.compare_digest(sent.encode(), expected.encode()):
                return error_response(ApiError(401, "invalid or missing API key", code="invalid_api_key"))
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return error_response(ApiError(411, "send the body with a Content-Length"))
            if int(length) > MAX_BODY:
                return error_response(ApiError(413, f"the request body is over {MAX_BODY:,} bytes"))
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, err: ApiError) -> JSONResponse:
        retry = {"Retry-After": str(max(1, round(max_wait / 4)))} if err.status == 429 else None
        return error_response(err, retry)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return error_response(ApiError(400, f"{where}: {first.get('msg', 'invalid request')}".strip(": ")))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, err: HTTPException) -> JSONResponse:
        code = "not_found" if err.status_code == 404 else None
        return error_response(ApiError(err.status_code, str(err.detail), code=code))

    @app.exception_handler(Exception)
    async def bug(_: Request, err: Exception) -> JSONResponse:  # logged with its traceback, never sent
        log.exception("request failed", exc_info=err)
        return error_response(ApiError(500, "internal error (see the server log)", "server_error"))

    def answer(question: str, as_of: dt.date | None) -> Answer:
        if not busy.acquire(timeout=max_wait):
            busy_for = f"busy: another question is being answered (waited {max_wait:.0f} s)"
            raise ApiError(429, busy_for, "rate_limit_error")
        try:
            return engine.ask(question, as_of=as_of)
        except QuestionError as err:
            raise ApiError(400, str(err)) from None
        except RagError as err:  # the server's articles, index or model: the client cannot fix it
            raise ApiError(503, str(err), "server_error") from None
        finally:
            busy.release()

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "rag"}]}

    @app.post("/v1/chat/completions")
    def chat(request: ChatRequest):
        if request.model not in (None, "", model):
            raise ApiError(404, f"model {request.model!r} is not served here (GET /v1/models)", code="model_not_found")
        asked, history = question_and_history(request.messages)
        if not asked.strip():
            raise ApiError(400, "messages: the last user message is empty (or there is none)")
        result = answer(followup.standalone(asked, history), request.as_of)
        reply = Reply(model)
        if request.stream:
            return StreamingResponse(reply.chunks(result), media_type="text/event-stream")
        return reply.completion(result)

    @app.post("/v1/search")
    def search(request: SearchRequest) -> dict:
        try:
            hits = engine.retrieve(request.query, request.k, as_of=request.as_of)
        except QuestionError as err:
            raise ApiError(400, str(err)) from None
        return {"object": "list", "data": [hit_json(h) for h in hits]}

    return app


class Reply:
    """One answer in OpenAI's shapes: a ``chat.completion``, or ``chat.completion.chunk`` events."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time()), model

    def _head(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def completion(self, answer: Answer) -> dict:
        message = {"role": "assistant", "content": answer.text}
        usage = {
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.generated_tokens,
            "total_tokens": answer.prompt_tokens + answer.generated_tokens,
        }
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return {**self._head("chat.completion"), "choices": [choice], "usage": usage, **rag_fields(answer)}

    def chunks(self, answer: Answer) -> Iterator[str]:
        """Server-sent events: the role, each verified claim, then the end with the citations."""

        def event(delta: dict, finish: str | None = None, **extra: object) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            body = {**self._head("chat.completion.chunk"), "choices": [choice], **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        yield event({"role": "assistant", "content": ""})
        for piece in claims(answer.text):
            yield event({"content": piece})
        yield event({}, "stop", **rag_fields(answer))
        yield "data: [DONE]\n\n"
