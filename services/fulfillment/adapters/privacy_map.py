"""What fulfillment holds about a buyer beyond their id: the address it printed labels for
(blanked but for the country), and return reasons in the buyer's words. Parcels and their
tracking stay: they carry no personal data and the seller's fees depend on them."""

from __future__ import annotations

from libs.privacy import PrivacyMap

PRIVACY_MAP = PrivacyMap(
    service="fulfillment",
    redactions=(
        """UPDATE fulfillment_orders
              SET ship_to = jsonb_build_object('country', ship_to->'country', 'erased', true)
            WHERE buyer_id = $1""",
        "UPDATE returns SET reason = '[erased]' WHERE buyer_id = $1",
    ),
    related={"parcels": """SELECT p.* FROM parcels p JOIN fulfillment_orders o
                                 ON o.order_id = p.order_id WHERE o.buyer_id = $1"""},
)
