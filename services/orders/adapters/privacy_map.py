"""What orders holds about a buyer beyond their id: carts (deleted: nothing requires keeping
them), shipping addresses and the card's last digits (blanked; the country stays, it decided
the tax), return reasons in the buyer's words. Orders, payments, refunds and ledger entries
are kept under the buyer's pseudonym: the law requires them and they must still balance."""

from __future__ import annotations

from libs.privacy import PrivacyMap

PRIVACY_MAP = PrivacyMap(
    service="orders",
    redactions=(
        "DELETE FROM cart_lines WHERE buyer_id = $1",
        """UPDATE orders SET card_last4 = NULL,
                  shipping_address = jsonb_build_object(
                      'country', shipping_address->'country', 'erased', true)
            WHERE buyer_id = $1""",
        "UPDATE returns SET reason = '[erased]' WHERE buyer_id = $1",
    ),
    related={
        "order_lines": """SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id
                           WHERE o.buyer_id = $1""",
        "payments": """SELECT p.order_id, p.status, p.amount_minor, p.captured_minor,
                              p.currency, p.updated_at
                         FROM payments p JOIN orders o ON o.id = p.order_id
                        WHERE o.buyer_id = $1""",
        "refunds": """SELECT r.* FROM refunds r JOIN orders o ON o.id = r.order_id
                       WHERE o.buyer_id = $1""",
        "order_timeline": """SELECT t.* FROM order_timeline t JOIN orders o ON o.id = t.order_id
                              WHERE o.buyer_id = $1""",
    },
)
