"""Flash-deal claims on cart lines: a claimed line is priced by its claim, for its buyer only,
for exactly the claimed units, until the claim expires."""

from __future__ import annotations

from datetime import datetime

from libs.claim_tokens import ClaimGrant
from libs.domain_errors import FieldError


class ClaimError(FieldError):
    """A claim token that cannot be used on this line."""


def check_claim(grant: ClaimGrant, *, buyer_id: str, sku_id: object, quantity: int,
                now: datetime, field: str = "source.claim_token") -> None:
    if grant.buyer_id != buyer_id:
        raise ClaimError(field, "this claim belongs to someone else", "claim_not_yours")
    if grant.sku_id != sku_id:
        raise ClaimError(field, "this claim is for another item", "claim_other_sku")
    if quantity != grant.quantity:
        raise ClaimError("quantity", f"a claimed line holds exactly the {grant.quantity} "
                                     "claimed units", "claim_quantity")
    if grant.expires_at <= now:
        raise ClaimError(field, "the claim has expired", "claim_expired")
