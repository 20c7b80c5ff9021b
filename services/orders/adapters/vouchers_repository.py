"""Postgres persistence of vouchers; usage limits enforced in the database under concurrency."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.orders.domain.vouchers import Voucher, VoucherKind


class DuplicateVoucher(Exception):
    pass


def _voucher(row: asyncpg.Record) -> Voucher:
    return Voucher(code=row["code"], seller_id=row["seller_id"], kind=VoucherKind(row["kind"]),
                   value=row["value"], currency=row["currency"].strip(),
                   min_spend_minor=row["min_spend_minor"],
                   max_discount_minor=row["max_discount_minor"], starts_at=row["starts_at"],
                   ends_at=row["ends_at"], total_limit=row["total_limit"],
                   per_buyer_limit=row["per_buyer_limit"])


async def add(pool: asyncpg.Pool, voucher: Voucher, created_by: str) -> None:
    try:
        await pool.execute(
            """INSERT INTO vouchers (code, seller_id, kind, value, currency, min_spend_minor,
                   max_discount_minor, starts_at, ends_at, total_limit, per_buyer_limit,
                   created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)""",
            voucher.code, voucher.seller_id, voucher.kind.value, voucher.value, voucher.currency,
            voucher.min_spend_minor, voucher.max_discount_minor, voucher.starts_at,
            voucher.ends_at, voucher.total_limit, voucher.per_buyer_limit, created_by)
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateVoucher(voucher.code) from exc


async def get(conn: asyncpg.Connection | asyncpg.Pool, code: str) -> Voucher | None:
    row = await conn.fetchrow("SELECT * FROM vouchers WHERE code = $1", code)
    return _voucher(row) if row else None


async def usage(pool: asyncpg.Pool, code: str) -> int:
    return int(await pool.fetchval("SELECT used_count FROM vouchers WHERE code = $1", code) or 0)


async def redeem(conn: asyncpg.Connection, voucher: Voucher, buyer_id: str, checkout_id: UUID,
                 allocations: list[tuple[UUID, int]]) -> str | None:
    """Takes one use of the voucher for this checkout; returns why not, or None. Runs in the
    checkout's transaction, so a checkout that fails gives the use back."""
    if voucher.per_buyer_limit is not None:
        # One buyer's concurrent checkouts take turns for this voucher.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))",
                           voucher.code, buyer_id)
        used = await conn.fetchval(
            "SELECT count(DISTINCT checkout_id) FROM voucher_redemptions "
            "WHERE code = $1 AND buyer_id = $2", voucher.code, buyer_id)
        if used >= voucher.per_buyer_limit:
            return "voucher_buyer_limit"
    taken = await conn.fetchval(
        """UPDATE vouchers SET used_count = used_count + 1
           WHERE code = $1 AND (total_limit IS NULL OR used_count < total_limit)
           RETURNING used_count""", voucher.code)
    if taken is None:
        return "voucher_exhausted"
    await conn.executemany(
        """INSERT INTO voucher_redemptions (code, buyer_id, checkout_id, order_id, amount_minor)
           VALUES ($1, $2, $3, $4, $5)""",
        [(voucher.code, buyer_id, checkout_id, order_id, amount)
         for order_id, amount in allocations])
    return None


async def give_back(conn: asyncpg.Connection, order_id: UUID) -> None:
    """A cancelled order returns its voucher uses (a checkout's use returns with its last order)."""
    rows = await conn.fetch(
        "DELETE FROM voucher_redemptions WHERE order_id = $1 RETURNING code, checkout_id",
        order_id)
    for row in rows:
        remaining = await conn.fetchval(
            "SELECT count(*) FROM voucher_redemptions WHERE code = $1 AND checkout_id = $2",
            row["code"], row["checkout_id"])
        if remaining == 0:
            await conn.execute(
                "UPDATE vouchers SET used_count = used_count - 1 WHERE code = $1 AND used_count > 0",
                row["code"])
