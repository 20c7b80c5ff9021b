"""The real-time channel against real servers: two instances fan out one ordered feed,
reconnecting clients catch up by event id (WebSocket and SSE), slow viewers are dropped
without holding others back, and bad frames get errors on a connection that stays open."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from httpx_sse import aconnect_sse
from websockets.asyncio.client import ClientConnection, connect

from libs.testing import ServedService, bearer, metric_sum, serve, token
from services.live.adapters.channel import Feed, Hub
from services.live.api.realtime import MAX_FRAME_CHARS
from services.live.app import create_app
from services.live.settings import LiveSettings

from .conftest import Publish, live_session, new_shop

pytestmark = pytest.mark.kafka


async def frames_of(ws: ClientConnection, kind: str, count: int,
                    timeout: float = 15) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                found.append(frame)
    return found


async def ticket_for(service: ServedService, session_id: str, access_token: str) -> str:
    """The one-time ticket a signed-in client opens the WebSocket with (its token travels in
    a header, never in the socket's URL)."""
    issued = await service.client.post(f"/v1/live/sessions/{session_id}/ws-tickets",
                                       headers={"Authorization": f"Bearer {access_token}"})
    assert issued.status_code == 200, issued.text
    return str(issued.json()["ticket"])


def ws_url(service: ServedService, session_id: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{service.ws_url}/v1/live/sessions/{session_id}/ws" + (f"?{query}" if query else "")


async def test_viewers_on_two_instances_see_one_feed_in_one_order(
        live: ServedService, live_replica: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    async with (connect(ws_url(live, session_id)) as on_a,
                connect(ws_url(live_replica, session_id)) as on_b):
        for ws in (on_a, on_b):
            assert json.loads(await ws.recv())["type"] == "hello"
        posted = []
        for i in range(6):
            via = live if i % 2 == 0 else live_replica
            speaker = bearer("buyer", f"fan-{i % 3}-{session_id[-6:]}")
            text = f"message {i}"
            answer = await via.client.post(f"/v1/live/sessions/{session_id}/chat",
                                           headers=speaker, json={"text": text})
            assert answer.status_code == 201, answer.text
            posted.append(text)
        seen_a = await frames_of(on_a, "chat", 6)
        seen_b = await frames_of(on_b, "chat", 6)
    assert [f["data"]["text"] for f in seen_a] == posted
    assert [f["id"] for f in seen_a] == [f["id"] for f in seen_b]
    ids = [tuple(map(int, f["id"].split("-"))) for f in seen_a]
    assert ids == sorted(ids) and len(set(ids)) == 6


async def test_a_reconnecting_viewer_receives_exactly_what_it_missed(
        live: ServedService, live_replica: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    speaker = bearer("buyer", f"talker-{secrets.token_hex(3)}")
    async with connect(ws_url(live, session_id)) as ws:
        await live.client.post(f"/v1/live/sessions/{session_id}/chat", headers=speaker,
                               json={"text": "before the tunnel"})
        [seen] = await frames_of(ws, "chat", 1)
    missed = []
    for text in ["in the tunnel 1", "in the tunnel 2"]:
        answer = await live_replica.client.post(f"/v1/live/sessions/{session_id}/chat",
                                                headers=speaker, json={"text": text})
        assert answer.status_code == 201
        missed.append(text)
    async with connect(ws_url(live_replica, session_id, last_event_id=seen["id"])) as ws:
        caught_up = await frames_of(ws, "chat", 2)
    assert [f["data"]["text"] for f in caught_up] == missed

    # The same through Server-Sent Events, resuming with the standard Last-Event-ID header.
    async with aconnect_sse(live.client, "GET", f"/v1/live/sessions/{session_id}/events",
                            headers={"Last-Event-ID": seen["id"]}) as source:
        texts = []
        async with asyncio.timeout(15):
            async for sse in source.aiter_sse():
                if sse.event == "chat":
                    texts.append(json.loads(sse.data)["text"])
                    assert sse.id
                if len(texts) == 2:
                    break
    assert texts == missed


async def test_a_slow_viewer_is_dropped_and_the_others_keep_up(live: ServedService) -> None:
    feed = Feed(live.runtime.redis, window=100)
    hub = Hub(feed, queue_size=4)
    session_id = f"bench-{secrets.token_hex(4)}"
    slow, _ = await hub.join(session_id)
    fast, _ = await hub.join(session_id)
    received: list[str] = []

    async def keep_up() -> None:
        while len(received) < 30:
            assert fast.queue is not None
            received.append((await fast.queue.get()).id)

    reader = asyncio.create_task(keep_up())
    published = [await feed.publish(session_id, "tick", {"n": n}) for n in range(30)]
    await asyncio.wait_for(reader, timeout=15)
    assert received == published
    assert slow.dropped and slow.queue is not None and slow.queue.qsize() == 4
    await hub.close()


async def test_bad_frames_get_errors_and_the_connection_stays_open(
        live: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    async with connect(ws_url(live, session_id)) as anonymous:
        await anonymous.recv()  # hello
        await anonymous.send("this is not json")
        assert (await frames_of(anonymous, "error", 1))[0]["data"]["code"] == "malformed"
        await anonymous.send("x" * (MAX_FRAME_CHARS + 1))
        assert (await frames_of(anonymous, "error", 1))[0]["data"]["code"] == "frame_too_large"
        await anonymous.send(json.dumps({"type": "chat", "text": "hi", "ref": 1}))
        assert (await frames_of(anonymous, "error", 1))[0]["data"]["code"] == "unauthorized"
        await anonymous.send(json.dumps({"type": "ping", "ref": "p"}))
        assert (await frames_of(anonymous, "pong", 1))[0]["ref"] == "p"

    viewer = token("buyer", f"viewer-{secrets.token_hex(3)}")
    ticket = await ticket_for(live, session_id, viewer)
    async with connect(ws_url(live, session_id, ticket=ticket)) as signed_in:
        await signed_in.recv()
        await signed_in.send(json.dumps({"type": "chat", "text": "hello from the app",
                                         "ref": "c1"}))
        ack = (await frames_of(signed_in, "ack", 1))[0]
        assert ack["ref"] == "c1" and ack["data"]["message_id"]
        await signed_in.send(json.dumps({"type": "chat", "text": "  ", "ref": "c2"}))
        empty = (await frames_of(signed_in, "error", 1))[0]
        assert empty["ref"] == "c2" and empty["data"]["field"] == "text"


def _open_websocket_calls() -> int:
    """The server's WebSocket ASGI calls still running (the server shares this loop)."""
    return sum(1 for task in asyncio.all_tasks()
               if getattr(task.get_coro(), "__qualname__", "").endswith(".run_asgi"))


async def test_caught_up_viewers_hold_no_task_and_still_get_events_and_answers(
        live: ServedService, publish: Publish) -> None:
    """After catch-up a viewer's ASGI call returns and its socket is handed to the room
    (detached): 40 viewers add no task on the server, yet each gets every broadcast, a burst
    of 60 pings is answered in order (reading pauses and resumes under the backlog), chat is
    acknowledged, and leaving still counts. The server does not take permessage-deflate."""
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    feed = Feed(live.runtime.redis, window=100)
    ticket = await ticket_for(live, session_id, token("buyer", f"v-{secrets.token_hex(3)}"))
    async with connect(ws_url(live, session_id, ticket=ticket)) as talker:
        assert talker.response is not None
        assert talker.response.headers.get("Sec-WebSocket-Extensions") is None
        assert json.loads(await talker.recv())["type"] == "hello"
        await asyncio.sleep(0.2)
        calls_before = _open_websocket_calls()
        viewers = [await connect(ws_url(live, session_id)).__aenter__() for _ in range(40)]
        try:
            for viewer in viewers:
                assert json.loads(await viewer.recv())["type"] == "hello"
            await asyncio.sleep(0.2)
            assert _open_websocket_calls() == calls_before == 0, "no call stays open per viewer"
            published = [await feed.publish(session_id, "tick", {"n": n}) for n in range(3)]
            for viewer in viewers:
                assert [f["id"] for f in await frames_of(viewer, "tick", 3)] == published
            audience = (await live.client.get(f"/v1/live/sessions/{session_id}")).json()
            assert audience["audience"]["watching"] == 41
        finally:
            for viewer in viewers:
                await viewer.close()
        for n in range(60):
            await talker.send(json.dumps({"type": "ping", "ref": n}))
        assert [f["ref"] for f in await frames_of(talker, "pong", 60)] == list(range(60))
        await talker.send(json.dumps({"type": "chat", "text": "still here", "ref": "c"}))
        assert (await frames_of(talker, "ack", 1))[0]["ref"] == "c"
        await asyncio.sleep(0.3)
        audience = (await live.client.get(f"/v1/live/sessions/{session_id}")).json()
        assert audience["audience"]["watching"] == 1, "the 40 who left are no longer counted"


async def test_an_instance_that_stops_takes_its_viewers_out_of_the_audience(
        live: ServedService, settings_for: Callable[..., Any], publish: Publish) -> None:
    """Stopping closes every connection, and each detached viewer's leave (a callback of the
    protocol, not an ASGI call the server waits for) still reaches Redis before the instance
    lets go of its Redis client."""
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    async with serve(create_app(settings_for(LiveSettings, run_consumers=False))) as stopping:
        viewers = [await connect(ws_url(stopping, session_id)).__aenter__() for _ in range(25)]
        for viewer in viewers:
            assert json.loads(await viewer.recv())["type"] == "hello"
        audience = (await live.client.get(f"/v1/live/sessions/{session_id}")).json()
        assert audience["audience"]["watching"] == 25
    for viewer in viewers:
        await viewer.close()
    audience = (await live.client.get(f"/v1/live/sessions/{session_id}")).json()
    assert audience["audience"]["watching"] == 0, "no viewer counted after its instance stopped"


async def test_unknown_sessions_and_bad_tokens_are_refused(
        live: ServedService, publish: Publish) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus):
        async with connect(ws_url(live, "0196f0c4-6f2e-7c4a-9d1e-2b8a1d3c4e5f")):
            pass
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    with pytest.raises(InvalidStatus):
        async with connect(ws_url(live, session_id, ticket="made-up-by-the-client-000000")):
            pass
    # Issue 12, item 8: a bearer token in the URL is not honoured (proxies log URLs) ...
    viewer = token("buyer", "v-url")
    async with connect(ws_url(live, session_id, access_token=viewer)) as with_token:
        hello = json.loads(await with_token.recv())
        assert hello["data"]["signed_in"] is False
    # ... a ticket is, once, and only for its own session.
    ticket = await ticket_for(live, session_id, viewer)
    other_session = await live_session(live, shop)
    with pytest.raises(InvalidStatus):
        async with connect(ws_url(live, other_session, ticket=ticket)):
            pass
    async with connect(ws_url(live, session_id, ticket=ticket)) as first_use:
        assert json.loads(await first_use.recv())["data"]["signed_in"] is True
    with pytest.raises(InvalidStatus):
        async with connect(ws_url(live, session_id, ticket=ticket)):
            pass
    assert (await live.client.post(f"/v1/live/sessions/{session_id}/ws-tickets")
            ).status_code == 401
    missing = await live.client.get("/v1/live/sessions/0196f0c4-6f2e-7c4a-9d1e-2b8a1d3c4e5f/events")
    assert missing.status_code == 404


async def test_viewer_counts_follow_joins_and_leaves(
        live: ServedService, live_replica: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    tickets = [await ticket_for(live, session_id, token("buyer", subject))
               for subject in ("v1", "v2", "v1")]
    before = await metric_sum(live.client, "live_viewers", transport="websocket")
    async with (connect(ws_url(live, session_id, ticket=tickets[0])),
                connect(ws_url(live_replica, session_id, ticket=tickets[1])),
                connect(ws_url(live_replica, session_id, ticket=tickets[2]))):
        await asyncio.sleep(0.3)
        audience = (await live.client.get(f"/v1/live/sessions/{session_id}")).json()["audience"]
        assert audience == {"watching": 3, "peak": 3, "unique": 2}
        during = await metric_sum(live.client, "live_viewers", transport="websocket")
        assert during >= before + 3, "operators see the viewers (both instances run here)"
    await asyncio.sleep(0.3)
    audience = (await live.client.get(f"/v1/live/sessions/{session_id}")).json()["audience"]
    assert audience == {"watching": 0, "peak": 3, "unique": 2}
    assert await metric_sum(live.client, "live_viewers", transport="websocket") <= during - 3



async def _stalled_viewer(service: ServedService, session_id: str,
                          ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket client that completes the handshake and then stops reading (a phone in a
    tunnel): its small receive buffer fills and the server's writes to it back up."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(
        sock, ("127.0.0.1", urlsplit(service.base_url).port))
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    writer.write((f"GET /v1/live/sessions/{session_id}/ws HTTP/1.1\r\nHost: localhost\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    return reader, writer  # the writer too: a collected writer closes the socket


def _server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each unmasked frame in `data`."""
    frames, at = [], 0
    while at + 2 <= len(data):
        opcode, length, at = data[at] & 0x0F, data[at + 1] & 0x7F, at + 2
        if length == 126:
            length, at = int.from_bytes(data[at:at + 2]), at + 2
        elif length == 127:
            length, at = int.from_bytes(data[at:at + 8]), at + 8
        frames.append((opcode, data[at:at + length]))
        at += length
    return frames


async def test_a_stalled_websocket_is_closed_as_too_slow_and_a_reading_one_gets_everything(
        live: ServedService, publish: Publish) -> None:
    """Broadcasts go out as prepared frames written straight to each socket; a viewer that
    stops reading is closed with 4008 (its client resumes by id) instead of buffering without
    bound, and a viewer that reads gets every event once, in order."""
    shop = await new_shop(live, publish)
    session_id = await live_session(live, shop)
    feed = Feed(live.runtime.redis, window=100)
    stalled, _connection = await _stalled_viewer(live, session_id)
    async with connect(ws_url(live, session_id), max_size=None) as reading:
        assert json.loads(await reading.recv())["type"] == "hello"
        # 8 MB: more than the kernel's socket buffers (up to 4 MiB here) and the 1 MiB a
        # connection may hold in the server together; published no faster than a healthy
        # client reads (this one shares the test's event loop with the server).
        padding = "x" * 2000
        published: list[str] = []
        received: list[str] = []
        for _ in range(20):
            published += [await feed.publish(session_id, "tick", {"pad": padding})
                          for _ in range(200)]
            received += [frame["id"] for frame in await frames_of(
                reading, "tick", len(published) - len(received), timeout=60)]
    assert received == published
    async with asyncio.timeout(30):
        data = await stalled.read()  # everything the server sent, up to its close
    frames = _server_frames(data)
    ticks = [f for f in frames if f[0] == 0x1 and b'"type":"tick"' in f[1]]
    assert frames[-1][0] == 0x8, "the server closed the stalled connection"
    assert int.from_bytes(frames[-1][1][:2]) == 4008
    assert len(ticks) < 4000, "the stalled viewer was dropped, not buffered without bound"
