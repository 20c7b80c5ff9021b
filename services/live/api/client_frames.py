"""What a WebSocket viewer may send, and the frame that answers each.

`{"type": "ping", "ref": ...}` is answered with a pong; `{"type": "chat", "text": ..., "ref":
...}` posts a chat message for a signed-in viewer and is answered with an ack carrying the
message's id and feed event id. Anything else gets an error frame naming what was wrong, and the
connection stays open. The same answers whether the connection is an ASGI call waiting on
`receive()` or a detached viewer (api/detached_viewer.py), so both take a `reply` function.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from libs.auth.principal import Principal
from libs.errors import Problem
from services.live.components import LiveComponents
from services.live.use_cases.chat import post_message

MAX_FRAME_CHARS = 4096
Reply = Callable[[str], Awaitable[None]]


class ClientFrames:
    """One connection's handling of its client's frames."""

    def __init__(self, live: LiveComponents, pool: Any, session_id: UUID,
                 principal: Principal | None, reply: Reply) -> None:
        self.live = live
        self.pool = pool
        self.session_id = session_id
        self.principal = principal
        self.reply = reply

    async def handle(self, text: str | None) -> None:
        """One whole client message: its text, or None for a binary message."""
        if text is None:
            await self._error("binary_not_supported", "send JSON text frames")
            return
        if len(text) > MAX_FRAME_CHARS:
            await self._error("frame_too_large", f"at most {MAX_FRAME_CHARS} characters")
            return
        try:
            frame = json.loads(text)
        except ValueError:
            await self._error("malformed", "not JSON")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error("malformed", "a JSON object with a 'type'")
            return
        ref = frame.get("ref") if isinstance(frame.get("ref"), str | int) else None
        if frame["type"] == "ping":
            await self.reply(json.dumps({"type": "pong", "ref": ref}))
        elif frame["type"] == "chat":
            await self._chat(frame.get("text"), ref)
        else:
            await self._error("unknown_type", f"unknown frame type {frame['type']!r}", ref)

    async def _chat(self, text: object, ref: object) -> None:
        if self.principal is None:
            await self._error("unauthorized", "sign in to chat", ref)
            return
        if not isinstance(text, str):
            await self._error("malformed", "'text' must be a string", ref, field="text")
            return
        try:
            posted = await post_message(self.live, self.pool, self.session_id, self.principal,
                                        text)
        except Problem as problem:
            field = (problem.errors or [{}])[0].get("field")
            code = (problem.errors or [{}])[0].get("code", "refused")
            await self._error(code, problem.detail or problem.title, ref, field=field,
                              retry_after=(problem.headers or {}).get("Retry-After"))
            return
        except ValueError as exc:  # a FieldError from the chat rules
            await self._error(getattr(exc, "code", "invalid"), str(exc), ref,
                              field=getattr(exc, "field", None))
            return
        await self.reply(json.dumps({"type": "ack", "ref": ref, "data": {
            "message_id": str(posted.id), "event_id": posted.event_id}}))

    async def _error(self, code: str, message: str, ref: object = None,
                     **extra: object) -> None:
        body = {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}
        await self.reply(json.dumps({"type": "error", "ref": ref, "data": body}))
