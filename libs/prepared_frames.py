"""Prepared WebSocket frames: one encoding of a broadcast, written to every viewer's socket.

A live session sends the same event to thousands of viewers. Through ASGI each copy costs a
task wake-up, a walk through the middleware stack and its own framing, which is most of a
broadcast's time. Server-to-client frames are not masked, so the bytes on the wire are the same
for every viewer: they can be framed once and written to each transport directly.

The ASGI server offers this as an extension: `PreparedFrameProtocol` is uvicorn's
websockets-sansio protocol plus a `socialcommerce.prepared_frames` entry in the connection's
scope, a `FrameSink` that writes ready-made frames and refuses once more than
`MAX_BUFFERED_BYTES` wait in the socket's buffer (the client has stopped reading), so a slow
viewer is dropped, never buffered without bound. The protocol also honours the transport's flow
control for ordinary ASGI sends, which uvicorn's sansio protocol leaves out: a send to a client
that is not reading waits. Under any other server the extension is absent and callers use ASGI
sends.

Frames are whole and written synchronously, so they never interleave with the frames that the
protocol itself writes (replies, pings, close). Prepared frames are never compressed, which
permessage-deflate allows per message.

A connection that only receives broadcasts need not keep an ASGI call open either: after
`FrameSink.detach(listener)` the protocol hands the client's messages to the listener's
`on_message` and its end to `on_closed`, and the application's call may return while the
connection stays open. What a waiting ASGI call holds (its coroutines through every middleware,
the receive queue, the handshake's headers) is most of a connection's memory; a detached viewer
keeps only the socket, the protocol and what the listener keeps.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State

EXTENSION = "socialcommerce.prepared_frames"
MAX_BUFFERED_BYTES = 1024 * 1024
"""Bytes a connection may have waiting to be sent before its viewer counts as stalled:
seconds of a busy session's events, and a bound on what 10,000 viewers can hold."""
PROTOCOL = f"{__name__}:PreparedFrameProtocol"
"""The value for uvicorn's `ws` option."""


def text_frame(text: str) -> bytes:
    """A complete, unmasked, uncompressed text frame, as a server sends it."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


class Listener(Protocol):
    """What a detached connection's owner hears of it."""

    def on_message(self, text: str | None) -> None:
        """A whole message from the client: its text, or None for a binary message."""

    def on_closed(self) -> None:
        """The connection has ended (called once)."""


class _Discarded:
    """Stands in for the ASGI receive queue of a detached connection: no call receives."""

    @staticmethod
    def put_nowait(_event: object) -> None:
        return None


_DISCARDED = _Discarded()


class FrameSink:
    """Writes prepared frames to one WebSocket connection."""

    def __init__(self, protocol: PreparedFrameProtocol) -> None:
        self._protocol = protocol

    def write(self, frames: bytes) -> bool:
        """Queues `frames` on the socket; False (nothing written) when the connection is not
        open or its client has stopped reading."""
        protocol = self._protocol
        if (protocol.conn.state is not State.OPEN or protocol.close_sent
                or protocol.transport.is_closing()
                or protocol.transport.get_write_buffer_size() > MAX_BUFFERED_BYTES):
            return False
        protocol.transport.write(frames)
        return True

    def send_text(self, text: str) -> bool:
        """`text` as one frame (replies of a detached connection); see `write`."""
        return self.write(text_frame(text))

    def detach(self, listener: Listener) -> None:
        """Hands the connection to `listener` (see the module's docstring), from the
        application's ASGI call, which then no longer receives and may return. Messages the
        call had not received yet go to the listener first, in order."""
        protocol = self._protocol
        unreceived, protocol.queue = protocol.queue, _DISCARDED  # type: ignore[assignment]
        protocol.request = protocol.response = None  # type: ignore[assignment]
        protocol.listener = listener
        while not unreceived.empty():
            event = unreceived.get_nowait()
            if event["type"] == "websocket.receive":
                listener.on_message(event.get("text"))
        if protocol.read_paused:
            protocol.read_paused = False
            protocol.transport.resume_reading()
        if protocol.transport.is_closing():  # it ended before it was handed over
            protocol.notify_closed()

    def pause_reading(self) -> None:
        """Stops reading the client's messages (a detached listener's backlog is full): the
        client's writes back up in the kernel, as with a slow ASGI receiver."""
        self._protocol.transport.pause_reading()

    def resume_reading(self) -> None:
        self._protocol.transport.resume_reading()

    def close(self, code: int, reason: str) -> None:
        """Sends a close frame after what is buffered and closes, without waiting (a stalled
        client must not stall the caller); the application's `receive()` then returns a
        disconnect. A client that reads again gets every frame, then the code and reason."""
        protocol = self._protocol
        if protocol.close_sent or protocol.transport.is_closing():
            return
        protocol.queue.put_nowait({"type": "websocket.disconnect", "code": code,
                                   "reason": reason})
        protocol.conn.send_close(code, reason)
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))
        protocol.close_sent = True
        protocol.transport.close()


class PreparedFrameProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, offering a `FrameSink` to the application."""

    listener: Listener | None = None
    """Set once the application has detached the connection."""

    def notify_closed(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.on_closed()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.notify_closed()

    def send_receive_event_to_app(self) -> None:
        listener = self.listener
        if listener is None:
            super().send_receive_event_to_app()
            return
        if self.curr_msg_data_type != "text":
            listener.on_message(None)
            return
        try:
            text = self.bytes.decode()
        except UnicodeDecodeError:
            self.conn.send_close(1007)  # invalid UTF-8, as the base protocol answers it
            self.handle_parser_exception()
            return
        listener.on_message(text)

    def shutdown(self) -> None:
        if self.close_sent:  # closed as stalled: the close frame is already on its way
            self.transport.close()
            return
        super().shutdown()

    def pause_writing(self) -> None:
        self.writable.clear()  # ASGI sends wait until the client reads again

    def resume_writing(self) -> None:
        self.writable.set()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: dict[str, Any] | None = getattr(self, "scope", None)
        if scope is not None:  # accepted for the application (its task has not started yet)
            scope["extensions"][EXTENSION] = FrameSink(self)


def sink_of(websocket: WebSocket) -> FrameSink | None:
    """The connection's frame sink when the server offers one."""
    sink = (websocket.scope.get("extensions") or {}).get(EXTENSION)
    return sink if isinstance(sink, FrameSink) else None
