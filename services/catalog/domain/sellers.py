"""Sellers and their shops: registration rules and the onboarding state machine."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import FieldError, InvalidTransition
from libs.events.base import Event
from libs.events.schemas.catalog import (
    SellerRegistered,
    SellerReinstated,
    SellerSuspended,
    SellerVerified,
)
from libs.ids import new_id
from libs.markets import currency_of


class SellerStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    VERIFIED = "verified"
    SUSPENDED = "suspended"


class BusinessType(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"


class Tier(StrEnum):
    LOCAL = "local"
    CROSS_BORDER = "cross_border"


class RegistrationError(FieldError):
    """A registration or onboarding decision that cannot be."""


@dataclass(frozen=True)
class Seller:
    id: UUID
    shop_id: UUID
    owner_subject: str
    legal_name: str
    country: str
    business_type: BusinessType
    market: str
    currency: str
    tier: Tier
    status: SellerStatus
    created_at: datetime

    def registered_event(self) -> SellerRegistered:
        return SellerRegistered(
            seller_id=self.id, shop_id=self.shop_id, market=self.market, currency=self.currency,
            tier=self.tier.value, business_type=self.business_type.value,
            registered_at=self.created_at,
        )

    def verify(self, now: datetime) -> tuple[Seller, Event]:
        if self.status is not SellerStatus.PENDING_VERIFICATION:
            raise InvalidTransition(f"a {self.status.value} seller cannot be verified")
        return replace(self, status=SellerStatus.VERIFIED), SellerVerified(
            seller_id=self.id, verified_at=now)

    def suspend(self, reason: str, now: datetime) -> tuple[Seller, Event]:
        if self.status is SellerStatus.SUSPENDED:
            raise InvalidTransition("the seller is already suspended")
        return replace(self, status=SellerStatus.SUSPENDED), SellerSuspended(
            seller_id=self.id, reason=_reason(reason), suspended_at=now)

    def reinstate(self, reason: str, now: datetime) -> tuple[Seller, Event]:
        """Back to verified: suspension is only ever applied to a seller operators vetted, or
        to one caught before vetting, who is vetted as part of the appeal."""
        if self.status is not SellerStatus.SUSPENDED:
            raise InvalidTransition(f"a {self.status.value} seller cannot be reinstated")
        return replace(self, status=SellerStatus.VERIFIED), SellerReinstated(
            seller_id=self.id, reason=_reason(reason), reinstated_at=now)

    @property
    def can_sell(self) -> bool:
        return self.status is SellerStatus.VERIFIED


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise RegistrationError("reason", "a reason is required")
    return cleaned


def register_seller(
    *, owner_subject: str, legal_name: str, country: str, business_type: BusinessType,
    market: str, tier: Tier | None, now: datetime,
) -> Seller:
    """A new seller, pending verification, with its one shop in `market`.

    The tier follows from where the seller is based: selling into one's own country is local,
    into another is cross-border; a declared tier that contradicts that is refused.
    """
    currency = currency_of(market)
    if currency is None:
        raise RegistrationError("market", f"the platform does not sell in market {market!r}")
    derived = Tier.LOCAL if country == market else Tier.CROSS_BORDER
    if tier is not None and tier != derived:
        raise RegistrationError(
            "tier", f"a seller based in {country} selling in {market} is {derived.value}"
        )
    if not legal_name.strip():
        raise RegistrationError("legal_name", "must not be blank")
    return Seller(
        id=new_id(), shop_id=new_id(), owner_subject=owner_subject,
        legal_name=legal_name.strip(), country=country, business_type=business_type,
        market=market, currency=currency, tier=derived,
        status=SellerStatus.PENDING_VERIFICATION, created_at=now,
    )
