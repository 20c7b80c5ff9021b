"""What discovery holds about a buyer: their verified birthdate, consent and its history, their
interaction history (kept only with consent), orders in flight and their clicks on sponsored
slots. An erasure deletes the history and what was kept to decide on it; the consent history
and the clicks (the record of what sellers were billed) keep only the pseudonym."""

from __future__ import annotations

from libs.privacy import PrivacyMap

PRIVACY_MAP = PrivacyMap(
    service="discovery",
    redactions=(
        "DELETE FROM buyer_interactions WHERE buyer_id = $1",
        "DELETE FROM placed_orders WHERE buyer_id = $1",
        "DELETE FROM buyers WHERE buyer_id = $1",
    ),
)
