"""A lean closed-loop HTTP/1.1 load generator (keep-alive, asyncio streams).

Lighter than a general client so that, on a 2-core machine, the load generator takes as little
CPU from the server under test as possible. Loopback only.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


def pct(values: list[float], p: float) -> float:
    """The p-th percentile by rank (no interpolation); 0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        return pct(self.latencies_ms, p)

    def summary(self) -> str:
        rate = self.requests / self.elapsed_s if self.elapsed_s else 0
        return (f"{self.requests} requests in {self.elapsed_s:.1f} s = {rate:,.0f} req/s; "
                f"p50 {self.percentile(50):.1f} ms, p99 {self.percentile(99):.1f} ms, "
                f"max {max(self.latencies_ms, default=0):.1f} ms; statuses {self.statuses}")

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else 0.0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response with a Content-Length (all our services')."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)


async def _connection(host: str, port: int, paths: Callable[[], str], result: Result,
                      deadline: float, headers: str) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            request = f"GET {paths()} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n"
            started = time.perf_counter()
            writer.write(request.encode())
            status, _ = await read_response(reader)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run(base_url: str, paths: Callable[[], str], *, concurrency: int, seconds: float,
              headers: dict[str, str] | None = None) -> Result:
    parts = urlsplit(base_url)
    assert parts.hostname in ("127.0.0.1", "localhost"), "loopback only"
    result = Result()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_connection(parts.hostname, parts.port or 80, paths, result,
                                       deadline, extra) for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - started
    return result


class RawClient:
    """A pool of keep-alive HTTP/1.1 connections for open-loop load: requests wait for a free
    connection in a FIFO queue. A general client's pool bookkeeping grows with the number of
    waiting requests, which on this machine made the load generator, not the system under
    test, the bottleneck once a backlog formed."""

    def __init__(self, base_url: str, connections: int) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname in ("127.0.0.1", "localhost"), "loopback only"
        self.host, self.port = parts.hostname, parts.port or 80
        self.size = connections
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue())
        for _ in range(connections):
            self.idle.put_nowait(None)  # opened on first use

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, bytes]:
        connection = await self.idle.get()
        try:
            if connection is None:
                connection = await asyncio.open_connection(self.host, self.port)
            reader, writer = connection
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{head}"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status, payload = await read_response(reader)
        except BaseException:
            if connection is not None:
                connection[1].close()
            self.idle.put_nowait(None)
            raise
        self.idle.put_nowait(connection)
        return status, payload

    async def close(self) -> None:
        while not self.idle.empty():
            connection = self.idle.get_nowait()
            if connection is not None:
                connection[1].close()


async def open_loop(rate: float, seconds: float,
                    one: Callable[[int], Coroutine[Any, Any, None]]) -> tuple[int, float, float]:
    """Starts `one(n)` at `rate` per second for `seconds`, whether or not earlier ones have
    finished (open loop: a slow server meets the same arrivals), then waits for all of them.
    Returns (how many were started, when the first started, seconds spent offering)."""
    tasks: list[asyncio.Task[None]] = []
    begin, n = time.perf_counter(), 0
    while time.perf_counter() - begin < seconds:
        delay = begin + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
        n += 1
    offered = time.perf_counter() - begin
    await asyncio.gather(*tasks)
    return n, begin, offered
