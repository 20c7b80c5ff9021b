"""The flash-deal clock: deals start and end on time, unpaid claims expire, and every change
reaches the session's viewers. Each is a deadline of the platform's engine (`libs.deadlines`),
set in the transaction that makes it matter, so a restart loses nothing and any number of
instances can share the work."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.db.transaction import after_commit
from libs.deadlines import Deadline, DeadlineKind, Retry
from libs.events.schemas import live as events
from libs.outbox import enqueue
from services.live.adapters import deals_repository
from services.live.adapters.claims_store import NEVER_ARMED
from services.live.components import LiveComponents
from services.live.domain.deals import released_claim_goes_to
from services.live.use_cases import claim_audit

log = logging.getLogger(__name__)
DEAL_START, DEAL_END, CLAIM_EXPIRY = "deal_start", "deal_end", "claim_expiry"
NOT_YET_SECONDS = 0.05
"""Redis's clock decides when a deal is over; when it lags Postgres's, the end is retried soon."""


async def end_deal(conn: asyncpg.Connection, live: LiveComponents, deal: asyncpg.Record, *,
                   reason: str, now: datetime) -> bool:
    """Closes a deal; False when its time is not up yet by Redis's clock (try again soon)."""
    left = await live.claims.close(deal["id"], cut_short=reason != "finished")
    if left is None:
        return False
    unclaimed = deal["quantity"] if left == NEVER_ARMED else left
    if not await deals_repository.set_status(conn, deal["id"], "ended",
                                             expected=("awaiting_stock", "ready", "live"),
                                             unclaimed_at_end=unclaimed):
        return False
    await deadlines.cancel(conn, deal["id"], DEAL_START, DEAL_END)
    await enqueue(conn, "live", events.LiveDealEnded(
        deal_id=deal["id"], session_id=deal["session_id"], sku_id=deal["sku_id"],
        reason=reason, unclaimed_units=unclaimed, ended_at=now))  # type: ignore[arg-type]
    session_id, data = deal["session_id"], {"deal_id": str(deal["id"]), "reason": reason,
                                            "unclaimed_units": unclaimed}
    after_commit(lambda: live.feed.publish(session_id, "deal.ended", data))
    return True


async def schedule_start(conn: asyncpg.Connection, deal: asyncpg.Record) -> None:
    """The deal's units are set aside: it opens at its start time (or now, if stock was late)."""
    await deadlines.schedule(conn, deal["id"], DEAL_START, deal["starts_at"])


async def schedule_end(conn: asyncpg.Connection, deal_id: UUID, ends_at: datetime) -> None:
    await deadlines.schedule(conn, deal_id, DEAL_END, ends_at)


def claim_expiry_due(expires_at: datetime, grace_seconds: float) -> datetime:
    """An unpaid claim gives its unit back after the payment window and a grace period."""
    return expires_at + timedelta(seconds=grace_seconds)


async def schedule_claim_expiry(conn: asyncpg.Connection, claim_id: UUID, expires_at: datetime,
                                grace_seconds: float) -> None:
    await deadlines.schedule(conn, claim_id, CLAIM_EXPIRY,
                             claim_expiry_due(expires_at, grace_seconds))


async def start_deal(live: LiveComponents, conn: asyncpg.Connection, deadline: Deadline) -> None:
    now = datetime.now(UTC)
    deal = await deals_repository.get(conn, UUID(deadline.key), for_update=True)
    if deal is None or deal["status"] != "ready" or deal["ends_at"] <= now:
        return  # ended, refused or cut short meanwhile; or its whole window passed: it just ends
    await deals_repository.set_status(conn, deal["id"], "live", expected=("ready",))
    await enqueue(conn, "live", events.LiveDealStarted(
        deal_id=deal["id"], session_id=deal["session_id"], started_at=now))
    data = {"deal_id": str(deal["id"]), "units_left": deal["quantity"],
            "ends_at": deal["ends_at"].isoformat()}
    after_commit(partial(live.feed.publish, deal["session_id"], "deal.started", data))


async def finish_deal(live: LiveComponents, conn: asyncpg.Connection,
                      deadline: Deadline) -> None:
    deal = await deals_repository.get(conn, UUID(deadline.key), for_update=True)
    if deal is None or deal["status"] not in ("awaiting_stock", "ready", "live"):
        return
    if not await end_deal(conn, live, deal, reason="finished", now=datetime.now(UTC)):
        raise Retry(NOT_YET_SECONDS, "the deal's time is not up by Redis's clock yet")


async def expire_claim(live: LiveComponents, conn: asyncpg.Connection,
                       deadline: Deadline) -> None:
    """An unpaid claim's unit goes back to the deal while it runs, else to stock."""
    claim = await deals_repository.get_claim(conn, UUID(deadline.key), for_update=True)
    if claim is None or claim["status"] != "active":
        return  # consumed by an order meanwhile
    destination = await _give_back(live, conn, claim)
    await enqueue(conn, "live", events.LiveClaimExpired(
        claim_id=claim["id"], deal_id=claim["deal_id"], sku_id=claim["sku_id"],
        quantity=claim["quantity"], returned_to=destination,  # type: ignore[arg-type]
        expired_at=datetime.now(UTC)))


async def release_claims(live: LiveComponents, conn: asyncpg.Connection, order_id: UUID,
                         now: datetime) -> None:
    """The order that checked claims out was cancelled (a declined card, the buyer's change of
    mind, a timeout): a claim still inside its payment window is its buyer's again, to check
    out with a good card; past it, its units go back to the deal while it runs, else to stock.
    Either way the deal's tally stops counting it as sold."""
    for claim in await deals_repository.of_order(conn, order_id):
        goes_to = released_claim_goes_to(claim["status"], now=now,
                                         expires_at=claim["expires_at"])
        if goes_to == "claim":
            await deals_repository.give_back_to_buyer(conn, claim["id"])
            await schedule_claim_expiry(conn, claim["id"], claim["expires_at"],
                                        live.settings.claim_grace_seconds)
        elif goes_to == "stock":
            await deals_repository.expire(conn, claim["id"], "stock")
        else:
            goes_to = await _give_back(live, conn, claim)
        await enqueue(conn, "live", events.LiveClaimReleased(
            claim_id=claim["id"], deal_id=claim["deal_id"], order_id=order_id,
            sku_id=claim["sku_id"], quantity=claim["quantity"],
            returned_to=goes_to, released_at=now))  # type: ignore[arg-type]


async def _give_back(live: LiveComponents, conn: asyncpg.Connection,
                     claim: asyncpg.Record) -> str:
    """Hands a claim's units back (Redis decides: the deal while it runs, else stock), records
    it, and tells the viewers when the deal got units back."""
    destination = await live.give_back(claim["deal_id"], claim["id"], claim["buyer_id"],
                                       claim["quantity"])
    await deals_repository.expire(conn, claim["id"], destination)
    if destination == "deal":
        deal_id, session_id = claim["deal_id"], claim["session_id"]

        async def announce() -> None:
            left = await live.claims.remaining(deal_id)
            await live.feed.publish(session_id, "deal.units_left",
                                    {"deal_id": str(deal_id), "units_left": left})

        after_commit(announce)
    return destination


def kinds(runtime: Any) -> list[DeadlineKind]:
    live = runtime.components["live"]
    return [DeadlineKind(DEAL_START, fire=partial(start_deal, live)),
            DeadlineKind(DEAL_END, fire=partial(finish_deal, live)),
            DeadlineKind(CLAIM_EXPIRY, fire=partial(expire_claim, live)),
            *claim_audit.kinds(live)]
