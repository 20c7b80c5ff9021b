"""Creating a voucher: platform-wide (operators) or for one seller's shop."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from libs.api import field_problem
from libs.errors import Problem
from services.orders.adapters import vouchers_repository
from services.orders.domain.vouchers import Voucher, VoucherError, VoucherKind, check_definition


async def create_voucher(conn: Any, *, seller_id: UUID | None, created_by: str, code: str,
                         kind: VoucherKind, value: int, currency: str, min_spend_minor: int,
                         max_discount_minor: int | None, starts_at: datetime,
                         ends_at: datetime, total_limit: int | None,
                         per_buyer_limit: int | None) -> Voucher:
    try:
        check_definition(kind, value, starts_at, ends_at)
    except VoucherError as exc:
        raise field_problem(exc.code, str(exc)) from exc
    voucher = Voucher(code=code.upper(), seller_id=seller_id, kind=kind, value=value,
                      currency=currency, min_spend_minor=min_spend_minor,
                      max_discount_minor=max_discount_minor, starts_at=starts_at,
                      ends_at=ends_at, total_limit=total_limit, per_buyer_limit=per_buyer_limit)
    try:
        await vouchers_repository.add(conn, voucher, created_by)
    except vouchers_repository.DuplicateVoucher as exc:
        raise Problem(409, "Conflict", f"The code {voucher.code} is taken.") from exc
    return voucher
