"""Where an accepted order's time to its outcome went, hop by hop, from the stack's own records.

The checkout benchmark measures one span, from the checkout request to the outcome event on
Kafka. To cut it, one must know which hop holds the time: the request itself, catalog deciding
the stock, orders hearing catalog's answer, the payment step, or the confirmation reaching
Kafka. Each service already records when it acted (orders' `created_at` and timeline, catalog's
reservation), so the stages are read afterwards, with no probe in the path.

Postgres's `now()` is its transaction's start, so each stage ends when the step *began*: a
step's own transaction time is counted in the next stage. The clocks are one machine's.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from benchmarks.load import pct

STAGES = (
    ("request → order stored", "request", "placed"),
    ("stored → orders' relay takes order.placed", "placed", "placed_relayed"),
    ("relay → catalog reserves", "placed_relayed", "reserved"),
    ("catalog reserves → its relay takes the answer", "reserved", "reserved_relayed"),
    ("relay → orders hears it", "reserved_relayed", "heard"),
    ("orders hears it → payment step writes", "heard", "paid"),
    ("payment → orders' relay takes order.confirmed", "paid", "confirmed_relayed"),
    ("relay → outcome seen on Kafka", "confirmed_relayed", "seen"),
)
"""Each hop across Kafka is split at its relay's claim (`published_at` is the relay's
transaction start): the time before it is the wait for the relay, the time after it the
acknowledgement, the broker and the consumer."""


async def stage_times(database_url: str, requested: dict[str, float],
                      seen: dict[str, float]) -> dict[str, dict[str, float]]:
    """Each stage's p50 and p99 in ms over the confirmed orders. `requested` and `seen` are
    the benchmark's wall-clock times (epoch seconds) of each order's checkout request and of
    its outcome event."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """WITH relayed AS (
                   SELECT payload->>'order_id' AS order_id,
                          min(published_at) FILTER (WHERE event_type = 'order.placed')
                              AS placed_relayed,
                          min(published_at) FILTER (WHERE event_type = 'order.confirmed')
                              AS confirmed_relayed
                   FROM orders.outbox WHERE event_type IN ('order.placed', 'order.confirmed')
                   GROUP BY 1),
               answered AS (
                   SELECT payload->>'order_id' AS order_id, min(published_at) AS reserved_relayed
                   FROM catalog.outbox WHERE event_type = 'inventory.reserved' GROUP BY 1),
               noted AS (
                   SELECT order_id,
                          min(at) FILTER (WHERE note = 'stock reserved') AS heard,
                          min(at) FILTER (WHERE note = 'payment authorized') AS paid
                   FROM orders.order_timeline WHERE order_id = ANY($1::uuid[]) GROUP BY 1)
               SELECT o.id::text AS order_id,
                      extract(epoch FROM o.created_at)::float8 AS placed,
                      extract(epoch FROM rel.placed_relayed)::float8 AS placed_relayed,
                      extract(epoch FROM r.created_at)::float8 AS reserved,
                      extract(epoch FROM a.reserved_relayed)::float8 AS reserved_relayed,
                      extract(epoch FROM n.heard)::float8 AS heard,
                      extract(epoch FROM n.paid)::float8 AS paid,
                      extract(epoch FROM rel.confirmed_relayed)::float8 AS confirmed_relayed
               FROM orders.orders o
               JOIN catalog.reservations r ON r.order_id = o.id
               LEFT JOIN relayed rel ON rel.order_id = o.id::text
               LEFT JOIN answered a ON a.order_id = o.id::text
               LEFT JOIN noted n ON n.order_id = o.id
               WHERE o.id = ANY($1::uuid[])""", list(seen))
    finally:
        await conn.close()
    spans: dict[str, list[float]] = {name: [] for name, _, _ in STAGES}
    for row in rows:
        at = {**dict(row), "request": requested.get(row["order_id"]),
              "seen": seen[row["order_id"]]}
        for name, start, end in STAGES:
            if at[start] is not None and at[end] is not None:
                spans[name].append((at[end] - at[start]) * 1000)
    return {name: {"p50_ms": round(pct(values, 50)), "p99_ms": round(pct(values, 99)),
                   "orders": len(values)} for name, values in spans.items()}


def print_stages(stages: dict[str, Any]) -> None:
    print("  where the outcome's time went (ms, p50 / p99 over confirmed orders):")
    for name, figures in stages.items():
        print(f"    {name:<48} {figures['p50_ms']:>6} / {figures['p99_ms']:>6}")
