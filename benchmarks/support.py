"""Support, printed as figures (not asserted): `make bench-support`.

Against a running dev stack:

1. **The automatic first reply.** Buyers open tickets through the API at a steady rate (each
   buyer once, so the rate limit is not what is measured); for each ticket, the time from its
   creation to the responder's answer, both as support recorded them.
2. **SLA timer accuracy with many open tickets.** 10,000 open tickets are written with their
   first-reply clocks (the deadline rows `libs.deadlines.schedule` writes, the same call the
   ticket use case makes), due over the next `--spread` seconds with a warning before each.
   Support's deadline workers fire them: warning events and breaches (with their escalation).
   The figure is each event's time minus the time it was due.

It prints the conditions it ran under (machine, cores, Postgres durability, broker) and the
machine's durable-commit ceiling measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks import conditions
from benchmarks.fulfillment import commit_ceiling
from benchmarks.load import open_loop, pct
from libs import deadlines
from libs.auth.dev_token import mint
from libs.db.pool import create_pool
from libs.ids import new_id

QUESTIONS = [
    "How do I return an item and get a refund?",
    "My parcel is late, where is my order?",
    "When is my card charged for an order?",
    "Can I cancel my order before it ships?",
    "How do flash deals work in a live stream?",
]


async def first_replies(client: httpx.AsyncClient, pool: asyncpg.Pool, url: str, secret: str,
                        rate: float, seconds: float) -> None:
    created: list[str] = []
    refused: list[int] = []

    async def one(n: int) -> None:
        buyer = mint(secret, subject=f"bench-buyer-{secrets.token_hex(4)}", roles=["buyer"])
        response = await client.post(f"{url}/v1/tickets", headers={
            "Authorization": f"Bearer {buyer}"}, json={
            "category": "order", "market": "GB", "subject": f"Question {n}",
            "body": QUESTIONS[n % len(QUESTIONS)]})
        if response.status_code == 201:
            created.append(response.json()["id"])
        else:
            refused.append(response.status_code)

    n, _, offered = await open_loop(rate, seconds, one)
    deadline = time.perf_counter() + 60
    latencies: list[float] = []
    while time.perf_counter() < deadline:
        rows = await pool.fetch(
            """SELECT extract(epoch FROM min(m.created_at) - t.created_at) AS seconds
               FROM tickets t JOIN ticket_messages m
                    ON m.ticket_id = t.id AND m.author_kind = 'responder'
               WHERE t.id = ANY($1::uuid[]) GROUP BY t.id""", created)
        latencies = [float(r["seconds"]) for r in rows]
        if len(latencies) == len(created):
            break
        await asyncio.sleep(0.5)
    print(f"  first reply: {n} tickets at {rate}/s over {offered:.0f} s ({len(refused)} "
          f"refused); answered {len(latencies)}; creation -> automatic answer p50 "
          f"{pct(latencies, 50) * 1000:.0f} ms, p99 {pct(latencies, 99) * 1000:.0f} ms, max "
          f"{max(latencies, default=0) * 1000:.0f} ms", flush=True)


async def sla_timers(pool: asyncpg.Pool, tickets: int, spread: float, lead: float) -> None:
    start = datetime.now(UTC) + timedelta(seconds=lead)
    ids = [new_id() for _ in range(tickets)]
    queue = await pool.fetchval("SELECT id FROM queues WHERE name = 'General'")
    began = time.perf_counter()
    for batch in range(0, tickets, 500):
        async with pool.acquire() as conn, conn.transaction():
            rows = []
            for offset, ticket_id in enumerate(ids[batch:batch + 500], start=batch):
                due = start + timedelta(seconds=spread * offset / tickets)
                rows.append((ticket_id, due))
                await deadlines.schedule(conn, ticket_id, "sla_first_reply", due,
                                         warn_at=due - timedelta(seconds=2))
            await conn.executemany(
                """INSERT INTO tickets (id, requester, requester_kind, market, language, tier,
                                        category, priority, subject, status, queue_id,
                                        first_reply_due_at, created_at, updated_at)
                   VALUES ($1, 'bench-sla', 'buyer', 'GB', 'en', 'buyer', 'other', 'normal',
                           'SLA timer bench', 'new', $3, $2, now(), now())""",
                [(ticket_id, due, queue) for ticket_id, due in rows])
    print(f"  SLA timers: wrote {tickets} open tickets with clocks due over {spread:.0f} s in "
          f"{time.perf_counter() - began:.1f} s", flush=True)
    keys = [str(i) for i in ids]
    finish = time.perf_counter() + lead + spread + 120
    while time.perf_counter() < finish:
        done = await pool.fetchval("SELECT count(*) FROM deadlines WHERE key = ANY($1::text[]) "
                                   "AND done_at IS NOT NULL", keys)
        if done == tickets:
            break
        await asyncio.sleep(1)
    rows = await pool.fetch(
        """SELECT event_type, extract(epoch FROM (payload ->> 'at')::timestamptz
                  - CASE WHEN event_type = 'sla.warning'
                         THEN (payload ->> 'due_at')::timestamptz - interval '2 seconds'
                         ELSE (payload ->> 'due_at')::timestamptz END) AS late
           FROM outbox WHERE event_key = ANY($1::text[])
             AND event_type IN ('sla.warning', 'sla.breached')""", keys)
    for kind in ("sla.warning", "sla.breached"):
        late = [float(r["late"]) for r in rows if r["event_type"] == kind]
        print(f"  {kind}: {len(late)} of {tickets} fired; event time - due time p50 "
              f"{pct(late, 50) * 1000:.0f} ms, p99 {pct(late, 99) * 1000:.0f} ms, max "
              f"{max(late, default=0) * 1000:.0f} ms", flush=True)


async def run(stack: dict[str, Any], rate: float, seconds: float, tickets: int,
              spread: float) -> None:
    pool = await create_pool(stack["database_url"], "support", application_name="bench-support")
    try:
        print(await conditions.describe(stack, "one support process"), flush=True)
        print("  measuring the machine's durable commit ceiling ...", flush=True)
        ceiling = await commit_ceiling(stack["database_url"])
        async with httpx.AsyncClient(timeout=30) as client:
            await first_replies(client, pool, stack["services"]["support"], stack["jwt_secret"],
                                rate, seconds)
        await sla_timers(pool, tickets, spread, lead=10)
        print(f"  machine ceiling: {ceiling:,.0f} durable commits/s")
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=".stack/stack.json")
    parser.add_argument("--rate", type=float, default=10, help="tickets per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--tickets", type=int, default=10_000, help="open tickets for timers")
    parser.add_argument("--spread", type=float, default=60,
                        help="seconds over which their clocks fall due")
    args = parser.parse_args()
    stack = json.loads(Path(args.stack).read_text())
    asyncio.run(run(stack, args.rate, args.seconds, args.tickets, args.spread))


if __name__ == "__main__":
    main()
