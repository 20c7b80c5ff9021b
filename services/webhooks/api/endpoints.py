"""Sellers' webhook endpoints (a seller token or the seller's API key); operators list and
disable any."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, id_cursor, page_of, page_params
from services.webhooks.adapters import repository
from services.webhooks.use_cases import delivery, endpoints

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhook endpoints"])
Seller = Annotated[Principal, Depends(require(Role.SELLER))]
EventTypes = Annotated[list[Annotated[str, Field(pattern=r"^[a-z_*]+(\.[a-z_*]+)?$",
                                                 max_length=60)]],
                       Field(min_length=1, max_length=50, examples=[["order.*"]])]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://hooks.example.com/socialcommerce", "description": "Order sync",
        "event_types": ["order.*", "shipment.*"]}]})
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    description: str = Field(default="", max_length=500)
    event_types: EventTypes
    scheme: Literal["hmac", "ed25519"] = Field(
        default="hmac", description="`hmac` (v1, a shared secret) or `ed25519` (v1a, verified "
                                    "with the endpoint's public key).")


class EndpointChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, min_length=8, max_length=2000, pattern=r"^https?://")
    description: str | None = Field(default=None, max_length=500)
    event_types: EventTypes | None = None
    active: bool | None = None


class EndpointView(BaseModel):
    id: UUID
    seller_id: UUID
    url: str
    description: str
    event_types: list[str]
    active: bool
    disabled_reason: str | None
    failing_since: datetime | None
    old_secret_until: datetime | None = Field(
        description="Until then deliveries carry the previous secret's signature too.")
    scheme: str
    public_key: str | None = Field(description="Ed25519 endpoints: verify `v1a,` signatures "
                                               "with it (base64 of the raw key, `whpk_…`).")
    old_public_key: str | None = None
    created_at: datetime


class CreatedEndpoint(EndpointView):
    secret: str | None = Field(description="The HMAC signing secret (whsec_…), shown only "
                                            "here: store it. None for Ed25519 endpoints.")


def _seller(principal: Principal) -> UUID | None:
    return None if principal.has(Role.OPERATOR) else acting_seller(principal)


RULES = {"x-cross-field-rules": [
    "url: the host resolves, only to public addresses (https outside dev mode)",
    "event_types: each pattern matches at least one public event type"]}


@router.post("", status_code=201, response_model=CreatedEndpoint, openapi_extra=RULES,
             summary="Subscribe an endpoint to your events; its secret is shown once.")
async def create(request: Request, body: EndpointIn, principal: Seller,
                 idempotency_key: IdempotencyKey = None) -> Any:
    rt = runtime(request)

    async def work(conn: Any) -> tuple[int, Any]:
        found, secret = await endpoints.create(
            conn, rt.components["secret_box"], seller_id=acting_seller(principal), url=body.url,
            description=body.description, event_types=body.event_types,
            dev_mode=rt.settings.dev_mode, scheme=body.scheme)
        return 201, CreatedEndpoint(**{**found, "secret": secret}).model_dump(mode="json")

    return await idempotency.run_idempotent(
        rt.db, scope=f"{principal.subject}:POST /v1/webhook-endpoints", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work,
        stored=lambda r: {**r, "secret": "(shown only in the first response; rotate it)"})


@router.get("", response_model=Page[EndpointView],
            summary="Your endpoints (operators: everyone's).")
async def list_endpoints(request: Request,
                         principal: Annotated[Principal, Depends(require(Role.SELLER,
                                                                         Role.OPERATOR))],
                         page: Annotated[PageParams, Depends(page_params)]) -> Any:
    after = id_cursor(page.cursor)
    found = await repository.endpoints_page(runtime(request).db, _seller(principal), after,
                                            page.limit + 1)
    return page_of([EndpointView(**e) for e in found], page.limit, lambda e: (e.id,))


@router.get("/{endpoint_id}", response_model=EndpointView, summary="One of your endpoints.")
async def get_endpoint(request: Request, endpoint_id: UUID,
                       principal: Annotated[Principal, Depends(require(Role.SELLER,
                                                                       Role.OPERATOR))]) -> Any:
    try:
        return EndpointView(**await endpoints.owned(runtime(request).db, endpoint_id,
                                                    _seller(principal)))
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None


@router.patch("/{endpoint_id}", response_model=EndpointView, openapi_extra=RULES,
              summary="Change the URL, description, event types, or enable it again.")
async def change(request: Request, endpoint_id: UUID, body: EndpointChange,
                 principal: Seller) -> Any:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    try:
        async with transaction(runtime(request).db) as conn:
            return EndpointView(**await endpoints.update(
                conn, endpoint_id, acting_seller(principal), changes,
                dev_mode=runtime(request).settings.dev_mode))
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None


@router.delete("/{endpoint_id}", status_code=204, summary="Delete an endpoint.")
async def delete(request: Request, endpoint_id: UUID, principal: Seller) -> Response:
    try:
        async with transaction(runtime(request).db) as conn:
            await endpoints.owned(conn, endpoint_id, acting_seller(principal), for_update=True)
            await repository.delete_endpoint(conn, endpoint_id)
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None
    return Response(status_code=204)


@router.post("/{endpoint_id}/secret-rotation", response_model=CreatedEndpoint,
             summary="A new secret (shown once); the old one signs too during the overlap.")
async def rotate(request: Request, endpoint_id: UUID, principal: Seller) -> Any:
    rt = runtime(request)
    try:
        async with transaction(rt.db) as conn:
            found, secret = await endpoints.rotate(conn, rt.components["secret_box"], endpoint_id,
                                                   acting_seller(principal),
                                                   rt.settings.rotation_overlap_seconds)
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None
    return CreatedEndpoint(**{**found, "secret": secret})


class TestSent(BaseModel):
    delivery_id: UUID


@router.post("/{endpoint_id}/test", status_code=202, response_model=TestSent,
             summary="Send a `webhook.test` event to the endpoint.")
async def send_test(request: Request, endpoint_id: UUID, principal: Seller,
                    idempotency_key: IdempotencyKey = None) -> Any:
    async def work(conn: Any) -> tuple[int, Any]:
        delivery_id = await endpoints.send_test(conn, endpoint_id, acting_seller(principal))
        return 202, {"delivery_id": str(delivery_id)}

    try:
        return await idempotency.run_idempotent(
            runtime(request).db, scope=f"{principal.subject}:POST {request.url.path}",
            key=idempotency_key, body={}, work=work)
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None


@router.post("/{endpoint_id}/disable", response_model=EndpointView,
             summary="Stop deliveries to any endpoint (operators).")
async def operator_disable(request: Request, endpoint_id: UUID,
                           principal: Annotated[Principal, Depends(require(Role.OPERATOR))]
                           ) -> Any:
    try:
        async with transaction(runtime(request).db) as conn:
            await endpoints.owned(conn, endpoint_id, None)
            await delivery.disable(conn, endpoint_id, f"disabled by {principal.subject}")
            return EndpointView(**await endpoints.owned(conn, endpoint_id, None))
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None
