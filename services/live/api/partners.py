"""The creators a shop works with: the shop invites, the creator accepts (a partnership on the
seller's word alone would let a shop pass any creator's name off as its host), and either side
ends it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from libs.api import acting_seller, field_problem, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from services.live.adapters import sessions_repository

router = APIRouter(prefix="/v1/live", tags=["partner creators"])
sellers = require(Role.SELLER)
creators = require(Role.CREATOR)
CreatorId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class PartnerView(BaseModel):
    seller_id: UUID
    creator_id: str
    status: Literal["invited", "active"] = Field(
        description="invited until the creator accepts; only an active partner may host.")
    invited_at: datetime
    accepted_at: datetime | None


def _view(row: Any) -> PartnerView:
    return PartnerView(seller_id=row["seller_id"], creator_id=row["creator_id"],
                       status=row["status"], invited_at=row["invited_at"],
                       accepted_at=row["accepted_at"])


def _creator_id(principal: Principal) -> str:
    if principal.creator_id is None:
        raise Problem(403, "Forbidden", "This account is not a creator's.")
    return principal.creator_id


@router.put("/partners/{creator_id}", status_code=204,
            summary="Invite a creator to work with the shop; they may host its sessions once "
                    "they accept.")
async def invite_partner(request: Request, creator_id: CreatorId,
                         principal: Annotated[Principal, Depends(sellers)]) -> Response:
    await sessions_repository.invite(runtime(request).db, acting_seller(principal), creator_id)
    return Response(status_code=204)


@router.delete("/partners/{creator_id}", status_code=204,
               summary="Stop working with a creator (or withdraw the invitation).")
async def remove_partner(request: Request, creator_id: CreatorId,
                         principal: Annotated[Principal, Depends(sellers)]) -> Response:
    if not await sessions_repository.end_partnership(runtime(request).db,
                                                     acting_seller(principal), creator_id):
        raise Problem(404, "Not found", "That creator is not a partner of your shop.")
    return Response(status_code=204)


@router.get("/partners", response_model=list[PartnerView],
            summary="The shop's partner creators and open invitations.")
async def list_partners(request: Request,
                        principal: Annotated[Principal, Depends(sellers)]) -> Any:
    return [_view(r) for r in await sessions_repository.partners(runtime(request).db,
                                                                 acting_seller(principal))]


@router.get("/partnerships", response_model=list[PartnerView],
            summary="The creator's invitations and partnerships.")
async def my_partnerships(request: Request,
                          principal: Annotated[Principal, Depends(creators)]) -> Any:
    return [_view(r) for r in await sessions_repository.shops_of(runtime(request).db,
                                                                 _creator_id(principal))]


@router.post("/partnerships/{seller_id}/acceptance", response_model=PartnerView,
             summary="Accept a shop's invitation: the creator may then host its sessions and "
                     "earn commission on sales their sessions make.")
async def accept_partnership(request: Request, seller_id: UUID,
                             principal: Annotated[Principal, Depends(creators)]) -> Any:
    accepted = await sessions_repository.accept(runtime(request).db, seller_id,
                                                _creator_id(principal), principal.subject)
    if accepted is None:
        raise field_problem("seller_id", "this shop has not invited you", "not_invited",
                            status=409)
    return _view(accepted)


@router.delete("/partnerships/{seller_id}", status_code=204,
               summary="Decline a shop's invitation or leave the partnership.")
async def leave_partnership(request: Request, seller_id: UUID,
                            principal: Annotated[Principal, Depends(creators)]) -> Response:
    if not await sessions_repository.end_partnership(runtime(request).db, seller_id,
                                                     _creator_id(principal)):
        raise Problem(404, "Not found", "No invitation or partnership with that shop.")
    return Response(status_code=204)
