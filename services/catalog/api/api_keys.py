"""Seller API keys: created (shown once), listed, revoked by the seller; accepted in the
`X-Api-Key` header instead of a bearer token by the seller's own systems."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth import api_keys
from libs.auth.dependencies import ApiKeyResolver, require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from services.catalog.adapters import api_keys_repository, sellers_repository
from services.catalog.adapters.api_keys_repository import StoredKey
from services.catalog.domain.sellers import SellerStatus
from services.catalog.use_cases import api_keys as keys

router = APIRouter(prefix="/v1/sellers/{seller_id}/api-keys", tags=["api keys"])


class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "ERP"}]})
    name: str = Field(min_length=1, max_length=100, description="What the key is for.")


class ApiKeyView(BaseModel):
    id: UUID
    name: str
    prefix: str = Field(description="Shown in lists to tell keys apart; not a secret.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedApiKey(ApiKeyView):
    key: str = Field(description="The key itself. Shown only in this response: store it now.")


async def _own_seller(request: Request, seller_id: UUID, principal: Principal) -> None:
    """Only the seller itself (by bearer token) manages its keys; an API key cannot mint more."""
    if principal.via_api_key:
        raise Problem(403, "Forbidden", "API keys cannot manage API keys; use a bearer token.")
    seller = await sellers_repository.get(request.app.state.runtime.db, seller_id)
    if seller is None or not principal.owns_seller(seller_id):
        raise Problem(404, "Not found", "No such seller.")


@router.post("", status_code=201, response_model=CreatedApiKey, summary="Create an API key.")
async def create_key(
    request: Request, seller_id: UUID, body: NewApiKey,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    await _own_seller(request, seller_id, principal)

    async def work(conn: Any) -> tuple[int, Any]:
        issued, stored = await keys.issue(conn, seller_id, body.name)
        return 201, CreatedApiKey(key=issued.plaintext, **_view_fields(stored)).model_dump(
            mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{seller_id}:POST api-keys", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work, stored=_without_secret)


def _without_secret(created: dict[str, Any]) -> dict[str, Any]:
    """A replay names the key it created but never shows the secret again (it is not kept)."""
    return {**created, "key": "(shown only in the first response; create another key if it "
                              "was lost)"}


@router.get("", response_model=list[ApiKeyView], summary="The seller's API keys.")
async def list_keys(
    request: Request, seller_id: UUID,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
) -> list[ApiKeyView]:
    await _own_seller(request, seller_id, principal)
    keys = await api_keys_repository.list_for_seller(request.app.state.runtime.db, seller_id)
    return [ApiKeyView(**_view_fields(k)) for k in keys]


@router.delete("/{key_id}", status_code=204, summary="Revoke an API key (immediately).")
async def revoke_key(
    request: Request, seller_id: UUID, key_id: UUID,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
) -> Response:
    await _own_seller(request, seller_id, principal)
    async with transaction(runtime(request).db) as conn:
        if not await keys.revoke(conn, seller_id, key_id):
            raise Problem(404, "Not found", "No such API key.")
    return Response(status_code=204)


def _view_fields(key: StoredKey) -> dict[str, Any]:
    return {"id": key.id, "name": key.name, "prefix": key.prefix, "created_at": key.created_at,
            "last_used_at": key.last_used_at, "revoked_at": key.revoked_at}


def api_key_resolver(runtime: Any) -> ApiKeyResolver:
    async def resolve(plaintext: str) -> Principal | None:
        prefix = api_keys.parse_prefix(plaintext)
        if prefix is None:
            return None
        owner = await api_keys_repository.find_active_by_prefix(runtime.db, prefix)
        if owner is None or not api_keys.matches(plaintext, owner.digest):
            return None
        if owner.seller_status == SellerStatus.SUSPENDED:
            raise Problem(403, "Forbidden", "The seller is suspended.")
        await api_keys_repository.touch(runtime.db, owner.key_id)
        return Principal(subject=f"api-key:{owner.key_id}", roles=frozenset({Role.SELLER}),
                         seller_id=str(owner.seller_id), shop_id=str(owner.shop_id),
                         via_api_key=True)

    return resolve
