"""The flash-deal clock: deals start and end on time, unpaid claims expire, and every change
reaches the session's viewers. Driven by the database, so a restart loses nothing, and safe
to run on several instances at once (rows are claimed with SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg

from libs.db.transaction import after_commit, transaction
from libs.events.schemas import live as events
from libs.outbox import enqueue
from services.live import components
from services.live.adapters import deals_repository
from services.live.adapters.claims_store import NEVER_ARMED

log = logging.getLogger(__name__)
IDLE_SLEEP_SECONDS = 0.2


async def end_deal(conn: asyncpg.Connection, deal: asyncpg.Record, *, reason: str,
                   now: datetime) -> bool:
    """Closes a deal; False when its time is not up yet by Redis's clock (try again soon)."""
    live = components.bound()
    left = await live.claims.close(deal["id"], cut_short=reason != "finished")
    if left is None:
        return False
    unclaimed = deal["quantity"] if left == NEVER_ARMED else left
    if not await deals_repository.set_status(conn, deal["id"], "ended",
                                             expected=("awaiting_stock", "ready", "live"),
                                             unclaimed_at_end=unclaimed):
        return False
    await enqueue(conn, "live", events.LiveDealEnded(
        deal_id=deal["id"], session_id=deal["session_id"], sku_id=deal["sku_id"],
        reason=reason, unclaimed_units=unclaimed, ended_at=now))  # type: ignore[arg-type]
    session_id, data = deal["session_id"], {"deal_id": str(deal["id"]), "reason": reason,
                                            "unclaimed_units": unclaimed}
    after_commit(lambda: live.feed.publish(session_id, "deal.ended", data))
    return True


async def start_due_deals(conn: asyncpg.Connection, now: datetime) -> int:
    live = components.bound()
    started = 0
    for deal in await deals_repository.due_to_start(conn, now):
        if deal["ends_at"] <= now:
            continue  # its whole window passed while it waited for stock; it just ends
        await deals_repository.set_status(conn, deal["id"], "live", expected=("ready",))
        await enqueue(conn, "live", events.LiveDealStarted(
            deal_id=deal["id"], session_id=deal["session_id"], started_at=now))
        session_id = deal["session_id"]
        data = {"deal_id": str(deal["id"]), "units_left": deal["quantity"],
                "ends_at": deal["ends_at"].isoformat()}
        after_commit(partial(live.feed.publish, session_id, "deal.started", data))
        started += 1
    return started


async def end_due_deals(conn: asyncpg.Connection, now: datetime) -> int:
    ended = 0
    for deal in await deals_repository.due_to_end(conn, now):
        ended += await end_deal(conn, deal, reason="finished", now=now)
    return ended


async def expire_unpaid_claims(conn: asyncpg.Connection, now: datetime) -> int:
    live = components.bound()
    grace = timedelta(seconds=live.settings.claim_grace_seconds)
    claims = await deals_repository.to_expire(conn, now - grace)
    for claim in claims:
        destination = await live.claims.give_back(claim["deal_id"], claim["id"],
                                                  claim["buyer_id"], claim["quantity"])
        await deals_repository.expire(conn, claim["id"], destination)
        await enqueue(conn, "live", events.LiveClaimExpired(
            claim_id=claim["id"], deal_id=claim["deal_id"], sku_id=claim["sku_id"],
            quantity=claim["quantity"], returned_to=destination,  # type: ignore[arg-type]
            expired_at=now))
        if destination == "deal":
            deal_id, session_id = claim["deal_id"], claim["session_id"]

            async def announce(deal_id: Any = deal_id, session_id: Any = session_id) -> None:
                left = await live.claims.remaining(deal_id)
                await live.feed.publish(session_id, "deal.units_left",
                                        {"deal_id": str(deal_id), "units_left": left})

            after_commit(announce)
    return len(claims)


async def tick(pool: asyncpg.Pool) -> int:
    now = datetime.now(UTC)
    async with transaction(pool) as conn:
        worked = await start_due_deals(conn, now) + await end_due_deals(conn, now)
    async with transaction(pool) as conn:
        worked += await expire_unpaid_claims(conn, now)
    return worked


async def run(runtime: Any) -> None:
    while True:
        if await tick(runtime.worker_db) == 0:
            await asyncio.sleep(IDLE_SLEEP_SECONDS)
