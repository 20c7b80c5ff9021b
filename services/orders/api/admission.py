"""The purchase path's door: while the saga is behind, putting lines in a cart and checking
out are answered 503 with Retry-After before any other work (`libs.busy_gate`; the rule is
`domain.admission`, the reading `use_cases.admission`).

Both are refused, not checkout alone: at 150 checkouts/s offered, refusing only the checkout
left the cart writes of every buyer turned away to fill the orders process. Reading the cart
and one's orders stays open.
"""

from __future__ import annotations

from typing import Any

from libs.errors import Problem

ROUTES = (("PUT", "/v1/cart/lines/{sku_id}"), ("POST", "/v1/checkout"))
BUSY: dict[int | str, dict[str, Any]] = {503: {
    "description": "The shop is busy (orders are being decided more slowly than they arrive): "
                   "nothing was changed; retry after Retry-After seconds."}}


def busy(runtime: Any) -> Problem | None:
    """The problem to answer while the saga is behind (none before start-up built the reading:
    until then the database answers 503 anyway)."""
    admission = runtime.components.get("checkout_admission")
    return None if admission is None else admission.busy()
