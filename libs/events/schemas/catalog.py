"""Events produced by the catalog service."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from libs.events.base import Event
from libs.events.catalogue import register


@register
class SellerRegistered(Event):
    """A seller signed up; verification is pending."""

    type = "seller.registered"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    shop_id: UUID
    market: str = Field(examples=["GB"], min_length=2, max_length=2)
    currency: str = Field(examples=["GBP"], min_length=3, max_length=3)
    tier: Literal["local", "cross_border"]
    business_type: Literal["individual", "company"]
    registered_at: datetime


@register
class SellerVerified(Event):
    """An operator verified the seller; its live products may be sold."""

    type = "seller.verified"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    verified_at: datetime


@register
class SellerSuspended(Event):
    """An operator suspended the seller: its products leave search and cannot be bought."""

    type = "seller.suspended"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    reason: str
    suspended_at: datetime


@register
class SellerReinstated(Event):
    """A suspended seller is back in good standing."""

    type = "seller.reinstated"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    reason: str
    reinstated_at: datetime
