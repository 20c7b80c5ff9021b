"""Gifts and tips: the gift catalogue, a buyer's token wallet, gifts to a session's host, and
hosts' earnings."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from services.live import components
from services.live.adapters import wallet_repository
from services.live.domain.wallet import host_account
from services.live.use_cases.gifts import send

router = APIRouter(prefix="/v1/live", tags=["gifts"])
buyers = require(Role.BUYER)
hosts = require(Role.SELLER, Role.CREATOR)


class GiftView(BaseModel):
    code: str
    name: str
    tokens: int


class WalletView(BaseModel):
    balance_tokens: int
    top_up: str = Field(default="POST /v1/wallet/top-ups on the orders service",
                        description="Tokens are bought through orders' payment flow.")


class GiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gift_code: str = Field(min_length=1, max_length=40)
    quantity: int = Field(default=1, ge=1, le=999)


class SentGift(BaseModel):
    gift_id: UUID
    tokens: int
    balance_tokens: int


class EarningsView(BaseModel):
    host_id: str
    tokens: int


@router.get("/gifts", response_model=list[GiftView], summary="The gift catalogue; public.")
async def catalogue(request: Request) -> Any:
    return [GiftView(**dict(r)) for r in await wallet_repository.gift_catalogue(
        runtime(request).db)]


@router.get("/wallet", response_model=WalletView, summary="The caller's token balance.")
async def wallet(request: Request, principal: Annotated[Principal, Depends(buyers)]) -> Any:
    return WalletView(balance_tokens=await wallet_repository.balance(runtime(request).db,
                                                                     principal.subject))


@router.post("/sessions/{session_id}/gifts", status_code=201, response_model=SentGift,
             summary="Send a gift to the host of a live session; paid from the wallet.",
             responses={409: {"description": "The wallet holds too few tokens."}})
async def send_gift(request: Request, session_id: UUID, body: GiftIn,
                    principal: Annotated[Principal, Depends(buyers)],
                    idempotency_key: IdempotencyKey = None,
                    ) -> Any:
    live = components.of(request)

    async def work(conn: Any) -> tuple[int, Any]:
        sent = await send(conn, live, session_id, principal.subject, body.gift_code,
                          body.quantity)
        return 201, SentGift(**sent.__dict__).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST /v1/live/gifts",
        key=idempotency_key, body={"session_id": str(session_id), **body.model_dump()},
        work=work)


@router.get("/earnings", response_model=EarningsView,
            summary="The caller's gift earnings as a host, in tokens.")
async def earnings(request: Request, principal: Annotated[Principal, Depends(hosts)]) -> Any:
    host_id = (principal.creator_id if principal.has(Role.CREATOR) and principal.creator_id
               else principal.seller_id)
    if host_id is None:
        raise Problem(403, "Forbidden", "The credentials name no seller or creator.")
    return EarningsView(host_id=host_id, tokens=await wallet_repository.account_total(
        runtime(request).db, host_account(host_id)))


