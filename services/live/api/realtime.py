"""The real-time channel of a session, over WebSocket or Server-Sent Events.

Both carry the same events with the same ids (the session feed's), in order per session
whichever instance produced them. A client that reconnects with its last id first receives
what it missed (within the feed's window; a `gap` event says when that is not enough and the
client should reload the session's state), then live events. A client too slow to keep up is
disconnected rather than allowed to hold the others back.

WebSocket clients may also send frames: `{"type": "chat", "text": "...", "ref": "..."}` and
`{"type": "ping"}` (api/client_frames.py). Browsers cannot set headers on a WebSocket and a
token in a URL is logged by proxies, so a signed-in client opens the socket with a one-time
`ticket` (see adapters/ws_tickets.py) instead of its access token.

Under the project's server a WebSocket viewer's call ends once it has caught up: the room
writes to its socket and its client's frames arrive by callback (api/detached_viewer.py), so a
viewer costs no task and no middleware stack, which is what lets one process hold 10,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Coroutine
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from sse_starlette import EventSourceResponse

from libs import metrics
from libs.auth.principal import Principal
from libs.errors import Problem
from libs.prepared_frames import sink_of
from services.live import components
from services.live.adapters import sessions_repository, ws_tickets
from services.live.adapters.channel import CLOSE_TOO_SLOW, FeedEvent, Viewer, newer, valid_id
from services.live.api.client_frames import MAX_FRAME_CHARS, ClientFrames
from services.live.api.detached_viewer import DetachedViewer
from services.live.components import LiveComponents
from services.live.domain.sessions import SessionStatus

router = APIRouter(prefix="/v1/live/sessions/{session_id}", tags=["real-time"])
__all__ = ["MAX_FRAME_CHARS", "router"]
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404


async def _principal(request_app: Any, token: str | None) -> Principal | None:
    if not token:
        return None
    principal: Principal = await request_app.state.authenticator.verifier.verify(token)
    return principal


async def watchable(live: LiveComponents, pool: Any, session_id: UUID) -> None:
    session = await sessions_repository.get(pool, session_id)
    if session is None or session.status in (SessionStatus.CANCELLED, SessionStatus.ENDED):
        raise Problem(404, "Not found", "No live or upcoming session with that id.")


class Watch:
    """One viewer's subscription: catch-up from the feed, then the room's live events,
    with nothing sent twice."""

    def __init__(self, live: LiveComponents, session_id: UUID, viewer_id: str,
                 transport: str) -> None:
        self.live = live
        self.connected = metrics.viewers("live", transport)
        self.session_id = session_id
        self.key = str(session_id)
        self.viewer_id = viewer_id
        self.viewer: Viewer | None = None

    async def __aenter__(self) -> Watch:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def open(self) -> None:
        self.viewer, room_position = await self.live.hub.join(self.key)
        self.connected.inc()
        self.viewer.sent_upto = room_position
        await self.live.presence.join(self.session_id, self.viewer_id)
        await self._announce_audience()

    async def close(self) -> None:
        if self.viewer is not None:
            self.connected.dec()
            await self.live.hub.leave(self.key, self.viewer)
        with contextlib.suppress(Exception):
            await self.live.presence.leave(self.session_id)
            await self._announce_audience()

    async def _announce_audience(self) -> None:
        if await self.live.throttle.allow(f"viewers:{self.session_id}",
                                          self.live.settings.viewers_interval_seconds):
            audience = await self.live.presence.audience(self.session_id)
            await self.live.feed.publish(self.session_id, "viewers", {
                "watching": audience.watching, "peak": audience.peak})

    async def catch_up(self, last_event_id: str | None) -> tuple[list[FeedEvent], bool]:
        assert self.viewer is not None
        if not last_event_id:
            return [], False
        missed, gap = await self.live.feed.since(self.session_id, last_event_id)
        self.viewer.sent_upto = missed[-1].id if missed else last_event_id
        return missed, gap

    async def next(self) -> FeedEvent | None:
        """The next live event; None once this viewer has fallen too far behind. (A viewer
        is only dropped when its queue is full, so this never waits on an empty queue then.)"""
        assert self.viewer is not None
        while not self.viewer.dropped and self.viewer.queue is not None:
            event = await self.viewer.queue.get()
            if newer(event.id, self.viewer.sent_upto):
                self.viewer.sent_upto = event.id
                return event
        return None


@router.websocket("/ws")
async def websocket(websocket: WebSocket, session_id: UUID,
                    ticket: Annotated[str | None, Query()] = None,
                    last_event_id: Annotated[str | None, Query()] = None) -> None:
    runtime = websocket.app.state.runtime
    opened = await _handshake(websocket, runtime, session_id, ticket)
    if opened is None:
        return
    live, principal = opened
    await websocket.accept()
    viewer_id = principal.subject if principal else f"anon:{secrets.token_hex(8)}"
    watch = Watch(live, session_id, viewer_id, "websocket")
    await watch.open()
    handed_over = False
    try:
        await _catch_up(websocket, watch, session_id, principal, last_event_id)
        handed_over = _detach(websocket, watch, live, runtime.db, principal)
        if not handed_over:
            await _stream(websocket, watch, _receive(websocket, ClientFrames(
                live, runtime.db, session_id, principal, websocket.send_text)))
    finally:
        if not handed_over:
            await watch.close()


def _detach(websocket: WebSocket, watch: Watch, live: LiveComponents, pool: Any,
            principal: Principal | None) -> bool:
    """Under the prepared-frames server, hands the caught-up viewer to its room and its
    socket to a `DetachedViewer`, so that no call stays open per viewer; False elsewhere."""
    sink = sink_of(websocket)
    if sink is None or watch.viewer is None:
        return False

    async def reply(text: str) -> None:
        sink.send_text(text)

    watch.viewer.take_frames(sink)
    sink.detach(DetachedViewer(watch, sink, ClientFrames(live, pool, watch.session_id,
                                                         principal, reply)))
    return True


async def _stream(websocket: WebSocket, watch: Watch, receiving: Coroutine[Any, Any, None]) -> None:
    """Live events out and client frames in, until either side ends (under a server without
    prepared frames)."""
    receiver = asyncio.create_task(receiving)
    sender = asyncio.create_task(_send(websocket, watch))
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _handshake(websocket: WebSocket, runtime: Any, session_id: UUID,
                     ticket: str | None) -> tuple[LiveComponents, Principal | None] | None:
    """The session must be watchable and the ticket (if any) unused and for this session;
    else the socket is closed with a code saying why, and None returned."""
    try:
        live = runtime.components["live"]
        await watchable(live, runtime.db, session_id)
        if ticket is None:
            return live, None
        principal = await ws_tickets.redeem(runtime.redis, session_id, ticket)
        if principal is None:
            raise Problem(401, "Unauthorized", "The ticket is unknown, used or expired.")
        return live, principal
    except Problem as problem:
        await websocket.close(code=CLOSE_NOT_FOUND if problem.status == 404 else
                              CLOSE_UNAUTHORIZED if problem.status == 401 else 1011,
                              reason=problem.detail or problem.title)
    except KeyError:
        await websocket.close(code=1013, reason="starting")
    return None


async def _catch_up(websocket: WebSocket, watch: Watch, session_id: UUID,
                    principal: Principal | None, last_event_id: str | None) -> None:
    """Hello, then what the client missed since `last_event_id` (or a gap event)."""
    if last_event_id is not None and not valid_id(last_event_id):
        last_event_id = None
    missed, gap = await watch.catch_up(last_event_id)
    await websocket.send_text(json.dumps({"type": "hello", "data": {
        "session_id": str(session_id), "signed_in": principal is not None}}))
    if gap:
        await websocket.send_text(json.dumps({"type": "gap", "data": {}}))
    for event in missed:
        await websocket.send_text(event.frame)


async def _send(websocket: WebSocket, watch: Watch) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            event = await watch.next()
            if event is None:
                await websocket.close(code=CLOSE_TOO_SLOW,
                                      reason="too slow: reconnect with last_event_id")
                return
            await websocket.send_text(event.frame)


async def _receive(websocket: WebSocket, frames: ClientFrames) -> None:
    """Client frames; a bad frame gets an error frame and the connection stays open."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        await frames.handle(message.get("text"))


@router.get("/events", summary="The session's real-time events as Server-Sent Events.",
            response_class=EventSourceResponse)
async def server_sent_events(
    request: Request, session_id: UUID,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    runtime = request.app.state.runtime
    live = components.of(request)
    await watchable(live, runtime.db, session_id)
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    principal = await _principal(request.app, token)
    if last_event_id is not None and not valid_id(last_event_id):
        last_event_id = None
    viewer_id = principal.subject if principal else f"anon:{secrets.token_hex(8)}"
    return EventSourceResponse(_event_stream(live, session_id, viewer_id, last_event_id),
                               ping=15, send_timeout=10)


async def _event_stream(live: LiveComponents, session_id: UUID, viewer_id: str,
                        last_event_id: str | None) -> AsyncIterator[dict[str, Any]]:
    async with Watch(live, session_id, viewer_id, "sse") as watch:
        missed, gap = await watch.catch_up(last_event_id)
        if gap:
            yield {"event": "gap", "data": "{}"}
        for event in missed:
            yield _sse(event)
        while True:
            latest = await watch.next()
            if latest is None:
                return  # too slow: the browser reconnects with Last-Event-ID
            yield _sse(latest)


def _sse(event: FeedEvent) -> dict[str, Any]:
    return {"id": event.id, "event": event.kind,
            "data": json.dumps(event.data, separators=(",", ":"), default=str)}
