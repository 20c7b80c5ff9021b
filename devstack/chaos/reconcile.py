"""The books after the faults: every acknowledged order is there and decided, nothing extra;
stock, payments, the ledger and every outbox agree; dead letters are only the poison sent."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import asyncpg

SERVICES = ("catalog", "orders", "live", "fulfillment", "support", "webhooks", "discovery")
UNDECIDED = ("awaiting_stock", "awaiting_payment")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


async def quiesce(admin_url: str, within: float = 240) -> float:
    """Waits until no order is undecided, every outbox is drained and catalog has applied the
    orders' decisions to their reservations; returns the seconds."""
    began = time.monotonic()
    conn = await asyncpg.connect(admin_url)
    try:
        while time.monotonic() - began < within:
            undecided = await conn.fetchval(
                "SELECT count(*) FROM orders.orders WHERE status = ANY($1::text[])",
                list(UNDECIDED))
            unpublished = sum((await _unpublished(conn)).values())
            # Published is not yet applied: catalog may still be on its way to the last
            # `order.confirmed` / `order.cancelled` (an active reservation of a decided order).
            unapplied = await conn.fetchval(
                """SELECT count(*) FROM catalog.reservations r
                   JOIN orders.orders o ON o.id = r.order_id
                   WHERE r.status = 'active' AND NOT (o.status = ANY($1::text[]))""",
                list(UNDECIDED))
            if undecided == 0 and unpublished == 0 and unapplied == 0:
                break
            await asyncio.sleep(1)
    finally:
        await conn.close()
    return time.monotonic() - began


async def reconcile(admin_url: str, acked: set[str], initial_stock: dict[str, int],
                    deal: dict[str, Any] | None, poison_keys: set[bytes],
                    dead_letters: dict[str, list[Any]]) -> list[Check]:
    conn = await asyncpg.connect(admin_url)
    try:
        return [
            await _orders(conn, acked), await _stock(conn, initial_stock),
            await _payments(conn), await _ledger(conn), await _outboxes(conn),
            *([await _deal(conn, deal)] if deal else []),
            _dead_letters(poison_keys, dead_letters),
        ]
    finally:
        await conn.close()


async def _orders(conn: asyncpg.Connection, acked: set[str]) -> Check:
    rows = await conn.fetch("SELECT id::text, status FROM orders.orders "
                            "WHERE buyer_id LIKE 'chaos-buyer-%'")
    held = {r["id"] for r in rows}
    undecided = [r["id"] for r in rows if r["status"] in UNDECIDED]
    lost, extra = acked - held, held - acked
    return Check("orders: every acknowledged order exists and is decided, none extra",
                 not lost and not extra and not undecided,
                 f"{len(acked)} acknowledged, {len(held)} held, {len(lost)} lost, "
                 f"{len(extra)} unacknowledged, {len(undecided)} undecided")


async def _stock(conn: asyncpg.Connection, initial: dict[str, int]) -> Check:
    sold = {r["sku_id"]: int(r["units"]) for r in await conn.fetch(
        """SELECT l.sku_id::text, sum(l.quantity) AS units FROM orders.order_lines l
           JOIN orders.orders o ON o.id = l.order_id
           WHERE o.status <> 'cancelled' GROUP BY l.sku_id""")}
    levels = {r["sku_id"]: r for r in await conn.fetch(
        "SELECT sku_id::text, on_hand, reserved FROM catalog.stock "
        "WHERE sku_id = ANY($1::uuid[])", list(initial))}
    wrong = [f"{sku[:8]}: on_hand {levels[sku]['on_hand']} (want {units - sold.get(sku, 0)}), "
             f"reserved {levels[sku]['reserved']}"
             for sku, units in initial.items()
             if levels[sku]["on_hand"] != units - sold.get(sku, 0) or levels[sku]["reserved"]]
    return Check("stock: on hand = initial - units in orders not cancelled; nothing reserved",
                 not wrong, "; ".join(wrong) or f"{sum(sold.values())} units sold, all agree")


async def _payments(conn: asyncpg.Connection) -> Check:
    rows = await conn.fetch(
        """SELECT o.id, o.status,
                  (SELECT count(*) FROM orders.simulated_provider_calls c
                    WHERE c.idempotency_key = 'authorize-' || o.id) AS authorizations,
                  (SELECT count(*) FROM orders.simulated_provider_calls c
                    WHERE c.idempotency_key = 'authorize-' || o.id
                      AND c.outcome = 'authorized') AS authorized
           FROM orders.orders o WHERE o.buyer_id LIKE 'chaos-buyer-%'""")
    twice = [r for r in rows if r["authorizations"] > 1]
    unpaid = [r for r in rows if r["status"] != "cancelled" and r["authorized"] != 1]
    return Check("payments: each order authorized at most once; every live order exactly once",
                 not twice and not unpaid,
                 f"{len(rows)} orders, {len(twice)} charged twice, {len(unpaid)} live unpaid")


async def _ledger(conn: asyncpg.Connection) -> Check:
    total = await conn.fetchval("SELECT coalesce(sum(amount_minor), 0) FROM orders.ledger_entries")
    return Check("ledger: balanced", total == 0, f"sum of entries {total}")


async def _unpublished(conn: asyncpg.Connection) -> dict[str, int]:
    """Each service's outbox rows not yet published."""
    return {s: await conn.fetchval(
        f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL")  # noqa: S608
        for s in SERVICES}


async def _outboxes(conn: asyncpg.Connection, within: float = 30) -> Check:
    """Events written after the quiet point (a timer that fired since) get the relays' usual
    time to go out: a row still unpublished `within` seconds on is one the relay lost."""
    began = time.monotonic()
    while True:
        pending = await _unpublished(conn)
        if not any(pending.values()) or time.monotonic() - began > within:
            break
        await asyncio.sleep(1)
    return Check("outboxes: every event published", not any(pending.values()),
                 ", ".join(f"{s} {n}" for s, n in pending.items() if n) or "all drained")


async def units_granted(conn: asyncpg.Connection, deal_id: str) -> int:
    """Units of the deal its claims hold (expired or abandoned back into the deal: not held;
    an abandoned grant's row waiting to be handed back: still held)."""
    return int(await conn.fetchval(
        "SELECT coalesce(sum(quantity), 0) FROM live.claims WHERE deal_id = $1::uuid "
        "AND NOT (status IN ('expired', 'abandoned') AND returned_to = 'deal')", deal_id))


async def _deal(conn: asyncpg.Connection, deal: dict[str, Any]) -> Check:
    granted = await units_granted(conn, deal["id"])
    left = deal["units_left"]
    ok = granted <= deal["quantity"] and left is not None and granted + left == deal["quantity"]
    return Check("flash deals: units granted + units left = the deal's quantity, never more",
                 ok, f"{granted} granted, {left} left of {deal['quantity']}")


def _dead_letters(poison_keys: set[bytes], letters: dict[str, list[Any]]) -> Check:
    other = {group: [d for d in found if d.key not in poison_keys]
             for group, found in letters.items()}
    poisoned = sum(len(found) for found in letters.values()) - sum(map(len, other.values()))
    return Check("dead letters: only the poison sent, each with its reason",
                 not any(other.values()) and poisoned > 0,
                 f"{poisoned} poison records dead-lettered; unexpected: "
                 + (", ".join(f"{g} {len(d)} ({d[0].reason[:80]})" for g, d in other.items()
                              if d) or "none"))
