"""The purchase path's door: while the saga is behind, putting lines in a cart and checking
out are answered 503 with Retry-After before any other work (`libs.busy_gate`; the rule is
`domain.admission`, the reading `use_cases.admission`).

Two signals, either of which turns buyers away: the saga's backlog (orders placed but not yet
decided), and more purchase requests in the service at once than `checkout_in_flight_allowed`
(the backlog is read a few times a second and counts orders only once they are late, so on its
own it let a few seconds' worth of requests in at a time, which then queued for the database
inside the service).

Both routes are refused, not checkout alone: at 150 checkouts/s offered, refusing only the
checkout left the cart writes of every buyer turned away to fill the orders process. Reading
the cart and one's orders stays open.
"""

from __future__ import annotations

from typing import Any

from libs.busy_gate import InFlightLimit
from libs.errors import Problem
from services.orders.domain.admission import RETRY_AFTER_SECONDS
from services.orders.settings import OrdersSettings

ROUTES = (("PUT", "/v1/cart/lines/{sku_id}"), ("POST", "/v1/checkout"))
BUSY: dict[int | str, dict[str, Any]] = {503: {
    "description": "The shop is busy (orders are being decided more slowly than they arrive): "
                   "nothing was changed; retry after Retry-After seconds."}}


def shop_busy() -> Problem:
    return Problem(
        503, "Shop busy",
        f"Orders are being decided more slowly than they arrive, so nothing was changed, "
        f"placed or charged. Try again in {RETRY_AFTER_SECONDS} s (a checkout with the "
        f"same Idempotency-Key).", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def busy(runtime: Any) -> Problem | None:
    """The problem to answer while the saga is behind (none before start-up built the reading:
    until then the database answers 503 anyway)."""
    admission = runtime.components.get("checkout_admission")
    return shop_busy() if admission is not None and admission.behind() else None


def in_flight_limit(settings: OrdersSettings) -> InFlightLimit:
    return InFlightLimit(requests=settings.checkout_in_flight_allowed,
                         wait_seconds=settings.checkout_in_flight_wait_seconds,
                         problem=shop_busy())
