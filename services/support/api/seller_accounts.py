"""Seller account health, as agents and the seller see it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from libs.auth.dependencies import require
from libs.auth.principal import Principal
from libs.errors import Problem
from services.support.adapters import seller_accounts_repository
from services.support.domain.seller_accounts import Standing

router = APIRouter(prefix="/v1/seller-accounts", tags=["seller accounts"])


class SellerAccountView(BaseModel):
    seller_id: UUID
    shop_id: UUID
    market: str
    tier: str
    health_score: int
    standing: Standing
    opened_at: datetime


@router.get("/{seller_id}", response_model=SellerAccountView,
            summary="A seller's account health (the seller itself or support staff).")
async def get_account(
    request: Request, seller_id: UUID, principal: Annotated[Principal, Depends(require())],
) -> SellerAccountView:
    if not (principal.is_staff or principal.owns_seller(seller_id)):
        raise Problem(404, "Not found", "No such seller account.")
    account = await seller_accounts_repository.get(request.app.state.runtime.db, seller_id)
    if account is None:
        raise Problem(404, "Not found", "No such seller account.")
    return SellerAccountView(**account.__dict__)
