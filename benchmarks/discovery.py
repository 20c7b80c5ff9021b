"""Discovery, printed as figures (not asserted): `make bench-discovery`.

Against the running stack (`.stack/stack.json`), or a seeded durable one it starts:

1. **Interaction ingest**: buyers post batches of 20 events (views, taps, add-to-carts of the
   market's products) at a fixed concurrency; events accepted per second and the batch's
   p50/p99. Half the buyers are consenting adults (history kept, co-visitation updated), a
   quarter have not consented, a quarter are minors.
2. **The feed with the auction**: first pages (a new snapshot each: candidates, ranking and the
   sponsored-slot auction against 20 campaigns, products and catalogue ones) for the same mix
   of buyers; requests per second, p50/p99, and sponsored items per page.
3. **The ceiling** in the same run: a bare FastAPI route with a pydantic response, same load
   client and concurrency, one process.

Each request carries one of a few hundred buyers' tokens, so per-buyer rate limits are not
what is measured.
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
from urllib.parse import urlsplit

import asyncpg
import httpx

from benchmarks import conditions
from benchmarks.ceilings import serving
from benchmarks.load import Result, read_response, run
from benchmarks.stacks import running_or_seeded
from libs.auth.dev_token import mint

BUYERS = 400
CAMPAIGN_SELLERS = 10


def _buyers(secret: str) -> list[dict[str, str]]:
    tokens = []
    for n in range(BUYERS):
        kind = n % 4
        birthdate = "2011-05-05" if kind == 3 else "1990-05-05"
        token = mint(secret, subject=f"bench-buyer-{n}-{secrets.token_hex(2)}",
                     roles=["buyer"], birthdate=birthdate, ttl_seconds=3 * 3600)
        tokens.append({"Authorization": f"Bearer {token}", "consents": str(kind < 2)})
    return tokens


async def _market(db: asyncpg.Connection) -> tuple[str, list[str], list[dict[str, Any]]]:
    """The market with the most showable products, its products and its sellers."""
    market = await db.fetchval(
        """SELECT market FROM discovery.products WHERE live AND in_stock
            GROUP BY market ORDER BY count(*) DESC LIMIT 1""")
    products = [str(r["id"]) for r in await db.fetch(
        "SELECT id FROM discovery.products WHERE market = $1 AND live AND in_stock", market)]
    sellers = [dict(r) for r in await db.fetch(
        """SELECT s.id, array_agg(p.id ORDER BY p.id) AS products FROM discovery.sellers s
             JOIN discovery.products p ON p.seller_id = s.id AND p.live AND p.in_stock
            WHERE s.market = $1 AND s.standing = 'active' GROUP BY s.id""", market)]
    return str(market).strip(), products, sellers


async def _campaigns(client: httpx.AsyncClient, url: str, secret: str,
                     sellers: list[dict[str, Any]]) -> int:
    made = 0
    for n, seller in enumerate(sellers[:CAMPAIGN_SELLERS]):
        headers = {"Authorization": "Bearer " + mint(
            secret, subject=f"bench-seller-{n}", roles=["seller"], seller_id=str(seller["id"]))}
        bodies = [
            {"name": "bench products", "daily_budget_minor": 10_000_000, "max_bid_minor": 40 + n,
             "product_ids": [str(p) for p in seller["products"][:20]]},
            {"name": "bench catalogue", "kind": "catalogue", "daily_budget_minor": 10_000_000,
             "max_bid_minor": 80, "target_roas": 3.0},
        ]
        for body in bodies:
            response = await client.post(f"{url}/v1/discovery/campaigns", headers=headers,
                                          json=body)
            made += response.status_code == 201
    return made


async def _consents(client: httpx.AsyncClient, url: str, market: str,
                    buyers: list[dict[str, str]]) -> None:
    for who in buyers:
        await client.put(f"{url}/v1/discovery/consent", json={
            "personalised": who["consents"] == "True", "market": market},
            headers={"Authorization": who["Authorization"]})


async def ingest(url: str, market: str, products: list[str], buyers: list[dict[str, str]],
                 concurrency: int, seconds: float) -> tuple[Result, int]:
    parts = urlsplit(url)
    result = Result()
    accepted = 0
    deadline = time.perf_counter() + seconds
    actions = ["view"] * 6 + ["tap"] * 3 + ["add_to_cart"]

    async def connection() -> None:
        nonlocal accepted
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                who = random.choice(buyers)  # noqa: S311
                now = datetime.now(UTC).isoformat()
                body = json.dumps({"market": market, "events": [
                    {"client_event_id": f"b-{secrets.token_hex(8)}",
                     "action": random.choice(actions), "item_kind": "product",  # noqa: S311
                     "item_id": random.choice(products), "surface": "feed",  # noqa: S311
                     "occurred_at": now} for _ in range(20)]}).encode()
                started = time.perf_counter()
                writer.write((f"POST /v1/discovery/interactions HTTP/1.1\r\nHost: x\r\n"
                              f"Authorization: {who['Authorization']}\r\n"
                              f"Content-Type: application/json\r\n"
                              f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
                status, payload = await read_response(reader)
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == 200:
                    accepted += json.loads(payload)["accepted"]
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - started
    return result, accepted


async def feeds(url: str, market: str, buyers: list[dict[str, str]], concurrency: int,
                seconds: float) -> tuple[Result, float]:
    parts = urlsplit(url)
    result = Result()
    sponsored: list[int] = []
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                who = random.choice(buyers)  # noqa: S311
                started = time.perf_counter()
                writer.write((f"GET /v1/discovery/feed?market={market}&limit=20 HTTP/1.1\r\n"
                              f"Host: x\r\nAuthorization: {who['Authorization']}\r\n\r\n"
                              ).encode())
                status, payload = await read_response(reader)
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == 200:
                    sponsored.append(sum(i["sponsored"] for i in json.loads(payload)["items"]))
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - started
    return result, (sum(sponsored) / len(sponsored) if sponsored else 0.0)


async def main_async(args: argparse.Namespace) -> None:
    async with running_or_seeded(Path(args.stack)) as stack:
        url, secret = stack["services"]["discovery"], stack["jwt_secret"]
        db = await asyncpg.connect(stack["database_url"])
        deadline = time.monotonic() + 300
        while (await db.fetchval("SELECT count(*) FROM discovery.products WHERE live")) < 100:
            if time.monotonic() > deadline:
                raise SystemExit("discovery never heard of the catalogue")
            await asyncio.sleep(2)
        market, products, sellers = await _market(db)
        buyers = _buyers(secret)
        async with httpx.AsyncClient(timeout=30) as client:
            campaigns = await _campaigns(client, url, secret, sellers)
            await _consents(client, url, market, buyers)
        await db.close()
        waited = await conditions.wait_until_quiet()
        print(await conditions.describe(
            stack, f"market {market}: {len(products)} showable products, {campaigns} campaigns, "
                   f"{BUYERS} buyers (1/2 consenting adults, 1/4 not consenting, 1/4 minors); "
                   f"waited {waited:.0f} s for a quiet machine")
              + "\n", flush=True)
        result, accepted = await ingest(url, market, products, buyers, args.concurrency,
                                        args.seconds)
        print(f"interaction ingest, batches of 20, concurrency {args.concurrency}:\n  "
              f"{result.summary()}\n  {accepted / result.elapsed_s:,.0f} events accepted/s",
              flush=True)
        # The ingest burst grew tables that were empty when their plans were made; autovacuum
        # analyses them within a minute or so, which a benchmark does not wait for.
        db = await asyncpg.connect(stack["database_url"])
        await db.execute("ANALYZE discovery.co_visits, discovery.item_popularity, "
                         "discovery.buyer_interactions, discovery.ingested_events")
        await db.close()
        for concurrency in (int(c) for c in args.feed_concurrency.split(",")):
            await conditions.wait_until_quiet()  # the ingest's summaries and pruning settle
            result, per_page = await feeds(url, market, buyers, concurrency, args.seconds)
            print(f"feed first pages (20 items, auction included), concurrency {concurrency}:"
                  f"\n  {result.summary()}\n  sponsored items per page {per_page:.2f}",
                  flush=True)
        with serving("bare_app", 1) as (bare_url, _):
            await run(bare_url, lambda: "/bare", concurrency=8, seconds=2)
            ceiling = await run(bare_url, lambda: "/bare", concurrency=concurrency,
                                seconds=min(args.seconds, 10))
        rate = result.requests / result.elapsed_s
        top = ceiling.requests / ceiling.elapsed_s
        print(f"ceiling, bare FastAPI route, concurrency {concurrency}:\n  "
              f"{ceiling.summary()}\n  feed = {rate / top:.0%} of the ceiling", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=".stack/stack.json")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--feed-concurrency", default="4,16",
                        help="Feed runs, one per concurrency (the last is compared with the "
                             "ceiling).")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
