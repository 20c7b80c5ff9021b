"""Flash deals on a session's showcased SKUs, and viewers' claims on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from libs import claim_tokens
from libs.api import field_problem, runtime
from libs.auth.dependencies import HOT_PATH_SECURITY, bearer_principal, require
from libs.auth.principal import Principal, Role
from libs.db.transaction import after_commit, transaction
from libs.errors import Problem, problem_response, validation_problem
from libs.events.schemas import live as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.live import components
from services.live.adapters import deals_repository, sessions_repository
from services.live.api._common import controlled_session
from services.live.components import DealCard, LiveComponents
from services.live.domain.deals import (
    MAX_PER_BUYER,
    ClaimRefusal,
    DealStatus,
    DealTerms,
    DealWindow,
    check_terms,
)
from services.live.handlers import deal_clock

router = APIRouter(prefix="/v1/live", tags=["flash deals"])
hosts = require(Role.SELLER, Role.CREATOR)
buyers = require(Role.BUYER)


class DealIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "sku_id": "0196f0c4-6f2e-7c4a-9d1e-2b8a1d3c4e5f", "deal_price_minor": 1499,
        "quantity": 100, "per_buyer_limit": 1, "countdown_seconds": 30,
        "duration_seconds": 300}]})
    sku_id: UUID
    deal_price_minor: int
    quantity: int
    per_buyer_limit: int = 1
    countdown_seconds: int = Field(description="10 to 300 seconds before the deal opens.")
    duration_seconds: int = Field(description="60 to 1200 seconds (1 to 20 minutes).")


class DealTallyView(BaseModel):
    sold: int
    held: int
    returned_to_stock: int
    unclaimed_at_end: int | None
    balances: bool = Field(description="sold + held + returned + unclaimed = quantity")


class DealView(BaseModel):
    id: UUID
    session_id: UUID
    product_id: UUID
    sku_id: UUID
    deal_price_minor: int
    currency: str
    quantity: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime
    status: DealStatus
    units_left: int | None
    tally: DealTallyView


async def _deal_view(conn: Any, live: LiveComponents, deal: Any) -> DealView:
    tally = await deals_repository.tally(conn, deal["id"])
    units_left = (await live.claims.remaining(deal["id"])
                  if deal["status"] in ("ready", "live") else None)
    if deal["status"] == "ended":
        units_left = 0
    return DealView(
        id=deal["id"], session_id=deal["session_id"], product_id=deal["product_id"],
        sku_id=deal["sku_id"], deal_price_minor=deal["deal_price_minor"],
        currency=deal["currency"], quantity=deal["quantity"],
        per_buyer_limit=deal["per_buyer_limit"], starts_at=deal["starts_at"],
        ends_at=deal["ends_at"], status=DealStatus(deal["status"]), units_left=units_left,
        tally=DealTallyView(sold=tally.sold, held=tally.held,
                            returned_to_stock=tally.returned_to_stock,
                            unclaimed_at_end=tally.unclaimed_at_end, balances=tally.balances))


@router.post("/sessions/{session_id}/deals", status_code=201, response_model=DealView,
             summary="Announce a flash deal; catalog sets its units aside, then it counts down.")
async def create_deal(request: Request, session_id: UUID, body: DealIn,
                      principal: Annotated[Principal, Depends(hosts)]) -> Any:
    live = components.of(request)
    settings = live.settings
    now = datetime.now(UTC).replace(microsecond=0)
    async with transaction(runtime(request).db) as conn:
        session = await controlled_session(conn, session_id, principal, for_update=True)
        session.require_live("a flash deal")
        listing = await sessions_repository.sku_listing(conn, body.sku_id)
        if listing is None or listing["seller_id"] != session.seller_id:
            raise field_problem("sku_id", "not a SKU of this shop", "unknown_sku")
        if not listing["live"]:
            raise field_problem("sku_id", "the product is not live", "not_live")
        if not await sessions_repository.is_showcased(conn, session_id, listing["product_id"]):
            raise field_problem("sku_id", "add the product to the showcase first",
                                "not_showcased")
        if await deals_repository.running_on_sku(conn, body.sku_id):
            raise field_problem("sku_id", "a deal on this SKU is already running",
                                "deal_running", status=409)
        terms = DealTerms(sku_id=body.sku_id, deal_price_minor=body.deal_price_minor,
                          quantity=body.quantity, per_buyer_limit=body.per_buyer_limit,
                          countdown_seconds=body.countdown_seconds,
                          duration_seconds=body.duration_seconds)
        check_terms(terms, list_price_minor=listing["price_minor"],
                    available=listing["available"])
        window = DealWindow.after_countdown(now, terms)
        deal_id = new_id()
        await deals_repository.add(
            conn, deal_id=deal_id, session_id=session_id, seller_id=session.seller_id,
            product_id=listing["product_id"], sku_id=body.sku_id,
            deal_price_minor=body.deal_price_minor, currency=listing["currency"],
            quantity=body.quantity, per_buyer_limit=body.per_buyer_limit,
            starts_at=window.starts_at, ends_at=window.ends_at)
        await deal_clock.schedule_end(conn, deal_id, window.ends_at)
        await enqueue(conn, "live", events.LiveDealCreated(
            deal_id=deal_id, session_id=session_id, seller_id=session.seller_id,
            sku_id=body.sku_id, deal_price_minor=body.deal_price_minor,
            currency=listing["currency"], quantity=body.quantity,
            per_buyer_limit=body.per_buyer_limit, starts_at=window.starts_at,
            ends_at=window.ends_at, hold_until=window.hold_until(
                timedelta(seconds=settings.payment_window_seconds),
                timedelta(seconds=settings.claim_grace_seconds))))
        deal = await deals_repository.get(conn, deal_id)
        view = await _deal_view(conn, live, deal)
        announcement = {"deal_id": str(deal_id), "product_id": str(listing["product_id"]),
                        "sku_id": str(body.sku_id), "deal_price_minor": body.deal_price_minor,
                        "currency": listing["currency"], "quantity": body.quantity,
                        "starts_at": window.starts_at.isoformat(),
                        "ends_at": window.ends_at.isoformat()}
        after_commit(lambda: live.feed.publish(session_id, "deal.countdown", announcement))
    return view


@router.get("/sessions/{session_id}/deals", response_model=list[DealView],
            summary="The session's flash deals with units left; public.")
async def list_deals(request: Request, session_id: UUID) -> Any:
    live = components.of(request)
    pool = runtime(request).db
    return [await _deal_view(pool, live, d) for d in await deals_repository.of_session(pool,
                                                                                       session_id)]


@router.get("/deals/{deal_id}", response_model=DealView, summary="A flash deal; public.")
async def get_deal(request: Request, deal_id: UUID) -> Any:
    pool = runtime(request).db
    deal = await deals_repository.get(pool, deal_id)
    if deal is None:
        raise Problem(404, "Not found", "No such flash deal.")
    return await _deal_view(pool, components.of(request), deal)


# Claims --------------------------------------------------------------------------------------

class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(default=1, ge=1, le=MAX_PER_BUYER)


class ClaimView(BaseModel):
    claim_id: UUID
    deal_id: UUID
    sku_id: UUID
    quantity: int
    unit_price_minor: int
    currency: str
    expires_at: datetime
    claim_token: str = Field(description="Put it on the cart line (`source.claim_token`) and "
                                         "check out before `expires_at`.")
    units_left: int


_REFUSALS = {
    ClaimRefusal.NOT_READY: "The deal is not open yet.",
    ClaimRefusal.NOT_STARTED: "The deal has not started yet.",
    ClaimRefusal.ENDED: "The deal has ended.",
    ClaimRefusal.SOLD_OUT: "Sold out.",
    ClaimRefusal.LIMIT_REACHED: "You have claimed as many as this deal allows.",
}


async def _card(live: LiveComponents, pool: Any, deal_id: UUID) -> DealCard:
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


@router.post("/deals/{deal_id}/claims", status_code=201, response_model=ClaimView,
             summary="Claim units of a flash deal: a claim token, or a refusal, at once.",
             responses={409: {"description": "Refused: sold_out, limit_reached, not_started, "
                                             "ended or not_ready (the `code` says which)."}},
             openapi_extra={**HOT_PATH_SECURITY, "requestBody": {
                 "required": False, "content": {"application/json": {
                     "schema": ClaimIn.model_json_schema()}}}})
async def claim(request: Request, deal_id: UUID) -> Any:
    """The hot path of a flash sale: thousands of these arrive in the same second, so it
    authenticates and reads its optional body by hand, and a refusal touches only Redis."""
    principal = await bearer_principal(request, Role.BUYER)
    quantity = await _requested_quantity(request)
    live = components.of(request)
    pool = runtime(request).db
    card = await _card(live, pool, deal_id)
    decision = await live.claims.claim(deal_id, principal.subject, quantity)
    if decision.refusal is not None:
        return problem_response(Problem(409, "Claim refused", _REFUSALS[decision.refusal],
                                        code=decision.refusal.value,
                                        units_left=max(decision.remaining, 0)), request)
    claim_id = new_id()
    expires_at = (datetime.now(UTC) + timedelta(seconds=live.settings.payment_window_seconds)
                  ).replace(microsecond=0)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await deals_repository.add_claim(
                conn, claim_id=claim_id, deal_id=deal_id, session_id=card.session_id,
                buyer_id=principal.subject, sku_id=card.sku_id, quantity=quantity,
                expires_at=expires_at)
            await deal_clock.schedule_claim_expiry(conn, claim_id, expires_at)
            await enqueue(conn, "live", events.LiveClaimCreated(
                claim_id=claim_id, deal_id=deal_id, session_id=card.session_id,
                buyer_id=principal.subject, sku_id=card.sku_id, quantity=quantity,
                expires_at=expires_at))
    except BaseException:
        # Not recorded, so not granted: the units go straight back to the deal.
        await live.claims.give_back(deal_id, claim_id, principal.subject, quantity)
        raise
    if decision.remaining == 0 or await live.throttle.allow(
            f"units-left:{deal_id}", live.settings.units_left_interval_seconds):
        await live.feed.publish(card.session_id, "deal.units_left",
                                {"deal_id": str(deal_id), "units_left": decision.remaining})
    token = claim_tokens.issue(live.settings.claim_token_secret.get_secret_value(),
                               claim_tokens.ClaimGrant(
        claim_id=claim_id, deal_id=deal_id, session_id=card.session_id,
        buyer_id=principal.subject, sku_id=card.sku_id, quantity=quantity,
        unit_price_minor=card.deal_price_minor, currency=card.currency, expires_at=expires_at))
    return ClaimView(claim_id=claim_id, deal_id=deal_id, sku_id=card.sku_id, quantity=quantity,
                     unit_price_minor=card.deal_price_minor, currency=card.currency,
                     expires_at=expires_at, claim_token=token, units_left=decision.remaining)


async def _requested_quantity(request: Request) -> int:
    body = await request.body()
    if not body.strip():
        return 1
    try:
        return _CLAIM_BODY.validate_json(body).quantity
    except ValidationError as exc:
        raise validation_problem(RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])) from None


_CLAIM_BODY = TypeAdapter(ClaimIn)


class MyClaim(BaseModel):
    claim_id: UUID
    quantity: int
    status: str
    expires_at: datetime
    order_id: UUID | None


@router.get("/deals/{deal_id}/claims/mine", response_model=list[MyClaim],
            summary="The caller's claims on a deal.")
async def my_claims(request: Request, deal_id: UUID,
                    principal: Annotated[Principal, Depends(buyers)]) -> Any:
    rows = await deals_repository.buyer_claims(runtime(request).db, deal_id, principal.subject)
    return [MyClaim(claim_id=r["id"], quantity=r["quantity"], status=r["status"],
                    expires_at=r["expires_at"], order_id=r["order_id"]) for r in rows]
