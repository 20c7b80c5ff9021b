"""The purchase path's door: while the saga is behind, putting lines in a cart and checking
out are answered 503 with Retry-After before any other work (`use_cases.admission`).

Both are refused, not checkout alone: measured at 150 checkouts/s offered, refusing only the
checkout left the cart writes of every buyer turned away to fill the orders process, and it
decided half as many orders as it could. Reading the cart and one's orders stays open.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from libs.api import runtime

BUSY: dict[int | str, dict[str, Any]] = {503: {
    "description": "The shop is busy (orders are being decided more slowly than they arrive): "
                   "nothing was changed; retry after Retry-After seconds."}}


def purchases_open(request: Request) -> None:
    """A dependency listed first, so a turned-away request costs no token check or query."""
    admission = runtime(request).components.get("checkout_admission")
    if admission is not None:  # built at start-up; until then the database answers 503 anyway
        admission.refuse_if_behind()
