"""Interactions from frontends (views, taps, add-to-carts) and purchases from orders' events.

Every interaction counts, unnamed, toward its item's popularity in the market (once per buyer,
item, action and hour, so reloading a page does not make a bestseller). A buyer's own history
(which personalises their feed and feeds co-visitation) is kept only while they may be
profiled: a consenting, verified adult."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg

from services.discovery.adapters import consent_repository, interactions_repository
from services.discovery.domain.consent import may_keep_history
from services.discovery.domain.ranking import ACTION_WEIGHT, Action, co_visitation_pairs

_WEIGHTS = {a.value: w for a, w in ACTION_WEIGHT.items()}


@dataclass(frozen=True)
class Interaction:
    client_event_id: str
    action: Action
    item_kind: str
    item_id: UUID
    occurred_at: datetime


@dataclass(frozen=True)
class Outcome:
    accepted: int
    duplicates: int
    counted: int
    unknown_items: int


def _key(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


async def _known(conn: asyncpg.Connection, market: str, items: set[tuple[str, UUID]]
                 ) -> dict[tuple[str, UUID], UUID | None]:
    """The items discovery knows in the market, with their category (None for sessions)."""
    rows = await conn.fetch(
        """SELECT 'product' AS kind, id, category_id FROM products
            WHERE id = ANY($1::uuid[]) AND market = $4
           UNION ALL
           SELECT 'live_session', l.id, NULL FROM live_sessions l
             JOIN sellers s ON s.id = l.seller_id AND s.market = $4 WHERE l.id = ANY($2::uuid[])
           UNION ALL
           SELECT 'video', id, NULL FROM videos WHERE id = ANY($3::uuid[]) AND market = $4""",
        [i for k, i in items if k == "product"], [i for k, i in items if k == "live_session"],
        [i for k, i in items if k == "video"], market)
    return {(r["kind"], r["id"]): r["category_id"] for r in rows}


async def ingest(conn: asyncpg.Connection, *, buyer_id: str, birthdate: date | None,
                 market: str, events: list[Interaction], recent_limit: int) -> Outcome:
    now = datetime.now(UTC)
    await consent_repository.note_buyer(conn, buyer_id, market, birthdate, now)
    once = {_key(buyer_id, e.client_event_id): e for e in events}
    fresh_keys = await interactions_repository.first_times(conn, list(once))
    fresh = [e for k, e in once.items() if k in fresh_keys]
    known = await _known(conn, market, {(e.item_kind, e.item_id) for e in fresh})
    usable = [e for e in fresh if (e.item_kind, e.item_id) in known]
    hour = now.strftime("%Y%m%d%H")
    per_hour = {_key(buyer_id, e.action.value, str(e.item_id), hour): e for e in usable}
    counted_keys = await interactions_repository.first_times(conn, list(per_hour))
    counted = [e for k, e in per_hour.items() if k in counted_keys]
    await _count(conn, market, [(e.item_kind, e.item_id, e.action) for e in counted], now)
    consent = await consent_repository.consent(conn, buyer_id)
    if usable and may_keep_history(consent=consent, market=market, birthdate=birthdate,
                                   today=now.date()):
        await _remember(conn, buyer_id, market,
                        [(e.item_kind, e.item_id, known[(e.item_kind, e.item_id)], e.action,
                          min(e.occurred_at, now)) for e in usable], recent_limit)
    return Outcome(accepted=len(fresh), duplicates=len(events) - len(fresh),
                   counted=len(counted), unknown_items=len(fresh) - len(usable))


async def _count(conn: asyncpg.Connection, market: str,
                 touches: list[tuple[str, UUID, Action]], now: datetime) -> None:
    tally = Counter(touches)
    await interactions_repository.add_counts(
        conn, [(market, kind, item, action.value, n) for (kind, item, action), n in tally.items()],
        now, _WEIGHTS)


async def _remember(conn: asyncpg.Connection, buyer_id: str, market: str,
                    touches: list[tuple[str, UUID, UUID | None, Action, datetime]],
                    recent_limit: int) -> None:
    """The buyer's history, and the co-visitation pairs their new products make with their
    recent ones."""
    recent_rows = await interactions_repository.recent(conn, buyer_id, recent_limit)
    recent = [r["item_id"] for r in reversed(recent_rows) if r["item_kind"] == "product"]
    pairs: list[tuple[UUID, UUID, float]] = []
    for kind, item, _, action, _ in touches:
        if kind == "product":
            pairs.extend(co_visitation_pairs(recent[-recent_limit:], item, ACTION_WEIGHT[action]))
            recent.append(item)
    await interactions_repository.add_history(conn, buyer_id, [
        (market, kind, item, category, action.value, ACTION_WEIGHT[action], at)
        for kind, item, category, action, at in touches])
    await interactions_repository.add_co_visits(conn, market, pairs)


async def count_purchases(conn: asyncpg.Connection,
                          orders: list[list[asyncpg.Record]]) -> None:
    """Paid orders' products (each order's distinct products, from `products_of_skus`) count as
    purchases in their markets: one write per market however many orders, so a bestseller's
    popularity row is locked once per run of orders, not once per order."""
    now = datetime.now(UTC)
    by_market: dict[str, list[tuple[str, UUID, Action]]] = {}
    for bought in orders:
        for product in bought:
            by_market.setdefault(product["market"].strip(), []).append(
                ("product", product["id"], Action.PURCHASE))
    for market, touches in sorted(by_market.items()):
        await _count(conn, market, touches, now)


async def remember_purchase(conn: asyncpg.Connection, buyer_id: str,
                            bought: list[asyncpg.Record], recent_limit: int) -> None:
    """A paid order's products join the buyer's history when they may be profiled (as the
    token last showed them: consent and age)."""
    if not bought:
        return
    buyer = await consent_repository.buyer(conn, buyer_id)
    if buyer is None:
        return
    now = datetime.now(UTC)
    market = buyer["market"].strip()
    if may_keep_history(consent=buyer["personalised"], market=market,
                        birthdate=buyer["birthdate"], today=now.date()):
        await _remember(conn, buyer_id, market, [
            ("product", p["id"], p["category_id"], Action.PURCHASE, now)
            for p in bought if p["market"].strip() == market], recent_limit)
