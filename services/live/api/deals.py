"""Flash deals on a session's showcased SKUs, and viewers' claims on them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import HOT_PATH_SECURITY, bearer_principal, require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_MINOR, MAX_UNITS
from libs.errors import Problem, problem_response, validation_problem
from libs.idempotency import IDEMPOTENCY_KEY_PARAMETER, IdempotencyKey
from libs.lean_routes import lean
from libs.rate_limit import RATE_LIMITED
from services.live import components
from services.live.adapters import deals_repository
from services.live.components import LiveComponents
from services.live.domain.deals import (
    COUNTDOWN_SECONDS,
    DURATION_SECONDS,
    MAX_PER_BUYER,
    ClaimRefusal,
    DealStatus,
    DealTerms,
)
from services.live.use_cases.deals import (
    ClaimRefused,
    GrantedClaim,
    announce_deal,
    deal_card,
    grant_claim,
)

router = APIRouter(prefix="/v1/live", tags=["flash deals"])
hosts = require(Role.SELLER, Role.CREATOR)
buyers = require(Role.BUYER)


class DealIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "sku_id": "0196f0c4-6f2e-7c4a-9d1e-2b8a1d3c4e5f", "deal_price_minor": 1499,
        "quantity": 100, "per_buyer_limit": 1, "countdown_seconds": 30,
        "duration_seconds": 300}]})
    sku_id: UUID
    deal_price_minor: int = Field(gt=0, le=MAX_MINOR, description="Below the list price.")
    quantity: int = Field(ge=1, le=MAX_UNITS, description="At most the units in stock.")
    per_buyer_limit: int = Field(default=1, ge=1, le=MAX_PER_BUYER,
                                 description="At most the quantity.")
    countdown_seconds: int = Field(ge=COUNTDOWN_SECONDS[0], le=COUNTDOWN_SECONDS[1],
                                   description="Seconds before the deal opens.")
    duration_seconds: int = Field(ge=DURATION_SECONDS[0], le=DURATION_SECONDS[1],
                                  description="How long it runs (1 to 20 minutes).")


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
                      principal: Annotated[Principal, Depends(hosts)],
                      idempotency_key: IdempotencyKey = None) -> Any:
    live = components.of(request)

    async def work(conn: Any) -> tuple[int, Any]:
        deal = await announce_deal(conn, live, session_id, principal, DealTerms(**body.model_dump()))
        return 201, (await _deal_view(conn, live, deal)).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST deals", key=idempotency_key,
        body={"session_id": str(session_id), **body.model_dump(mode="json")}, work=work)


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


@router.post("/deals/{deal_id}/claims", status_code=201, response_model=ClaimView,
             summary="Claim units of a flash deal: a claim token, or a refusal, at once.",
             responses={409: {"description": "Refused: sold_out, limit_reached, not_started, "
                                             "ended or not_ready (the `code` says which)."},
                        **RATE_LIMITED},
             openapi_extra={**HOT_PATH_SECURITY, "parameters": [IDEMPOTENCY_KEY_PARAMETER],
                            "requestBody": {
                 "required": False, "content": {"application/json": {
                     "schema": ClaimIn.model_json_schema()}}}})
@lean
async def claim(request: Request, deal_id: UUID) -> Response:
    """The hot path of a flash sale: thousands of these arrive in the same second, so it is a
    lean route (`libs.lean_routes`) that authenticates and reads its optional body by hand,
    and a refusal touches only Redis."""
    principal = await bearer_principal(request, Role.BUYER)
    quantity = await _requested_quantity(request)
    live, pool = components.of(request), runtime(request).db
    card = await deal_card(live, pool, deal_id)
    key = request.headers.get(idempotency.HEADER)
    try:
        if key is None:
            granted = await grant_claim(live, pool, card, principal.subject, quantity)
            return JSONResponse(_claim_body(granted), status_code=201)

        async def work(conn: Any) -> tuple[int, Any]:
            granted = await grant_claim(live, pool, card, principal.subject, quantity, conn=conn)
            return 201, _claim_body(granted)

        return await idempotency.run_idempotent(
            pool, scope=f"{principal.subject}:POST claims", key=key,
            body={"deal_id": str(deal_id), "quantity": quantity}, work=work)
    except ClaimRefused as refused:
        return problem_response(Problem(409, "Claim refused", _REFUSALS[refused.refusal],
                                        code=refused.refusal.value,
                                        units_left=refused.remaining), request)


def _claim_body(granted: GrantedClaim) -> dict[str, Any]:
    return ClaimView(**granted.__dict__).model_dump(mode="json")


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
