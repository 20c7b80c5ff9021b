"""A flash-deal claim on a cart line (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from libs import claim_tokens
from libs.ids import new_id
from services.orders.domain.claims import ClaimError, check_claim

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
SECRET = "a-test-secret-of-sufficient-length-32b"


def grant(**changes: object) -> claim_tokens.ClaimGrant:
    values: dict[str, object] = {
        "claim_id": new_id(), "deal_id": new_id(), "session_id": new_id(), "buyer_id": "ada",
        "sku_id": new_id(), "quantity": 2, "unit_price_minor": 1999, "currency": "GBP",
        "expires_at": NOW + timedelta(minutes=5), **changes}
    return claim_tokens.ClaimGrant(**values)  # type: ignore[arg-type]


def code_of(claim: claim_tokens.ClaimGrant, **line: object) -> str:
    values: dict[str, object] = {"buyer_id": "ada", "sku_id": claim.sku_id, "quantity": 2,
                                 "now": NOW, **line}
    with pytest.raises(ClaimError) as caught:
        check_claim(claim, **values)  # type: ignore[arg-type]
    return caught.value.code


def test_the_claims_owner_may_put_exactly_the_claimed_units_in_the_cart() -> None:
    claim = grant()
    check_claim(claim, buyer_id="ada", sku_id=claim.sku_id, quantity=2, now=NOW)


def test_someone_else_another_item_another_quantity_or_too_late_is_refused() -> None:
    claim = grant()
    assert code_of(claim, buyer_id="grace") == "claim_not_yours"
    assert code_of(claim, sku_id=new_id()) == "claim_other_sku"
    assert code_of(claim, quantity=3) == "claim_quantity"
    assert code_of(claim, now=NOW + timedelta(minutes=5)) == "claim_expired"


def test_a_token_round_trips_and_a_forged_or_expired_one_does_not() -> None:
    claim = grant(expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5))
    token = claim_tokens.issue(SECRET, claim)
    assert claim_tokens.verify(SECRET, token) == claim
    with pytest.raises(claim_tokens.InvalidClaimToken, match="not a valid"):
        claim_tokens.verify("another-secret-of-sufficient-length-32", token)
    stale = claim_tokens.issue(SECRET, grant(expires_at=datetime.now(UTC) - timedelta(1)))
    with pytest.raises(claim_tokens.InvalidClaimToken, match="expired"):
        claim_tokens.verify(SECRET, stale)
