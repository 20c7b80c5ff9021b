"""The claims audit: a grant Redis decided but Postgres never recorded goes back to the deal.

A claim is decided in Redis and recorded in Postgres a moment later. A process killed (or an
outer transaction rolled back) in between would leave Redis counting units nobody holds: the
deal would sell out short. Redis notes each grant as pending until its record commits; this
audit, a recurring deadline per deal, looks at the notes older than the recording grace.

- A note whose claim row exists was recorded; only the note is dropped.
- A note of a grant decided under a Redis epoch the deal has since left (Redis lost the deal
  and it was rebuilt from Postgres without that grant) is barred as 'abandoned' and settled
  as 'fenced': the rebuilt count never took its units out, so none go back.
- Any other note without a row is barred first: an 'abandoned' row takes the claim's id and
  commits, so a stalled recording can never commit after it (it collides on the id and is
  refused).
  Only then do its units go back (to the deal while it runs, else to stock, told by
  `live.claim.expired` as any unpaid claim's units are) and the row says where. A crash
  between the two leaves the row without a destination, which the next audit finishes. The
  row stays 'abandoned' for good, so a recording that collides with it knows it was barred.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.db.transaction import transaction
from libs.deadlines import Deadline
from libs.events.schemas import live as events
from libs.outbox import enqueue
from services.live.adapters import deals_repository
from services.live.components import LiveComponents

log = logging.getLogger(__name__)
CLAIMS_AUDIT = "claims_audit"
IN_PLAY = ("awaiting_stock", "ready", "live")


_KEY_SUFFIX = ":claims"
"""The audit has its own deadline key, so its repeats never hold up the deal's start or end."""


async def schedule_audit(conn: asyncpg.Connection, live: LiveComponents, deal_id: UUID,
                         starts_at: datetime) -> None:
    """The first audit of a deal, one interval after it opens to claims."""
    interval = timedelta(seconds=live.settings.claim_audit_interval_seconds)
    await deadlines.schedule(conn, f"{deal_id}{_KEY_SUFFIX}", CLAIMS_AUDIT, starts_at + interval)


async def recover_unrecorded_grants(live: LiveComponents, pool: asyncpg.Pool,
                                    deal: asyncpg.Record, *, older_than_seconds: float) -> None:
    """Settles the deal's grants pending longer than `older_than_seconds`: drops the notes of
    those recorded, bars and hands back those that were not."""
    deal_id = deal["id"]
    stale = await live.claims.stale_grants(deal_id, older_than_seconds=older_than_seconds)
    if stale:
        async with transaction(pool) as conn:
            # Under a share lock on the deal, as grants are recorded: a note from an epoch
            # the deal has left (Redis lost it and it was rebuilt) is of a grant the rebuilt
            # count never took out, so handing its units back would add units to the deal.
            kept = (await deals_repository.redis_epochs(conn, {deal_id})).get(deal_id)
            owed = await deals_repository.bar_unrecorded(
                conn, deal, [(g.claim_id, g.buyer_id, g.quantity) for g in stale],
                {g.claim_id for g in stale if g.epoch is not None and g.epoch != kept})
        await live.claims.settle_many([(deal_id, g.claim_id) for g in stale
                                       if not owed.get(g.claim_id)])
    for claim in await deals_repository.abandoned(pool, deal_id):
        await _hand_back(live, pool, claim)


async def _hand_back(live: LiveComponents, pool: asyncpg.Pool, claim: asyncpg.Record) -> None:
    destination = await live.give_back(claim["deal_id"], claim["id"], claim["buyer_id"],
                                       claim["quantity"])
    async with transaction(pool) as conn:
        if not await deals_repository.handed_back(conn, claim["id"], destination):
            return
        await enqueue(conn, "live", events.LiveClaimExpired(
            claim_id=claim["id"], deal_id=claim["deal_id"], sku_id=claim["sku_id"],
            quantity=claim["quantity"], returned_to=destination,  # type: ignore[arg-type]
            expired_at=datetime.now(UTC)))
    log.warning("claim %s of deal %s was granted but never recorded; its %d unit(s) went "
                "back to the %s", claim["id"], claim["deal_id"], claim["quantity"], destination)


async def audit_claims(live: LiveComponents, pool: asyncpg.Pool, deadline: Deadline) -> None:
    """Fires every interval while the deal is in play, and after it until nothing is pending."""
    deal = await deals_repository.get(pool, UUID(deadline.key.removesuffix(_KEY_SUFFIX)))
    settings = live.settings
    if deal is not None:
        await recover_unrecorded_grants(live, pool, deal,
                                        older_than_seconds=settings.claim_record_grace_seconds)
    async with pool.acquire() as conn:
        if deal is not None and (deal["status"] in IN_PLAY
                                 or await live.claims.pending_count(deal["id"])):
            await deadlines.retry(conn, deadline, settings.claim_audit_interval_seconds)
        else:
            await deadlines.complete(conn, deadline)


def kinds(live: LiveComponents) -> list[deadlines.DeadlineKind]:
    return [deadlines.DeadlineKind(CLAIMS_AUDIT,
                                   fire_outside_transaction=partial(audit_claims, live))]
