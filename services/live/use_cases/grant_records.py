"""Recording granted claims in Postgres, the grants of concurrent claims together.

Every grant's `live.claim.created` takes the next sequence number of its deal, so two grants
of one deal cannot commit side by side: each waited for the one before to commit durably. In
a drop of 100 units that queue of 100 commits was most of a claimant's wait (p99 350 ms).
Grants that arrive while a transaction is committing now go together in the next one, so
a drop's grants need a few commits instead of one each.

The recorder owns each grant's outcome, so a claimant who hangs up changes nothing: a grant
whose record commits stays granted, and one whose record fails goes back to the deal here
(never both). A batch that fails is retried one grant at a time, so one grant the claims
audit has barred (`claim_audit.py`) fails alone.

Each grant carries the Redis epoch it was decided under (`claims_store.py`), and is recorded
only while its deal is still at that epoch. Should Redis lose a deal while a grant of it is in
flight, the deal is rebuilt from the claims Postgres holds, at the next epoch (`deals.py`,
`rebuild_lost_deal`); the grant was not among them, so recording it then would grant its units
twice. It is refused instead, and its units are not handed back: the rebuilt deal never
counted them out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from libs import deadlines
from libs.events.schemas import live as events
from libs.outbox import enqueue
from services.live.adapters import deals_repository
from services.live.components import LiveComponents
from services.live.use_cases.deal_clock import CLAIM_EXPIRY, claim_expiry_due

log = logging.getLogger(__name__)


GrantRecord = events.LiveClaimCreated
"""A grant to record is the event that will announce it: the same fields, said once."""


class DecidedGrant(NamedTuple):
    record: GrantRecord
    epoch: int
    """The deal's Redis epoch the grant was decided under."""


class GrantBarred(Exception):
    """The claims audit gave up on the grant before its record committed: not granted."""


class GrantFenced(GrantBarred):
    """Redis lost the grant's deal after deciding it and the deal was rebuilt without it: not
    granted, and its units are not handed back (the rebuilt deal never counted them out)."""


async def record_grants(conn: asyncpg.Connection, decided: Sequence[DecidedGrant],
                        grace_seconds: float) -> None:
    """The grants' rows, expiry deadlines and events, in the caller's transaction; raises
    GrantFenced, recording none, when any grant's deal has moved on from its epoch."""
    epochs = await deals_repository.redis_epochs(conn, {d.record.deal_id for d in decided})
    if any(epochs.get(d.record.deal_id) != d.epoch for d in decided):
        raise GrantFenced
    grants = [d.record for d in decided]
    await deals_repository.add_claims(conn, [
        (g.claim_id, g.deal_id, g.session_id, g.buyer_id, g.sku_id, g.quantity, g.expires_at)
        for g in grants])
    await deadlines.schedule_each(conn, [
        (g.claim_id, CLAIM_EXPIRY, claim_expiry_due(g.expires_at, grace_seconds))
        for g in grants])
    await enqueue(conn, "live", *grants)


async def discard_dead_state(live: LiveComponents, fenced: DecidedGrant) -> None:
    """A fenced grant was decided under an epoch Postgres does not keep. Should Redis still
    hold the deal at that epoch (restored from an older snapshot, or left by a rebuild that
    never committed), every claim it decides would be fenced too: it is dropped, and the next
    claim rebuilds the deal from Postgres. Epochs are never reused, so this cannot drop the
    state of a rebuild that committed."""
    if await live.claims.discard(fenced.record.deal_id, fenced.epoch):
        live.sold_out.forget(fenced.record.deal_id)
        log.warning("deal %s: Redis held it at epoch %d, which Postgres does not keep; "
                    "dropped, to be rebuilt", fenced.record.deal_id, fenced.epoch)


class GrantRecorder:
    """Collects grants while a transaction commits and records them in the next one."""

    def __init__(self, max_batch: int = 200) -> None:
        self._max_batch = max_batch
        self._waiting: list[tuple[DecidedGrant, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, live: LiveComponents, pool: asyncpg.Pool,
                     grant: DecidedGrant) -> None:
        """Returns once the grant is recorded; raises GrantBarred, or the database's error,
        once it is not (its units are then back with the deal)."""
        outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((grant, outcome))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(live, pool))
        await asyncio.shield(outcome)

    async def _flush(self, live: LiveComponents, pool: asyncpg.Pool) -> None:
        while self._waiting:
            batch = self._waiting[:self._max_batch]
            del self._waiting[:self._max_batch]
            try:
                await self._record_together(live, pool, batch)
            except Exception:
                for one in batch:
                    await self._record_alone(live, pool, one)

    @staticmethod
    async def _record_together(live: LiveComponents, pool: asyncpg.Pool,
                               batch: list[tuple[DecidedGrant, asyncio.Future[None]]]) -> None:
        decided = [grant for grant, _ in batch]
        async with pool.acquire() as conn, conn.transaction():
            await record_grants(conn, decided, live.settings.claim_grace_seconds)
        for _, outcome in batch:
            if not outcome.done():
                outcome.set_result(None)
        await _settle(live, [d.record for d in decided])

    @staticmethod
    async def _record_alone(live: LiveComponents, pool: asyncpg.Pool,
                            one: tuple[DecidedGrant, asyncio.Future[None]]) -> None:
        decided, outcome = one
        grant = decided.record
        try:
            async with pool.acquire() as conn, conn.transaction():
                await record_grants(conn, [decided], live.settings.claim_grace_seconds)
        except Exception as exc:
            if isinstance(exc, asyncpg.UniqueViolationError) and await _recorded(pool, grant):
                # The batch did commit, though its commit's answer was lost with the
                # connection: the grant stands.
                if not outcome.done():
                    outcome.set_result(None)
                await _settle(live, [grant])
                return
            failure: BaseException = (GrantBarred() if isinstance(
                exc, asyncpg.UniqueViolationError) else exc)
            try:
                if isinstance(exc, GrantFenced):
                    await discard_dead_state(live, decided)
                else:
                    await live.give_back(grant.deal_id, grant.claim_id, grant.buyer_id,
                                         grant.quantity, unrecorded_at_epoch=decided.epoch)
            except Exception:
                log.exception("grant %s not recorded and not handed back yet", grant.claim_id)
            if not outcome.done():
                outcome.set_exception(failure)
            return
        if not outcome.done():
            outcome.set_result(None)
        await _settle(live, [grant])


async def _recorded(pool: asyncpg.Pool, grant: GrantRecord) -> bool:
    """Whether the grant's own row exists (not the claims audit's 'abandoned' bar)."""
    claim = await deals_repository.get_claim(pool, grant.claim_id)
    return claim is not None and claim["status"] != "abandoned"


async def _settle(live: LiveComponents, grants: list[GrantRecord]) -> None:
    """The records committed: the grants are no longer pending. Should Redis not hear it, the
    claims audit finds the rows and settles them itself."""
    try:
        await live.claims.settle_many([(g.deal_id, g.claim_id) for g in grants])
    except Exception:
        log.warning("could not settle %d recorded grants in Redis", len(grants), exc_info=True)
