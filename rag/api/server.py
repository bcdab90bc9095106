"""The FastAPI app of ``rag api`` (see ``rag.api``): routes, OpenAI-shaped errors, the API key, the queue.

Questions take turns at the model through ``rag.turns.Line``, the policy
the web page follows too: ``Settings.llm_slots`` at once, the others in
line for up to ``max_wait`` seconds, then ``429`` with ``Retry-After``. A
client that disconnects while its question waits or is being answered
cancels it: it leaves the line, and its generation stops at the next token.
A streamed answer is computed and verified before its first chunk (nothing
the verifier removes is ever sent), so a request never holds a turn after
its response began. Beyond loopback, ``rate_limit`` caps each client
address's requests a minute (``429`` too).
"""

from __future__ import annotations

import asyncio
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
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from rag import followup
from rag.api.schema import ChatRequest, SearchRequest, claims, hit_json, question_and_history, rag_fields
from rag.errors import RagError
from rag.pipeline import Engine, QuestionError
from rag.records import Answer
from rag.turns import Busy, Line, Rate

log = logging.getLogger(__name__)
POLL = 0.25  # seconds between two looks at a waiting or running question's client
MAX_BODY = 1024 * 1024  # bytes: a chat history of questions and cited answers is far smaller


class ApiError(RagError):
    """An error sent to the client as OpenAI's ``{"error": {...}}`` with ``status``."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code
        self.retry_after: int | None = None

    @classmethod
    def busy(cls, err: Busy) -> ApiError:
        """``429`` with ``Retry-After``: the line was too long, or the client asks too often."""
        out = cls(429, str(err), "rate_limit_error", "rate_limit_exceeded")
        out.retry_after = err.retry_after
        return out


class ClientGone(RagError):
    """The client disconnected before its answer: the question was cancelled."""


def error_response(err: ApiError) -> JSONResponse:
    body = {"error": {"message": err.message, "type": err.kind, "param": None, "code": err.code}}
    headers = {"Retry-After": str(err.retry_after)} if err.retry_after else None
    return JSONResponse(body, status_code=err.status, headers=headers)


def make_app(
    engine: Engine,
    api_key: str | None = None,
    max_wait: float | None = None,
    rate_limit: int = 0,
    line: Line | None = None,
) -> FastAPI:
    """The API over ``engine``; with ``api_key``, every request must send ``Authorization: Bearer <key>``.

    ``line``: the turns at the model (default: ``engine.settings.llm_slots`` at once, waiting at most
    ``max_wait`` or ``engine.settings.max_wait`` seconds); ``rate_limit``: requests a minute per client
    address (0: no limit; ``rag api`` sets it beyond loopback).
    """
    app = FastAPI(title="rag news API", docs_url=None, redoc_url=None, openapi_url=None)
    line = line or Line(engine.settings.llm_slots, max_wait or engine.settings.max_wait)
    model = engine.settings.model

    app.add_middleware(Guard, api_key=api_key, rate=Rate(rate_limit))

    @app.exception_handler(ApiError)
    async def api_error(_: Request, err: ApiError) -> JSONResponse:
        return error_response(err)

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

    def answer(question: str, as_of: dt.date | None, gone: threading.Event) -> Answer:
        """The verified answer, after waiting for a turn; stops as soon as ``gone`` is set."""
        try:
            with line.enter() as ticket:
                while ticket.wait(POLL):
                    if gone.is_set():
                        raise ClientGone("the client left while its question waited")
                stream = engine.stream(question, as_of=as_of)
                try:
                    for item in stream:
                        if gone.is_set():
                            raise ClientGone("the client left while its answer was written")
                        if isinstance(item, Answer):
                            return item
                finally:
                    stream.close()  # stops the model's generation (in process, or the server's request)
        except Busy as err:
            raise ApiError.busy(err) from None
        except QuestionError as err:
            raise ApiError(400, str(err)) from None
        except ClientGone as err:
            log.info("question %r cancelled: %s", question, err)
            raise ApiError(499, str(err), code="client_closed_request") from None
        except RagError as err:  # the server's articles, index or model: the client cannot fix it
            raise ApiError(503, str(err), "server_error") from None
        raise AssertionError("the engine's stream ended without an Answer")

    async def answered(raw: Request, question: str, as_of: dt.date | None) -> Answer:
        """``answer`` in a worker thread, cancelled when the client disconnects."""
        gone = threading.Event()
        work = asyncio.ensure_future(run_in_threadpool(answer, question, as_of, gone))
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=POLL)
                if not work.done() and await raw.is_disconnected():
                    gone.set()
        finally:
            gone.set()  # also when this request itself is cancelled (the server shutting down)
        return work.result()

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "rag"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: ChatRequest, raw: Request):
        if request.model not in (None, "", model):
            raise ApiError(404, f"model {request.model!r} is not served here (GET /v1/models)", code="model_not_found")
        asked, history = question_and_history(request.messages)
        if not asked.strip():
            raise ApiError(400, "messages: the last user message is empty (or there is none)")
        which = followup.clarification(asked, history)  # "what did he say?" after two people: ask back
        if which:
            result = Answer(question=asked, text=which, citations=(), hits=(), abstained=True)
        else:
            result = await answered(raw, followup.standalone(asked, history), request.as_of)
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


class Guard:
    """What every request must pass before its body is read: the API key, the body's size, the client's rate.

    A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's
    ``BaseHTTPMiddleware`` wraps ``receive`` so that ``Request.is_disconnected``
    never sees the client leave, and the API cancels questions by that.
    """

    def __init__(self, app: ASGIApp, api_key: str | None, rate: Rate) -> None:
        self.app, self.api_key, self.rate = app, api_key, rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refusal(Request(scope)) if scope["type"] == "http" else None
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await error_response(refusal)(scope, receive, send)

    def refusal(self, request: Request) -> ApiError | None:
        if self.api_key is not None:
            sent = request.headers.get("authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {self.api_key}".encode()):
                return ApiError(401, "invalid or missing API key", code="invalid_api_key")
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return ApiError(411, "send the body with a Content-Length")
            if int(length) > MAX_BODY:
                return ApiError(413, f"the request body is over {MAX_BODY:,} bytes")
            try:
                self.rate.check(request.client.host if request.client else "")
            except Busy as err:
                return ApiError.busy(err)
        return None


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
