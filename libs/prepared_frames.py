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
"""

from __future__ import annotations

from typing import Any

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
