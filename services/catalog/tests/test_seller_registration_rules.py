"""Seller registration rules (domain, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.catalog.domain.sellers import (
    BusinessType,
    RegistrationError,
    SellerStatus,
    Tier,
    register_seller,
)

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def register(**overrides: object) -> object:
    values: dict[str, object] = {
        "owner_subject": "u1", "legal_name": "Tenby Threads Ltd", "country": "GB",
        "business_type": BusinessType.COMPANY, "market": "GB", "tier": None, "now": NOW,
    }
    values.update(overrides)
    return register_seller(**values)  # type: ignore[arg-type]


def test_a_new_seller_is_pending_verification_with_the_markets_currency() -> None:
    seller = register(market="ID", country="ID")
    assert seller.status is SellerStatus.PENDING_VERIFICATION  # type: ignore[attr-defined]
    assert seller.currency == "IDR"  # type: ignore[attr-defined]
    assert seller.tier is Tier.LOCAL  # type: ignore[attr-defined]


def test_selling_into_another_country_is_cross_border() -> None:
    seller = register(country="CN", market="GB")
    assert seller.tier is Tier.CROSS_BORDER  # type: ignore[attr-defined]


def test_a_declared_tier_contradicting_the_countries_is_refused() -> None:
    with pytest.raises(RegistrationError) as err:
        register(country="CN", market="GB", tier=Tier.LOCAL)
    assert err.value.field == "tier"


def test_unknown_market_is_refused_naming_the_field() -> None:
    with pytest.raises(RegistrationError) as err:
        register(market="ZZ")
    assert err.value.field == "market"


def test_registered_event_carries_ids_not_names() -> None:
    event = register().registered_event()  # type: ignore[attr-defined]
    assert "legal_name" not in event.model_dump()


def test_onboarding_state_machine() -> None:
    from libs.domain_errors import InvalidTransition

    pending = register()
    verified, event = pending.verify(NOW)  # type: ignore[attr-defined]
    assert verified.status is SellerStatus.VERIFIED and verified.can_sell
    assert event.type == "seller.verified"
    with pytest.raises(InvalidTransition):
        verified.verify(NOW)
    with pytest.raises(InvalidTransition):
        verified.reinstate("why not", NOW)
    suspended, event = verified.suspend("  counterfeit goods ", NOW)
    assert not suspended.can_sell and event.reason == "counterfeit goods"
    with pytest.raises(InvalidTransition):
        suspended.suspend("again", NOW)
    with pytest.raises(RegistrationError):
        suspended.reinstate("   ", NOW)
    reinstated, event = suspended.reinstate("appeal upheld", NOW)
    assert reinstated.status is SellerStatus.VERIFIED and event.type == "seller.reinstated"


def test_a_pending_seller_can_be_suspended_but_not_reinstated_before_it() -> None:
    suspended, _ = register().suspend("fraudulent documents", NOW)  # type: ignore[attr-defined]
    assert suspended.status is SellerStatus.SUSPENDED
