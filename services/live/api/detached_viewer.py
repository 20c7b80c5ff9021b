"""A WebSocket viewer that holds no ASGI call open (libs/prepared_frames.py, `detach`).

Once a viewer has caught up, the room writes its events to the socket as prepared frames; all
that is left for the connection's ASGI call is to wait for client frames, and that wait (the
coroutines of every middleware, the receive queue) is most of what a viewer costs in memory. A
detached viewer hands that wait to the protocol: client frames arrive by callback and are
handled in order by a task that exists only while there are frames to handle, and the viewer
leaves the room when the connection ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from libs.prepared_frames import FrameSink
from services.live.api.client_frames import ClientFrames

log = logging.getLogger(__name__)
MAX_BACKLOG = 8
"""Client frames waiting to be handled before the connection stops reading (the client's
writes then back up in the kernel, as they do for an ASGI call that is slow to receive)."""
CLOSE_INTERNAL_ERROR = 1011

_running: set[asyncio.Task[None]] = set()
"""Strong references to this module's tasks (the loop keeps only weak ones)."""


class Subscription(Protocol):
    async def close(self) -> None: ...


def _run(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work)
    _running.add(task)
    task.add_done_callback(_running.discard)


class DetachedViewer:
    """The `Listener` of one detached connection."""

    __slots__ = ("backlog", "frames", "paused", "sink", "subscription")

    def __init__(self, subscription: Subscription, sink: FrameSink,
                 frames: ClientFrames) -> None:
        self.subscription = subscription
        self.sink = sink
        self.frames = frames
        self.backlog: list[str | None] | None = None
        """Client frames not yet handled; None while no task is handling them."""
        self.paused = False

    def on_message(self, text: str | None) -> None:
        if self.backlog is not None:
            self.backlog.append(text)
            if len(self.backlog) >= MAX_BACKLOG and not self.paused:
                self.paused = True
                self.sink.pause_reading()
            return
        self.backlog = [text]
        _run(self._handle_backlog())

    async def _handle_backlog(self) -> None:
        try:
            while self.backlog:
                await self.frames.handle(self.backlog.pop(0))
                if self.paused and len(self.backlog) < MAX_BACKLOG // 2:
                    self.paused = False
                    self.sink.resume_reading()
        except Exception:
            log.exception("live: a client frame failed; closing the connection")
            self.sink.close(CLOSE_INTERNAL_ERROR, "internal error")
        finally:
            self.backlog = None

    def on_closed(self) -> None:
        _run(self.subscription.close())
