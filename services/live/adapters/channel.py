"""A session's real-time feed: one Redis stream per session, fanned out by every instance.

Every instance appends to the same stream, so the stream's ids give one order per session
across instances, double as the SSE/WebSocket event ids, and let a client that reconnects
with its last id receive what it missed (the stream keeps a bounded window).

Each instance runs one reader per session that has local viewers. What one read returns is
framed once (a burst of events becomes one run of bytes) and written straight to every local
WebSocket viewer's socket (libs/prepared_frames.py): no task wakes up per viewer. A viewer that
cannot take prepared frames (Server-Sent Events, another ASGI server, or a WebSocket still
catching up) gets the events in a bounded queue instead. A viewer that stops reading, or whose
queue is full, is dropped rather than allowed to slow the others; it reconnects with its last
id and catches up from the stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

import redis.asyncio as redis

from libs.prepared_frames import FrameSink, text_frame

log = logging.getLogger(__name__)
READ_BLOCK_MS = 1000


@dataclass(frozen=True)
class FeedEvent:
    id: str
    kind: str
    data: dict[str, Any]

    @cached_property
    def frame(self) -> str:
        """The JSON a WebSocket client receives; built once however many viewers get it."""
        return json.dumps({"id": self.id, "type": self.kind, "data": self.data},
                          separators=(",", ":"), default=str)

    @cached_property
    def wire(self) -> bytes:
        """The frame as WebSocket bytes on the wire, the same for every viewer."""
        return text_frame(self.frame)


def stream_key(session_id: UUID | str) -> str:
    return f"live:{{{session_id}}}:feed"


def _id_tuple(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def newer(entry_id: str, than: str | None) -> bool:
    return than is None or _id_tuple(entry_id) > _id_tuple(than)


def valid_id(entry_id: str) -> bool:
    try:
        _id_tuple(entry_id)
    except ValueError:
        return False
    return True


def _decode(entry_id: bytes | str, fields: dict[Any, Any]) -> FeedEvent:
    text = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
            for k, v in fields.items()}
    return FeedEvent(entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
                     text["k"], json.loads(text["d"]))


class Feed:
    """Appends to and reads from sessions' streams."""

    def __init__(self, client: redis.Redis, window: int) -> None:
        self.client = client
        self.window = window

    async def publish(self, session_id: UUID | str, kind: str, data: dict[str, Any]) -> str:
        entry_id = await self.client.xadd(
            stream_key(session_id),
            {"k": kind, "d": json.dumps(data, separators=(",", ":"), default=str)},
            maxlen=self.window, approximate=True)
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def since(self, session_id: UUID | str, last_id: str) -> tuple[list[FeedEvent], bool]:
        """What came after `last_id`, and whether the stream may have trimmed some of it away
        (the oldest kept entry is newer than the client's last one)."""
        key = stream_key(session_id)
        oldest = await self.client.xrange(key, "-", "+", count=1)
        entries = await self.client.xrange(key, f"({last_id}", "+", count=self.window)
        gap = bool(oldest) and last_id != "0-0" and newer(_decode(*oldest[0]).id, last_id)
        return [_decode(entry_id, fields) for entry_id, fields in entries], gap

    async def read_after(self, session_id: UUID | str, last_id: str) -> list[FeedEvent]:
        reply = await self.client.xread({stream_key(session_id): last_id}, block=READ_BLOCK_MS,
                                        count=500)
        return [_decode(entry_id, fields) for _, entries in reply for entry_id, fields in entries]

    async def last_id(self, session_id: UUID | str) -> str:
        entries = await self.client.xrevrange(stream_key(session_id), "+", "-", count=1)
        return _decode(*entries[0]).id if entries else "0-0"


CLOSE_TOO_SLOW = 4008


@dataclass(eq=False)
class Viewer:
    """One connection: its bounded queue of events still to send, until (for a WebSocket) it
    has caught up and takes prepared frames on its socket directly (the queue is then let go:
    10,000 viewers' empty queues would be 30 MB)."""

    queue: asyncio.Queue[FeedEvent] | None
    sent_upto: str | None = None
    """The id of the last event this viewer was given; nothing at or before it is sent again."""
    dropped: bool = False
    """Set once the viewer fell too far behind; nothing more is given to it."""
    sink: FrameSink | None = None

    def offer(self, events: list[FeedEvent], burst: bytes, after: str) -> None:
        """Hands this read's events (`burst` is their frames, joined; `after` the id of the
        room's event before them) to the viewer."""
        if self.dropped:
            return
        if self.queue is not None:
            for event in events:
                try:
                    self.queue.put_nowait(event)
                except asyncio.QueueFull:
                    self.dropped = True  # too slow: the connection closes, the client resumes
                    return
            return
        # Nearly every viewer was given exactly what came before: no id to compare.
        fresh = events if self.sent_upto == after or newer(events[0].id, self.sent_upto) else [
            event for event in events if newer(event.id, self.sent_upto)]
        if fresh:
            self._write(fresh, burst if fresh is events else b"".join(e.wire for e in fresh))

    def take_frames(self, sink: FrameSink) -> None:
        """From now on events go to `sink` as prepared frames; what queued up meanwhile goes
        first, in order, so nothing is skipped, repeated or reordered."""
        waiting = []
        while self.queue is not None and not self.queue.empty():
            event = self.queue.get_nowait()
            if newer(event.id, self.sent_upto):
                waiting.append(event)
        self.sink, self.queue = sink, None
        if self.dropped:
            self._drop()
        elif waiting:
            self._write(waiting, b"".join(event.wire for event in waiting))

    def _write(self, events: list[FeedEvent], frames: bytes) -> None:
        assert self.sink is not None
        if self.sink.write(frames):
            self.sent_upto = events[-1].id
        else:
            self.dropped = True
            self._drop()

    def _drop(self) -> None:
        assert self.sink is not None
        self.sink.close(CLOSE_TOO_SLOW, "too slow: reconnect with last_event_id")


class Room:
    def __init__(self, feed: Feed, session_id: str, start_after: str) -> None:
        self.feed = feed
        self.session_id = session_id
        self.viewers: set[Viewer] = set()
        self.last_id = start_after
        self.closed = False
        self.task = asyncio.create_task(self._pump(), name=f"feed-{session_id}")

    async def _pump(self) -> None:
        # Stopped by a flag, not by cancellation: cancelling a blocked XREAD can leave the
        # Redis client waiting on a connection that never answers. A read blocks for at most
        # READ_BLOCK_MS, so a closed room's reader ends within that.
        while not self.closed:
            try:
                events = await self.feed.read_after(self.session_id, self.last_id)
            except Exception as exc:
                log.warning("feed %s: read failed, retrying: %s", self.session_id, exc)
                await asyncio.sleep(0.5)
                continue
            if not events:
                continue
            after, self.last_id = self.last_id, events[-1].id
            burst = b"".join(event.wire for event in events)  # framed once for everyone
            for viewer in list(self.viewers):
                viewer.offer(events, burst, after)


class Hub:
    """This instance's rooms: one stream reader per session that has viewers here."""

    def __init__(self, feed: Feed, queue_size: int) -> None:
        self.feed = feed
        self.queue_size = queue_size
        self.rooms: dict[str, Room] = {}

    async def join(self, session_id: str) -> tuple[Viewer, str]:
        """A new viewer, and the id of the last event it will *not* receive from the room."""
        room = self.rooms.get(session_id)
        if room is None:
            room = Room(self.feed, session_id, await self.feed.last_id(session_id))
            room = self.rooms.setdefault(session_id, room)
        viewer = Viewer(asyncio.Queue(self.queue_size))
        room.viewers.add(viewer)
        return viewer, room.last_id

    async def leave(self, session_id: str, viewer: Viewer) -> None:
        room = self.rooms.get(session_id)
        if room is None:
            return
        room.viewers.discard(viewer)
        if not room.viewers:
            del self.rooms[session_id]
            room.closed = True

    async def close(self) -> None:
        rooms = list(self.rooms.values())
        self.rooms.clear()
        for room in rooms:
            room.closed = True
        if rooms:
            await asyncio.wait([room.task for room in rooms],
                               timeout=READ_BLOCK_MS / 1000 + 1)
        for room in rooms:
            room.task.cancel()
