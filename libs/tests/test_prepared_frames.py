"""Prepared frames and detached connections, on the real server the services run under
(uvicorn with `libs.prepared_frames`): a connection handed to a listener outlives the ASGI call
that handed it over, loses none of the messages that call had not received, hears each later
message in order, and hears of its end once."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, WebSocket
from websockets.asyncio.client import connect

from libs.prepared_frames import sink_of, text_frame
from libs.testing import serve


class Recorder:
    def __init__(self) -> None:
        self.messages: list[str | None] = []
        self.closed = 0

    def on_message(self, text: str | None) -> None:
        self.messages.append(text)

    def on_closed(self) -> None:
        self.closed += 1


def detaching_app(recorder: Recorder, calls_ended: asyncio.Event) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def hand_over(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("ready")
        await asyncio.sleep(0.3)  # the client's first messages arrive while nobody receives
        sink = sink_of(websocket)
        assert sink is not None
        sink.detach(recorder)
        sink.write(text_frame("detached") + text_frame("prepared"))
        calls_ended.set()

    return app


async def test_a_detached_connection_outlives_its_call_and_loses_no_message() -> None:
    recorder, calls_ended = Recorder(), asyncio.Event()
    async with serve(detaching_app(recorder, calls_ended)) as service:
        async with connect(service.ws_url + "/ws") as client:
            assert await client.recv() == "ready"
            for n in range(3):
                await client.send(f"early {n}")
            await asyncio.wait_for(calls_ended.wait(), 5)
            assert await client.recv() == "detached"
            assert await client.recv() == "prepared"
            for n in range(3):
                await client.send(f"late {n}")
            await client.send(b"\x00binary")
            for _ in range(50):
                if len(recorder.messages) == 7:
                    break
                await asyncio.sleep(0.02)
            assert recorder.closed == 0, "the connection stays open after its call returned"
        for _ in range(50):
            if recorder.closed:
                break
            await asyncio.sleep(0.02)
    assert recorder.messages == ["early 0", "early 1", "early 2", "late 0", "late 1", "late 2",
                                 None]
    assert recorder.closed == 1
