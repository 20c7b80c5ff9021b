"""Live benchmarks against the running stack (`make run` first), printed as figures:

    python -m benchmarks.live claims [--claimants 5000 --units 100 --connections 200]
    python -m benchmarks.live fanout [--viewers 10000 --broadcasts 20 --client-processes 2]

claims: a flash deal of `units` units; `claimants` distinct buyers each send one claim, all at
once, over `connections` keep-alive connections to the live service. Reported: claim tokens
granted (must equal the units), claims per second over the burst, per-request latency p50/p99
(and apart for granted and refused claims: the few granted ones each wait for a durable
record, and with 100 units among 5,000 claimants they are the slowest 2 %, so they set the
p99), and the deal's tally and catalog's stock afterwards (nothing oversold).

fanout: `viewers` WebSocket connections to one live process watch one session; the bench
appends `broadcasts` events to the session's feed (as any instance would) and every viewer
timestamps its copy. Reported: delivery latency p50/p99 over all copies, copies lost, and the
live process's memory per connection. Viewers run in `client-processes` processes on this
same machine, so they take CPU from the server they measure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import redis.asyncio as redis

from benchmarks import conditions
from benchmarks.load import pct, read_response
from devstack.stack import SERVICE_PORTS, redis_db_url
from libs.auth.dev_token import mint


def load_stack(path: str) -> dict[str, Any]:
    stack: dict[str, Any] = json.loads(Path(path).read_text())
    return stack


def bearer(stack: dict[str, Any], subject: str, roles: list[str], **claims: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint(stack["jwt_secret"], subject=subject, roles=roles,
                                              **claims)}


async def on_air_with_product(client: httpx.AsyncClient, stack: dict[str, Any],
                              stock: int) -> dict[str, Any]:
    """A verified seller, a live product known to live, and a session on air showing it."""
    catalog, live = stack["services"]["catalog"], stack["services"]["live"]
    subject = f"bench-live-{secrets.token_hex(3)}"
    operator = bearer(stack, "bench-ops", ["operator"])
    seller = (await client.post(f"{catalog}/v1/sellers", headers=bearer(stack, subject, ["seller"]),
                                json={"legal_name": "Bench Live Ltd", "country": "GB",
                                      "business_type": "company", "market": "GB"})).json()
    await client.post(f"{catalog}/v1/sellers/{seller['id']}/verification", headers=operator)
    headers = bearer(stack, subject, ["seller"], seller_id=seller["id"])
    category = (await client.post(f"{catalog}/v1/categories", headers=operator, json={
        "name": f"Bench {subject}"})).json()["id"]
    product = (await client.post(f"{catalog}/v1/products", headers=headers, json={
        "title": f"{secrets.token_hex(6)} glazed teapot", "category_id": category,
        "skus": [{"code": f"TP-{subject}", "price_minor": 4500, "currency": "GBP",
                  "stock": stock}]})).json()
    await client.post(f"{catalog}/v1/products/{product['id']}/submission", headers=headers)
    for _ in range(60):  # live learns of the seller's verification by catalog's event
        response = await client.post(f"{live}/v1/live/sessions", headers=headers, json={
            "title": "Bench live", "scheduled_for": datetime.now(UTC).isoformat()})
        if response.status_code != 403:
            break
        await asyncio.sleep(1)
    session = response.json()
    await client.post(f"{live}/v1/live/sessions/{session['id']}/start", headers=headers)
    deadline = time.perf_counter() + 60
    while (await client.put(f"{live}/v1/live/sessions/{session['id']}/showcase/{product['id']}",
                            headers=headers)).status_code != 204:
        if time.perf_counter() > deadline:
            raise RuntimeError("live never heard of the bench product")
        await asyncio.sleep(0.2)
    return {"session": session["id"], "product": product["id"],
            "sku": product["skus"][0]["id"], "headers": headers}


# Claims ----------------------------------------------------------------------------------------

async def _claimant_lane(host: str, port: int, path: str, tokens: list[str],
                         latencies: dict[int, list[float]]) -> None:
    """Sends each token's claim in turn on one connection; latencies (ms) by status."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for token in tokens:
            request = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}"
                       f"\r\nContent-Length: 0\r\n\r\n")
            started = time.perf_counter()
            writer.write(request.encode())
            status, _ = await read_response(reader)
            latencies.setdefault(status, []).append((time.perf_counter() - started) * 1000)
    finally:
        writer.close()


async def _until_live(client: httpx.AsyncClient, deal_url: str) -> None:
    for _ in range(6000):
        if (await client.get(deal_url)).json()["status"] == "live":
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the deal never opened")


async def claims(stack: dict[str, Any], claimants: int, units: int,
                 connections: int) -> dict[str, Any]:
    live = stack["services"]["live"]
    async with httpx.AsyncClient(timeout=30) as client:
        world = await on_air_with_product(client, stack, stock=units * 2)
        created = await client.post(f"{live}/v1/live/sessions/{world['session']}/deals",
                                    headers=world["headers"], json={
            "sku_id": world["sku"], "deal_price_minor": 1999, "quantity": units,
            "per_buyer_limit": 1, "countdown_seconds": 10, "duration_seconds": 300})
        created.raise_for_status()
        deal_id = created.json()["id"]
        tokens = [mint(stack["jwt_secret"], subject=f"claimant-{n}-{secrets.token_hex(2)}",
                       roles=["buyer"]) for n in range(claimants)]
        print(f"  deal of {units} units announced; {claimants} claimants ready; waiting for "
              "the countdown", flush=True)
        parts = urlsplit(live)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        path = f"/v1/live/deals/{deal_id}/claims"
        # Viewers tap before the deal opens; those early claims are refused (not_started) and
        # warm the service's connections. They are not counted.
        early_taps: dict[int, list[float]] = {}
        await asyncio.gather(*[_claimant_lane(host, port, path, tokens[i:2000:connections],
                                              early_taps) for i in range(connections)])
        early = {status: len(taps) for status, taps in early_taps.items()}
        await _until_live(client, f"{live}/v1/live/deals/{deal_id}")
        by_status: dict[int, list[float]] = {}
        lanes = [tokens[i::connections] for i in range(connections)]
        started = time.perf_counter()
        await asyncio.gather(*[_claimant_lane(host, port, path, lane, by_status)
                               for lane in lanes])
        elapsed = time.perf_counter() - started
        latencies = [ms for taps in by_status.values() for ms in taps]
        statuses = {status: len(taps) for status, taps in by_status.items()}
        granted_ms, refused_ms = by_status.get(201, []), by_status.get(409, [])
        deal = (await client.get(f"{live}/v1/live/deals/{deal_id}")).json()
    conn = await asyncpg.connect(stack["database_url"])
    try:
        stock = await conn.fetchrow("SELECT on_hand, reserved FROM catalog.stock "
                                    "WHERE sku_id = $1::uuid", world["sku"])
        recorded = await conn.fetchval("SELECT coalesce(sum(quantity), 0) FROM live.claims "
                                       "WHERE deal_id = $1::uuid", deal_id)
    finally:
        await conn.close()
    granted = statuses.get(201, 0)
    print(f"flash claims: {claimants} claimants, {units} units, {connections} connections "
          f"(early taps during the countdown: {early})\n"
          f"  claim tokens granted: {granted} (units {units}; oversold: "
          f"{max(0, granted - units)}); refusals: {statuses.get(409, 0)}; other statuses: "
          f"{ {k: v for k, v in statuses.items() if k not in (201, 409)} }\n"
          f"  {claimants / elapsed:,.0f} claims/s over {elapsed:.2f} s; per request p50 "
          f"{pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms, max "
          f"{max(latencies):.1f} ms\n"
          f"  granted (p50 / p99): {pct(granted_ms, 50):.1f} / {pct(granted_ms, 99):.1f} ms, "
          f"each waiting for its grant's durable record; refused: {pct(refused_ms, 50):.1f} / "
          f"{pct(refused_ms, 99):.1f} ms\n"
          f"  deal afterwards: units_left {deal['units_left']}, tally {deal['tally']}; claims "
          f"recorded {recorded}; catalog stock {dict(stock) if stock else None}", flush=True)
    return {"claimants": claimants, "units": units, "connections": connections,
            "granted": granted, "oversold": max(0, granted - units),
            "claims_per_second": round(claimants / elapsed), "p50_ms": round(pct(latencies, 50), 1),
            "p99_ms": round(pct(latencies, 99), 1), "recorded": int(recorded),
            "granted_p50_ms": round(pct(granted_ms, 50), 1),
            "granted_p99_ms": round(pct(granted_ms, 99), 1),
            "refused_p50_ms": round(pct(refused_ms, 50), 1),
            "refused_p99_ms": round(pct(refused_ms, 99), 1)}


# Fan-out ---------------------------------------------------------------------------------------

def _viewers_process(ws_url: str, count: int, broadcasts: int, ready: Any, results: Any) -> None:
    asyncio.run(_viewers(ws_url, count, broadcasts, ready, results))


class _Viewer(asyncio.Protocol):
    """A WebSocket viewer cut down to what the measurement needs: the upgrade, then server
    frames parsed straight off the socket. A full client library spends ~100 µs of Python per
    frame; 10,000 of them on this 2-core machine would measure the client, not the server."""

    def __init__(self, broadcasts: int, latencies: list[float]) -> None:
        self.broadcasts = broadcasts
        self.latencies = latencies
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.done = asyncio.get_running_loop().create_future()
        self.seen = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.upgraded.set_result(self.buffer.startswith(b"HTTP/1.1 101"))
            del self.buffer[:end + 4]
        now = time.time() * 1000
        while (frame := self._next_frame()) is not None:
            if b'"type":"bench"' in frame:
                self.latencies.append(now - json.loads(frame)["data"]["sent_ms"])
                self.seen += 1
                if self.seen == self.broadcasts and not self.done.done():
                    self.done.set_result(None)

    def _next_frame(self) -> bytes | None:
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        length, at = buffer[1] & 0x7F, 2
        if length == 126:
            length, at = int.from_bytes(buffer[2:4]), 4
        elif length == 127:
            length, at = int.from_bytes(buffer[2:10]), 10
        if len(buffer) < at + length:
            return None
        payload = bytes(buffer[at:at + length])
        del buffer[:at + length]
        return payload

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.upgraded, self.done):
            if not future.done():
                future.set_result(False)


async def _viewers(ws_url: str, count: int, broadcasts: int, ready: Any, results: Any) -> None:
    parts = urlsplit(ws_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               "\r\n").encode()
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    viewers: list[_Viewer] = []
    for n in range(count):
        for attempt in range(5):
            viewer = _Viewer(broadcasts, latencies)
            try:
                transport, _ = await loop.create_connection(lambda v=viewer: v,  # type: ignore[misc]
                                                            host, port)
                transport.write(request)
                if await asyncio.wait_for(viewer.upgraded, 30):
                    viewers.append(viewer)
                    break
            except (OSError, TimeoutError):
                pass
            await asyncio.sleep(0.2 * (attempt + 1))
        if n % 500 == 0:
            await asyncio.sleep(0)
    ready.put(len(viewers))
    waiting = [viewer.done for viewer in viewers]
    if waiting:
        await asyncio.wait(waiting, timeout=broadcasts * 2 + 60)
    lost = sum(broadcasts - viewer.seen for viewer in viewers)
    results.put((latencies, lost, count - len(viewers)))
    for viewer in viewers:
        if viewer.transport is not None:
            viewer.transport.close()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def measure_fanout(ws_url: str, feed: redis.Redis, key: str, pid: int | None,
                         viewers: int, broadcasts: int, processes: int) -> dict[str, Any]:
    """Connects `viewers` to `ws_url`, appends `broadcasts` entries to the stream `key`, and
    returns delivery latency, losses and the server's memory per connection."""
    rss_before = _rss_kib(pid) if pid else 0
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    share = [viewers // processes + (1 if i < viewers % processes else 0)
             for i in range(processes)]
    workers = [context.Process(target=_viewers_process, args=(ws_url, n, broadcasts, ready,
                                                                 results)) for n in share]
    for worker in workers:
        worker.start()
    connected = sum(ready.get(timeout=600) for _ in workers)
    await asyncio.sleep(2)
    rss_after = _rss_kib(pid) if pid else 0
    print(f"  {connected} viewers connected; broadcasting", flush=True)
    for n in range(broadcasts):
        await feed.xadd(key, {"k": "bench", "d": json.dumps({"n": n,
                                                            "sent_ms": time.time() * 1000})},
                        maxlen=2000, approximate=True)
        await asyncio.sleep(0.5)
    latencies: list[float] = []
    lost = failed = 0
    for _ in workers:
        got, missing, not_connected = results.get(timeout=600)
        latencies += got
        lost += missing
        failed += not_connected
    for worker in workers:
        worker.join(timeout=30)
    per_connection = (rss_after - rss_before) / connected if connected and pid else 0
    return {"viewers": connected, "broadcasts": broadcasts, "delivered": len(latencies),
            "lost": lost, "not_connected": failed, "p50_ms": round(pct(latencies, 50)),
            "p99_ms": round(pct(latencies, 99)), "max_ms": round(max(latencies, default=0)),
            "rss_before_mib": round(rss_before / 1024), "rss_after_mib": round(rss_after / 1024),
            "kib_per_connection": round(per_connection, 1)}


async def fanout(stack: dict[str, Any], viewers: int, broadcasts: int,
                 processes: int) -> dict[str, Any]:
    live = stack["services"]["live"]
    async with httpx.AsyncClient(timeout=30) as client:
        world = await on_air_with_product(client, stack, stock=1)
    session_id = world["session"]
    pid = conditions.service_pid(urlsplit(live).port or 80)
    ws_url = "ws" + live.removeprefix("http") + f"/v1/live/sessions/{session_id}/ws"
    feed = redis.Redis.from_url(redis_db_url(stack["redis_url"],
                                             list(SERVICE_PORTS).index("live")))
    try:
        figures = await measure_fanout(ws_url, feed, f"live:{{{session_id}}}:feed", pid,
                                       viewers, broadcasts, processes)
    finally:
        await feed.aclose()
    print(f"fan-out: {figures['viewers']} WebSocket viewers on one live process (pid {pid}), "
          f"{broadcasts} broadcasts, viewers in {processes} processes on this machine\n"
          f"  delivered {figures['delivered']} copies, lost {figures['lost']}, viewers that "
          f"could not connect {figures['not_connected']}\n"
          f"  delivery latency p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max "
          f"{figures['max_ms']} ms\n"
          f"  live process memory: {figures['rss_before_mib']} MiB before, "
          f"{figures['rss_after_mib']} MiB with viewers = {figures['kib_per_connection']} KiB "
          "per connection", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["claims", "fanout"])
    parser.add_argument("--stack", default=".stack/stack.json")
    parser.add_argument("--claimants", type=int, default=5000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--viewers", type=int, default=10000)
    parser.add_argument("--broadcasts", type=int, default=20)
    parser.add_argument("--client-processes", type=int, default=2)
    args = parser.parse_args()
    stack = load_stack(args.stack)
    print(asyncio.run(conditions.describe(stack)), flush=True)
    if args.what == "claims":
        asyncio.run(claims(stack, args.claimants, args.units, args.connections))
    else:
        asyncio.run(fanout(stack, args.viewers, args.broadcasts, args.client_processes))


if __name__ == "__main__":
    main()
