"""Webhook deliveries, printed as figures (not asserted): `make bench-webhooks`.

Against a running dev stack (dev mode lets endpoints be loopback): a bench seller subscribes an
endpoint on a local receiver, and `inventory.adjusted` events for that seller are published to
Kafka at a steady rate (as catalog would publish them). The receiver verifies every signature
and notes when each event arrives: deliveries per second, and event published → delivered
latency. A second phase adds an endpoint that never answers within the timeout, to show that the
healthy endpoint keeps its latency. Beside them, the machine's durable-commit ceiling measured in
the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook

from benchmarks import conditions
from benchmarks.fulfillment import commit_ceiling
from benchmarks.load import open_loop, pct
from libs.auth.dev_token import mint
from libs.events.envelope import Envelope, to_kafka
from libs.events.schemas.catalog import InventoryAdjusted, StockLevel
from libs.ids import new_id
from libs.kafka import create_producer


class Receiver:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.arrived: dict[str, float] = {}
        self.refused = 0
        self.app = FastAPI()

        @self.app.post("/{name}")
        async def hook(name: str, request: Request) -> Response:
            body = await request.body()
            if name == "slow":
                await asyncio.sleep(60)  # longer than any delivery timeout
                return Response(status_code=204)
            try:
                event = Webhook(self.secrets[name]).verify(body, dict(request.headers))
            except Exception:
                self.refused += 1
                return Response(status_code=401)
            self.arrived.setdefault(event["data"]["reason"], time.perf_counter())
            return Response(status_code=204)


async def subscribe(client: httpx.AsyncClient, url: str, seller: dict[str, str],
                    target: str) -> str:
    response = await client.post(f"{url}/v1/webhook-endpoints", headers={
        **seller, "Idempotency-Key": secrets.token_hex(8)}, json={
        "url": target, "event_types": ["inventory.adjusted"]})
    if response.status_code != 201:
        raise RuntimeError(f"subscribing: {response.status_code} {response.text}")
    return str(response.json()["secret"])


async def phase(producer: Any, receiver: Receiver, seller_id: str, rate: float,
                seconds: float, label: str) -> None:
    published: dict[str, float] = {}

    async def one(n: int) -> None:
        marker = f"bench-{label}-{n}"
        sku = new_id()
        event = InventoryAdjusted(sku_id=sku, seller_id=seller_id, delta=1, reason=marker,  # type: ignore[arg-type]
                                  level=StockLevel(sku_id=sku, on_hand=1, reserved=0,
                                                   available=1),
                                  adjusted_at=datetime.now(UTC))
        key, value, headers = to_kafka(Envelope.wrap(event, source="bench"))
        published[marker] = time.perf_counter()
        await producer.send_and_wait(event.topic, value=value, key=key, headers=headers)

    n, begin, offered = await open_loop(rate, seconds, one)
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and any(  # noqa: ASYNC110 - a shared dict
            m not in receiver.arrived for m in published):
        await asyncio.sleep(0.2)
    latencies = [receiver.arrived[m] - t for m, t in published.items() if m in receiver.arrived]
    last = max((receiver.arrived[m] for m in published if m in receiver.arrived), default=begin)
    print(f"  {label}: {n} events at {rate}/s over {offered:.0f} s; delivered "
          f"{len(latencies)} ({len(latencies) / max(last - begin, 1e-9):.1f}/s); published -> "
          f"delivered p50 {pct(latencies, 50) * 1000:.0f} ms, p99 {pct(latencies, 99) * 1000:.0f} "
          f"ms; refused signatures {receiver.refused}", flush=True)


async def run(stack: dict[str, Any], rate: float, seconds: float) -> None:
    services, secret = stack["services"], stack["jwt_secret"]
    print("  measuring the machine's durable commit ceiling ...", flush=True)
    ceiling = await commit_ceiling(stack["database_url"])
    receiver = Receiver()
    server = uvicorn.Server(uvicorn.Config(receiver.app, host="127.0.0.1", port=0,
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    seller_id = str(new_id())
    seller = {"Authorization": "Bearer " + mint(secret, subject=f"bench-{seller_id}",
                                                roles=["seller"], seller_id=seller_id)}
    producer = create_producer(stack["kafka_bootstrap"], "bench-webhooks",
                               idempotent=stack.get("kafka_flavour") != "tansu")
    await producer.start()
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            receiver.secrets["fast"] = await subscribe(client, services["webhooks"], seller,
                                                       f"http://127.0.0.1:{port}/fast")
            await phase(producer, receiver, seller_id, rate, seconds, "healthy endpoint")
            await subscribe(client, services["webhooks"], seller,
                            f"http://127.0.0.1:{port}/slow")
            await phase(producer, receiver, seller_id, rate, seconds,
                        "beside an endpoint that times out")
    finally:
        await producer.stop()
        server.should_exit = True
        await serving
    print(f"  machine ceiling: {ceiling:,.0f} durable commits/s; each delivery costs a few "
          f"commits (event, delivery, attempt)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=".stack/stack.json")
    parser.add_argument("--rate", type=float, default=100, help="events per second published")
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    stack = json.loads(Path(args.stack).read_text())
    print(asyncio.run(conditions.describe(stack, "the receiver shares the machine too")),
          flush=True)
    asyncio.run(run(stack, args.rate, args.seconds))


if __name__ == "__main__":
    main()
