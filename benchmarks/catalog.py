"""Catalog benchmarks, printed as figures (not asserted): `make bench`.

1. Hot SKU: a SKU with 100 units; 2,000 `order.placed` events for one unit each, published at
   once to Kafka (the real path orders uses); catalog's consumer reserves. Reported: how many
   were reserved (must be exactly 100), the stock afterwards (never negative), and
   reservations decided per second, from first publish to the last outcome event on
   `catalog.reservation.v1`.
2. Product detail from a warm cache: requests/s and p50/p99 at a fixed concurrency.
3. Search over the seeded catalogue: p50/p99 of mixed queries, filters and sorts.

Uses the stack described by `.stack/stack.json` when it answers, else starts one (seeded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer

from benchmarks import conditions
from benchmarks.load import Result, run
from benchmarks.stacks import running_or_seeded
from libs.auth.dev_token import mint
from libs.events.envelope import Envelope, from_kafka, to_kafka
from libs.events.schemas.orders import OrderLine, OrderPlaced
from libs.ids import new_id
from libs.kafka import create_producer

WORDS = ["linen", "shirt", "candle", "coffee", "leather", "wireless", "serum", "boots", "tee",
         "cast iron", "vinyl", "dog toy", "matte lipstick", "jacket", "charger", "merino"]


async def _hot_sku_product(client: httpx.AsyncClient,
                           stack: dict[str, Any]) -> tuple[str, dict[str, str]]:
    catalog, secret = stack["services"]["catalog"], stack["jwt_secret"]
    subject = f"bench-{secrets.token_hex(3)}"
    operator = {"Authorization": f"Bearer {mint(secret, subject='bench-ops', roles=['operator'])}"}
    registering = {"Authorization": f"Bearer {mint(secret, subject=subject, roles=['seller'])}"}
    seller = (await client.post(f"{catalog}/v1/sellers", headers=registering, json={
        "legal_name": "Bench Flash Sales Ltd", "country": "GB", "business_type": "company",
        "market": "GB"})).json()
    await client.post(f"{catalog}/v1/sellers/{seller['id']}/verification", headers=operator)
    headers = {"Authorization": "Bearer " + mint(secret, subject=subject, roles=["seller"],
                                                 seller_id=seller["id"])}
    category = (await client.post(f"{catalog}/v1/categories", headers=operator, json={
        "name": f"Bench {secrets.token_hex(3)}"})).json()["id"]
    product = (await client.post(f"{catalog}/v1/products", headers=headers, json={
        "title": "Limited drop hoodie", "category_id": category, "skus": [{
            "code": f"HOT-{secrets.token_hex(3)}", "price_minor": 4500, "currency": "GBP",
            "stock": 100}]})).json()
    submitted = (await client.post(f"{catalog}/v1/products/{product['id']}/submission",
                                   headers=headers)).json()
    assert submitted["outcome"] == "auto_approved", submitted
    return product["skus"][0]["id"], headers


async def hot_sku(stack: dict[str, Any], attempts: int = 2000, units: int = 100) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        sku_id, seller_headers = await _hot_sku_product(client, stack)
        bootstrap = stack["kafka_bootstrap"]
        watcher = AIOKafkaConsumer("catalog.reservation.v1", bootstrap_servers=bootstrap,
                                   auto_offset_reset="latest", enable_auto_commit=False,
                                   group_id=f"bench-{secrets.token_hex(3)}")
        await watcher.start()
        while not watcher.assignment():
            await watcher.getmany(timeout_ms=200)
        await asyncio.sleep(1)
        producer = create_producer(bootstrap, "bench-orders", idempotent=False)
        await producer.start()
        orders = [OrderPlaced(order_id=new_id(), buyer_id=f"buyer-{i}", seller_id=new_id(),
                              currency="GBP", placed_at=datetime.now(UTC),
                              lines=[OrderLine(sku_id=UUID(sku_id), quantity=1,
                                               unit_price_minor=4500)]) for i in range(attempts)]
        wanted = {str(o.order_id) for o in orders}
        outcomes: dict[str, str] = {}
        started = time.perf_counter()
        deliveries = []
        for order in orders:
            key, value, headers = to_kafka(Envelope.wrap(order, source="bench"))
            deliveries.append(await producer.send(order.topic, value=value, key=key,
                                                  headers=headers))
        await asyncio.gather(*deliveries)
        published = time.perf_counter() - started
        deadline = started + 300
        while len(outcomes) < attempts and time.perf_counter() < deadline:
            for records in (await watcher.getmany(timeout_ms=500)).values():
                for record in records:
                    envelope = from_kafka(record.key, record.value, record.headers)
                    order_id = envelope.data.get("order_id")
                    if order_id in wanted:
                        outcomes[order_id] = envelope.type
        elapsed = time.perf_counter() - started
        await producer.stop()
        await watcher.stop()
        stock = (await client.get(f"{stack['services']['catalog']}/v1/skus/{sku_id}/stock",
                                  headers=seller_headers)).json()
    reserved = sum(1 for t in outcomes.values() if t == "inventory.reserved")
    return {"attempts": attempts, "units": units, "decided": len(outcomes),
            "reserved": reserved,
            "refused": sum(1 for t in outcomes.values() if t == "inventory.reservation_failed"),
            "stock_after": {k: stock[k] for k in ("on_hand", "reserved", "available")},
            "publish_seconds": round(published, 2), "seconds": round(elapsed, 2),
            "decisions_per_second": round(len(outcomes) / elapsed)}


async def _live_ids(stack: dict[str, Any], limit: int = 2000) -> list[str]:
    conn = await asyncpg.connect(stack["database_url"])
    try:
        rows = await conn.fetch(
            "SELECT id FROM catalog.products WHERE status = 'live' ORDER BY random() LIMIT $1",
            limit)
    finally:
        await conn.close()
    return [str(r["id"]) for r in rows]


async def detail_reads(stack: dict[str, Any], concurrency: int, seconds: float) -> Result:
    ids = await _live_ids(stack, 500)
    base = stack["services"]["catalog"]

    def path() -> str:
        return f"/v1/products/{random.choice(ids)}"  # noqa: S311

    await run(base, path, concurrency=8, seconds=3)  # warms the cache
    return await run(base, path, concurrency=concurrency, seconds=seconds)


async def search(stack: dict[str, Any], concurrency: int, seconds: float) -> Result:
    base = stack["services"]["catalog"]
    conn = await asyncpg.connect(stack["database_url"])
    categories = [str(r["id"]) for r in await conn.fetch("SELECT id FROM catalog.categories")]
    await conn.close()

    def path() -> str:
        rng = random
        params = [f"q={rng.choice(WORDS).replace(' ', '+')}"]
        if rng.random() < 0.3:
            params.append(f"category_id={rng.choice(categories)}")
        if rng.random() < 0.3:
            params.append(f"max_price={rng.choice([2000, 5000, 10000])}")
        if rng.random() < 0.3:
            params.append("in_stock=true")
        params.append("sort=" + rng.choice(["relevance", "relevance", "price_asc", "newest"]))
        return "/v1/products?" + "&".join(params)

    return await run(base, path, concurrency=concurrency, seconds=seconds)


async def main_async(args: argparse.Namespace) -> None:
    async with running_or_seeded(Path(args.stack)) as stack:
        conn = await asyncpg.connect(stack["database_url"])
        live = await conn.fetchval("SELECT count(*) FROM catalog.products WHERE status = 'live'")
        await conn.close()
        print(await conditions.describe(stack, f"{live} live products") + "\n", flush=True)
        result = await hot_sku(stack)
        print(f"hot SKU, {result['attempts']} reservation attempts of 1 unit on "
              f"{result['units']} units, through Kafka:\n  {json.dumps(result)}", flush=True)
        print(f"product detail, warm cache, concurrency {args.concurrency}:\n  "
              f"{(await detail_reads(stack, args.concurrency, args.seconds)).summary()}", flush=True)
        print(f"search, concurrency {args.search_concurrency}:\n  "
              f"{(await search(stack, args.search_concurrency, args.seconds)).summary()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=".stack/stack.json")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--search-concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
