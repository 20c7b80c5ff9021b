"""Flash deals: announcing one (catalog sets its units aside by event, then it counts down) and
granting claims on it (Redis decides at once; Postgres records the grant with its event)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg

from libs import claim_tokens, metrics
from libs.api import field_problem
from libs.auth.principal import Principal
from libs.db.transaction import after_commit
from libs.errors import Problem
from libs.events.schemas import live as events
from libs.ids import new_id
from libs.outbox import enqueue
from libs.rate_limit import too_many
from services.live.adapters import deals_repository, sessions_repository
from services.live.adapters.claims_store import AttemptBudget
from services.live.components import DealCard, LiveComponents
from services.live.domain.deals import ClaimRefusal, DealTerms, DealWindow, check_terms
from services.live.use_cases import claim_audit, deal_clock
from services.live.use_cases.access import controlled_session
from services.live.use_cases.grant_records import (
    DecidedGrant,
    GrantBarred,
    GrantFenced,
    GrantRecord,
    discard_dead_state,
    record_grants,
)
from services.live.use_cases.sessions import require_verified


async def announce_deal(conn: asyncpg.Connection, live: LiveComponents, session_id: UUID,
                        principal: Principal, terms: DealTerms) -> asyncpg.Record:
    """Creates the deal on a showcased SKU of the session's shop; returns its row."""
    settings = live.settings
    now = datetime.now(UTC).replace(microsecond=0)
    session = await controlled_session(conn, session_id, principal, for_update=True)
    session.require_live("a flash deal")
    await require_verified(conn, session.seller_id, "run flash deals")
    listing = await sessions_repository.sku_listing(conn, terms.sku_id)
    if listing is None or listing["seller_id"] != session.seller_id:
        raise field_problem("sku_id", "not a SKU of this shop", "unknown_sku", status=409)
    if not listing["live"]:
        raise field_problem("sku_id", "the product is not live", "not_live", status=409)
    if not await sessions_repository.is_showcased(conn, session_id, listing["product_id"]):
        raise field_problem("sku_id", "add the product to the showcase first", "not_showcased", status=409)
    if await deals_repository.running_on_sku(conn, terms.sku_id):
        raise field_problem("sku_id", "a deal on this SKU is already running", "deal_running",
                            status=409)
    check_terms(terms, list_price_minor=listing["price_minor"], available=listing["available"])
    window = DealWindow.after_countdown(now, terms)
    deal_id = new_id()
    await deals_repository.add(
        conn, deal_id=deal_id, session_id=session_id, seller_id=session.seller_id,
        product_id=listing["product_id"], sku_id=terms.sku_id,
        deal_price_minor=terms.deal_price_minor, currency=listing["currency"],
        quantity=terms.quantity, per_buyer_limit=terms.per_buyer_limit,
        starts_at=window.starts_at, ends_at=window.ends_at)
    await deal_clock.schedule_end(conn, deal_id, window.ends_at)
    await claim_audit.schedule_audit(conn, live, deal_id, window.starts_at)
    await enqueue(conn, "live", events.LiveDealCreated(
        deal_id=deal_id, session_id=session_id, seller_id=session.seller_id,
        sku_id=terms.sku_id, deal_price_minor=terms.deal_price_minor,
        currency=listing["currency"], quantity=terms.quantity,
        per_buyer_limit=terms.per_buyer_limit, starts_at=window.starts_at,
        ends_at=window.ends_at, hold_until=window.hold_until(
            timedelta(seconds=settings.payment_window_seconds),
            timedelta(seconds=settings.claim_grace_seconds))))
    announcement = {"deal_id": str(deal_id), "product_id": str(listing["product_id"]),
                    "sku_id": str(terms.sku_id), "deal_price_minor": terms.deal_price_minor,
                    "currency": listing["currency"], "quantity": terms.quantity,
                    "starts_at": window.starts_at.isoformat(),
                    "ends_at": window.ends_at.isoformat()}
    after_commit(lambda: live.feed.publish(session_id, "deal.countdown", announcement))
    deal = await deals_repository.get(conn, deal_id)
    assert deal is not None
    return deal


class ClaimRefused(Exception):
    def __init__(self, refusal: ClaimRefusal, remaining: int) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        self.remaining = max(remaining, 0)


@dataclass(frozen=True)
class GrantedClaim:
    claim_id: UUID
    deal_id: UUID
    sku_id: UUID
    quantity: int
    unit_price_minor: int
    currency: str
    expires_at: datetime
    claim_token: str
    units_left: int


async def deal_card(live: LiveComponents, pool: Any, deal_id: UUID) -> DealCard:
    """What a claim needs to know of a deal, cached per instance (it never changes)."""
    card = live.deal_cards.get(deal_id)
    if card is None:
        deal = await deals_repository.get(pool, deal_id)
        if deal is None:
            raise Problem(404, "Not found", "No such flash deal.")
        card = DealCard(id=deal_id, session_id=deal["session_id"], sku_id=deal["sku_id"],
                        product_id=deal["product_id"],
                        deal_price_minor=deal["deal_price_minor"], currency=deal["currency"],
                        quantity=deal["quantity"])
        if len(live.deal_cards) > 10_000:
            live.deal_cards.clear()
        live.deal_cards[deal_id] = card
    return card


async def rebuild_lost_deal(live: LiveComponents, pool: Any, deal_id: UUID) -> bool:
    """Redis has no such deal, yet Postgres says it is set up: Redis lost it (restarted
    without its data). Its state is rebuilt from the recorded claims before any claim is
    decided, so no unit is granted twice and no buyer passes their limit. True if the deal is
    now in Redis (rebuilt here or by another instance).

    The deal moves to its next Redis epoch in the same transaction, which holds the deal's row
    while the claims are counted: a grant the lost Redis decided and that was still being
    recorded either committed first (and is counted) or is refused (`grant_records.py`)."""
    deal = None
    try:
        async with pool.acquire() as conn, conn.transaction():
            deal = await deals_repository.advance_redis_epoch(conn, deal_id)
            if deal is None:
                return False
            held = await deals_repository.units_held(conn, deal_id)
            rebuilt = await live.claims.rebuild(
                deal_id, remaining=max(0, deal["quantity"] - sum(held.values())),
                per_buyer_limit=deal["per_buyer_limit"], starts_at=deal["starts_at"],
                ends_at=deal["ends_at"], held=held, epoch=deal["redis_epoch"],
                kept_epoch=deal["previous_epoch"])
            if not rebuilt:  # another instance was first: keep its epoch
                raise _RebuiltElsewhere
    except _RebuiltElsewhere:
        return True
    except BaseException:
        # Redis may hold the new epoch while Postgres kept the old one: drop it there so
        # that the next claim rebuilds again, rather than have every grant refused. (Should
        # this fail too, the first grant fenced at that epoch drops it: `grant_records.py`.)
        if deal is not None:
            with contextlib.suppress(Exception):
                await live.claims.discard(deal_id, deal["redis_epoch"])
        raise
    return True


class _RebuiltElsewhere(Exception):
    pass


async def grant_claim(live: LiveComponents, pool: asyncpg.Pool, card: DealCard, buyer_id: str,
                      quantity: int, *, conn: asyncpg.Connection | None = None) -> GrantedClaim:
    """Counts the buyer's attempt against their budget (a 429 past it), then Redis decides
    (raising ClaimRefused); a grant is recorded with its event (in `conn`'s
    transaction when given, else in one of its own) and answered with a signed claim token.
    A grant that cannot be recorded in its own transaction goes straight back to the deal."""
    deal_id = card.id
    if live.sold_out.sold_out(deal_id):
        metrics.record_claim("live", ClaimRefusal.SOLD_OUT.value)
        raise ClaimRefused(ClaimRefusal.SOLD_OUT, 0)
    budget = AttemptBudget(live.settings.claim_attempts_per_minute, 60)
    decision = await live.claims.claim(deal_id, buyer_id, quantity, budget)
    if decision.over_budget:
        raise too_many("deal_id", f"Too many claim attempts: at most {budget.limit} every "
                                  f"{budget.window_seconds} s. Try again later.",
                       decision.retry_after_ms / 1000, limit=budget.limit,
                       window_seconds=budget.window_seconds)
    if decision.refusal is ClaimRefusal.NOT_READY and await rebuild_lost_deal(live, pool, deal_id):
        decision = await live.claims.claim(deal_id, buyer_id, quantity, budget,
                                           count_attempt=False)
    if decision.remaining == 0 and decision.refusal in (None, ClaimRefusal.SOLD_OUT):
        live.sold_out.remember(deal_id)
    if decision.refusal is not None:
        metrics.record_claim("live", decision.refusal.value)
        raise ClaimRefused(decision.refusal, decision.remaining)
    metrics.record_claim("live", "granted")
    assert decision.claim_id is not None
    claim_id = decision.claim_id
    expires_at = (datetime.now(UTC) + timedelta(seconds=live.settings.payment_window_seconds)
                  ).replace(microsecond=0)

    grant = DecidedGrant(GrantRecord(
        claim_id=claim_id, deal_id=deal_id, session_id=card.session_id, buyer_id=buyer_id,
        sku_id=card.sku_id, quantity=quantity, expires_at=expires_at), decision.epoch)
    try:
        if conn is None:
            await live.grants.record(live, pool, grant)  # hands the units back if it fails
        else:
            try:
                await record_grants(conn, [grant], live.settings.claim_grace_seconds)
            except GrantFenced:
                await discard_dead_state(live, grant)
                raise
            except BaseException:
                await live.give_back(deal_id, claim_id, buyer_id, quantity,
                                     unrecorded_at_epoch=grant.epoch)
                raise
            after_commit(partial(live.claims.settle, deal_id, claim_id))
    except (GrantBarred, asyncpg.UniqueViolationError) as barred:
        # The claims audit gave up on this grant while it was being recorded (an instance
        # stalled past the grace): its units are back with the deal.
        raise Problem(503, "Claim not recorded", "The claim took too long to record and was "
                      "not granted. Try again.", headers={"Retry-After": "1"}) from barred
    if decision.remaining == 0 or await live.throttle.allow(
            f"units-left:{deal_id}", live.settings.units_left_interval_seconds):
        await live.feed.publish(card.session_id, "deal.units_left",
                                {"deal_id": str(deal_id), "units_left": decision.remaining})
    token = claim_tokens.issue(live.settings.claim_token_secret.get_secret_value(),
                               claim_tokens.ClaimGrant(
        claim_id=claim_id, deal_id=deal_id, session_id=card.session_id, buyer_id=buyer_id,
        sku_id=card.sku_id, quantity=quantity, unit_price_minor=card.deal_price_minor,
        currency=card.currency, expires_at=expires_at))
    return GrantedClaim(claim_id=claim_id, deal_id=deal_id, sku_id=card.sku_id,
                        quantity=quantity, unit_price_minor=card.deal_price_minor,
                        currency=card.currency, expires_at=expires_at, claim_token=token,
                        units_left=decision.remaining)
