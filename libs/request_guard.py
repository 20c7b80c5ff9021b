"""Limits every request meets before a route sees it, the same on every service.

- JSON bodies are at most `MAX_JSON_BYTES` (413 otherwise, checked while reading, so a chunked
  body is never buffered past the limit). Routes that take files declare other media types and
  enforce their own limits.
- Text holds no NUL character and no unpaired surrogate, in a JSON body, the query string or the
  path: Postgres cannot store either, and no client has a reason to send one. The answer is a
  422 naming the field. The check costs a substring search unless the request has such an
  escape in it.
- A path segment or query value is at most `MAX_PARAMETER_LENGTH` characters.

`libs.openapi` states the same limits in every service's OpenAPI.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.errors import PROBLEM_JSON, Problem

MAX_JSON_BYTES = 1024 * 1024
MAX_PARAMETER_LENGTH = 1000
"""The longest path segment or query value a route is offered."""
NOT_BLANK = r"^[^\u0000]*[^\u0000-\u001f\u007f-\u009f\s][^\u0000]*$"
"""A schema pattern for text that must hold something visible (not only white space or control
characters) and no NUL."""
_SUSPECT_BODY = re.compile(rb"\\u0000|\x00|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def payload_too_large(max_bytes: int) -> Problem:
    return Problem(413, "Payload too large", f"At most {max_bytes} bytes.")


async def body_at_most(request: Any, max_bytes: int) -> bytes:
    """A file upload's body, refused with a 413 as soon as it passes `max_bytes`: a declared
    Content-Length over the limit is refused before reading, and a chunked body (which declares
    nothing) is never buffered past the limit."""
    declared = request.headers.get("content-length")
    too_large = payload_too_large(max_bytes)
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _bad_text(value: str) -> bool:
    return "\x00" in value or _SURROGATE.search(value) is not None


def _first_bad_field(node: Any, path: str = "") -> str | None:
    if isinstance(node, str):
        return path or "body" if _bad_text(node) else None
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}".lstrip(".")
            if _bad_text(str(key)):
                return where
            found = _first_bad_field(value, where)
            if found:
                return found
    if isinstance(node, list):
        for index, value in enumerate(node):
            found = _first_bad_field(value, f"{path}.{index}".lstrip("."))
            if found:
                return found
    return None


def _refusal(problem: Problem, scope: Scope) -> tuple[Message, Message]:
    body = json.dumps(problem.body(scope.get("path"))).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()),
               (b"content-length", str(len(body)).encode())]
    return ({"type": "http.response.start", "status": problem.status, "headers": headers},
            {"type": "http.response.body", "body": body})


def _text_problem(field: str) -> Problem:
    message = "must not contain NUL characters or unpaired surrogates"
    return Problem(422, "Validation failed", f"Invalid field(s): {field}",
                   errors=[{"field": field, "message": message, "code": "invalid_text"}])


def _length_problem(field: str) -> Problem:
    message = f"at most {MAX_PARAMETER_LENGTH} characters"
    return Problem(422, "Validation failed", f"Invalid field(s): {field}",
                   errors=[{"field": field, "message": message, "code": "too_long"}])


class RequestGuard:
    def __init__(self, app: ASGIApp, max_json_bytes: int = MAX_JSON_BYTES) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._check_url(scope)
        if problem is None and self._is_json(scope):
            body, problem = await self._read_json(scope, receive)
            if problem is None:
                receive = replay(body, receive)
        if problem is not None:
            for message in _refusal(problem, scope):
                await send(message)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _check_url(scope: Scope) -> Problem | None:
        path = scope.get("path", "")
        if _bad_text(path):
            return _text_problem("path")
        if any(len(segment) > MAX_PARAMETER_LENGTH for segment in path.split("/")):
            return _length_problem("path")
        raw = scope.get("query_string", b"")
        if b"%00" in raw or len(raw) > MAX_PARAMETER_LENGTH:
            for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
                if _bad_text(name) or _bad_text(value):
                    return _text_problem(f"query.{name}")
                if len(value) > MAX_PARAMETER_LENGTH:
                    return _length_problem(f"query.{name}")
        return None

    @staticmethod
    def _is_json(scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"content-type":
                media = value.split(b";")[0].strip().lower()
                return bool(media == b"application/json" or media.endswith(b"+json"))
        return False

    async def _read_json(self, scope: Scope, receive: Receive) -> tuple[bytes, Problem | None]:
        body = await read_body(receive, self.max_json_bytes)
        if body is None:
            return b"", Problem(413, "Payload too large",
                                f"A JSON body is at most {self.max_json_bytes} bytes.")
        if _SUSPECT_BODY.search(body):
            try:
                field = _first_bad_field(json.loads(body))
            except ValueError:
                field = None  # not JSON at all: the route's own parsing answers that
            if field is not None:
                return body, _text_problem(field)
        return body, None


async def read_body(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole request body as the client sends it (what came, if it went away first), or
    None as soon as it passes `max_bytes`: never buffered past the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, original: Receive) -> Receive:
    """The body already read, then whatever the client does next (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
