"""Carriers' tracking webhook: a carrier posts its parcels' states, signed with the Standard
Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Unsigned, wrongly
signed and stale (over five minutes old) updates are refused before anything is read."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from standardwebhooks.webhooks import Webhook

from libs.api import runtime
from libs.db.transaction import transaction
from libs.errors import Problem
from services.fulfillment.domain.carriers import carrier as known_carrier
from services.fulfillment.domain.shipments import ParcelStatus
from services.fulfillment.use_cases import tracking

router = APIRouter(tags=["carriers"])


class TrackingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "tracking_number": "RM123456785GB", "status": "delivered",
        "at": "2026-11-26T10:15:00Z", "note": "left with neighbour at no. 14"}]})
    tracking_number: str = Field(min_length=1, max_length=40)
    status: Literal["in_transit", "out_for_delivery", "delivered", "delivery_failed",
                    "returned_to_sender"]
    at: datetime
    note: str = Field(default="", max_length=200)


class Accepted(BaseModel):
    applied: bool = Field(description="False when the update was not news (a repeat, or older "
                                      "than what is known).")


@router.post("/v1/carriers/{carrier}/tracking-updates", response_model=Accepted,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": TrackingUpdate.model_json_schema()}}}},
             responses={401: {"description": "Unsigned, wrongly signed or stale."},
                        503: {"description": "No signing secret is configured."}},
             summary="A carrier's signed tracking update (Standard Webhooks signature).")
async def tracking_update(request: Request, carrier: str) -> Any:
    secret = runtime(request).settings.carrier_secret()
    if secret is None:
        raise Problem(503, "Not configured", "No carrier signing secret is configured.")
    raw = await request.body()
    try:
        Webhook(secret).verify(raw, dict(request.headers))
    except Exception:  # the library raises several types for missing, bad and stale
        raise Problem(401, "Unauthorized", "The update is unsigned, wrongly signed or stale.") from None
    name = known_carrier(carrier, "carrier").name
    try:
        update = TrackingUpdate.model_validate_json(raw)
    except ValidationError as exc:
        raise Problem(422, "Validation failed", "The update is not valid.", errors=[
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"],
             "code": e["type"]} for e in exc.errors()]) from None
    async with transaction(runtime(request).db) as conn:
        applied = await tracking.carrier_update(
            conn, carrier=name, tracking_number=update.tracking_number.upper(),
            status=ParcelStatus(update.status), at=update.at, note=update.note)
    return Accepted(applied=applied)
